//! `/admin/api/v1/asn`: people in reach, searched by NIP, name or e-mail prefix with
//! keyset pagination; edits (including mutasi), suspension and reactivation. What
//! lies outside the caller's reach answers 404, exactly like what does not exist; an
//! account whose powers exceed the caller's answers 403 to every change
//! (`AdminContext::check_target`, the one rule for all of them).

use super::auth;
use super::error::{ApiError, json_body, query};
use crate::access::AdminContext;
use crate::access::admin::Act;
use crate::audit::AuditEvent;
use crate::directory::{asn_import, opd, people, suspend};
use crate::state::AppState;
use crate::users::User;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::user_account;
use sea_orm::{ActiveModelTrait, Set};
use serde::Deserialize;
use serde_json::json;

/// The person with this NIP if this admin may do `act` to them: 404 when there is
/// none or they are out of reach, 403 when their powers exceed the admin's.
pub async fn target(
    state: &AppState,
    ctx: &AdminContext,
    nip: &str,
    act: Act<'_>,
) -> Result<User, ApiError> {
    let u = people::by_nip(&state.db, nip)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("ASN `{nip}`")))?;
    checked(state, ctx, &u, act).await?;
    Ok(u)
}

/// `AdminContext::check_target`, with every refusal of a power boundary (403) or
/// of an act on oneself (409) audited as `admin.refused`: an administrator trying
/// to act above their powers is a security event. (404s, what lies outside one's
/// reach, are answered as if nothing were there and not recorded per attempt.)
pub async fn checked(
    state: &AppState,
    ctx: &AdminContext,
    target: &User,
    act: Act<'_>,
) -> Result<(), ApiError> {
    let Err(e) = ctx.check_target(&state.db, target, act).await else {
        return Ok(());
    };
    let e = ApiError::from(e);
    if matches!(e, ApiError::Forbidden(_) | ApiError::Conflict(_)) {
        let act = match act {
            Act::View => "view",
            Act::Edit => "edit",
            Act::Suspend => "suspend",
            Act::Reactivate => "reactivate",
            Act::Grant => "grant",
            Act::End(_) => "end_assignment",
        };
        let record = AuditEvent::new("admin.refused", false)
            .actor(ctx.actor())
            .subject(target.id.clone())
            .detail(serde_json::json!({"act": act, "reason": e.to_string()}));
        state.audit.record(state.now(), record).await?;
    }
    Err(e)
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let p = query(&req)?;
    let mut restrict = ctx.people_condition();
    if let Some(code) = p.get("opd") {
        let unit = opd::get(&state.db, code)
            .await?
            .filter(|u| ctx.manage.covers(u))
            .ok_or_else(|| ApiError::not_found(format!("unit `{code}`")))?;
        restrict = restrict.add(people::in_units(&[unit.path], &[]));
    }
    let limit = match p.get("limit") {
        None => None,
        Some(l) => Some(
            l.parse::<u64>()
                .map_err(|_| ApiError::Invalid("limit must be a number".into()))?,
        ),
    };
    let search = people::Search {
        q: p.get("q").map(str::to_owned),
        limit,
        cursor: p.get("cursor").map(str::to_owned),
    };
    let (rows, next) = people::search(&state.db, restrict, &search).await?;
    let items: Vec<_> = rows.iter().map(|u| people::admin_view(u, false)).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next})))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let u = target(&state, &ctx, &nip, Act::View).await?;
    let reveal = u.nik.is_some() && ctx.may_reveal_nik(&state.db, &u).await?;
    if reveal {
        let e = AuditEvent::new("admin.nik.view", true)
            .actor(ctx.actor())
            .subject(u.id.clone());
        state.audit.record(state.now(), e).await?;
    }
    Ok(HttpResponse::Ok().json(people::admin_view(&u, reveal)))
}

