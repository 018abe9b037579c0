//! Import reports: counts, every rejected row with its line number and a reason a
//! person understands, and whether anything was written (all-or-nothing).

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejection {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The row's key as written (NIP or unit code), for the person fixing the file.
    pub key: String,
    pub reasons: Vec<String>,
}

/// A row refused while it is read, as the file wrote it (`ImportReport::refuse`
/// quotes it into a [`Rejection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub line: u64,
    pub key: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub kind: &'static str,
    pub dry_run: bool,
    pub sync: bool,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub suspended: u64,
    pub reactivated: u64,
    /// OPD changes (mutasi) among the updates.
    pub mutasi: u64,
    /// Role assignments ended by mutasi.
    pub assignments_ended: u64,
    /// Rows accepted with a review flag (NIK/NIP disagreement).
    pub flagged: u64,
    pub rejected: Vec<Rejection>,
    /// Whether the database was changed.
    pub written: bool,
    /// Samples of what would change (dry run): NIP or code with the action.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preview: Vec<String>,
}

impl ImportReport {
    pub fn new(kind: &'static str, dry_run: bool, sync: bool) -> Self {
        Self {
            kind,
            dry_run,
            sync,
            ..Self::default()
        }
    }

    pub fn reject(&mut self, line: u64, key: &str, reasons: Vec<String>) {
        // What the file said is quoted back: never its control characters.
        let shown = crate::domain::text::quoted;
        let key: String = shown(key).chars().take(40).collect();
        let reasons = reasons.iter().map(|r| shown(r)).collect();
        self.rejected.push(Rejection { line, key, reasons });
    }

    /// Records a row refused while it was read.
    pub fn refuse(&mut self, r: Refused) {
        self.reject(r.line, &r.key, r.reasons);
    }

    pub fn changes(&self) -> u64 {
        self.created + self.updated + self.suspended + self.reactivated
    }

    pub fn nothing_changed(&self) -> bool {
        self.rejected.is_empty() && self.changes() == 0
    }

    /// The human summary printed by the CLI.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if !self.rejected.is_empty() {
            s.push_str(&format!(
                "{} of {} rows rejected; nothing was written:\n",
                self.rejected.len(),
                self.rows
            ));
            for r in &self.rejected {
                s.push_str(&format!(
                    "  line {}: {}: {}\n",
                    r.line,
                    r.key,
                    r.reasons.join("; ")
                ));
            }
            return s;
        }
        if self.nothing_changed() {
            s.push_str(&format!(
                "{} rows read: nothing changed (the directory already matches the file)\n",
                self.rows
            ));
            return s;
        }
        let w = |word: &str| {
            if self.dry_run {
                format!("would be {word}")
            } else {
                word.to_owned()
            }
        };
        s.push_str(&format!(
            "{} rows read{}: {} {}, {} {} ({} mutasi), {} unchanged",
            self.rows,
            if self.dry_run {
                " (dry run, nothing written)"
            } else {
                ""
            },
            self.created,
            w("created"),
            self.updated,
            w("updated"),
            self.mutasi,
            self.unchanged
        ));
        if self.sync || self.suspended > 0 {
            s.push_str(&format!(", {} {}", self.suspended, w("suspended")));
        }
        if self.reactivated > 0 {
            s.push_str(&format!(", {} {}", self.reactivated, w("reactivated")));
        }
        s.push('\n');
        if self.assignments_ended > 0 {
            s.push_str(&format!(
                "{} role assignments {} by mutasi\n",
                self.assignments_ended,
                w("ended")
            ));
        }
        if self.flagged > 0 {
            s.push_str(&format!(
                "{} rows flagged for review (NIK or birth data disagree with the NIP, or an e-mail shared with another row)\n",
                self.flagged
            ));
        }
        for p in &self.preview {
            s.push_str(&format!("  {p}\n"));
        }
        s
    }
}
