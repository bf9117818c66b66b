//! crosspost target: Medium (REST API v1).
//!
//! Medium's API can only create posts: there is no update, delete, unpublish or lookup. So this
//! target creates a post once (recorded in the ledger before anything else can retry it) and
//! reports every later change, and every unpublish, as `unsupported` — never a second post.
//! A create whose answer was lost cannot be checked on Medium; the ledger keeps its claim and
//! later runs report `unsupported` with an explanation instead of risking a duplicate.

use std::sync::Arc;

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tracing::{info, instrument, warn};

use crosspost_core::classify;
use crosspost_core::config::{self, CommonConfig, ConfigError};
use crosspost_core::http::{sha256_hex, url_path};
use crosspost_core::ledger::EntryState;
use crosspost_core::publish::{self, PublishPlan};
use crosspost_core::services::{self, Gate};
use crosspost_core::{
    content_hash, Article, ExecutionInput, Method, Operation, Outcome, PreparedRequest, Response,
    Services, Target, TargetResult, TaskError,
};

pub const PLATFORM: &str = "medium";
pub const DEFAULT_BASE_URL: &str = "https://api.medium.com";
/// Medium uses the first three tags and ignores tags longer than 25 characters.
pub const MAX_TAGS: usize = 3;
pub const MAX_TAG_LEN: usize = 25;

/// Medium's `publishStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishStatus {
    Public,
    Draft,
    Unlisted,
}

impl PublishStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PublishStatus::Public => "public",
            PublishStatus::Draft => "draft",
            PublishStatus::Unlisted => "unlisted",
        }
    }
}

/// Settings of the medium function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `MEDIUM_BASE_URL` (default `https://api.medium.com`; paths start with `/v1`).
    pub base_url: String,
    /// `MEDIUM_PUBLISH_STATUS`: `draft` (default), `public` or `unlisted`. Draft is the
    /// default because a Medium post can never be changed or removed through the API: the author
    /// reviews it on Medium and publishes it there.
    pub publish_status: PublishStatus,
    pub common: CommonConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_string(),
            publish_status: PublishStatus::Draft,
            common: CommonConfig::default(),
        }
    }
}

impl Config {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let publish_status = match config::optional(lookup, "MEDIUM_PUBLISH_STATUS")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("draft") => PublishStatus::Draft,
            Some("public") => PublishStatus::Public,
            Some("unlisted") => PublishStatus::Unlisted,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "MEDIUM_PUBLISH_STATUS",
                    reason: format!("`{other}` is not public, draft or unlisted"),
                })
            }
        };
        Ok(Config {
            base_url: config::optional_url(lookup, "MEDIUM_BASE_URL")?
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            publish_status,
            common: CommonConfig::from_lookup(lookup)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&config::process_env)
    }
}

/// What [`handle`] borrows. The author id (`GET /v1/me`) is cached here, per token, for the
/// life of the container.
#[derive(Debug, Clone)]
pub struct Deps {
    pub services: Services,
    pub config: Config,
    author: Arc<Mutex<Option<(String, String)>>>,
}

