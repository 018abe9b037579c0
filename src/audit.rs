//! Audit log: every login, consent, token issue, refresh reuse, revocation and
//! admin action, with time, actor, subject, client, source address and result.
//! Details are structured (JSON) and never contain a secret.
//!
//! No record is ever dropped: `record` returns only once the record is in the
//! database, and fails when it cannot be written, so the action it describes fails
//! too (a request answers 503, a CLI command exits non-zero). Concurrent records
//! share one statement (group commit): while one batch is being written the next
//! ones queue, and the writer takes them all at once.
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
    crate::domain::text::quoted(&s)
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

/// A record that could not be written: the action it describes must fail.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the audit record `{event}` could not be written: {reason}")]
pub struct AuditError {
    pub event: &'static str,
    pub reason: String,
}

struct Message {
    row: Box<Row>,
    done: oneshot::Sender<Result<(), String>>,
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

/// The audit log writer: one task writing batches; callers wait for their batch.
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Message>,
}

const QUEUE: usize = 10_000;
const BATCH: usize = 500;

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, rx));
        Self { tx }
    }

    /// Writes the event; returns once it is in the database.
    pub async fn record(&self, now: i64, e: AuditEvent) -> Result<(), AuditError> {
        let event = e.event;
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
        let fail = |reason: String| {
            tracing::error!(event, %reason, "audit record not written; the action fails");
            AuditError { event, reason }
        };
        let (done, wait) = oneshot::channel();
        let message = Message {
            row: Box::new(row),
            done,
        };
        if self.tx.send(message).await.is_err() {
            return Err(fail("the audit writer has stopped".into()));
        }
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(fail(reason)),
            Err(_) => Err(fail("the audit writer has stopped".into())),
        }
    }
}

async fn writer(db: DatabaseConnection, mut rx: mpsc::Receiver<Message>) {
    let mut rows = Vec::with_capacity(BATCH);
    let mut waiting = Vec::with_capacity(BATCH);
    while let Some(first) = rx.recv().await {
        // Everything already queued goes into this statement (group commit): under
        // load the records that arrived while the last batch was written share one.
        let mut next = Some(first);
        while let Some(message) = next {
            rows.push(*message.row);
            waiting.push(message.done);
            next = if rows.len() >= BATCH {
                None
            } else {
                rx.try_recv().ok()
            };
        }
        let result = insert(&db, &rows).await.map_err(|e| e.to_string());
        if let Err(reason) = &result {
            tracing::error!(error = %reason, records = rows.len(), "audit records could not be written");
        }
        rows.clear();
        for done in waiting.drain(..) {
            let _ = done.send(result.clone());
        }
    }
}
