//! Release-mode benchmark of the directory (issue #3; figures in docs/benchmarks.md):
//!
//! 1. token minting for a person with 50 role assignments in a 5,000-unit OPD tree:
//!    directory claims (`oidc::claims::load`: OPD, roles) plus access token and ID
//!    token signing, p50/p99 over 2,000 requests;
//! 2. with `BENCH_SEARCH_DB=<database URL>` (a database where 100,000 ASN were
//!    imported), admin search latency by NIP, name and e-mail prefix.
//!
//! `cargo run --release --example bench-directory`

use gapura::access::roles::{self, NewAssignment, ScopeKind};
use gapura::clients::{self, NewClient};
use gapura::clock::SystemClock;
use gapura::config::Settings;
use gapura::directory::people::{self, Search};
use gapura::domain::Scopes;
use gapura::oidc::{claims, tokens};
use gapura::users::{self, NewUser};
use sea_orm::{Condition, EntityTrait, Set};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Gapura's protocol errors are responses, not `std::error::Error`s.
fn oauth(e: gapura::error::OAuthError) -> anyhow::Error {
    anyhow::anyhow!("{}: {:?}", e.code.as_str(), e.description)
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

// actix-web runs each worker on a current-thread runtime: measure the same way.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults()?;
    settings.database_url = SecretString::from(
        std::env::var("BENCH_DB")
            .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display())),
    );
    settings.keys_dir = dir.path().join("keys");
    let clock = Arc::new(SystemClock);
    let state =
        gapura::startup::build_state(settings, clock, "http://127.0.0.1:8080".into()).await?;
    let now = state.now();

    // A 5,000-unit tree: 50 OPDs × 9 bidang × 10 seksi (+ the roots) ≈ 5,000.
    let t = Instant::now();
    let mut rows = Vec::new();
    for o in 0..50 {
        let opd = format!("OPD-{o:02}");
        rows.push((opd.clone(), None, format!("/{opd}/"), 0));
        for b in 0..9 {
            let bidang = format!("{opd}-B{b}");
            rows.push((
                bidang.clone(),
                Some(opd.clone()),
                format!("/{opd}/{bidang}/"),
                1,
            ));
            for s in 0..10 {
                let seksi = format!("{bidang}-S{s}");
                let path = format!("/{opd}/{bidang}/{seksi}/");
                rows.push((seksi, Some(bidang.clone()), path, 2));
            }
        }
    }
    let units = rows.len();
    for chunk in rows.chunks(500) {
        entity::opd::Entity::insert_many(chunk.iter().map(|(code, parent, path, depth)| {
            entity::opd::ActiveModel {
                code: Set(code.clone()),
                name: Set(format!("Unit {code}")),
                kind: Set("bidang".into()),
                parent_code: Set(parent.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                path: Set(path.clone()),
                depth: Set(*depth),
                closed_at: Set(None),
            }
        }))
        .exec_without_returning(&state.db)
        .await?;
    }
    let user = users::create(
        &state.db,
        &state.hasher,
        state.clock.as_ref(),
        NewUser {
            username: "199312172018112012".into(),
            name: "Siti Aminah".into(),
            gelar_depan: Some("Dr.".into()),
            gelar_belakang: Some("S.Kom., M.T.".into()),
            opd_code: Some("OPD-07-B3-S4".into()),
            ..NewUser::default()
        },
    )
    .await?;
    let (client, _) = clients::register(
        &state.db,
        &state.master,
        state.clock.as_ref(),
        NewClient {
            name: "e-Kinerja".into(),
            redirect_uris: vec!["https://ekinerja.kotabogor.go.id/cb".into()],
            scopes: Some("openid profile email asn roles".into()),
            ..NewClient::default()
        },
    )
    .await?;
    for r in ["pegawai", "atasan", "verifikator", "admin", "auditor"] {
        roles::declare(&state.db, now, &client.id, r, "").await?;
    }
    for i in 0..50 {
        let role = ["pegawai", "atasan", "verifikator", "admin", "auditor"][i % 5];
        let (opd, scope) = match i % 3 {
            0 => (Some(format!("OPD-{:02}", i)), ScopeKind::Subtree),
            1 => (Some(format!("OPD-{:02}-B{}", i, i % 9)), ScopeKind::Opd),
            _ => (
                Some(format!("OPD-{:02}-B{}-S{}", i, i % 9, i % 10)),
                ScopeKind::Opd,
            ),
        };
        roles::assign(
            &state.db,
            now,
            NewAssignment {
                user_id: user.id.clone(),
                client_id: client.id.to_string(),
                role: role.into(),
                opd_code: opd,
                scope,
                valid_from: None,
                valid_until: None,
                created_by: None,
            },
        )
        .await?;
    }
    println!("setup: {units} units, 50 assignments in {:?}", t.elapsed());

    let scope = Scopes::parse("openid profile email asn roles")
        .map_err(|_| anyhow::anyhow!("bad scope"))?;
    let (mut times, mut claim_times, mut sign_times) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..2_200 {
        let t = Instant::now();
        let extra = claims::load(&state, &client, &user, &scope)
            .await
            .map_err(oauth)?;
        let claimed = t.elapsed();
        let assigned = extra.roles.as_ref().map_or(0, |r| r.structured.len());
        anyhow::ensure!(assigned == 50, "expected 50 role claims, got {assigned}");
        let ctx = tokens::GrantContext {
            grant_id: Some("g".into()),
            scope: scope.clone(),
            sid: Some("s".into()),
            auth_time: Some(now),
            acr: Some("1".into()),
            amr: vec!["pwd".into()],
            extra,
        };
        let (at, _) = tokens::access_token(&state, &client, Some(&user), &ctx)
            .await
            .map_err(oauth)?;
        tokens::id_token(&state, &client, &user, &ctx, Some("n"), &at)
            .await
            .map_err(oauth)?;
        if i >= 200 {
            times.push(t.elapsed());
            claim_times.push(claimed);
            sign_times.push(t.elapsed() - claimed);
        }
    }
    println!(
        "token with 50 assignments in a {units}-unit tree (claims + access token + ID token, RS256): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
        pct(&mut times, 0.50),
        pct(&mut times, 0.99),
        pct(&mut times, 1.0),
        times.len()
    );
    println!(
        "  of which directory claims (OPD + 50 roles): p50 {:.2} ms, p99 {:.2} ms; signing both tokens: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut claim_times, 0.50),
        pct(&mut claim_times, 0.99),
        pct(&mut sign_times, 0.50),
        pct(&mut sign_times, 0.99)
    );

    // The machine's noise floor: the simplest possible query through the same pool.
    let mut floor = Vec::new();
    for _ in 0..2_000 {
        let t = Instant::now();
        entity::opd::Entity::find_by_id("OPD-07".to_owned())
            .one(&state.db)
            .await?;
        floor.push(t.elapsed());
    }
    let mut claims_only = Vec::new();
    for _ in 0..2_000 {
        let t = Instant::now();
        claims::load(&state, &client, &user, &scope)
            .await
            .map_err(oauth)?;
        claims_only.push(t.elapsed());
    }
    println!(
        "  directory claims alone, back to back: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut claims_only, 0.50),
        pct(&mut claims_only, 0.99)
    );
    let mut roles_only = Vec::new();
    for _ in 0..2_000 {
        let t = Instant::now();
        gapura::access::claims::for_client(&state.db, &user.id, &client.id, now).await?;
        roles_only.push(t.elapsed());
    }
    println!(
        "  roles query alone (50 assignments, one aggregated row): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut roles_only, 0.50),
        pct(&mut roles_only, 0.99)
    );
    println!(
        "  noise floor, one primary-key query: p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut floor, 0.50),
        pct(&mut floor, 0.99)
    );

    if let Ok(url) = std::env::var("BENCH_SEARCH_DB") {
        let db = gapura::db::connect(&url).await?;
        // Warm the pool and the server's caches before measuring.
        let warm = Instant::now();
        let mut warm_slow = 0;
        for _ in 0..500 {
            let t = Instant::now();
            let s = Search {
                q: Some("19860".into()),
                limit: Some(50),
                cursor: None,
            };
            people::search(&db, Condition::all(), &s).await?;
            if t.elapsed().as_millis() >= 10 {
                warm_slow += 1;
            }
        }
        println!(
            "search warm-up: 500 queries in {:?} ({warm_slow} took >= 10 ms)",
            warm.elapsed()
        );
        for (label, q) in [
            ("NIP prefix 19860", "19860"),
            ("NIP prefix (full)", "199312172018112012"),
            ("name prefix 'siti'", "siti"),
            ("name prefix 'dewi sa'", "dewi sa"),
            ("e-mail prefix 'eko.'", "eko."),
            ("no filter (first page)", ""),
        ] {
            let mut v = Vec::new();
            for i in 0..220 {
                let t = Instant::now();
                let s = Search {
                    q: Some(q.into()).filter(|q: &String| !q.is_empty()),
                    limit: Some(50),
                    cursor: None,
                };
                people::search(&db, Condition::all(), &s).await?;
                if i >= 20 {
                    v.push(t.elapsed());
                }
            }
            let slow: Vec<usize> = v
                .iter()
                .enumerate()
                .filter(|(_, d)| d.as_millis() >= 10)
                .map(|(i, _)| i)
                .collect();
            println!(
                "search {label:<26} p50 {:.2} ms, p99 {:.2} ms{}",
                pct(&mut v, 0.5),
                pct(&mut v, 0.99),
                if slow.is_empty() {
                    String::new()
                } else {
                    format!(" (>= 10 ms at iterations {slow:?})")
                }
            );
        }
        // an OPD administrator's view: everything under one Kecamatan
        let unit = gapura::directory::opd::get(&db, "KEC-BOGOR-BARAT")
            .await?
            .ok_or_else(|| anyhow::anyhow!("KEC-BOGOR-BARAT is not in the database"))?;
        let mut v = Vec::new();
        for i in 0..220 {
            let t = Instant::now();
            let s = Search {
                q: Some("a".into()),
                limit: Some(50),
                cursor: None,
            };
            people::search(
                &db,
                people::in_units(std::slice::from_ref(&unit.path), &[]),
                &s,
            )
            .await?;
            if i >= 20 {
                v.push(t.elapsed());
            }
        }
        println!(
            "search name 'a' in the KEC-BOGOR-BARAT sub-tree  p50 {:.2} ms, p99 {:.2} ms",
            pct(&mut v, 0.5),
            pct(&mut v, 0.99)
        );
    }
    Ok(())
}
