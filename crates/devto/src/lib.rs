//! crosspost target: Dev.to (Forem API v1).
//!
//! Pure request builders (`prepare_*`), response parsing, a dry-run [`simulate`] and the
//! [`handle`] function the Lambda binary and the local mode both call. Idempotent through the
//! ledger: create once, update when the content hash changed, `unchanged` otherwise. Before
//! creating, an existing article with the same canonical URL is adopted, so a create whose
//! response was lost never becomes a duplicate. Dev.to has no delete: unpublish sets
//! `published: false`.
//!
//! This crate never retries on its own: a retryable failure is returned as a `TaskError` and
//! the state machine decides.

use std::collections::BTreeSet;

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::{info, instrument};

use crosspost_core::config::{self, CommonConfig, ConfigError};
use crosspost_core::http::{send_checked, url_path};
use crosspost_core::ledger::EntryState;
use crosspost_core::publish::{self, PublishPlan};
use crosspost_core::services::{self, Gate};
use crosspost_core::{
    content_hash, Article, ExecutionInput, Failure, Method, Operation, Outcome, PreparedRequest,
    Response, Services, Target, TargetResult, TaskError,
};

/// The platform name in errors and logs.
pub const PLATFORM: &str = "devto";
/// The Forem API v1 media type (required for v1 behaviour).
pub const ACCEPT: &str = "application/vnd.forem.api-v1+json";
/// Production base URL (paths start with `/api`).
pub const DEFAULT_BASE_URL: &str = "https://dev.to";
/// Forem's limits.
pub const MAX_TAGS: usize = 4;
pub const MAX_TAG_LEN: usize = 30;
pub const MAX_TITLE_CHARS: usize = 128;
pub const MAX_BODY_BYTES: usize = 800 * 1024;
/// The largest page `GET /api/articles/me/all` serves.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// How many pages the canonical-URL lookup reads at most.
pub const MAX_LOOKUP_PAGES: u32 = 50;

/// Settings of the devto function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DEVTO_BASE_URL` (default `https://dev.to`); tests and stand-ins point it elsewhere.
    pub base_url: String,
    /// `DEVTO_PUBLISHED` (`true` | `false`, default `true`): create live articles or drafts.
    pub published: bool,
    /// Page size of the canonical-URL lookup (1..=1000, default 1000).
    pub page_size: u32,
    pub common: CommonConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_string(),
            published: true,
            page_size: MAX_PAGE_SIZE,
            common: CommonConfig::default(),
        }
    }
}

impl Config {
    /// Reads the environment through `lookup` (binaries pass `config::process_env`).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let published = match config::optional(lookup, "DEVTO_PUBLISHED") {
            None => true,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "DEVTO_PUBLISHED",
                        reason: format!("`{v}` is not true or false"),
                    })
                }
            },
        };
        Ok(Config {
            base_url: config::optional_url(lookup, "DEVTO_BASE_URL")?
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            published,
            page_size: MAX_PAGE_SIZE,
            common: CommonConfig::from_lookup(lookup)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&config::process_env)
    }
}

/// What [`handle`] borrows: the shared services and this target's settings.
#[derive(Debug, Clone)]
pub struct Deps {
    pub services: Services,
    pub config: Config,
}

impl Deps {
    pub fn new(services: Services, config: Config) -> Self {
        Deps { services, config }
    }
}

// ---------------------------------------------------------------------------------------------
// Pure request building
// ---------------------------------------------------------------------------------------------

/// Dev.to tags: lower-case ASCII letters and digits only, at most 30 characters, no
/// duplicates, the first 4.
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    tags.iter()
        .map(|t| {
            t.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect::<String>()
        })
        .filter(|t| !t.is_empty() && t.len() <= MAX_TAG_LEN)
        .filter(|t| seen.insert(t.clone()))
        .take(MAX_TAGS)
        .collect()
}

fn is_http_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://")) && !s.contains(char::is_whitespace)
}

