//! Platform requests as plain values, and how to send them.
//!
//! A target builds a [`PreparedRequest`] with a pure function of the article and its settings;
//! a [`Transport`] sends it. [`ReqwestTransport`] talks to the network with explicit
//! timeouts; [`DryRunTransport`] records every request (redacted) and answers with what the
//! platform would have answered, so a dry run goes through exactly the same handler code.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::classify::{self, Failure};

/// HTTP methods the targets use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header names whose values are secrets; [`PreparedRequest::redacted`] masks them.
/// Compared case-insensitively.
pub const SECRET_HEADERS: [&str; 6] = [
    "authorization",
    "api-key",
    "x-api-key",
    "x-amz-security-token",
    "cookie",
    "proxy-authorization",
];

/// The mask written in place of a secret header value.
pub const REDACTED: &str = "[redacted]";

/// One request, exactly as it would be sent: the output of a target's pure `prepare_*`
/// functions and the input of a [`Transport`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedRequest {
    pub method: Method,
    pub url: String,
    /// Header names and values in sending order.
    pub headers: Vec<(String, String)>,
    /// JSON body, if any. Serialised with [`PreparedRequest::body_bytes`] for sending, signing
    /// and hashing, so all three see the same bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl PreparedRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        PreparedRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header (builder style).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and the matching `content-type` header (builder style).
    pub fn json(mut self, body: serde_json::Value) -> Self {
        if self.header_value("content-type").is_none() {
            self.headers
                .push(("content-type".into(), "application/json".into()));
        }
        self.body = Some(body);
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as sent: compact JSON, or empty.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Some(v) => serde_json::to_vec(v).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// A copy that is safe to log or write to disk: every secret header value
    /// ([`SECRET_HEADERS`]) is replaced by [`REDACTED`].
    pub fn redacted(&self) -> PreparedRequest {
        let mut out = self.clone();
        for (name, value) in &mut out.headers {
            if SECRET_HEADERS
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name.as_str()))
            {
                *value = REDACTED.to_string();
            }
        }
        out
    }
}

/// sha256 (lower-case hex) of a request body: the content hash the ledger keeps, so an edit that
/// changes what would be sent is an update and an identical body is `unchanged`.
pub fn content_hash(request: &PreparedRequest) -> String {
    sha256_hex(&request.body_bytes())
}

/// sha256 of bytes as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A platform's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON answer with the given status.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as JSON of type `T`; a body that does not parse is the platform's fault
    /// (it answered something we cannot read), reported as [`Failure::BadResponse`].
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        serde_json::from_str(&self.body).map_err(|e| Failure::BadResponse {
            status: self.status,
            detail: format!("unexpected response body: {e}"),
        })
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("request could not be built: {0}")]
    Build(String),
    #[error("transport error: {0}")]
    Other(String),
}

/// Sends a [`PreparedRequest`]. Implemented by [`ReqwestTransport`] (network) and
/// [`DryRunTransport`] (record and simulate); tests may add their own.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, request: &PreparedRequest) -> Result<Response, TransportError>;

    /// Whether requests really reach the platform. Handlers use it only for the report text.
    fn is_live(&self) -> bool {
        true
    }
}

/// Sends a request and classifies the answer: `Ok` for 2xx, otherwise the [`Failure`] the
/// status means (see [`crate::classify`]). Targets that need to look at a failure (an adopt on
/// 422, a 404 on delete) match on it; everyone else calls [`Failure::into_task_error`].
pub async fn send_checked(
    transport: &dyn Transport,
    request: &PreparedRequest,
) -> Result<Response, Failure> {
    let response = transport
        .send(request)
        .await
        .map_err(classify::transport_failure)?;
    classify::check_status(&response, chrono::Utc::now())?;
    Ok(response)
}

/// Timeouts for [`ReqwestTransport`]. Both must stay well under the Lambda timeout so a slow
/// platform becomes a retryable `PlatformUnavailable`, not a killed function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(20),
        }
    }
}

/// The network transport: one `reqwest::Client`, built once per container.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new(timeouts: Timeouts) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .user_agent(concat!("crosspost/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Build(e.to_string()))?;
        Ok(ReqwestTransport { client })
    }

    /// Wraps an existing client (its timeouts are the caller's responsibility).
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: &PreparedRequest) -> Result<Response, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if request.body.is_some() {
            builder = builder.body(request.body_bytes());
        }
        let response = builder.send().await.map_err(reqwest_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.text().await.map_err(reqwest_error)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn reqwest_error(e: reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout(e.to_string())
    } else if e.is_connect() {
        TransportError::Connect(e.to_string())
    } else if e.is_builder() {
        TransportError::Build(e.to_string())
    } else {
        TransportError::Other(e.to_string())
    }
}

/// How a dry run answers: a pure function from request to the answer the platform would give.
/// Each target crate exports one (`simulate`).
pub type Simulator = Arc<dyn Fn(&PreparedRequest) -> Response + Send + Sync>;

