//! A lean HTTP/1.1 client for the hot scenarios: one hyper connection per load
//! worker, kept alive, no pool, no redirects, no cookie jar. The load generator
//! shares the machine with Gapura, so every microsecond it spends is one the
//! server does not get; reqwest's pooling and URL handling cost several times more
//! per request than a bare connection.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// One kept-alive connection to the server; reconnects after an error.
pub struct Conn {
    addr: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// A request prepared once and sent many times.
#[derive(Clone)]
pub struct Prepared {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Prepared {
    pub fn get(path: &str) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn form(path: &str, fields: &[(&str, &str)]) -> Self {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self {
            method: Method::POST,
            path: path.to_owned(),
            headers: vec![(
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: Bytes::from(body),
        }
    }

    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn basic(self, id: &str, secret: &str) -> Self {
        use base64::Engine;
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        self.header("authorization", format!("Basic {v}"))
    }
}

impl Conn {
    pub fn new(base: &str) -> Self {
        Self {
            addr: base.trim_start_matches("http://").to_owned(),
            sender: None,
        }
    }

    /// One connection per worker, each behind its own (uncontended) lock.
    pub fn per_worker(base: &str, n: usize) -> Arc<Vec<Mutex<Conn>>> {
        Arc::new((0..n).map(|_| Mutex::new(Conn::new(base))).collect())
    }

    async fn sender(&mut self) -> Option<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(&self.addr).await.ok()?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .ok()?;
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut()?;
        sender.ready().await.ok()?;
        Some(sender)
    }

    /// Sends `req` and returns the status and the whole body.
    pub async fn send(&mut self, req: &Prepared) -> Option<(StatusCode, Bytes)> {
        let mut builder = Request::builder()
            .method(req.method.clone())
            .uri(req.path.as_str())
            .header("host", self.addr.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.as_str());
        }
        let request = builder.body(Full::new(req.body.clone())).ok()?;
        let sender = self.sender().await?;
        let result = sender.send_request(request).await;
        let response = match result {
            Ok(r) => r,
            Err(_) => {
                self.sender = None;
                return None;
            }
        };
        let status = response.status();
        match response.into_body().collect().await {
            Ok(body) => Some((status, body.to_bytes())),
            Err(_) => {
                self.sender = None;
                None
            }
        }
    }
}