/// The `article` object of a create or update: the Dev.to profile of the post.
pub fn article_payload(article: &Article, config: &Config) -> Result<Value, TaskError> {
    let title = article.title.trim();
    if title.is_empty() {
        return Err(TaskError::InvalidArticle(format!(
            "{}: the title is empty",
            article.id
        )));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(TaskError::InvalidArticle(format!(
            "{}: Dev.to titles are limited to {MAX_TITLE_CHARS} characters (this one has {})",
            article.id,
            title.chars().count()
        )));
    }
    if !is_http_url(&article.canonical_url) {
        return Err(TaskError::InvalidArticle(format!(
            "{}: canonical URL `{}` is not an http(s) URL",
            article.id, article.canonical_url
        )));
    }
    let sanity = article.sanity_config_or(&config.common);
    let body = portable_text::render_value(&article.body, portable_text::Format::Devto, &sanity)
        .map_err(|e| TaskError::InvalidArticle(format!("{}: body: {e}", article.id)))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(TaskError::InvalidArticle(format!(
            "{}: the rendered body is {} bytes; Dev.to accepts at most {MAX_BODY_BYTES}",
            article.id,
            body.len()
        )));
    }
    let mut a = serde_json::Map::new();
    a.insert("title".into(), json!(title));
    a.insert("body_markdown".into(), json!(body));
    a.insert("published".into(), json!(config.published));
    a.insert("canonical_url".into(), json!(article.canonical_url));
    a.insert("tags".into(), json!(normalise_tags(&article.tags)));
    if let Some(d) = article.description.as_deref().map(str::trim) {
        if !d.is_empty() {
            a.insert("description".into(), json!(d));
        }
    }
    if let Some(c) = &article.cover_image {
        if is_http_url(&c.url) {
            a.insert("main_image".into(), json!(c.url));
        }
    }
    if let Some(s) = article.series.as_deref().map(str::trim) {
        if !s.is_empty() {
            a.insert("series".into(), json!(s));
        }
    }
    Ok(Value::Object(a))
}

fn base(config: &Config) -> &str {
    config.base_url.trim_end_matches('/')
}

fn authed(req: PreparedRequest, api_key: &str) -> PreparedRequest {
    req.header("api-key", api_key).header("accept", ACCEPT)
}

/// `POST /api/articles` with `{"article": payload}`.
pub fn prepare_create(payload: &Value, config: &Config, api_key: &str) -> PreparedRequest {
    authed(
        PreparedRequest::new(Method::Post, format!("{}/api/articles", base(config))),
        api_key,
    )
    .json(json!({ "article": payload }))
}

/// `PUT /api/articles/{id}` with `{"article": payload}`.
pub fn prepare_update(
    remote_id: &str,
    payload: &Value,
    config: &Config,
    api_key: &str,
) -> PreparedRequest {
    authed(
        PreparedRequest::new(
            Method::Put,
            format!("{}/api/articles/{remote_id}", base(config)),
        ),
        api_key,
    )
    .json(json!({ "article": payload }))
}

/// `PUT /api/articles/{id}` with `{"article": {"published": false}}` (Dev.to has no delete).
pub fn prepare_unpublish(remote_id: &str, config: &Config, api_key: &str) -> PreparedRequest {
    authed(
        PreparedRequest::new(
            Method::Put,
            format!("{}/api/articles/{remote_id}", base(config)),
        ),
        api_key,
    )
    .json(json!({ "article": { "published": false } }))
}

/// `GET /api/articles/me/all?per_page=N&page=P`: the key owner's published and unpublished
/// articles.
pub fn prepare_list_mine(page: u32, config: &Config, api_key: &str) -> PreparedRequest {
    authed(
        PreparedRequest::new(
            Method::Get,
            format!(
                "{}/api/articles/me/all?per_page={}&page={page}",
                base(config),
                config.page_size.clamp(1, MAX_PAGE_SIZE)
            ),
        ),
        api_key,
    )
}

