//! crosspost target: Hashnode (GraphQL API).
//!
//! Pure request builders (`prepare_*`, one GraphQL operation each), response parsing (errors
//! arrive inside HTTP 200 answers and are always read first), a dry-run [`simulate`] and the
//! [`handle`] function shared by the Lambda binary and the local mode. Idempotent through the
//! ledger; before publishing, a post with our slug in the publication is looked up and adopted.
//! A publication whose plan does not allow API publishing makes the target report `skipped`
//! with the platform's reason (no error, so no retry loop).

use std::collections::BTreeSet;

use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::{info, instrument};

use crosspost_core::config::{self, CommonConfig, ConfigError};
use crosspost_core::http::{send_checked, url_path};
use crosspost_core::ledger::EntryState;
use crosspost_core::publish::{self, Claim, PublishPlan};
use crosspost_core::services::{self, Gate};
use crosspost_core::{
    content_hash, Article, ExecutionInput, Failure, Method, Operation, Outcome, PreparedRequest,
    Response, Services, Target, TargetResult, TaskError,
};

pub const PLATFORM: &str = "hashnode";
pub const DEFAULT_ENDPOINT: &str = "https://gql.hashnode.com";
/// Hashnode accepts at most five tags per post.
pub const MAX_TAGS: usize = 5;

/// `publishPost`: create a post in the publication.
pub const PUBLISH_POST: &str = "mutation PublishPost($input: PublishPostInput!) { publishPost(input: $input) { post { id slug url canonicalUrl } } }";
/// `updatePost`: change an existing post.
pub const UPDATE_POST: &str = "mutation UpdatePost($input: UpdatePostInput!) { updatePost(input: $input) { post { id slug url canonicalUrl } } }";
/// `removePost`: take a post down (soft delete).
pub const REMOVE_POST: &str =
    "mutation RemovePost($input: RemovePostInput!) { removePost(input: $input) { post { id } } }";
/// Look a post up by slug in the publication (for adopt-before-create).
pub const POST_BY_SLUG: &str = "query PostBySlug($publicationId: ObjectId!, $slug: String!) { publication(id: $publicationId) { id post(slug: $slug) { id slug url canonicalUrl } } }";

/// Settings of the hashnode function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `HASHNODE_ENDPOINT` (default `https://gql.hashnode.com`).
    pub endpoint: String,
    /// `HASHNODE_PUBLICATION_ID`: the publication posts go to. Required by the Lambda; the
    /// local mode reports `skipped` without it.
    pub publication_id: Option<String>,
    pub common: CommonConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            publication_id: None,
            common: CommonConfig::default(),
        }
    }
}

impl Config {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Config {
            endpoint: config::optional_url(lookup, "HASHNODE_ENDPOINT")?
                .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
            publication_id: config::optional(lookup, "HASHNODE_PUBLICATION_ID"),
            common: CommonConfig::from_lookup(lookup)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&config::process_env)
    }

    /// For the Lambda's cold start: the publication id must be set.
    pub fn require_publication(&self) -> Result<&str, ConfigError> {
        self.publication_id
            .as_deref()
            .ok_or(ConfigError::Missing("HASHNODE_PUBLICATION_ID"))
    }
}

/// What [`handle`] borrows.
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

/// A Hashnode slug: lower-case ASCII letters, digits and single hyphens.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Tags as `{slug, name}` (Hashnode creates or reuses the tag by slug), at most five.
pub fn tags(article: &Article) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    article
        .tags
        .iter()
        .filter_map(|t| {
            let name = t.trim();
            let slug = slugify(name);
            (!slug.is_empty() && seen.insert(slug.clone()))
                .then(|| json!({"slug": slug, "name": name}))
        })
        .take(MAX_TAGS)
        .collect()
}

