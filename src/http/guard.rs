//! What every request passes before it is routed, and how request bodies are read.
//!
//! - `Content-Encoding`: `identity` and `gzip` only (anything else, or gzip twice,
//!   is 415). A gzip body is inflated here, once, as a stream that hands out small
//!   pieces and stops with `Overflow` past `MAX_DECODED`: every extractor's limit
//!   (`PayloadConfig`, 64 KiB by default) then counts *decoded* bytes as they
//!   arrive, and no single network chunk can inflate to megabytes in one step.
//! - URL paths carrying control characters (`%00`, ...) are refused (400) before any
//!   handler puts a path segment into a query.
//! - Handlers that authenticate first take `web::Payload` and read it afterwards
//!   with `read_limited` (small JSON bodies) or `spool` (uploads, to an anonymous
//!   temporary file), so nothing is read for a caller without credentials.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Decompress, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentEncoding, HeaderMap};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::{Stream, StreamExt};
use std::io::{Seek, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Largest body any extractor reads unless a route says otherwise (decoded bytes).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest decoded body at all (the largest import upload).
pub const MAX_DECODED: usize = 64 * 1024 * 1024;
/// Compressed bytes fed to the inflater at a time: gzip expands at most about
/// 1032:1, so one step yields at most about 256 KiB.
const PIECE: usize = 256;
/// Bytes gathered before one write to a spool file.
const SPOOL_WRITE: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
}

/// The request's content codings (RFC 9110 §8.4), or what is wrong with them.
fn encoding(headers: &HeaderMap) -> Result<Encoding, String> {
    let mut found = Encoding::Identity;
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| "Content-Encoding is not readable".to_owned())?;
        for coding in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            match coding.to_ascii_lowercase().as_str() {
                "identity" => {}
                "gzip" | "x-gzip" if found == Encoding::Identity => found = Encoding::Gzip,
                "gzip" | "x-gzip" => return Err("gzip is applied only once".into()),
                _ => {
                    return Err(format!(
                        "Content-Encoding `{}` is not supported; send identity or gzip",
                        coding.chars().take(40).collect::<String>()
                    ));
                }
            }
        }
    }
    Ok(found)
}

/// Whether a raw (percent-encoded) path decodes to a control character.
fn path_has_control(path: &str) -> bool {
    let b = path.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    b.iter().enumerate().any(|(i, &c)| {
        if c < 0x20 || c == 0x7f {
            return true;
        }
        if c != b'%' {
            return false;
        }
        match (
            b.get(i + 1).and_then(|x| hex(*x)),
            b.get(i + 2).and_then(|x| hex(*x)),
        ) {
            (Some(h), Some(l)) => {
                let v = h * 16 + l;
                v < 0x20 || v == 0x7f
            }
            _ => false,
        }
    })
}

/// The JSON error every Gapura API speaks: `{"error", "error_description"}`.
pub fn error_response(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        // RFC 7694 §3: the codings that are accepted.
        resp.insert_header((header::ACCEPT_ENCODING, "gzip, identity"));
    }
    resp.json(serde_json::json!({"error": code, "error_description": description}))
}

/// The middleware (see the module documentation).
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if path_has_control(req.path()) {
        let resp = error_response(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the path contains a control character",
        );
        return Ok(req.into_response(resp));
    }
    match encoding(req.headers()) {
        Err(why) => {
            let resp = error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                &why,
            );
            return Ok(req.into_response(resp));
        }
        Ok(Encoding::Identity) => {}
        Ok(Encoding::Gzip) => {
            let raw = req.take_payload();
            let inflated = Bounded {
                inner: Decompress::new(
                    Pieces {
                        inner: raw,
                        pending: Bytes::new(),
                    },
                    ContentEncoding::Gzip,
                ),
                seen: 0,
                limit: MAX_DECODED,
                done: false,
            };
            let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                Box::pin(inflated);
            req.set_payload(Payload::from(stream));
            // The body handlers see is the decoded one: no coding, length unknown.
            let headers = req.headers_mut();
            headers.remove(header::CONTENT_ENCODING);
            headers.remove(header::CONTENT_LENGTH);
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Middleware for the scopes that answer with personal data (admin API, directory
/// API, SCIM): every response, errors included, says `Cache-Control: no-store`
/// (RFC 9111 §5.2.2.5), so no browser or shared cache keeps it.
pub async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut resp = next.call(req).await?;
    let headers = resp.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers.insert(header::PRAGMA, header::HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// Re-cuts a compressed stream into `PIECE`-byte pieces.
struct Pieces<S> {
    inner: S,
    pending: Bytes,
}

impl<S: Stream<Item = Result<Bytes, PayloadError>> + Unpin> Stream for Pieces<S> {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(PIECE);
                let piece = self.pending.split_to(n);
                return Poll::Ready(Some(Ok(piece)));
            }
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => self.pending = chunk,
                other => return other,
            }
        }
    }
}

