//! The Sanity HTTP query API, for what a webhook projection does not carry (the whole document,
//! or category titles behind references).
//!
//! Values travel as GROQ parameters (`$id`, JSON-encoded in the query string), never spliced into
//! the query text, so an id cannot change the query.

use std::time::Duration;

use serde_json::{Map, Value};

/// The query: the published document with category references resolved to titles.
pub const DOCUMENT_QUERY: &str = r#"*[_id == $id][0]{..., "categories": categories[]->title}"#;

/// Why the query API could not help. Maps to HTTP 502 (Sanity retries the delivery).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanityError {
    #[error("SANITY_PROJECT_ID and SANITY_DATASET must be set to query Sanity for {0}")]
    NotConfigured(&'static str),
    #[error("the Sanity query API failed: {0}")]
    Request(String),
    #[error("the Sanity query API answered HTTP {status}")]
    Status { status: u16 },
    #[error("the Sanity query API answered with something that is not a query result: {0}")]
    Response(String),
}

/// A client for one project and dataset.
#[derive(Debug, Clone)]
pub struct SanityClient {
    http: reqwest::Client,
    base_url: String,
    api_version: String,
    dataset: String,
    token: Option<String>,
}

impl SanityClient {
    /// `base_url` defaults to `https://<project>.api.sanity.io` (the uncached API host, right for
    /// webhook follow-ups).
    pub fn new(
        project_id: &str,
        dataset: &str,
        api_version: &str,
        base_url: Option<&str>,
        token: Option<String>,
    ) -> Result<Self, SanityError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SanityError::Request(e.to_string()))?;
        Ok(SanityClient {
            http,
            base_url: base_url
                .map(|b| b.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("https://{project_id}.api.sanity.io")),
            api_version: api_version.trim_start_matches('v').to_string(),
            dataset: dataset.to_string(),
            token,
        })
    }

    /// The GET URL of [`DOCUMENT_QUERY`] for `id`.
    pub fn document_url(&self, id: &str) -> Result<url::Url, SanityError> {
        let mut url = url::Url::parse(&format!(
            "{}/v{}/data/query/{}",
            self.base_url, self.api_version, self.dataset
        ))
        .map_err(|e| SanityError::Request(format!("bad query URL: {e}")))?;
        let id_json = serde_json::to_string(id).map_err(|e| SanityError::Request(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("query", DOCUMENT_QUERY)
            .append_pair("$id", &id_json)
            .append_pair("perspective", "published");
        Ok(url)
    }

    /// The published document, or `None` when there is none.
    pub async fn document(&self, id: &str) -> Result<Option<Map<String, Value>>, SanityError> {
        let mut req = self.http.get(self.document_url(id)?);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| SanityError::Request(e.to_string()))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(SanityError::Status { status });
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SanityError::Response(e.to_string()))?;
        match body.get("result") {
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(Value::Null) => Ok(None),
            Some(_) => Err(SanityError::Response("`result` is not an object".into())),
            None => Err(SanityError::Response("no `result` field".into())),
        }
    }
}
