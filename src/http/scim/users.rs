//! `/scim/v2/Users`: ASN as SCIM User resources (RFC 7643 §4.1) with the enterprise
//! extension (§4.3): `userName` and `employeeNumber` are the NIP, `department` the OPD.

use super::{ENTERPRISE_USER, USER, authorize, list_response, paging, respond, rfc3339};
use crate::scim::error::ScimError;
use crate::scim::filter;
use crate::state::AppState;
use crate::users::{User, display_name};
use actix_web::{HttpRequest, HttpResponse, web};
use entity::{opd, user_account};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use std::collections::HashMap;

fn resource(state: &AppState, u: &User, units: &HashMap<String, opd::Model>) -> Value {
    let unit = u.opd_code.as_ref().and_then(|c| units.get(c));
    let mut name = json!({"formatted": display_name(u)});
    let mut parts = u.name.trim().rsplitn(2, ' ');
    if let Some(last) = parts.next() {
        match parts.next() {
            Some(first) => {
                name["givenName"] = json!(first);
                name["familyName"] = json!(last);
            }
            None => name["givenName"] = json!(last),
        }
    }
    if let Some(g) = &u.gelar_depan {
        name["honorificPrefix"] = json!(g);
    }
    if let Some(g) = &u.gelar_belakang {
        name["honorificSuffix"] = json!(g);
    }
    let mut r = json!({
        "schemas": [USER, ENTERPRISE_USER],
        "id": u.id,
        "userName": u.username,
        "name": name,
        "displayName": display_name(u),
        "active": crate::users::is_active(u),
        "meta": {
            "resourceType": "User",
            "created": rfc3339(u.created_at),
            "lastModified": rfc3339(u.updated_at),
            "location": state.url(&format!("/scim/v2/Users/{}", u.id)),
        },
    });
    if let Some(nip) = &u.nip {
        r["externalId"] = json!(nip);
    }
    if let Some(e) = &u.email {
        r["emails"] = json!([{"value": e, "type": "work", "primary": true}]);
    }
    if let Some(t) = &u.jabatan {
        r["title"] = json!(t);
    }
    if let Some(t) = &u.jenis_pegawai {
        r["userType"] = json!(t);
    }
    let mut ent = json!({"organization": "Pemerintah Kota Bogor"});
    if let Some(nip) = &u.nip {
        ent["employeeNumber"] = json!(nip);
    }
    if let Some(unit) = unit {
        ent["department"] = json!(unit.name);
        ent["division"] = json!(unit.code);
    }
    r[ENTERPRISE_USER] = ent;
    r
}

async fn units_for(
    state: &AppState,
    users: &[User],
) -> Result<HashMap<String, opd::Model>, ScimError> {
    let codes: Vec<String> = users.iter().filter_map(|u| u.opd_code.clone()).collect();
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(opd::Entity::find()
        .filter(opd::Column::Code.is_in(codes))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect())
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ScimError> {
    authorize(&state, &req).await?;
    let p = crate::http::admin::error::query(&req)?;
    let (start, count) = paging(&p);
    let mut q = user_account::Entity::find().filter(user_account::Column::Nip.is_not_null());
    if let Some(f) = p.get("filter") {
        let eq = filter::parse(f, &["username", "externalid", "emails.value", "emails"])?;
        q = match eq.attr.as_str() {
            "username" => q.filter(user_account::Column::Username.eq(eq.value)),
            "externalid" => q.filter(user_account::Column::Nip.eq(eq.value)),
            _ => q.filter(user_account::Column::Email.eq(eq.value.to_lowercase())),
        };
    }
    let total = q.clone().count(&state.db).await?;
    let rows = if count == 0 {
        Vec::new()
    } else {
        q.order_by_asc(user_account::Column::Username)
            .offset(start - 1)
            .limit(count)
            .all(&state.db)
            .await?
    };
    let units = units_for(&state, &rows).await?;
    let resources = rows.iter().map(|u| resource(&state, u, &units)).collect();
    Ok(respond(&list_response(total, start, resources)))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&state, &req).await?;
    let u = crate::users::find_by_id(&state.db, &id)
        .await?
        .filter(|u| u.nip.is_some())
        .ok_or_else(|| ScimError::not_found(format!("User {id} not found")))?;
    let units = units_for(&state, std::slice::from_ref(&u)).await?;
    Ok(respond(&resource(&state, &u, &units)))
}
