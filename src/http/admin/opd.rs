//! `/admin/api/v1/opd`: the OPD tree. Everyone administering sees the units in
//! reach; OPD administrators change only units strictly below their own root(s).

use super::auth;
use super::error::{ApiError, json_body, query};
use crate::access::AdminContext;
use crate::audit::AuditEvent;
use crate::directory::opd::{self, Unit, UnitChange};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

async fn visible(
    state: &AppState,
    ctx: &AdminContext,
    code: &str,
) -> Result<opd::UnitRow, ApiError> {
    match opd::get(&state.db, code).await? {
        Some(u) if ctx.manage.covers(&u) => Ok(u),
        _ => Err(ApiError::not_found(format!("unit `{code}`"))),
    }
}

/// A unit this admin may change: in a managed sub-tree and not one of the admin's roots.
async fn changeable(
    state: &AppState,
    ctx: &AdminContext,
    code: &str,
) -> Result<opd::UnitRow, ApiError> {
    let u = visible(state, ctx, code).await?;
    if ctx.may_change_unit(&u) {
        Ok(u)
    } else {
        Err(ApiError::Forbidden(format!(
            "unit `{code}` can only be changed by an administrator above it"
        )))
    }
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let p = query(&req)?;
    let limit: usize = match p.get("limit") {
        None => 100,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::Invalid("limit must be a number".into()))?
            .clamp(1, 1000),
    };
    let after = p.get("cursor").unwrap_or_default();
    let q = p.get("q").map(str::to_lowercase);
    let units: Vec<Unit> = opd::all(&state.db)
        .await?
        .into_iter()
        .filter(|u| ctx.manage.covers(u))
        .filter(|u| {
            q.as_deref().is_none_or(|q| {
                u.code.to_lowercase().starts_with(q) || u.name.to_lowercase().contains(q)
            })
        })
        .filter(|u| after.is_empty() || u.path.as_str() > after)
        .take(limit + 1)
        .map(Unit::from)
        .collect();
    let (page, next) = if units.len() > limit {
        let page: Vec<Unit> = units.into_iter().take(limit).collect();
        let next = page.last().map(|u| u.path.clone());
        (page, next)
    } else {
        (units, None)
    };
    Ok(HttpResponse::Ok().json(json!({"items": page, "next_cursor": next})))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let u = visible(&state, &ctx, &code).await?;
    Ok(HttpResponse::Ok().json(Unit::from(u)))
}

pub async fn subtree(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let u = visible(&state, &ctx, &code).await?;
    let items: Vec<Unit> = opd::subtree_of_path(&state.db, &u.path)
        .await?
        .into_iter()
        .filter(|x| ctx.manage.covers(x))
        .map(Unit::from)
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUnit {
    code: String,
    name: String,
    kind: String,
    parent: Option<String>,
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let new: NewUnit = json_body(&super::error::body(body).await?)?;
    match &new.parent {
        None => auth::require_super(&ctx)?,
        Some(p) => {
            let parent = visible(&state, &ctx, p).await?;
            if !ctx.may_place_under(&parent) {
                return Err(ApiError::Forbidden(format!(
                    "units under `{p}` are not yours to create"
                )));
            }
        }
    }
    let u = opd::create(
        &state.db,
        state.now(),
        &new.code,
        &new.name,
        &new.kind,
        new.parent.as_deref(),
    )
    .await?;
    audit(
        &state,
        &ctx,
        "opd.create",
        json!({"code": u.code, "parent": u.parent_code}),
    )
    .await?;
    Ok(HttpResponse::Created().json(Unit::from(u)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    name: Option<String>,
    kind: Option<String>,
    #[serde(default, with = "double_option")]
    parent: Option<Option<String>>,
    closed: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let patch: Patch = json_body(&super::error::body(body).await?)?;
    let before = changeable(&state, &ctx, &code).await?;
    if let Some(Some(p)) = &patch.parent {
        let target = visible(&state, &ctx, p).await?;
        if !ctx.may_place_under(&target) {
            return Err(ApiError::Forbidden(format!(
                "cannot move a unit under `{p}`"
            )));
        }
    } else if let Some(None) = &patch.parent {
        auth::require_super(&ctx)?;
    }
    let change = UnitChange {
        name: patch.name,
        kind: patch.kind,
        parent: patch.parent,
        closed: patch.closed,
    };
    let after = opd::update(&state.db, state.now(), &code, change).await?;
    audit(
        &state,
        &ctx,
        "opd.change",
        json!({
            "code": after.code,
            "name": [before.name, after.name],
            "parent": [before.parent_code, after.parent_code],
            "path": [before.path, after.path],
            "closed": after.closed_at.is_some(),
        }),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Unit::from(after)))
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    changeable(&state, &ctx, &code).await?;
    opd::delete(&state.db, &code).await?;
    audit(&state, &ctx, "opd.delete", json!({"code": code.as_str()})).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn audit(
    state: &AppState,
    ctx: &AdminContext,
    event: &'static str,
    detail: serde_json::Value,
) -> Result<(), crate::audit::AuditError> {
    let e = AuditEvent::new(event, true)
        .actor(ctx.actor())
        .detail(detail);
    state.audit.record(state.now(), e).await
}
