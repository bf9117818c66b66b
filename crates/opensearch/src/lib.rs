//! crosspost target: OpenSearch (search index of the posts).
//!
//! One document per post: `PUT /<index>/_doc/<document id>` (create or replace) with the
//! title, description, plain-text body, tags, canonical URL, dates and the post's URLs on the
//! other platforms when the ledger knows them; `DELETE /<index>/_doc/<document id>` on
//! unpublish (404 counts as done). Idempotent through the ledger's content hash. Requests are
//! signed with SigV4 for Amazon OpenSearch Service (`es`) or Serverless (`aoss`) — feature
//! `lambda` — or carry HTTP basic auth.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{json, Value};
use tracing::{info, instrument};

use crosspost_core::config::{self, CommonConfig, ConfigError};
use crosspost_core::http::{send_checked, url_path};
use crosspost_core::publish::{self, PublishPlan};
use crosspost_core::services::{self, Gate};
use crosspost_core::{
    content_hash, Article, ExecutionInput, Failure, Method, Operation, Outcome, PreparedRequest,
    Response, Services, Target, TargetResult, TaskError,
};

pub const PLATFORM: &str = "opensearch";
pub const DEFAULT_INDEX: &str = "posts";

/// How requests authenticate (`OPENSEARCH_AUTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// SigV4 with service `es` (Amazon OpenSearch Service domains).
    SigV4Es,
    /// SigV4 with service `aoss` (OpenSearch Serverless collections).
    SigV4Aoss,
    /// HTTP basic auth with `opensearch_username` / `opensearch_password` from the secret;
    /// no header when they are not set (a local cluster without security).
    Basic,
}

impl Auth {
    pub fn parse(s: &str) -> Option<Auth> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sigv4-es" => Some(Auth::SigV4Es),
            "sigv4-aoss" => Some(Auth::SigV4Aoss),
            "basic" => Some(Auth::Basic),
            _ => None,
        }
    }

    /// The SigV4 service name, if signed.
    pub fn service(self) -> Option<&'static str> {
        match self {
            Auth::SigV4Es => Some("es"),
            Auth::SigV4Aoss => Some("aoss"),
            Auth::Basic => None,
        }
    }
}

/// Settings of the opensearch function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `OPENSEARCH_ENDPOINT` (`https://…`). Required by the Lambda; locally its absence means
    /// `skipped`.
    pub endpoint: Option<String>,
    /// `OPENSEARCH_INDEX` (default `posts`).
    pub index: String,
    /// `OPENSEARCH_AUTH`: `sigv4-es`, `sigv4-aoss` or `basic` (default `basic`).
    pub auth: Auth,
    pub common: CommonConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: None,
            index: DEFAULT_INDEX.to_string(),
            auth: Auth::Basic,
            common: CommonConfig::default(),
        }
    }
}

impl Config {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let auth = match config::optional(lookup, "OPENSEARCH_AUTH") {
            None => Auth::Basic,
            Some(v) => Auth::parse(&v).ok_or_else(|| ConfigError::Invalid {
                name: "OPENSEARCH_AUTH",
                reason: format!("`{v}` is not sigv4-es, sigv4-aoss or basic"),
            })?,
        };
        let index =
            config::optional(lookup, "OPENSEARCH_INDEX").unwrap_or_else(|| DEFAULT_INDEX.into());
        if !valid_index(&index) {
            return Err(ConfigError::Invalid {
                name: "OPENSEARCH_INDEX",
                reason: format!("`{index}` is not a valid index name (lower-case letters, digits, `-`, `_`, `.`; not starting with `-`, `_` or `.`)"),
            });
        }
        Ok(Config {
            endpoint: config::optional_url(lookup, "OPENSEARCH_ENDPOINT")?,
            index,
            auth,
            common: CommonConfig::from_lookup(lookup)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&config::process_env)
    }

    /// For the Lambda's cold start: the endpoint must be set.
    pub fn require_endpoint(&self) -> Result<&str, ConfigError> {
        self.endpoint
            .as_deref()
            .ok_or(ConfigError::Missing("OPENSEARCH_ENDPOINT"))
    }
}

