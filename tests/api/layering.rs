//! The architecture of docs/architecture.md, checked on the sources: actix-web is
//! named only by the HTTP edge (`src/http/`), nothing below the edge depends on
//! it, and no two modules import each other, directly or around a loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module a file defines: `src/oidc/grant/mod.rs` is `oidc::grant`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// The code of a file without its comments and its test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The paths a file names: `crate::a::b::c`, `super::x`, and the members of
/// `crate::{a, b::c}` groups, each made absolute.
fn referenced_paths(module: &[String], is_mod_file: bool, code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let read_path = |mut i: usize| -> Vec<String> {
        let mut segs = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            if i == start {
                break;
            }
            segs.push(code[start..i].to_owned());
            if code[i..].starts_with("::") && bytes.get(i + 2).is_some_and(|b| is_ident(*b)) {
                i += 2;
            } else {
                break;
            }
        }
        segs
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find("crate::") {
        let at = from + pos;
        from = at + 7;
        if at > 0 && is_ident(bytes[at - 1]) {
            continue;
        }
        if code[from..].starts_with('{') {
            let end = code[from..].find('}').map_or(code.len(), |e| from + e);
            for member in code[from + 1..end].split(',') {
                let member = member.trim();
                let m = member.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
                let path = &member[..m.unwrap_or(member.len())];
                out.push(path.split("::").map(str::to_owned).collect());
            }
        } else {
            out.push(read_path(from));
        }
    }
    let mut from = 0;
    while let Some(pos) = code[from..].find("super::") {
        let at = from + pos;
        if at > 0 && (is_ident(bytes[at - 1]) || bytes[at - 1] == b':') {
            from = at + 7;
            continue;
        }
        let mut i = at;
        let mut ups = 0;
        while code[i..].starts_with("super::") {
            ups += 1;
            i += 7;
        }
        from = i;
        // In `a/b.rs` (module a::b) `super` is `a`; in `a/b/mod.rs` (also a::b) too.
        let _ = is_mod_file;
        let base = module.len().saturating_sub(ups);
        let mut path = module[..base].to_vec();
        path.extend(read_path(i));
        out.push(path);
    }
    out
}

struct Crate {
    /// Module -> the other modules it names.
    deps: BTreeMap<String, BTreeSet<String>>,
    /// Files and their text (comments and tests removed).
    files: Vec<(PathBuf, String)>,
}

fn read_crate() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<(PathBuf, Vec<String>, String)> = sources(&src)
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.clone(), module_of(&src, &f), code(&text))
        })
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(_, m, _)| m.clone()).collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module, text) in &files {
        if module.is_empty() {
            continue;
        }
        let is_mod_file = file.ends_with("mod.rs");
        for path in referenced_paths(module, is_mod_file, text) {
            let Some(target) = (1..=path.len())
                .rev()
                .map(|k| path[..k].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            // A module and its ancestors or descendants are one family, not a layer pair.
            if target.starts_with(module) || module.starts_with(&target) {
                continue;
            }
            deps.entry(module.join("::"))
                .or_default()
                .insert(target.join("::"));
        }
    }
    Crate {
        deps,
        files: files.into_iter().map(|(f, _, t)| (f, t)).collect(),
    }
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(deps: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        deps: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let deps = w.deps;
        for next in deps.get(v).into_iter().flatten() {
            let next = next.as_str();
            if !w.index.contains_key(next) {
                visit(w, next);
                let low = w.low[v].min(w.low[next]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(next) {
                let low = w.low[v].min(w.index[next]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(m) = w.stack.pop() {
                w.on_stack.remove(m);
                component.push(m.to_owned());
                if m == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut w = Walk {
        deps,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for m in deps.keys() {
        if !w.index.contains_key(m.as_str()) {
            visit(&mut w, m);
        }
    }
    w.found
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut edge = |a: &str, b: &str| {
        deps.entry(a.into()).or_default().insert(b.into());
    };
    edge("state", "clients");
    edge("clients", "oidc::grants");
    edge("oidc::grants", "state");
    edge("http", "state");
    assert_eq!(
        cycles(&deps),
        vec![vec![
            "clients".to_owned(),
            "oidc::grants".to_owned(),
            "state".to_owned()
        ]]
    );
    deps.get_mut("oidc::grants").unwrap().clear();
    assert!(cycles(&deps).is_empty());
}

#[test]
fn the_reference_reader_resolves_crate_super_and_groups() {
    let module = vec!["oidc".to_owned(), "grant".to_owned(), "refresh".to_owned()];
    let code = "use crate::{state::AppState, clients};\nuse super::finish;\nlet x = crate::oidc::tokens::mint(a);";
    let found = referenced_paths(&module, false, code);
    let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert!(found.contains(&"state::AppState".to_owned()), "{found:?}");
    assert!(found.contains(&"clients".to_owned()), "{found:?}");
    assert!(
        found.contains(&"oidc::grant::finish".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"oidc::tokens::mint".to_owned()),
        "{found:?}"
    );
}

#[test]
fn no_module_imports_itself_through_others() {
    let krate = read_crate();
    assert!(
        krate.deps.len() > 50,
        "the reader found too few modules: {}",
        krate.deps.len()
    );
    let found = cycles(&krate.deps);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| {
                    let inside: Vec<&str> = krate.deps[m]
                        .iter()
                        .filter(|d| c.contains(d))
                        .map(String::as_str)
                        .collect();
                    format!("{m} -> {}", inside.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .collect();
    assert!(found.is_empty(), "import cycles: {shown:#?}");
}

#[test]
fn actix_stays_at_the_http_edge() {
    let krate = read_crate();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edge = root.join("http");
    let mut outside = Vec::new();
    for (file, text) in &krate.files {
        if !file.starts_with(&edge) && text.contains("actix") {
            outside.push(file.strip_prefix(&root).unwrap().display().to_string());
        }
    }
    assert!(outside.is_empty(), "actix outside src/http/: {outside:?}");
    // Below the edge nothing names it; the command line is the edge's peer (it
    // starts the server), so it may.
    for (module, deps) in &krate.deps {
        if module == "http" || module.starts_with("http::") || module.starts_with("cli") {
            continue;
        }
        let up: Vec<&String> = deps.iter().filter(|d| d.starts_with("http")).collect();
        assert!(up.is_empty(), "{module} depends on the HTTP edge: {up:?}");
    }
}
