//! `POST /admin/api/v1/import/{asn|opd}?dry_run=true&sync=true`: the CLI's import
//! through the API (super-admins only), as `multipart/form-data` (part `file`) or a
//! `text/csv` body. 200 with the report, or 422 with the rejected rows.

use super::auth;
use super::error::{ApiError, query};
use crate::directory::{asn_import, opd_import};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

fn flag(p: &crate::http::Params, name: &str) -> Result<bool, ApiError> {
    match p.get(name) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(v) => Err(ApiError::Invalid(format!(
            "`{name}` must be true or false, not `{v}`"
        ))),
    }
}

pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let ctx = auth::admin(&state, &req).await?;
    auth::require_super(&ctx)?;
    let p = query(&req)?;
    let (dry_run, sync) = (flag(&p, "dry_run")?, flag(&p, "sync")?);
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let data: &[u8] = if let Some(b) = super::multipart::boundary(ct) {
        super::multipart::file_part(&body, &b)
            .ok_or_else(|| ApiError::Invalid("the upload has no `file` part".into()))?
    } else if ct.starts_with("text/csv") || ct.starts_with("application/csv") {
        &body
    } else {
        return Err(ApiError::Invalid(
            "send the file as multipart/form-data (part `file`) or text/csv".into(),
        ));
    };
    let report = match kind.as_str() {
        "asn" => {
            let opts = asn_import::ImportOptions {
                dry_run,
                sync,
                actor: ctx.actor(),
            };
            asn_import::import(&state, data, &opts).await?
        }
        "opd" => opd_import::import(&state, data, dry_run, &ctx.actor()).await?,
        other => return Err(ApiError::not_found(format!("import kind `{other}`"))),
    };
    let status = if report.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"report": report, "summary": report.text()})))
}