fn valid_index(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.starts_with(['-', '_', '.', '+'])
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// Signs a prepared request in place (adds `authorization`, `x-amz-date`, …).
#[async_trait]
pub trait Signer: Send + Sync {
    async fn sign(&self, request: &mut PreparedRequest) -> Result<(), TaskError>;
}

/// What [`handle`] borrows. `signer` is required for the SigV4 modes.
#[derive(Clone)]
pub struct Deps {
    pub services: Services,
    pub config: Config,
    pub signer: Option<Arc<dyn Signer>>,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("config", &self.config)
            .field("signed", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl Deps {
    pub fn new(services: Services, config: Config) -> Self {
        Deps {
            services,
            config,
            signer: None,
        }
    }

    pub fn with_signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Pure request building
// ---------------------------------------------------------------------------------------------

/// Percent-encodes a document id for a URL path segment (everything but unreserved characters).
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The post's URLs on the other targets, when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Syndication {
    pub devto_url: Option<String>,
    pub hashnode_url: Option<String>,
    pub medium_url: Option<String>,
}

/// The indexed document.
pub fn document(
    article: &Article,
    config: &Config,
    syndication: &Syndication,
) -> Result<Value, TaskError> {
    let sanity = article.sanity_config_or(&config.common);
    let text = portable_text::render_value(&article.body, portable_text::Format::Text, &sanity)
        .map_err(|e| TaskError::InvalidArticle(format!("{}: body: {e}", article.id)))?;
    let mut tags: Vec<String> = Vec::new();
    for t in &article.tags {
        let t = t.trim().to_string();
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    let mut doc = serde_json::Map::new();
    doc.insert("title".into(), json!(article.title));
    if let Some(d) = &article.description {
        doc.insert("description".into(), json!(d));
    }
    doc.insert("body".into(), json!(text));
    doc.insert("slug".into(), json!(article.slug));
    doc.insert("tags".into(), json!(tags));
    doc.insert("canonical_url".into(), json!(article.canonical_url));
    doc.insert("revision".into(), json!(article.revision));
    if let Some(p) = &article.published_at {
        doc.insert("published_at".into(), json!(p));
    }
    if let Some(u) = &article.updated_at {
        doc.insert("updated_at".into(), json!(u));
    }
    if let Some(c) = &article.cover_image {
        doc.insert("cover_image".into(), json!(c.url));
    }
    let mut syn = serde_json::Map::new();
    for (k, v) in [
        ("devto_url", &syndication.devto_url),
        ("hashnode_url", &syndication.hashnode_url),
        ("medium_url", &syndication.medium_url),
    ] {
        if let Some(v) = v {
            syn.insert(k.into(), json!(v));
        }
    }
    doc.insert("syndication".into(), Value::Object(syn));
    Ok(Value::Object(doc))
}

fn doc_url(endpoint: &str, config: &Config, id: &str) -> String {
    format!(
        "{}/{}/_doc/{}",
        endpoint.trim_end_matches('/'),
        config.index,
        encode_id(id)
    )
}

/// `PUT /<index>/_doc/<id>` (unsigned; see [`Signer`] and [`basic_auth`]).
pub fn prepare_upsert(endpoint: &str, config: &Config, id: &str, doc: &Value) -> PreparedRequest {
    PreparedRequest::new(Method::Put, doc_url(endpoint, config, id)).json(doc.clone())
}

/// `DELETE /<index>/_doc/<id>`.
pub fn prepare_delete(endpoint: &str, config: &Config, id: &str) -> PreparedRequest {
    PreparedRequest::new(Method::Delete, doc_url(endpoint, config, id))
}

/// Adds HTTP basic auth.
pub fn basic_auth(req: PreparedRequest, username: &str, password: &str) -> PreparedRequest {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    req.header("authorization", format!("Basic {token}"))
}

pub fn document_hash(doc: &Value) -> String {
    content_hash(&PreparedRequest::new(Method::Put, "").json(doc.clone()))
}

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

/// Answers like OpenSearch would, for the dry run.
pub fn simulate(req: &PreparedRequest) -> Response {
    let path = url_path(&req.url).to_string();
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (index, kind, id) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if kind != "_doc" || id.is_empty() {
        return Response::json(400, &json!({"error": "unsupported request", "status": 400}));
    }
    match req.method {
        Method::Put => Response::json(
            201,
            &json!({"_index": index, "_id": id, "_version": 1, "result": "created"}),
        ),
        Method::Delete => Response::json(
            404,
            &json!({"_index": index, "_id": id, "result": "not_found"}),
        ),
        _ => Response::json(405, &json!({"error": "method not allowed", "status": 405})),
    }
}

/// [`simulate`] as a [`crosspost_core::Simulator`], for `DryRunTransport::new`.
pub fn simulator() -> crosspost_core::Simulator {
    std::sync::Arc::new(simulate)
}

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

/// Indexes or removes one post.
#[instrument(skip_all, fields(post_id = %input.document_id, platform = PLATFORM))]
pub async fn handle(input: ExecutionInput, deps: &Deps) -> Result<TargetResult, TaskError> {
    let article = match services::open(&deps.services, &input, Target::Opensearch).await? {
        Gate::Run(a) => a,
        Gate::Skip(r) => return Ok(r),
    };
    let Some(endpoint) = deps.config.endpoint.as_deref() else {
        return Ok(TargetResult::new(Target::Opensearch, Outcome::Skipped)
            .with_reason("no endpoint configured (OPENSEARCH_ENDPOINT)"));
    };
    let secrets = deps.services.secrets.secrets().await?;
    let credentials = match deps.config.auth {
        Auth::Basic => match (
            secrets.opensearch_username.as_deref(),
            secrets.opensearch_password.as_deref(),
        ) {
            (Some(u), Some(p)) => Some((u.to_string(), p.to_string())),
            _ => None,
        },
        _ => None,
    };
    let ctx = Ctx {
        deps,
        endpoint,
        credentials,
    };
    match input.operation {
        Operation::Publish => ctx.publish(&article).await,
        Operation::Unpublish => ctx.unpublish(&article).await,
    }
}

struct Ctx<'a> {
    deps: &'a Deps,
    endpoint: &'a str,
    credentials: Option<(String, String)>,
}

impl Ctx<'_> {
    async fn send(&self, req: PreparedRequest) -> Result<Response, Failure> {
        let req = match (&self.credentials, self.deps.config.auth) {
            (Some((u, p)), Auth::Basic) => basic_auth(req, u, p),
            (_, Auth::Basic) => req,
            (_, _) => {
                let Some(signer) = &self.deps.signer else {
                    return Err(Failure::Misconfigured {
                        detail: "OPENSEARCH_AUTH asks for SigV4 but this build has no signer"
                            .into(),
                    });
                };
                let mut req = req;
                signer
                    .sign(&mut req)
                    .await
                    .map_err(|e| Failure::Misconfigured {
                        detail: e.to_string(),
                    })?;
                req
            }
        };
        send_checked(self.deps.services.transport.as_ref(), &req).await
    }

    async fn syndication(&self, id: &str) -> Result<Syndication, TaskError> {
        let ledger = self.deps.services.ledger.as_ref();
        let url = |t| async move { ledger.get(id, t).await.map(|e| e.and_then(|e| e.url)) };
        Ok(Syndication {
            devto_url: url(Target::Devto).await?,
            hashnode_url: url(Target::Hashnode).await?,
            medium_url: url(Target::Medium).await?,
        })
    }

    async fn publish(&self, article: &Article) -> Result<TargetResult, TaskError> {
        let syndication = self.syndication(&article.id).await?;
        let doc = document(article, &self.deps.config, &syndication)?;
        let hash = document_hash(&doc);
        let ledger = self.deps.services.ledger.as_ref();
        let remote = || TargetResult::new(Target::Opensearch, Outcome::Unchanged);
        let upsert = || prepare_upsert(self.endpoint, &self.deps.config, &article.id, &doc);
        match publish::begin_publish(ledger, Target::Opensearch, article, &hash, Utc::now()).await?
        {
            PublishPlan::Unchanged(_) => Ok(remote().with_remote(article.id.clone(), None)),
            PublishPlan::Stale(_) => Ok(remote()
                .with_remote(article.id.clone(), None)
                .with_reason("a newer revision of this post is already indexed")),
            PublishPlan::Update(entry) => {
                self.send(upsert())
                    .await
                    .map_err(|f| f.into_task_error(PLATFORM))?;
                publish::finish_update(ledger, &entry, article, None, &hash, Utc::now()).await?;
                info!("updated");
                Ok(TargetResult::new(Target::Opensearch, Outcome::Updated)
                    .with_remote(article.id.clone(), None))
            }
            PublishPlan::Create(claim) => {
                // PUT by id is an upsert: a repeated create cannot duplicate the document.
                if let Err(f) = self.send(upsert()).await {
                    publish::release_claim(ledger, &claim).await?;
                    return Err(f.into_task_error(PLATFORM));
                }
                publish::finish_create(ledger, &claim, &article.id, None, &hash, Utc::now())
                    .await?;
                info!("indexed");
                Ok(TargetResult::new(Target::Opensearch, Outcome::Created)
                    .with_remote(article.id.clone(), None))
            }
        }
    }

    async fn unpublish(&self, article: &Article) -> Result<TargetResult, TaskError> {
        // Delete even without a ledger entry: the document may exist from an earlier setup.
        match self
            .send(prepare_delete(
                self.endpoint,
                &self.deps.config,
                &article.id,
            ))
            .await
        {
            Ok(_) | Err(Failure::Rejected { status: 404, .. }) => {}
            Err(f) => return Err(f.into_task_error(PLATFORM)),
        }
        let ledger = self.deps.services.ledger.as_ref();
        if let Some(entry) = ledger.get(&article.id, Target::Opensearch).await? {
            if entry.remote_id.is_some() {
                publish::finish_unpublish(ledger, &entry, &article.revision, Utc::now()).await?;
            }
        }
        Ok(TargetResult::new(Target::Opensearch, Outcome::Unpublished)
            .with_remote(article.id.clone(), None))
    }
}

// ---------------------------------------------------------------------------------------------
// SigV4 (feature `lambda`)
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "lambda")]
pub mod sigv4 {
    //! SigV4 request signing with the function's AWS credentials.