/// The content hash of what a create/update would send.
pub fn payload_hash(payload: &Value) -> String {
    content_hash(&PreparedRequest::new(Method::Post, "").json(json!({ "article": payload })))
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The fields of an article response we use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteArticle {
    pub id: u64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub canonical_url: Option<String>,
    #[serde(default)]
    pub published: Option<bool>,
}

/// Canonical URLs compared loosely: scheme and host case, `www.` and a trailing slash do not
/// matter.
pub fn same_canonical(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> String {
        let u = u.trim();
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
        format!("{host}{}", path.trim_end_matches('/'))
    }
    norm(a) == norm(b)
}

fn parse<T: serde::de::DeserializeOwned>(r: &Response) -> Result<T, TaskError> {
    r.parse::<T>().map_err(|f| f.into_task_error(PLATFORM))
}

fn is_canonical_taken(f: &Failure) -> bool {
    matches!(f, Failure::Rejected { status: 422, detail } if detail.to_ascii_lowercase().contains("canonical url has already been taken"))
}

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

/// Answers like Dev.to would, for the dry run: an empty article list, a created article with a
/// made-up id, an updated article.
pub fn simulate(req: &PreparedRequest) -> Response {
    let path = url_path(&req.url);
    let body = req.body.clone().unwrap_or(Value::Null);
    let a = &body["article"];
    match (req.method, path) {
        (Method::Get, "/api/articles/me/all") => Response::json(200, &json!([])),
        (Method::Post, "/api/articles") => Response::json(
            201,
            &json!({
                "id": 1,
                "url": "https://dev.to/dry-run/article-1",
                "canonical_url": a["canonical_url"],
                "published": a["published"],
            }),
        ),
        (Method::Put, p) if p.starts_with("/api/articles/") => {
            let id: u64 = p.trim_start_matches("/api/articles/").parse().unwrap_or(1);
            Response::json(
                200,
                &json!({
                    "id": id,
                    "url": format!("https://dev.to/dry-run/article-{id}"),
                    "canonical_url": a["canonical_url"],
                    "published": a["published"],
                }),
            )
        }
        _ => Response::json(404, &json!({"error": "not found", "status": 404})),
    }
}

/// [`simulate`] as a [`crosspost_core::Simulator`], for `DryRunTransport::new`.
pub fn simulator() -> crosspost_core::Simulator {
    std::sync::Arc::new(simulate)
}

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

/// Publishes or unpublishes one article on Dev.to.
#[instrument(skip_all, fields(post_id = %input.document_id, platform = PLATFORM))]
pub async fn handle(input: ExecutionInput, deps: &Deps) -> Result<TargetResult, TaskError> {
    let article = match services::open(&deps.services, &input, Target::Devto).await? {
        Gate::Run(a) => a,
        Gate::Skip(r) => return Ok(r),
    };
    let secrets = deps.services.secrets.secrets().await?;
    let Some(api_key) = secrets.devto_api_key.as_deref() else {
        return Ok(services::no_token(Target::Devto));
    };
    match input.operation {
        Operation::Publish => publish(&article, deps, api_key).await,
        Operation::Unpublish => unpublish(&article, deps, api_key).await,
    }
}

async fn send(deps: &Deps, req: &PreparedRequest) -> Result<Response, Failure> {
    send_checked(deps.services.transport.as_ref(), req).await
}

/// Looks for an article of the key's user with this canonical URL (newest pages first).
pub async fn find_by_canonical(
    deps: &Deps,
    api_key: &str,
    canonical_url: &str,
) -> Result<Option<RemoteArticle>, TaskError> {
    for page in 1..=MAX_LOOKUP_PAGES {
        let req = prepare_list_mine(page, &deps.config, api_key);
        let resp = send(deps, &req)
            .await
            .map_err(|f| f.into_task_error(PLATFORM))?;
        let items: Vec<RemoteArticle> = parse(&resp)?;
        if let Some(found) = items.iter().find(|a| {
            a.canonical_url
                .as_deref()
                .is_some_and(|c| same_canonical(c, canonical_url))
        }) {
            return Ok(Some(found.clone()));
        }
        if (items.len() as u64) < u64::from(deps.config.page_size.clamp(1, MAX_PAGE_SIZE)) {
            return Ok(None);
        }
    }
    Ok(None)
}

async fn update_remote(
    deps: &Deps,
    api_key: &str,
    remote_id: &str,
    payload: &Value,
) -> Result<RemoteArticle, TaskError> {
    let req = prepare_update(remote_id, payload, &deps.config, api_key);
    match send(deps, &req).await {
        Ok(resp) => parse(&resp),
        Err(Failure::Rejected { status: 404, .. }) => Err(TaskError::InvalidArticle(format!(
            "Dev.to article {remote_id} no longer exists or is not owned by this API key"
        ))),
        Err(f) => Err(f.into_task_error(PLATFORM)),
    }
}

async fn publish(article: &Article, deps: &Deps, api_key: &str) -> Result<TargetResult, TaskError> {
    let payload = article_payload(article, &deps.config)?;
    let hash = payload_hash(&payload);
    let ledger = deps.services.ledger.as_ref();
    match publish::begin_publish(ledger, Target::Devto, article, &hash, Utc::now()).await? {
        PublishPlan::Unchanged(e) => Ok(TargetResult::new(Target::Devto, Outcome::Unchanged)
            .with_remote(e.remote_id.unwrap_or_default(), e.url)),
        PublishPlan::Stale(e) => Ok(TargetResult::new(Target::Devto, Outcome::Unchanged)
            .with_remote(e.remote_id.unwrap_or_default(), e.url)
            .with_reason("a newer revision of this post is already published")),
        PublishPlan::Update(entry) => {
            let remote_id = entry.remote_id.clone().unwrap_or_default();
            let remote = update_remote(deps, api_key, &remote_id, &payload).await?;
            let e = publish::finish_update(ledger, &entry, article, remote.url, &hash, Utc::now())
                .await?;
            info!(remote_id, "updated");
            Ok(TargetResult::new(Target::Devto, Outcome::Updated).with_remote(remote_id, e.url))
        }
        PublishPlan::Create(claim) => {
            // Adopt before create: a lost create response must not become a duplicate.
            if let Some(found) = find_by_canonical(deps, api_key, &article.canonical_url).await? {
                return adopt(deps, api_key, &claim, found, &payload, &hash).await;
            }
            let req = prepare_create(&payload, &deps.config, api_key);
            match send(deps, &req).await {
                Ok(resp) => {
                    let created: RemoteArticle = parse(&resp)?;
                    let id = created.id.to_string();
                    let e =
                        publish::finish_create(ledger, &claim, &id, created.url, &hash, Utc::now())
                            .await?;
                    info!(remote_id = %id, "created");
                    Ok(TargetResult::new(Target::Devto, Outcome::Created).with_remote(id, e.url))
                }
                Err(f) if is_canonical_taken(&f) => {
                    match find_by_canonical(deps, api_key, &article.canonical_url).await? {
                        Some(found) => adopt(deps, api_key, &claim, found, &payload, &hash).await,
                        None => {
                            publish::release_claim(ledger, &claim).await?;
                            Err(TaskError::InvalidArticle(format!(
                                "Dev.to says canonical URL {} is already taken, but not by an article of this API key's user",
                                article.canonical_url
                            )))
                        }
                    }
                }
                Err(f) => {
                    // A definite refusal created nothing: free the claim. An unanswered
                    // request may have created the post: keep the claim; the retry adopts.
                    if !matches!(f, Failure::Unavailable { .. } | Failure::BadResponse { .. }) {
                        publish::release_claim(ledger, &claim).await?;
                    }
                    Err(f.into_task_error(PLATFORM))
                }
            }
        }
    }
}

async fn adopt(
    deps: &Deps,
    api_key: &str,
    claim: &publish::Claim,
    found: RemoteArticle,
    payload: &Value,
    hash: &str,
) -> Result<TargetResult, TaskError> {
    let id = found.id.to_string();
    // Bring the adopted article up to date (it may be an older version, or ours verbatim).
    let remote = update_remote(deps, api_key, &id, payload).await?;
    let e = publish::finish_create(
        deps.services.ledger.as_ref(),
        claim,
        &id,
        remote.url.or(found.url),
        hash,
        Utc::now(),
    )
    .await?;
    info!(remote_id = %id, "adopted existing article");
    Ok(TargetResult::new(Target::Devto, Outcome::Created)
        .with_remote(id, e.url)
        .with_reason("adopted an existing Dev.to article with the same canonical URL"))
}

async fn unpublish(
    article: &Article,
    deps: &Deps,
    api_key: &str,
) -> Result<TargetResult, TaskError> {
    let ledger = deps.services.ledger.as_ref();
    let entry = ledger.get(&article.id, Target::Devto).await?;
    let Some(entry) = entry else {
        return Ok(TargetResult::new(Target::Devto, Outcome::Skipped)
            .with_reason("not published on Dev.to by crosspost"));
    };
    match entry.state {
        EntryState::Pending => Err(TaskError::Conflict(format!(
            "a create of {} on Dev.to is in progress; retry the unpublish later",
            article.id
        ))),
        EntryState::Unpublished => Ok(TargetResult::new(Target::Devto, Outcome::Unchanged)
            .with_remote(
                entry.remote_id.clone().unwrap_or_default(),
                entry.url.clone(),
            )
            .with_reason("already unpublished")),
        EntryState::Published => {
            let remote_id = entry.remote_id.clone().unwrap_or_default();
            let req = prepare_unpublish(&remote_id, &deps.config, api_key);
            match send(deps, &req).await {
                Ok(_) | Err(Failure::Rejected { status: 404, .. }) => {}
                Err(f) => return Err(f.into_task_error(PLATFORM)),
            }
            let e =
                publish::finish_unpublish(ledger, &entry, &article.revision, Utc::now()).await?;
            Ok(
                TargetResult::new(Target::Devto, Outcome::Unpublished)
                    .with_remote(remote_id, e.url),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_forem_rules() {
        let check = |input: &[&str], expected: &[&str]| {
            let v: Vec<String> = input.iter().map(|s| s.to_string()).collect();
            assert_eq!(normalise_tags(&v), expected, "{input:?}");
        };
        check(
            &["Rust", "web-dev", "AWS Lambda", "rust"],
            &["rust", "webdev", "awslambda"],
        );
        check(&["a", "b", "c", "d", "e"], &["a", "b", "c", "d"]);
        check(&["", "--", "ü"], &[]);
        check(&["x".repeat(31).as_str(), "ok"], &["ok"]);
        check(&["C++", "c"], &["c"]);
    }

    #[test]
    fn canonical_comparison() {
        let cases = [
            ("https://a.dev/p/", "https://a.dev/p", true),
            ("http://A.dev/p", "https://a.dev/p", true),
            ("https://www.a.dev/p", "https://a.dev/p", true),
            ("https://a.dev/p", "https://a.dev/P", false),
            ("https://a.dev/p", "https://a.dev/q", false),
        ];
        for (a, b, same) in cases {
            assert_eq!(same_canonical(a, b), same, "{a} {b}");
        }
    }

    #[test]
    fn canonical_taken_is_recognised() {
        let f = Failure::Rejected {
            status: 422,
            detail: r#"{"error":"Canonical url has already been taken","status":422}"#.into(),
        };
        assert!(is_canonical_taken(&f));
        let other = Failure::Rejected {
            status: 422,
            detail: r#"{"error":"Title can't be blank","status":422}"#.into(),
        };
        assert!(!is_canonical_taken(&other));
    }
}
