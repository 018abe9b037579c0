//! `/admin/api/v1/apps/{client_id}/roles` and `/admin/api/v1/assignments`: roles that
//! applications declare, and who holds them where. An OPD administrator sees and
//! manages only assignments of people they manage, scoped inside their own reach;
//! anything else answers 404 (existence is not revealed) or 403 for a scope too wide.

use super::asn::target;
use super::auth;
use super::error::{ApiError, json_body, query};
use crate::access::AdminContext;
use crate::access::admin::Act;
use crate::access::roles::{self, AssignmentView, NewAssignment, ScopeKind};
use crate::audit::AuditEvent;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::{opd, role_assignment, user_account};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub async fn list_roles(
    req: HttpRequest,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth::admin(&state, &req).await?;
    let roles = roles::roles_of(&state.db, &client_id).await?;
    Ok(HttpResponse::Ok().json(json!({"items": roles})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRole {
    role: String,
    #[serde(default)]
    description: String,
}

pub async fn declare(
    req: HttpRequest,
    state: web::Data<AppState>,
    client_id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    auth::require_super(&ctx)?;
    let new: NewRole = json_body(&super::error::body(body).await?)?;
    let role = roles::declare(
        &state.db,
        state.now(),
        &client_id,
        &new.role,
        &new.description,
    )
    .await?;
    let e = AuditEvent::new("admin.role.declare", true)
        .actor(ctx.actor())
        .client(client_id.as_str())
        .detail(json!({"role": role.role}));
    state.audit.record(state.now(), e).await?;
    Ok(HttpResponse::Created().json(role))
}

pub async fn of_person(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let p = query(&req)?;
    let person = target(&state, &ctx, &nip, Act::View).await?;
    let history = p.get("history") == Some("true");
    let mut items = Vec::new();
    for a in roles::of_user(
        &state.db,
        &person.id,
        p.get("client_id"),
        state.now(),
        history,
    )
    .await?
    {
        if visible(&state, &ctx, &a).await? {
            items.push(AssignmentView::from(a));
        }
    }
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

async fn visible(
    state: &AppState,
    ctx: &AdminContext,
    a: &role_assignment::Model,
) -> Result<bool, ApiError> {
    let scope = ScopeKind::parse(&a.scope_kind).unwrap_or(ScopeKind::City);
    Ok(ctx
        .may_assign(&state.db, &a.client_id, scope, a.opd_code.as_deref())
        .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAssignmentBody {
    nip: String,
    client_id: String,
    role: String,
    opd: Option<String>,
    scope: String,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let b: NewAssignmentBody = json_body(&super::error::body(body).await?)?;
    let scope = ScopeKind::parse(&b.scope)
        .ok_or_else(|| ApiError::Invalid("scope must be opd, subtree or city".into()))?;
    let person = target(&state, &ctx, &b.nip, Act::Grant).await?;
    if !ctx
        .may_assign(&state.db, &b.client_id, scope, b.opd.as_deref())
        .await?
    {
        return Err(ApiError::Forbidden(
            "this assignment reaches beyond the units you administer".into(),
        ));
    }
    let a = roles::assign(
        &state.db,
        state.now(),
        NewAssignment {
            user_id: person.id.clone(),
            client_id: b.client_id,
            role: b.role,
            opd_code: b.opd,
            scope,
            valid_from: b.valid_from,
            valid_until: b.valid_until,
            created_by: Some(ctx.actor()),
        },
    )
    .await?;
    let e = AuditEvent::new("admin.assignment.create", true)
        .actor(ctx.actor())
        .subject(person.id)
        .client(a.client_id.clone())
        .detail(json!({"id": a.id, "role": a.role, "opd": a.opd_code, "scope": a.scope_kind}));
    state.audit.record(state.now(), e).await?;
    Ok(HttpResponse::Created().json(AssignmentView::from(a)))
}

/// The assignment and its person if this admin may see it (its person in reach and
/// its scope within the admin's power to grant): 404 otherwise.
async fn reachable(
    state: &AppState,
    ctx: &AdminContext,
    id: &str,
) -> Result<(role_assignment::Model, crate::users::User), ApiError> {
    let not_found = || ApiError::not_found(format!("assignment `{id}`"));
    let a = roles::find(&state.db, id).await?.ok_or_else(not_found)?;
    let person = crate::users::find_by_id(&state.db, &a.user_id)
        .await?
        .ok_or_else(not_found)?;
    match ctx.check_target(&state.db, &person, Act::View).await {
        Ok(()) => {}
        Err(crate::directory::DirectoryError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    if !visible(state, ctx, &a).await? {
        return Err(not_found());
    }
    Ok((a, person))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let (a, _) = reachable(&state, &ctx, &id).await?;
    Ok(HttpResponse::Ok().json(AssignmentView::from(a)))
}

pub async fn end(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let (a, person) = reachable(&state, &ctx, &id).await?;
    super::asn::checked(&state, &ctx, &person, Act::End(&a)).await?;
    roles::end(&state.db, state.now(), &a.id, "ended by an administrator").await?;
    let e = AuditEvent::new("admin.assignment.end", true)
        .actor(ctx.actor())
        .subject(a.user_id.clone())
        .client(a.client_id.clone())
        .detail(json!({"id": a.id}));
    state.audit.record(state.now(), e).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /assignments?client_id=&opd=&history=&limit=&cursor=`: assignments in reach,
/// by id. For an OPD administrator a page may hold fewer than `limit` items (those
/// out of reach are skipped): follow `next_cursor` until it is absent.
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let p = query(&req)?;
    let limit: u64 = match p.get("limit") {
        None => 100,
        Some(l) => l
            .parse::<u64>()
            .map_err(|_| ApiError::Invalid("limit must be a number".into()))?
            .clamp(1, 500),
    };
    let mut q = role_assignment::Entity::find();
    if let Some(c) = p.get("client_id") {
        q = q.filter(role_assignment::Column::ClientId.eq(c));
    }
    if let Some(o) = p.get("opd") {
        q = q.filter(role_assignment::Column::OpdCode.eq(o));
    }
    if p.get("history") != Some("true") {
        q = q.filter(roles::live_at(state.now()));
    }
    if let Some(c) = p.get("cursor") {
        q = q.filter(role_assignment::Column::Id.gt(c));
    }
    let mut rows = q
        .order_by_asc(role_assignment::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|a| a.id.clone())
    } else {
        None
    };
    let units: HashMap<String, opd::Model> = crate::directory::opd::all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect();
    let ids: Vec<String> = rows.iter().map(|a| a.user_id.clone()).collect();
    let person_units: HashMap<String, Option<String>> = user_account::Entity::find()
        .select_only()
        .column(user_account::Column::Id)
        .column(user_account::Column::OpdCode)
        .filter(user_account::Column::Id.is_in(ids))
        .into_tuple::<(String, Option<String>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let items: Vec<AssignmentView> = rows
        .into_iter()
        .filter(|a| {
            let person_unit = person_units
                .get(&a.user_id)
                .and_then(|c| c.as_ref())
                .and_then(|c| units.get(c));
            let scope_unit = a.opd_code.as_ref().and_then(|c| units.get(c));
            ctx.sees(a, person_unit, scope_unit)
        })
        .map(AssignmentView::from)
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}