    use std::time::SystemTime;

    use async_trait::async_trait;
    use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
    };
    use aws_sigv4::sign::v4;

    use crosspost_core::{PreparedRequest, TaskError};

    /// Signs with credentials from a provider (the SDK's default chain in the Lambda).
    #[derive(Debug, Clone)]
    pub struct SigV4Signer {
        provider: SharedCredentialsProvider,
        region: String,
        service: &'static str,
    }

    impl SigV4Signer {
        pub fn new(
            provider: SharedCredentialsProvider,
            region: impl Into<String>,
            service: &'static str,
        ) -> Self {
            SigV4Signer {
                provider,
                region: region.into(),
                service,
            }
        }

        /// From the SDK configuration (credentials chain and region).
        pub fn from_sdk(
            sdk: &aws_config::SdkConfig,
            service: &'static str,
        ) -> Result<Self, TaskError> {
            let provider = sdk
                .credentials_provider()
                .ok_or_else(|| TaskError::Misconfigured("no AWS credentials provider".into()))?;
            let region = sdk.region().ok_or_else(|| {
                TaskError::Misconfigured("no AWS region (AWS_REGION) for SigV4".into())
            })?;
            Ok(Self::new(provider, region.to_string(), service))
        }
    }

    /// Signs `request` with fixed credentials and time (pure; used by [`SigV4Signer`] and tests).
    pub fn sign_with(
        request: &mut PreparedRequest,
        credentials: Credentials,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> Result<(), TaskError> {
        let body = request.body_bytes();
        let mut settings = SigningSettings::default();
        if service == "aoss" {
            // Serverless requires the payload hash header.
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| TaskError::Internal(format!("SigV4 parameters: {e}")))?
            .into();
        let headers: Vec<(String, String)> = request
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization"))
            .cloned()
            .collect();
        let signable = SignableRequest::new(
            request.method.as_str(),
            request.url.as_str(),
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| TaskError::Misconfigured(format!("cannot sign {}: {e}", request.url)))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| TaskError::Internal(format!("SigV4 signing failed: {e}")))?
            .into_parts();
        for (name, value) in instructions.headers() {
            request
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            request.headers.push((name.to_string(), value.to_string()));
        }
        Ok(())
    }

    #[async_trait]
    impl super::Signer for SigV4Signer {
        async fn sign(&self, request: &mut PreparedRequest) -> Result<(), TaskError> {
            let credentials = self
                .provider
                .provide_credentials()
                .await
                .map_err(|e| TaskError::Internal(format!("AWS credentials: {e}")))?;
            sign_with(
                request,
                credentials,
                &self.region,
                self.service,
                SystemTime::now(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_path_safe() {
        for (id, enc) in [
            ("post-1", "post-1"),
            ("a/b c", "a%2Fb%20c"),
            ("drafts.x", "drafts.x"),
            ("é", "%C3%A9"),
        ] {
            assert_eq!(encode_id(id), enc);
        }
    }

    #[test]
    fn config_values() {
        let check = |pairs: &[(&str, &str)], ok: bool| {
            let lookup = |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            };
            assert_eq!(Config::from_lookup(&lookup).is_ok(), ok, "{pairs:?}");
        };
        check(&[], true);
        check(
            &[
                ("OPENSEARCH_AUTH", "sigv4-aoss"),
                ("OPENSEARCH_ENDPOINT", "https://x.aoss.amazonaws.com"),
            ],
            true,
        );
        check(&[("OPENSEARCH_AUTH", "iam")], false);
        check(&[("OPENSEARCH_INDEX", "Posts")], false);
        check(&[("OPENSEARCH_INDEX", "_posts")], false);
        check(&[("OPENSEARCH_ENDPOINT", "search.local:9200")], false);
        let c = Config::from_lookup(&|_: &str| None).unwrap();
        assert_eq!((c.index.as_str(), c.auth), ("posts", Auth::Basic));
    }
}
