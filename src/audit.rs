//! Audit log: every login, consent, token issue, refresh reuse, revocation and
//! admin action, with time, actor, subject, client, source address and result.
//! Details are structured (JSON) and never contain a secret. Records are written
//! in batches off the request path.
//!
//! A batch is one statement whatever its size: the records travel as one JSON
//! array parameter and the database unpacks them (`json_each` on SQLite,
//! `json_array_elements` on PostgreSQL). The statement text never changes, so it
//! is prepared once per connection, where a multi-row `VALUES` list would be built
//! and parsed anew for every batch length.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Default, Clone)]
pub struct AuditEvent {
    pub event: &'static str,
    pub success: bool,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<Value>,
}

impl AuditEvent {
    pub fn new(event: &'static str, success: bool) -> Self {
        Self {
            event,
            success,
            ..Self::default()
        }
    }
    pub fn actor(mut self, v: impl Into<String>) -> Self {
        self.actor = Some(v.into());
        self
    }
    pub fn subject(mut self, v: impl Into<String>) -> Self {
        self.subject = Some(v.into());
        self
    }
    pub fn client(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }
    pub fn ip(mut self, v: Option<String>) -> Self {
        self.ip = v;
        self
    }
    pub fn detail(mut self, v: Value) -> Self {
        self.detail = Some(v);
        self
    }
}

/// A recorded value without control characters: a NUL would make PostgreSQL
/// refuse the whole batch (and lose every record in it). The detail object is
/// serialised first, so its strings carry NUL only as the text `\u0000`.
fn printable(s: String) -> String {
    if crate::domain::text::forbidden_control(&s).is_none() {
        return s;
    }
    s.chars()
        .map(|c| {
            if crate::domain::text::is_forbidden(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// One record as it is queued and written.
#[derive(Debug, Serialize)]
struct Row {
    at: i64,
    event: &'static str,
    outcome: &'static str,
    actor: Option<String>,
    subject: Option<String>,
    client_id: Option<String>,
    ip: Option<String>,
    /// The detail object, already serialised.
    detail: String,
}

enum Message {
    Event(Box<Row>),
    Flush(oneshot::Sender<()>),
}

const INSERT_SQLITE: &str = "INSERT INTO audit_event (at, event, outcome, actor, subject, client_id, ip, detail) \
     SELECT value ->> 'at', value ->> 'event', value ->> 'outcome', value ->> 'actor', \
     value ->> 'subject', value ->> 'client_id', value ->> 'ip', value ->> 'detail' \
     FROM json_each(?) ORDER BY key";

const INSERT_POSTGRES: &str = "INSERT INTO audit_event (at, event, outcome, actor, subject, client_id, ip, detail) \
     SELECT (e ->> 'at')::bigint, e ->> 'event', e ->> 'outcome', e ->> 'actor', \
     e ->> 'subject', e ->> 'client_id', e ->> 'ip', e ->> 'detail' \
     FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, n) ORDER BY n";

/// Writes one batch in one statement.
async fn insert(db: &DatabaseConnection, rows: &[Row]) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => INSERT_POSTGRES,
        _ => INSERT_SQLITE,
    };
    let json = serde_json::to_string(rows).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(backend, sql, [json.into()]))
        .await?;
    Ok(())
}

/// The audit log writer. Records are queued (bounded: a full queue slows callers
/// down rather than dropping records) and written in batches by one task, so an
/// audited request does not wait for its own database insert.
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Message>,
}

const QUEUE: usize = 10_000;
const BATCH: usize = 500;
/// How long a batch may wait for more records before it is written.
const LINGER: std::time::Duration = std::time::Duration::from_millis(50);

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, rx));
        Self { tx }
    }

    /// Queues the event for writing.
    pub async fn record(&self, now: i64, e: AuditEvent) {
        let outcome = if e.success { "success" } else { "failure" };
        tracing::debug!(target: "audit", event = e.event, outcome, actor = ?e.actor, subject = ?e.subject, client_id = ?e.client_id, ip = ?e.ip);
        let row = Row {
            at: now,
            event: e.event,
            outcome,
            actor: e.actor.map(printable),
            subject: e.subject.map(printable),
            client_id: e.client_id.map(printable),
            ip: e.ip.map(printable),
            detail: e
                .detail
                .unwrap_or(Value::Object(Default::default()))
                .to_string(),
        };
        if self.tx.send(Message::Event(Box::new(row))).await.is_err() {
            tracing::error!(event = e.event, "audit writer stopped; record lost");
        }
    }

    /// Waits until everything queued so far is written (shutdown, CLI, tests).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

async fn writer(db: DatabaseConnection, mut rx: mpsc::Receiver<Message>) {
    let mut rows = Vec::with_capacity(BATCH);
    let mut waiting = Vec::new();
    while let Some(first) = rx.recv().await {
        // Gather for up to LINGER after the first record (or until the batch is full
        // or someone waits for a flush): under load each statement carries many
        // records instead of one or two.
        let until = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Event(row) => rows.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
            next = if rows.len() >= BATCH || !waiting.is_empty() {
                None
            } else {
                match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(_) => tokio::time::timeout_at(until, rx.recv())
                        .await
                        .ok()
                        .flatten(),
                }
            };
        }
        if !rows.is_empty() {
            if let Err(err) = insert(&db, &rows).await {
                tracing::error!(error = %err, records = rows.len(), "audit records could not be written");
            }
            rows.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
