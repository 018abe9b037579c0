//! `/scim/v2/Groups`: OPD units as SCIM Group resources (RFC 7643 §4.2), `id` and
//! `externalId` the unit code, `displayName` its name, `members` its active direct
//! staff. A unit can hold thousands of people, so lists carry `members` only when
//! asked with `attributes=members` (RFC 7644 §3.4.2.5); a single Group always does
//! unless `excludedAttributes=members`.

use super::{GROUP, authorize, list_response, paging, respond, rfc3339};
use crate::scim::error::ScimError;
use crate::scim::filter;
use crate::state::AppState;
use crate::users::display_name;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::{opd, user_account};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

fn wants_members(p: &crate::domain::Params, default: bool) -> bool {
    let has = |name: &str| {
        p.get(name).is_some_and(|v| {
            v.split(',')
                .any(|a| a.trim().eq_ignore_ascii_case("members"))
        })
    };
    if has("excludedAttributes") {
        false
    } else {
        default || has("attributes")
    }
}

async fn resources(
    state: &AppState,
    units: &[opd::Model],
    with_members: bool,
) -> Result<Vec<Value>, ScimError> {
    let codes: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    let staff = if codes.is_empty() || !with_members {
        Vec::new()
    } else {
        user_account::Entity::find()
            .filter(user_account::Column::OpdCode.is_in(codes))
            .filter(user_account::Column::Status.eq(user_account::AccountStatus::Active))
            .order_by_asc(user_account::Column::Username)
            .all(&state.db)
            .await?
    };
    Ok(units
        .iter()
        .map(|u| {
            let members: Vec<Value> = staff
                .iter()
                .filter(|s| s.opd_code.as_deref() == Some(u.code.as_str()))
                .map(|s| {
                    json!({
                        "value": s.id,
                        "display": display_name(s),
                        "type": "User",
                        "$ref": state.url(&format!("/scim/v2/Users/{}", s.id)),
                    })
                })
                .collect();
            let mut g = json!({
                "schemas": [GROUP],
                "id": u.code,
                "externalId": u.code,
                "displayName": u.name,
                "meta": {
                    "resourceType": "Group",
                    "created": rfc3339(u.created_at),
                    "lastModified": rfc3339(u.updated_at),
                    "location": state.url(&format!("/scim/v2/Groups/{}", u.code)),
                },
            });
            if with_members {
                g["members"] = json!(members);
            }
            g
        })
        .collect())
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ScimError> {
    authorize(&state, &req).await?;
    let p = crate::http::admin::error::query(&req)?;
    let (start, count) = paging(&p);
    let mut q = opd::Entity::find();
    if let Some(f) = p.get("filter") {
        let eq = filter::parse(f, &["displayname", "externalid", "id"])?;
        q = match eq.attr.as_str() {
            "displayname" => q.filter(opd::Column::Name.eq(eq.value)),
            _ => q.filter(opd::Column::Code.eq(eq.value)),
        };
    }
    let total = q.clone().count(&state.db).await?;
    let units = if count == 0 {
        Vec::new()
    } else {
        q.order_by_asc(opd::Column::Path)
            .offset(start - 1)
            .limit(count)
            .all(&state.db)
            .await?
    };
    let res = resources(&state, &units, wants_members(&p, false)).await?;
    Ok(respond(&list_response(total, start, res)))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&state, &req).await?;
    let p = crate::http::admin::error::query(&req)?;
    let unit = crate::directory::opd::get(&state.db, &id)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("Group {id} not found")))?;
    let mut res = resources(&state, std::slice::from_ref(&unit), wants_members(&p, true)).await?;
    let one = res.pop().unwrap_or(Value::Null);
    Ok(respond(&one))
}