/// Ends a stream with `Overflow` once more than `limit` bytes went through.
struct Bounded<S> {
    inner: S,
    seen: usize,
    limit: usize,
    done: bool,
}

impl<S: Stream<Item = Result<Bytes, PayloadError>> + Unpin> Stream for Bounded<S> {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen = self.seen.saturating_add(chunk.len());
                if self.seen > self.limit {
                    self.done = true;
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                Poll::Ready(Some(Err(e)))
            }
            other => other,
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body is larger than {0} bytes (after decompression)")]
    TooLarge(usize),
    #[error("the body could not be read: {0}")]
    Malformed(String),
    #[error("the upload could not be stored: {0}")]
    Io(String),
}

fn payload_error(e: PayloadError, limit: usize) -> BodyError {
    match e {
        PayloadError::Overflow => BodyError::TooLarge(limit),
        other => BodyError::Malformed(other.to_string()),
    }
}

/// Reads a body of at most `limit` decoded bytes into memory.
pub async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Bytes, BodyError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| payload_error(e, limit))?;
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Streams a body of at most `limit` decoded bytes into an anonymous temporary
/// file (gone when closed), rewound; at most `SPOOL_WRITE` bytes are held in memory
/// and the file is written off the event loop.
pub async fn spool(mut payload: web::Payload, limit: usize) -> Result<std::fs::File, BodyError> {
    let mut file = blocking(tempfile::tempfile).await?;
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| payload_error(e, limit))?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge(limit));
        }
        buf.extend_from_slice(&chunk);
        if buf.len() >= SPOOL_WRITE {
            let data = buf.split().freeze();
            file = blocking(move || file.write_all(&data).map(|()| file)).await?;
        }
    }
    if !buf.is_empty() {
        let data = buf.split().freeze();
        file = blocking(move || file.write_all(&data).map(|()| file)).await?;
    }
    blocking(move || file.rewind().map(|()| file)).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, BodyError> {
    web::block(f)
        .await
        .map_err(|e| BodyError::Io(e.to_string()))?
        .map_err(|e| BodyError::Io(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codings() {
        let mut h = HeaderMap::new();
        assert_eq!(encoding(&h), Ok(Encoding::Identity));
        h.insert(header::CONTENT_ENCODING, "identity".parse().unwrap());
        assert_eq!(encoding(&h), Ok(Encoding::Identity));
        h.insert(header::CONTENT_ENCODING, "GZip".parse().unwrap());
        assert_eq!(encoding(&h), Ok(Encoding::Gzip));
        h.insert(
            header::CONTENT_ENCODING,
            "x-gzip, identity".parse().unwrap(),
        );
        assert_eq!(encoding(&h), Ok(Encoding::Gzip));
        for bad in [
            "br",
            "deflate",
            "gzip, gzip",
            "zstd",
            "compress",
            "gzip, br",
        ] {
            h.insert(header::CONTENT_ENCODING, bad.parse().unwrap());
            assert!(encoding(&h).is_err(), "{bad}");
        }
    }

    #[test]
    fn control_characters_in_paths() {
        assert!(!path_has_control("/admin/api/v1/asn/198609262015052001"));
        assert!(!path_has_control("/a%20b/%C3%A9/%zz/%"));
        assert!(path_has_control("/directory/v1/people/%00"));
        assert!(path_has_control("/scim/v2/Users/a%0Ab"));
        assert!(path_has_control("/x/%1f"));
        assert!(path_has_control("/x/%7F"));
    }
}