/// One request a [`DryRunTransport`] did not send, and the simulated answer it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedExchange {
    /// The request with secrets redacted.
    pub request: PreparedRequest,
    pub response: Response,
}

/// Records every request (redacted) instead of sending it, and answers with the target's
/// simulator, so a dry run executes the handler's real code path (lookups, create, ledger).
#[derive(Clone)]
pub struct DryRunTransport {
    simulator: Simulator,
    recorded: Arc<Mutex<Vec<RecordedExchange>>>,
}

impl DryRunTransport {
    pub fn new(simulator: Simulator) -> Self {
        DryRunTransport {
            simulator,
            recorded: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Everything recorded so far, in sending order.
    pub fn recorded(&self) -> Vec<RecordedExchange> {
        match self.recorded.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Takes the recorded exchanges, leaving the log empty.
    pub fn take(&self) -> Vec<RecordedExchange> {
        match self.recorded.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl fmt::Debug for DryRunTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DryRunTransport")
            .field("recorded", &self.recorded().len())
            .finish()
    }
}

#[async_trait]
impl Transport for DryRunTransport {
    async fn send(&self, request: &PreparedRequest) -> Result<Response, TransportError> {
        let response = (self.simulator)(request);
        let exchange = RecordedExchange {
            request: request.redacted(),
            response: response.clone(),
        };
        match self.recorded.lock() {
            Ok(mut guard) => guard.push(exchange),
            Err(poisoned) => poisoned.into_inner().push(exchange),
        }
        Ok(response)
    }

    fn is_live(&self) -> bool {
        false
    }
}

/// Extracts the path of a URL (without query), for simulators and tests that route by path.
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The names of headers present in a request, lower-cased (for contract checks).
pub fn header_names(request: &PreparedRequest) -> BTreeSet<String> {
    request
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_every_secret_header_and_keeps_the_rest() {
        let secret = "s3cr3t-token-value";
        let req = PreparedRequest::new(Method::Post, "https://dev.to/api/articles")
            .header("api-key", secret)
            .header("Authorization", format!("Bearer {secret}"))
            .header("X-Amz-Security-Token", secret)
            .header("accept", "application/vnd.forem.api-v1+json")
            .json(serde_json::json!({"article": {"title": "Hello"}}));
        let red = req.redacted();
        let text = serde_json::to_string(&red).unwrap();
        assert!(!text.contains(secret), "secret leaked: {text}");
        assert_eq!(red.header_value("api-key"), Some(REDACTED));
        assert_eq!(red.header_value("authorization"), Some(REDACTED));
        assert_eq!(
            red.header_value("accept"),
            Some("application/vnd.forem.api-v1+json")
        );
        assert_eq!(red.body, req.body);
        // The original is untouched.
        assert_eq!(req.header_value("api-key"), Some(secret));
    }

    #[test]
    fn content_hash_follows_the_body() {
        let a = PreparedRequest::new(Method::Post, "https://x/a").json(serde_json::json!({"t": 1}));
        let b = PreparedRequest::new(Method::Put, "https://x/b").json(serde_json::json!({"t": 1}));
        let c = PreparedRequest::new(Method::Post, "https://x/a").json(serde_json::json!({"t": 2}));
        assert_eq!(content_hash(&a), content_hash(&b));
        assert_ne!(content_hash(&a), content_hash(&c));
        // sha256 of the compact JSON `{"t":1}`, computed independently.
        assert_eq!(
            content_hash(&a),
            "4834945f7bf91f82efc5cf881d902ec1cfa58f1be01cb35fe602b8ad4620c552"
        );
    }

    #[test]
    fn url_path_strips_scheme_host_and_query() {
        for (url, path) in [
            (
                "https://dev.to/api/articles/me/all?page=2",
                "/api/articles/me/all",
            ),
            ("http://127.0.0.1:9/v1/me", "/v1/me"),
            ("https://gql.hashnode.com", "/"),
            ("https://h/posts/_doc/a%2Fb#x", "/posts/_doc/a%2Fb"),
        ] {
            assert_eq!(url_path(url), path, "{url}");
        }
    }

    #[tokio::test]
    async fn dry_run_records_redacted_requests_and_returns_simulated_answers() {
        let t = DryRunTransport::new(Arc::new(|r: &PreparedRequest| {
            Response::new(201, format!("{} {}", r.method, url_path(&r.url)))
        }));
        let req = PreparedRequest::new(Method::Post, "https://dev.to/api/articles")
            .header("api-key", "k");
        let resp = t.send(&req).await.unwrap();
        assert_eq!(resp.status, 201);
        assert_eq!(resp.body, "POST /api/articles");
        let rec = t.recorded();
        assert_eq!(rec.len(), 1);
        assert_eq!(rec[0].request.header_value("api-key"), Some(REDACTED));
        assert!(!t.is_live());
    }
}
