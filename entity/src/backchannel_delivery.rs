//! One back-channel logout delivery in the durable outbox (Back-Channel Logout 1.0 §2.5).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backchannel_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    pub uri: String,
    /// The signed logout token (short-lived; not a credential).
    pub logout_token: String,
    pub user_id: String,
    pub sid: Option<String>,
    /// Why the session ended: `logout`, `expired`, `admin`, `suspended`, `password_changed`.
    pub reason: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// Claimed by one instance until this time.
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
