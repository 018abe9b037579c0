//! `POST /admin/api/v1/import/{asn|opd}?dry_run=true&sync=true`: the CLI's import
//! through the API (super-admins only), as `multipart/form-data` (part `file`) or a
//! `text/csv` body. 200 with the report, or 422 with the rejected rows. The caller is
//! authenticated before any byte of the body is read; the body (gzip allowed,
//! at most `MAX_UPLOAD` decoded bytes, else 413) is spooled to a temporary file.

use super::auth;
use super::error::{ApiError, query};
use crate::directory::{asn_import, opd_import};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use std::io::{Read, Seek, SeekFrom};

fn flag(p: &crate::domain::Params, name: &str) -> Result<bool, ApiError> {
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
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Nothing of the body is read before the caller is known to be allowed.
    let ctx = auth::admin(&state, &req).await?;
    auth::require_super(&ctx)?;
    let p = query(&req)?;
    let (dry_run, sync) = (flag(&p, "dry_run")?, flag(&p, "sync")?);
    if !matches!(kind.as_str(), "asn" | "opd") {
        return Err(ApiError::not_found(format!("import kind `{kind}`")));
    }
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let multipart = super::multipart::boundary(ct);
    if multipart.is_none() && !(ct.starts_with("text/csv") || ct.starts_with("application/csv")) {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as multipart/form-data (part `file`) or text/csv".into(),
        ));
    }
    // The upload goes to an anonymous temporary file (bounded in decoded bytes),
    // and the importer streams it from there.
    let file = crate::http::guard::spool(body, super::MAX_UPLOAD).await?;
    // Finding the file part scans the spool: off the event loop.
    let located = web::block(move || {
        let mut file = file;
        let range = match &multipart {
            None => Ok(Some((0, u64::MAX))),
            Some(b) => super::multipart::locate_file_part(&mut file, b),
        };
        let range = range.and_then(|r| match r {
            Some((start, end)) => file
                .seek(SeekFrom::Start(start))
                .map(|_| Some((start, end))),
            None => Ok(None),
        });
        (file, range)
    })
    .await
    .map_err(|e| ApiError::from(crate::http::guard::BodyError::Io(e.to_string())))?;
    let (file, range) = located;
    let (start, end) = range
        .map_err(|e| ApiError::from(crate::http::guard::BodyError::Io(e.to_string())))?
        .ok_or_else(|| ApiError::Invalid("the upload has no `file` part".into()))?;
    let data = file.take(end - start);
    let report = if kind.as_str() == "asn" {
        let opts = asn_import::ImportOptions {
            dry_run,
            sync,
            actor: ctx.actor(),
        };
        asn_import::import(&state, data, &opts).await?
    } else {
        opd_import::import(&state, data, dry_run, &ctx.actor()).await?
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