/// The post fields shared by publish and update (no id, no publication).
fn post_fields(
    article: &Article,
    config: &Config,
) -> Result<serde_json::Map<String, Value>, TaskError> {
    let title = article.title.trim();
    if title.is_empty() {
        return Err(TaskError::InvalidArticle(format!(
            "{}: the title is empty",
            article.id
        )));
    }
    let slug = slugify(&article.slug);
    if slug.is_empty() {
        return Err(TaskError::InvalidArticle(format!(
            "{}: slug `{}` has no letters or digits",
            article.id, article.slug
        )));
    }
    let sanity = article.sanity_config_or(&config.common);
    let markdown =
        portable_text::render_value(&article.body, portable_text::Format::Hashnode, &sanity)
            .map_err(|e| TaskError::InvalidArticle(format!("{}: body: {e}", article.id)))?;
    let mut m = serde_json::Map::new();
    m.insert("title".into(), json!(title));
    m.insert("contentMarkdown".into(), json!(markdown));
    m.insert("slug".into(), json!(slug));
    m.insert("originalArticleURL".into(), json!(article.canonical_url));
    m.insert("tags".into(), Value::Array(tags(article)));
    if let Some(d) = article
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        m.insert("subtitle".into(), json!(d));
    }
    if let Some(c) = &article.cover_image {
        m.insert("coverImageOptions".into(), json!({"coverImageURL": c.url}));
    }
    if let Some(p) = article.published_at.as_deref().filter(|p| !p.is_empty()) {
        m.insert("publishedAt".into(), json!(p));
    }
    Ok(m)
}

/// The `PublishPostInput` for this article.
pub fn publish_input(
    article: &Article,
    config: &Config,
    publication_id: &str,
) -> Result<Value, TaskError> {
    let mut m = post_fields(article, config)?;
    m.insert("publicationId".into(), json!(publication_id));
    Ok(Value::Object(m))
}

/// The `UpdatePostInput` for this article and post id.
pub fn update_input(article: &Article, config: &Config, post_id: &str) -> Result<Value, TaskError> {
    let mut m = post_fields(article, config)?;
    m.insert("id".into(), json!(post_id));
    Ok(Value::Object(m))
}

fn graphql(config: &Config, token: &str, query: &str, variables: Value) -> PreparedRequest {
    PreparedRequest::new(Method::Post, config.endpoint.clone())
        .header("authorization", token)
        .header("accept", "application/json")
        .json(json!({ "query": query, "variables": variables }))
}

pub fn prepare_publish(input: &Value, config: &Config, token: &str) -> PreparedRequest {
    graphql(config, token, PUBLISH_POST, json!({ "input": input }))
}

pub fn prepare_update(input: &Value, config: &Config, token: &str) -> PreparedRequest {
    graphql(config, token, UPDATE_POST, json!({ "input": input }))
}

pub fn prepare_remove(post_id: &str, config: &Config, token: &str) -> PreparedRequest {
    graphql(
        config,
        token,
        REMOVE_POST,
        json!({ "input": { "id": post_id } }),
    )
}

pub fn prepare_lookup(
    slug: &str,
    config: &Config,
    token: &str,
    publication_id: &str,
) -> PreparedRequest {
    graphql(
        config,
        token,
        POST_BY_SLUG,
        json!({ "publicationId": publication_id, "slug": slug }),
    )
}

/// The content hash: what `publishPost` would send (the update carries the same fields).
pub fn input_hash(publish_input: &Value) -> String {
    content_hash(&PreparedRequest::new(Method::Post, "").json(publish_input.clone()))
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// A post as selected by our operations.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemotePost {
    pub id: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub canonical_url: Option<String>,
}

/// A GraphQL-level failure, read from `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphqlError {
    /// The publication's plan does not allow publishing through the API.
    PlanForbids(String),
    NotFound(String),
    Task(TaskError),
}

#[derive(Deserialize)]
struct GqlError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Option<GqlExtensions>,
}

#[derive(Deserialize)]
struct GqlExtensions {
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize)]
struct GqlEnvelope {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GqlError>>,
}

