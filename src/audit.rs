//! Audit log: every login, consent, token issue, refresh reuse, revocation and
//! admin action, with time, actor, subject, client, source address and result.
//! Details are structured (JSON) and never contain a secret. Records are written
//! in batches off the request path.

use entity::audit_event;
use sea_orm::{DatabaseConnection, EntityTrait, NotSet, Set};
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

enum Message {
    Event(Box<audit_event::ActiveModel>),
    Flush(oneshot::Sender<()>),
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
        let row = audit_event::ActiveModel {
            id: NotSet,
            at: Set(now),
            event: Set(e.event.to_owned()),
            outcome: Set(outcome.to_owned()),
            actor: Set(e.actor),
            subject: Set(e.subject),
            client_id: Set(e.client_id),
            ip: Set(e.ip),
            detail: Set(e
                .detail
                .unwrap_or(Value::Object(Default::default()))
                .to_string()),
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
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Event(row) => rows.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
            next = if rows.len() < BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !rows.is_empty() {
            let batch = std::mem::take(&mut rows);
            let n = batch.len();
            if let Err(err) = audit_event::Entity::insert_many(batch).exec(&db).await {
                tracing::error!(error = %err, records = n, "audit records could not be written");
            }
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