impl Deps {
    pub fn new(services: Services, config: Config) -> Self {
        Deps {
            services,
            config,
            author: Arc::new(Mutex::new(None)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pure request building
// ---------------------------------------------------------------------------------------------

/// Medium tags: trimmed, at most 25 characters (longer ones would be ignored), no duplicates
/// (case-insensitive), the first three.
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TAG_LEN {
            continue;
        }
        let key = t.to_lowercase();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(t.to_string());
        if out.len() == MAX_TAGS {
            break;
        }
    }
    out
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The create body: the title as `<h1>` (Medium does not show `title` in the post), the
/// Medium HTML profile of the body, tags, canonical URL and publish status.
pub fn post_body(article: &Article, config: &Config) -> Result<Value, TaskError> {
    let title = article.title.trim();
    if title.is_empty() {
        return Err(TaskError::InvalidArticle(format!(
            "{}: the title is empty",
            article.id
        )));
    }
    let sanity = article.sanity_config_or(&config.common);
    let html = portable_text::render_value(&article.body, portable_text::Format::Medium, &sanity)
        .map_err(|e| TaskError::InvalidArticle(format!("{}: body: {e}", article.id)))?;
    Ok(json!({
        "title": title,
        "contentFormat": "html",
        "content": format!("<h1>{}</h1>{html}", escape_html(title)),
        "tags": normalise_tags(&article.tags),
        "canonicalUrl": article.canonical_url,
        "publishStatus": config.publish_status.as_str(),
    }))
}

fn authed(req: PreparedRequest, token: &str) -> PreparedRequest {
    req.header("authorization", format!("Bearer {token}"))
        .header("accept", "application/json")
        .header("accept-charset", "utf-8")
}

fn base(config: &Config) -> &str {
    config.base_url.trim_end_matches('/')
}

/// `GET /v1/me`: the token owner (its `id` is the author id).
pub fn prepare_me(config: &Config, token: &str) -> PreparedRequest {
    authed(
        PreparedRequest::new(Method::Get, format!("{}/v1/me", base(config))),
        token,
    )
}

/// `POST /v1/users/{authorId}/posts`.
pub fn prepare_create(
    body: &Value,
    author_id: &str,
    config: &Config,
    token: &str,
) -> PreparedRequest {
    authed(
        PreparedRequest::new(
            Method::Post,
            format!("{}/v1/users/{author_id}/posts", base(config)),
        ),
        token,
    )
    .json(body.clone())
}

pub fn body_hash(body: &Value) -> String {
    content_hash(&PreparedRequest::new(Method::Post, "").json(body.clone()))
}

// ---------------------------------------------------------------------------------------------
// Responses and dry run
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    data: T,
}

/// The token owner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Me {
    pub id: String,
}

/// A created post.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePost {
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub publish_status: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(r: &Response) -> Result<T, TaskError> {
    r.parse::<Envelope<T>>()
        .map(|e| e.data)
        .map_err(|f| f.into_task_error(PLATFORM))
}

/// Answers like Medium would, for the dry run.
pub fn simulate(req: &PreparedRequest) -> Response {
    let path = url_path(&req.url);
    match (req.method, path) {
        (Method::Get, "/v1/me") => Response::json(
            200,
            &json!({"data": {"id": "dry-run-author", "username": "dry-run", "name": "Dry Run", "url": "https://medium.com/@dry-run"}}),
        ),
        (Method::Post, p) if p.starts_with("/v1/users/") && p.ends_with("/posts") => {
            let body = req.body.clone().unwrap_or(Value::Null);
            Response::json(
                201,
                &json!({"data": {
                    "id": "dry-run-post",
                    "title": body["title"],
                    "authorId": p.trim_start_matches("/v1/users/").trim_end_matches("/posts"),
                    "tags": body["tags"],
                    "url": "https://medium.com/@dry-run/dry-run-post",
                    "canonicalUrl": body["canonicalUrl"],
                    "publishStatus": body["publishStatus"],
                }}),
            )
        }
        _ => Response::json(
            404,
            &json!({"errors": [{"message": "Not found", "code": 6000}]}),
        ),
    }
}

/// [`simulate`] as a [`crosspost_core::Simulator`], for `DryRunTransport::new`.
pub fn simulator() -> crosspost_core::Simulator {
    std::sync::Arc::new(simulate)
}

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

/// Creates the post once on Medium; reports changes and unpublishes as `unsupported`.
#[instrument(skip_all, fields(post_id = %input.document_id, platform = PLATFORM))]
pub async fn handle(input: ExecutionInput, deps: &Deps) -> Result<TargetResult, TaskError> {
    let article = match services::open(&deps.services, &input, Target::Medium).await? {
        Gate::Run(a) => a,
        Gate::Skip(r) => return Ok(r),
    };
    let secrets = deps.services.secrets.secrets().await?;
    let Some(token) = secrets.medium_token.as_deref() else {
        return Ok(services::no_token(Target::Medium));
    };
    match input.operation {
        Operation::Publish => publish_once(&article, deps, token).await,
        Operation::Unpublish => unpublish(&article, deps).await,
    }
}

/// The author id for this token, from the cache or `GET /v1/me`.
pub async fn author_id(deps: &Deps, token: &str) -> Result<String, TaskError> {
    let token_key = sha256_hex(token.as_bytes());
    let mut cache = deps.author.lock().await;
    if let Some((k, id)) = cache.as_ref() {
        if *k == token_key {
            return Ok(id.clone());
        }
    }
    let resp = crosspost_core::http::send_checked(
        deps.services.transport.as_ref(),
        &prepare_me(&deps.config, token),
    )
    .await
    .map_err(|f| f.into_task_error(PLATFORM))?;
    let me: Me = parse(&resp)?;
    *cache = Some((token_key, me.id.clone()));
    Ok(me.id)
}

fn unsupported(reason: &str, entry_remote: Option<String>, url: Option<String>) -> TargetResult {
    let r = TargetResult::new(Target::Medium, Outcome::Unsupported).with_reason(reason);
    match entry_remote {
        Some(id) => r.with_remote(id, url),
        None => r,
    }
}

async fn publish_once(
    article: &Article,
    deps: &Deps,
    token: &str,
) -> Result<TargetResult, TaskError> {
    let body = post_body(article, &deps.config)?;
    let hash = body_hash(&body);
    let ledger = deps.services.ledger.as_ref();
    match publish::begin_publish(ledger, Target::Medium, article, &hash, Utc::now()).await? {
        PublishPlan::Unchanged(e) => Ok(TargetResult::new(Target::Medium, Outcome::Unchanged)
            .with_remote(e.remote_id.unwrap_or_default(), e.url)),
        PublishPlan::Stale(e) => Ok(TargetResult::new(Target::Medium, Outcome::Unchanged)
            .with_remote(e.remote_id.unwrap_or_default(), e.url)
            .with_reason("a newer revision of this post was already handled")),
        PublishPlan::Update(e) => Ok(unsupported(
            "Medium's API cannot update posts: edit the post on Medium (crosspost never creates a second one)",
            e.remote_id,
            e.url,
        )),
        PublishPlan::Create(claim) if claim.resumed => {
            warn!("an earlier create attempt lost its answer; not creating again");
            Ok(unsupported(
                "an earlier attempt may have created this post on Medium but its answer was lost; Medium's API cannot look posts up, so crosspost will not create it again (check your Medium posts and drafts)",
                None,
                None,
            ))
        }
        PublishPlan::Create(claim) => {
            let author = match author_id(deps, token).await {
                Ok(a) => a,
                Err(e) => {
                    publish::release_claim(ledger, &claim).await?;
                    return Err(e);
                }
            };
            let req = prepare_create(&body, &author, &deps.config, token);
            let sent = deps.services.transport.send(&req).await;
            let resp = match sent {
                // No connection: nothing was sent, so nothing exists; free the claim.
                Err(e @ crosspost_core::TransportError::Connect(_)) => {
                    publish::release_claim(ledger, &claim).await?;
                    return Err(classify::transport_failure(e).into_task_error(PLATFORM));
                }
                // No answer: the post may exist. Keep the claim; never create it again.
                Err(e) => return Err(classify::transport_failure(e).into_task_error(PLATFORM)),
                Ok(r) => r,
            };
            if let Err(f) = classify::check_status(&resp, Utc::now()) {
                // Medium answered with an error: nothing was created; free the claim.
                publish::release_claim(ledger, &claim).await?;
                return Err(f.into_task_error(PLATFORM));
            }
            // A 2xx means the post exists, even if we cannot read the answer: record what we can.
            let post: Option<RemotePost> = parse(&resp).ok();
            let (id, url) = match post {
                Some(p) => (p.id, p.url),
                None => {
                    return Err(TaskError::PlatformUnavailable {
                        platform: PLATFORM.into(),
                        detail: "Medium created the post but its answer could not be read".into(),
                    })
                }
            };
            let e = publish::finish_create(ledger, &claim, &id, url, &hash, Utc::now()).await?;
            info!(remote_id = %id, "created");
            let mut r = TargetResult::new(Target::Medium, Outcome::Created).with_remote(id, e.url);
            if deps.config.publish_status != PublishStatus::Public {
                r = r.with_reason(format!(
                    "created as {} (MEDIUM_PUBLISH_STATUS)",
                    deps.config.publish_status.as_str()
                ));
            }
            Ok(r)
        }
    }
}

async fn unpublish(article: &Article, deps: &Deps) -> Result<TargetResult, TaskError> {
    match deps.services.ledger.get(&article.id, Target::Medium).await? {
        None => Ok(TargetResult::new(Target::Medium, Outcome::Skipped)
            .with_reason("not published on Medium by crosspost")),
        Some(e) if e.state == EntryState::Pending && e.remote_id.is_none() => Ok(unsupported(
            "Medium's API cannot unpublish or delete posts (and this post's creation was not confirmed)",
            None,
            None,
        )),
        Some(e) => Ok(unsupported(
            "Medium's API cannot unpublish or delete posts: remove it on Medium",
            e.remote_id,
            e.url,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_medium_limits() {
        let check = |input: &[&str], expected: &[&str]| {
            let v: Vec<String> = input.iter().map(|s| s.to_string()).collect();
            assert_eq!(normalise_tags(&v), expected, "{input:?}");
        };
        check(
            &["Rust", "rust", "AWS", "Web", "Extra"],
            &["Rust", "AWS", "Web"],
        );
        check(&["a-very-long-tag-name-over-25-chars", "ok"], &["ok"]);
        check(&["  spaced  ", ""], &["spaced"]);
    }

    #[test]
    fn publish_status_from_env() {
        let check = |v: Option<&str>, expected: Result<PublishStatus, ()>| {
            let lookup = |k: &str| {
                (k == "MEDIUM_PUBLISH_STATUS")
                    .then(|| v.map(str::to_string))
                    .flatten()
            };
            let got = Config::from_lookup(&lookup)
                .map(|c| c.publish_status)
                .map_err(|_| ());
            assert_eq!(got, expected, "{v:?}");
        };
        check(None, Ok(PublishStatus::Draft));
        check(Some("public"), Ok(PublishStatus::Public));
        check(Some("UNLISTED"), Ok(PublishStatus::Unlisted));
        check(Some("draft"), Ok(PublishStatus::Draft));
        check(Some("live"), Err(()));
    }

    #[test]
    fn title_is_escaped_into_the_content() {
        assert_eq!(escape_html(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