fn mentions_plan(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "plan",
        "upgrade",
        "subscription",
        "hashnode pro",
        "pro feature",
        "premium",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Reads a GraphQL answer: `errors` first (Hashnode reports failures inside HTTP 200), then
/// `data`.
pub fn read_graphql(response: &Response) -> Result<Value, GraphqlError> {
    let env: GqlEnvelope = response
        .parse()
        .map_err(|f| GraphqlError::Task(f.into_task_error(PLATFORM)))?;
    if let Some(first) = env.errors.as_ref().and_then(|e| e.first()) {
        let code = first
            .extensions
            .as_ref()
            .and_then(|x| x.code.clone())
            .unwrap_or_default();
        let msg = if code.is_empty() {
            first.message.clone()
        } else {
            format!("{code}: {}", first.message)
        };
        let platform = PLATFORM.to_string();
        return Err(match code.as_str() {
            "FORBIDDEN" if mentions_plan(&first.message) => {
                GraphqlError::PlanForbids(first.message.clone())
            }
            "UNAUTHENTICATED" | "FORBIDDEN" => GraphqlError::Task(TaskError::Unauthorized {
                platform,
                detail: msg,
            }),
            "NOT_FOUND" => GraphqlError::NotFound(msg),
            "BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED" | "GRAPHQL_PARSE_FAILED" => {
                GraphqlError::Task(TaskError::InvalidArticle(format!("hashnode: {msg}")))
            }
            "TOO_MANY_REQUESTS" | "RATE_LIMITED" => GraphqlError::Task(TaskError::RateLimited {
                platform,
                retry_after: None,
            }),
            _ if mentions_plan(&first.message) => GraphqlError::PlanForbids(first.message.clone()),
            _ => GraphqlError::Task(TaskError::PlatformUnavailable {
                platform,
                detail: msg,
            }),
        });
    }
    match env.data {
        Some(d) if !d.is_null() => Ok(d),
        _ => Err(GraphqlError::Task(TaskError::PlatformUnavailable {
            platform: PLATFORM.into(),
            detail: "answer has neither data nor errors".into(),
        })),
    }
}

/// Canonical URLs compared loosely: scheme, host case, `www.` and a trailing slash do not
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

fn post_at(data: &Value, pointer: &str) -> Result<Option<RemotePost>, TaskError> {
    match data.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
            TaskError::PlatformUnavailable {
                platform: PLATFORM.into(),
                detail: format!("unexpected post at {pointer}: {e}"),
            }
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Dry run
// ---------------------------------------------------------------------------------------------

/// Answers like Hashnode would, for the dry run: no post with the slug yet; publish and update
/// return a post with a made-up id.
pub fn simulate(req: &PreparedRequest) -> Response {
    let body = req.body.clone().unwrap_or(Value::Null);
    let query = body["query"].as_str().unwrap_or("");
    let input = &body["variables"]["input"];
    let slug = input["slug"].as_str().unwrap_or("post");
    let post = |id: &str| json!({"id": id, "slug": slug, "url": format!("https://dry-run.hashnode.dev/{slug}"), "canonicalUrl": input["originalArticleURL"]});
    let data = if url_path(&req.url) != "/" {
        return Response::json(404, &json!({"message": "not found"}));
    } else if query.contains("publishPost(") {
        json!({"publishPost": {"post": post("000000000000000000000001")}})
    } else if query.contains("updatePost(") {
        json!({"updatePost": {"post": post(input["id"].as_str().unwrap_or(""))}})
    } else if query.contains("removePost(") {
        json!({"removePost": {"post": {"id": input["id"]}}})
    } else if query.contains("publication(") {
        json!({"publication": {"id": body["variables"]["publicationId"], "post": null}})
    } else {
        return Response::json(
            200,
            &json!({"errors": [{"message": "unknown operation", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}),
        );
    };
    Response::json(200, &json!({ "data": data }))
}

/// [`simulate`] as a [`crosspost_core::Simulator`], for `DryRunTransport::new`.
pub fn simulator() -> crosspost_core::Simulator {
    std::sync::Arc::new(simulate)
}

// ---------------------------------------------------------------------------------------------
// Handler
// ---------------------------------------------------------------------------------------------

/// Publishes or removes one article on Hashnode.
#[instrument(skip_all, fields(post_id = %input.document_id, platform = PLATFORM))]
pub async fn handle(input: ExecutionInput, deps: &Deps) -> Result<TargetResult, TaskError> {
    let article = match services::open(&deps.services, &input, Target::Hashnode).await? {
        Gate::Run(a) => a,
        Gate::Skip(r) => return Ok(r),
    };
    let secrets = deps.services.secrets.secrets().await?;
    let Some(token) = secrets.hashnode_token.as_deref() else {
        return Ok(services::no_token(Target::Hashnode));
    };
    let Some(publication_id) = deps.config.publication_id.as_deref() else {
        return Ok(TargetResult::new(Target::Hashnode, Outcome::Skipped)
            .with_reason("no publication configured (HASHNODE_PUBLICATION_ID)"));
    };
    let ctx = Ctx {
        deps,
        token,
        publication_id,
    };
    match input.operation {
        Operation::Publish => ctx.publish(&article).await,
        Operation::Unpublish => ctx.unpublish(&article).await,
    }
}

struct Ctx<'a> {
    deps: &'a Deps,
    token: &'a str,
    publication_id: &'a str,
}

fn plan_skip(message: &str) -> TargetResult {
    TargetResult::new(Target::Hashnode, Outcome::Skipped).with_reason(format!(
        "Hashnode does not allow API publishing for this publication's plan: {message}"
    ))
}

impl Ctx<'_> {
    async fn call(&self, req: &PreparedRequest) -> Result<Value, GraphqlError> {
        let resp = send_checked(self.deps.services.transport.as_ref(), req)
            .await
            .map_err(|f: Failure| GraphqlError::Task(f.into_task_error(PLATFORM)))?;
        read_graphql(&resp)
    }

    async fn find_by_slug(&self, article: &Article) -> Result<Option<RemotePost>, GraphqlError> {
        let req = prepare_lookup(
            &slugify(&article.slug),
            &self.deps.config,
            self.token,
            self.publication_id,
        );
        let data = self.call(&req).await?;
        if data.pointer("/publication").is_none_or(Value::is_null) {
            return Err(GraphqlError::Task(TaskError::Misconfigured(format!(
                "Hashnode publication {} does not exist",
                self.publication_id
            ))));
        }
        let post = post_at(&data, "/publication/post").map_err(GraphqlError::Task)?;
        match post {
            Some(p)
                if p.canonical_url
                    .as_deref()
                    .is_some_and(|c| !same_canonical(c, &article.canonical_url)) =>
            {
                Err(GraphqlError::Task(TaskError::InvalidArticle(format!(
                    "slug `{}` is already used in the publication by another post ({})",
                    slugify(&article.slug),
                    p.canonical_url.unwrap_or_default()
                ))))
            }
            other => Ok(other),
        }
    }

    async fn publish(&self, article: &Article) -> Result<TargetResult, TaskError> {
        let input = publish_input(article, &self.deps.config, self.publication_id)?;
        let hash = input_hash(&input);
        let ledger = self.deps.services.ledger.as_ref();
        match publish::begin_publish(ledger, Target::Hashnode, article, &hash, Utc::now()).await? {
            PublishPlan::Unchanged(e) => {
                Ok(TargetResult::new(Target::Hashnode, Outcome::Unchanged)
                    .with_remote(e.remote_id.unwrap_or_default(), e.url))
            }
            PublishPlan::Stale(e) => Ok(TargetResult::new(Target::Hashnode, Outcome::Unchanged)
                .with_remote(e.remote_id.unwrap_or_default(), e.url)
                .with_reason("a newer revision of this post is already published")),
            PublishPlan::Update(entry) if entry.state == EntryState::Unpublished => {
                // A removed Hashnode post cannot be updated: publish it anew, once.
                let claim = publish::reclaim(ledger, &entry, article, Utc::now()).await?;
                self.create(article, &claim, &input, &hash).await
            }
            PublishPlan::Update(entry) => {
                let id = entry.remote_id.clone().unwrap_or_default();
                let req = prepare_update(
                    &update_input(article, &self.deps.config, &id)?,
                    &self.deps.config,
                    self.token,
                );
                let data = match self.call(&req).await {
                    Ok(d) => d,
                    Err(GraphqlError::PlanForbids(m)) => return Ok(plan_skip(&m)),
                    Err(GraphqlError::NotFound(m)) => {
                        return Err(TaskError::InvalidArticle(format!(
                            "Hashnode post {id} no longer exists ({m})"
                        )))
                    }
                    Err(GraphqlError::Task(e)) => return Err(e),
                };
                let post = post_at(&data, "/updatePost/post")?;
                let e = publish::finish_update(
                    ledger,
                    &entry,
                    article,
                    post.and_then(|p| p.url),
                    &hash,
                    Utc::now(),
                )
                .await?;
                info!(remote_id = %id, "updated");
                Ok(TargetResult::new(Target::Hashnode, Outcome::Updated).with_remote(id, e.url))
            }
            PublishPlan::Create(claim) => self.create(article, &claim, &input, &hash).await,
        }
    }

    async fn create(
        &self,
        article: &Article,
        claim: &Claim,
        input: &Value,
        hash: &str,
    ) -> Result<TargetResult, TaskError> {
        let ledger = self.deps.services.ledger.as_ref();
        // Adopt before create: a publish whose answer was lost left a post with our slug.
        match self.find_by_slug(article).await {
            Ok(Some(found)) => {
                let req = prepare_update(
                    &update_input(article, &self.deps.config, &found.id)?,
                    &self.deps.config,
                    self.token,
                );
                let data = match self.call(&req).await {
                    Ok(d) => d,
                    Err(GraphqlError::PlanForbids(m)) => {
                        publish::release_claim(ledger, claim).await?;
                        return Ok(plan_skip(&m));
                    }
                    Err(GraphqlError::NotFound(m)) => {
                        return Err(TaskError::PlatformUnavailable {
                            platform: PLATFORM.into(),
                            detail: m,
                        })
                    }
                    Err(GraphqlError::Task(e)) => return Err(e),
                };
                let url = post_at(&data, "/updatePost/post")?
                    .and_then(|p| p.url)
                    .or(found.url);
                let e =
                    publish::finish_create(ledger, claim, &found.id, url, hash, Utc::now()).await?;
                info!(remote_id = %found.id, "adopted existing post");
                return Ok(TargetResult::new(Target::Hashnode, Outcome::Created)
                    .with_remote(found.id, e.url)
                    .with_reason("adopted an existing Hashnode post with the same slug"));
            }
            Ok(None) => {}
            Err(GraphqlError::PlanForbids(m)) => {
                publish::release_claim(ledger, claim).await?;
                return Ok(plan_skip(&m));
            }
            Err(GraphqlError::NotFound(_)) => {}
            Err(GraphqlError::Task(e)) => {
                if !matches!(e, TaskError::PlatformUnavailable { .. }) {
                    publish::release_claim(ledger, claim).await?;
                }
                return Err(e);
            }
        }
        let req = prepare_publish(input, &self.deps.config, self.token);
        match self.call(&req).await {
            Ok(data) => {
                let Some(post) = post_at(&data, "/publishPost/post")? else {
                    return Err(TaskError::PlatformUnavailable {
                        platform: PLATFORM.into(),
                        detail: "publishPost answered without a post".into(),
                    });
                };
                let e = publish::finish_create(ledger, claim, &post.id, post.url, hash, Utc::now())
                    .await?;
                info!(remote_id = %post.id, "created");
                Ok(TargetResult::new(Target::Hashnode, Outcome::Created)
                    .with_remote(post.id, e.url))
            }
            Err(GraphqlError::PlanForbids(m)) => {
                publish::release_claim(ledger, claim).await?;
                Ok(plan_skip(&m))
            }
            Err(GraphqlError::NotFound(m)) => {
                publish::release_claim(ledger, claim).await?;
                Err(TaskError::Misconfigured(format!("hashnode: {m}")))
            }
            Err(GraphqlError::Task(e)) => {
                // An unanswered request may have published: keep the claim, the retry adopts.
                if !matches!(e, TaskError::PlatformUnavailable { .. }) {
                    publish::release_claim(ledger, claim).await?;
                }
                Err(e)
            }
        }
    }

    async fn unpublish(&self, article: &Article) -> Result<TargetResult, TaskError> {
        let ledger = self.deps.services.ledger.as_ref();
        let Some(entry) = ledger.get(&article.id, Target::Hashnode).await? else {
            return Ok(TargetResult::new(Target::Hashnode, Outcome::Skipped)
                .with_reason("not published on Hashnode by crosspost"));
        };
        match entry.state {
            EntryState::Pending => Err(TaskError::Conflict(format!(
                "a publish of {} on Hashnode is in progress; retry the unpublish later",
                article.id
            ))),
            EntryState::Unpublished => Ok(TargetResult::new(Target::Hashnode, Outcome::Unchanged)
                .with_remote(
                    entry.remote_id.clone().unwrap_or_default(),
                    entry.url.clone(),
                )
                .with_reason("already removed")),
            EntryState::Published => {
                let id = entry.remote_id.clone().unwrap_or_default();
                match self
                    .call(&prepare_remove(&id, &self.deps.config, self.token))
                    .await
                {
                    Ok(_) | Err(GraphqlError::NotFound(_)) => {}
                    Err(GraphqlError::PlanForbids(m)) => return Ok(plan_skip(&m)),
                    Err(GraphqlError::Task(e)) => return Err(e),
                }
                let e = publish::finish_unpublish(ledger, &entry, &article.revision, Utc::now())
                    .await?;
                Ok(
                    TargetResult::new(Target::Hashnode, Outcome::Unpublished)
                        .with_remote(id, e.url),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (input, expected) in [
            ("Hello World", "hello-world"),
            ("  --Rust & AWS--  ", "rust-aws"),
            ("already-a-slug", "already-a-slug"),
            ("Ünïcode", "n-code"),
            ("", ""),
        ] {
            assert_eq!(slugify(input), expected, "{input:?}");
        }
    }

    fn check(body: Value, expected: &str) {
        let got = match read_graphql(&Response::json(200, &body)) {
            Ok(_) => "ok".to_string(),
            Err(GraphqlError::PlanForbids(_)) => "plan".to_string(),
            Err(GraphqlError::NotFound(_)) => "notfound".to_string(),
            Err(GraphqlError::Task(e)) => e.name().to_string(),
        };
        assert_eq!(got, expected, "{body}");
    }

    #[test]
    fn graphql_errors_inside_200_are_read() {
        let err = |code: &str, msg: &str| json!({"data": null, "errors": [{"message": msg, "extensions": {"code": code}}]});
        check(
            json!({"data": {"publishPost": {"post": {"id": "1"}}}}),
            "ok",
        );
        check(err("UNAUTHENTICATED", "Invalid token"), "Unauthorized");
        check(
            err(
                "FORBIDDEN",
                "You are not allowed to publish in this publication",
            ),
            "Unauthorized",
        );
        check(
            err("FORBIDDEN", "Publishing via API requires the Pro plan"),
            "plan",
        );
        check(err("BAD_USER_INPUT", "Title is too long"), "InvalidArticle");
        check(
            err("GRAPHQL_VALIDATION_FAILED", "Cannot query field"),
            "InvalidArticle",
        );
        check(err("NOT_FOUND", "Post not found"), "notfound");
        check(err("INTERNAL_SERVER_ERROR", "boom"), "PlatformUnavailable");
        check(
            json!({"errors": [{"message": "Upgrade your subscription to use the API"}]}),
            "plan",
        );
        check(json!({"data": null}), "PlatformUnavailable");
        // Errors win over partial data.
        check(
            json!({"data": {"publishPost": null}, "errors": [{"message": "x", "extensions": {"code": "BAD_USER_INPUT"}}]}),
            "InvalidArticle",
        );
    }
}