/// The refusal of an e-mail already used by another account.
pub const EMAIL_UNUSABLE: &str = "this e-mail cannot be used for this account";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    email: Option<String>,
    phone: Option<String>,
    opd: Option<String>,
    unit_kerja: Option<String>,
    jabatan: Option<String>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let patch: Patch = json_body(&super::error::body(body).await?)?;
    let u = target(&state, &ctx, &nip, Act::Edit).await?;
    let now = state.now();
    let old_opd = u.opd_code.clone();
    let mut a: user_account::ActiveModel = u.clone().into();
    if let Some(e) = &patch.email {
        let e = crate::users::normalise_email(e).map_err(|e| ApiError::Invalid(e.to_string()))?;
        // The e-mail is a login name, unique over all accounts. The refusal is the same
        // whoever holds it, in reach or not, and names nobody.
        if crate::users::find_by_login(&state.db, &e)
            .await?
            .is_some_and(|o| o.id != u.id)
        {
            return Err(ApiError::Conflict(EMAIL_UNUSABLE.into()));
        }
        a.email_verified = Set(u.email.as_deref() == Some(e.as_str()) && u.email_verified);
        a.email = Set(Some(e));
    }
    if let Some(p) = &patch.phone {
        a.phone = Set(Some(p.trim().chars().take(32).collect()).filter(|p: &String| !p.is_empty()));
    }
    if let Some(v) = &patch.unit_kerja {
        a.unit_kerja = Set(Some(v.trim().to_owned()).filter(|v| !v.is_empty()));
    }
    if let Some(v) = &patch.jabatan {
        a.jabatan = Set(Some(v.trim().to_owned()).filter(|v| !v.is_empty()));
    }
    let mut ended = Vec::new();
    if let Some(code) = &patch.opd
        && old_opd.as_deref() != Some(code.as_str())
    {
        let unit = opd::get(&state.db, code)
            .await?
            .filter(|x| ctx.manage.covers(x))
            .ok_or_else(|| ApiError::not_found(format!("unit `{code}`")))?;
        if unit.closed_at.is_some() {
            return Err(ApiError::Conflict(format!("unit `{code}` is closed")));
        }
        a.opd_code = Set(Some(code.clone()));
        let mutasi = [(
            u.id.clone(),
            old_opd.clone().unwrap_or_default(),
            code.clone(),
        )];
        ended = asn_import::end_for_mutasi(&state, &mutasi).await?;
    }
    a.updated_at = Set(now);
    let after = a.update(&state.db).await?;
    state.users_cache.invalidate(&after.id);
    let mut e = AuditEvent::new("admin.asn.update", true)
        .actor(ctx.actor())
        .subject(after.id.clone());
    if patch.opd.is_some() && old_opd != after.opd_code {
        e = AuditEvent::new("asn.mutasi", true)
            .actor(ctx.actor())
            .subject(after.id.clone())
            .detail(json!({"from": old_opd, "to": after.opd_code, "assignments_ended": ended}));
    }
    state.audit.record(now, e).await?;
    Ok(HttpResponse::Ok().json(people::admin_view(&after, false)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: Option<String>,
}

pub async fn suspend(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let body = super::error::body(body).await?;
    let r: Reason = if body.is_empty() {
        Reason::default()
    } else {
        json_body(&body)?
    };
    let u = target(&state, &ctx, &nip, Act::Suspend).await?;
    let reason = r
        .reason
        .unwrap_or_else(|| "suspended by an administrator".into());
    let after = suspend::suspend(&state, u, &reason, &ctx.actor()).await?;
    Ok(HttpResponse::Ok().json(people::admin_view(&after, false)))
}

pub async fn reactivate(
    req: HttpRequest,
    state: web::Data<AppState>,
    nip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    let u = target(&state, &ctx, &nip, Act::Reactivate).await?;
    let after = suspend::reactivate(&state, u, &ctx.actor()).await?;
    Ok(HttpResponse::Ok().json(people::admin_view(&after, false)))
}
