//! Audit log: every login, consent, token issue, refresh reuse, revocation and
//! admin action, with time, actor, subject, client, source address and result.
//! Details are structured (JSON) and never contain a secret.

use entity::audit_event;
use sea_orm::{ActiveModelTrait, DatabaseConnection, NotSet, Set};
use serde_json::Value;

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

#[derive(Clone)]
pub struct Audit {
    db: DatabaseConnection,
}

impl Audit {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Records the event. A failure to record is logged loudly; it does not undo the action.
    pub async fn record(&self, now: i64, e: AuditEvent) {
        let outcome = if e.success { "success" } else { "failure" };
        tracing::info!(target: "audit", event = e.event, outcome, actor = ?e.actor, subject = ?e.subject, client_id = ?e.client_id, ip = ?e.ip);
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
        if let Err(err) = row.insert(&self.db).await {
            tracing::error!(error = %err, event = e.event, "audit record could not be written");
        }
    }
}
