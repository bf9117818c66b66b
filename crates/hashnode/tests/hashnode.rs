//! The hashnode target against a local stand-in for the Hashnode GraphQL API. Every operation
//! the handler sends is validated against contracts/hashnode-schema.graphql.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crosspost_core::ledger::{EntryState, Ledger};
use crosspost_core::{
    Article, ArticleRef, DryRunTransport, ExecutionInput, MemoryLedger, MemorySnapshotStore,
    Operation, Outcome, ReqwestTransport, Secrets, Services, StaticSecrets, Target, TargetPlan,
    Timeouts, Transport,
};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "hashnode-test-token-abcdef";
const PUBLICATION: &str = "64f0c0ffee0000000000abcd";
const CANONICAL: &str = "https://blog.example.com/posts/hello";

fn article(revision: &str, updated_at: &str, title: &str) -> Article {
    serde_json::from_value(json!({
        "id": "post-1", "revision": revision, "slug": "Hello World", "title": title,
        "description": "A first post",
        "body": [{"_type": "block", "_key": "a", "style": "normal", "markDefs": [],
                  "children": [{"_type": "span", "_key": "b", "text": "Hello world", "marks": []}]}],
        "canonicalUrl": CANONICAL, "tags": ["Rust", "AWS Lambda", "rust"],
        "coverImage": {"url": "https://cdn.example.com/cover.png"},
        "publishedAt": "2026-03-01T09:00:00Z", "updatedAt": updated_at
    }))
    .unwrap()
}

fn input(a: &Article, op: Operation) -> ExecutionInput {
    ExecutionInput::inline(
        a.clone(),
        op,
        [(Target::Hashnode, TargetPlan::enabled())].into(),
    )
}

fn deps_with(
    transport: Arc<dyn Transport>,
    endpoint: &str,
    ledger: &MemoryLedger,
    token: Option<&str>,
    publication: Option<&str>,
) -> hashnode::Deps {
    hashnode::Deps::new(
        Services {
            transport,
            ledger: Arc::new(ledger.clone()),
            snapshots: Arc::new(MemorySnapshotStore::new()),
            secrets: Arc::new(StaticSecrets::new(Secrets {
                hashnode_token: token.map(str::to_string),
                ..Secrets::default()
            })),
        },
        hashnode::Config {
            endpoint: endpoint.to_string(),
            publication_id: publication.map(str::to_string),
            ..hashnode::Config::default()
        },
    )
}

fn net(timeout_ms: u64) -> Arc<dyn Transport> {
    Arc::new(
        ReqwestTransport::new(Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_millis(timeout_ms),
        })
        .unwrap(),
    )
}

/// A small in-memory Hashnode: posts by id; behaviour switches for fault injection.
#[derive(Default)]
struct Fake {
    posts: Vec<Value>,
    next: u32,
    plan_forbids: bool,
    /// Delay the answer of the next publishPost (the post is still created).
    slow_publish: Option<Duration>,
    error: Option<Value>,
}

fn gql_error(code: &str, message: &str) -> Value {
    json!({"data": null, "errors": [{"message": message, "extensions": {"code": code}}]})
}

fn respond(fake: &Mutex<Fake>, req: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let q = body["query"].as_str().unwrap_or("").to_string();
    let vars = &body["variables"];
    let mut f = fake.lock().unwrap();
    if let Some(e) = f.error.clone() {
        return ResponseTemplate::new(200).set_body_json(e);
    }
    let mutation = q.starts_with("mutation");
    if f.plan_forbids && mutation {
        return ResponseTemplate::new(200).set_body_json(gql_error(
            "FORBIDDEN",
            "Publishing posts via the API requires a Hashnode Pro plan for this publication",
        ));
    }
    let input = &vars["input"];
    let out = |data: Value| ResponseTemplate::new(200).set_body_json(json!({ "data": data }));
    if q.contains("publishPost(") {
        f.next += 1;
        let id = format!("{:024x}", f.next);
        let slug = input["slug"].as_str().unwrap().to_string();
        let post = json!({"id": id, "slug": slug, "url": format!("https://me.hashnode.dev/{slug}"), "canonicalUrl": input["originalArticleURL"]});
        f.posts.push(post.clone());
        let t = out(json!({"publishPost": {"post": post}}));
        return match f.slow_publish.take() {
            Some(d) => t.set_delay(d),
            None => t,
        };
    }
    if q.contains("updatePost(") {
        let id = input["id"].as_str().unwrap();
        return match f.posts.iter().find(|p| p["id"] == id) {
            Some(p) => out(json!({"updatePost": {"post": p}})),
            None => {
                ResponseTemplate::new(200).set_body_json(gql_error("NOT_FOUND", "Post not found"))
            }
        };
    }
    if q.contains("removePost(") {
        let id = input["id"].as_str().unwrap().to_string();
        f.posts.retain(|p| p["id"] != id.as_str());
        return out(json!({"removePost": {"post": {"id": id}}}));
    }
    if q.contains("publication(") {
        let slug = vars["slug"].as_str().unwrap();
        let post = f
            .posts
            .iter()
            .find(|p| p["slug"] == slug)
            .cloned()
            .unwrap_or(Value::Null);
        return out(json!({"publication": {"id": vars["publicationId"], "post": post}}));
    }
    ResponseTemplate::new(400).set_body_json(gql_error("GRAPHQL_VALIDATION_FAILED", "unknown"))
}

async fn start(fake: Arc<Mutex<Fake>>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(move |r: &Request| respond(&fake, r))
        .mount(&server)
        .await;
    server
}

/// Validates every received request against the schema; returns the operation names.
async fn checked(server: &MockServer) -> Vec<String> {
    let schema = support::hashnode_schema();
    let mut ops = Vec::new();
    for r in server.received_requests().await.unwrap() {
        assert_eq!(r.url.path(), "/");
        assert_eq!(
            r.headers.get("authorization").unwrap().to_str().unwrap(),
            TOKEN,
            "raw token, no Bearer"
        );
        assert_eq!(
            r.headers.get("content-type").unwrap().to_str().unwrap(),
            "application/json"
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let q = body["query"].as_str().unwrap();
        if let Err(e) = schema.check(q, &body["variables"]) {
            panic!("operation breaks the Hashnode schema: {q}\n{e:#?}");
        }
        ops.push(q.split(['(', ' ']).nth(1).unwrap().to_string());
    }
    ops
}

#[tokio::test]
async fn lifecycle_create_unchanged_update_remove_republish() {
    let fake = Arc::new(Mutex::new(Fake::default()));
    let server = start(fake.clone()).await;
    let ledger = MemoryLedger::new();
    let d = deps_with(
        net(5_000),
        &server.uri(),
        &ledger,
        Some(TOKEN),
        Some(PUBLICATION),
    );

    let a1 = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let r = hashnode::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    let id = r.remote_id.clone().unwrap();
    assert_eq!(
        r.url.as_deref(),
        Some("https://me.hashnode.dev/hello-world")
    );

    let r = hashnode::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unchanged);

    let a2 = article("r2", "2026-03-01T11:00:00Z", "Hello, edited");
    let r = hashnode::handle(input(&a2, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.remote_id.as_deref()),
        (Outcome::Updated, Some(id.as_str()))
    );

    let r = hashnode::handle(input(&a2, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unpublished);
    let r = hashnode::handle(input(&a2, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unchanged);
    assert!(fake.lock().unwrap().posts.is_empty());

    // Published again after removal: a new post, created once.
    let a3 = article("r3", "2026-03-01T12:00:00Z", "Hello again");
    let r = hashnode::handle(input(&a3, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert_ne!(r.remote_id.as_deref(), Some(id.as_str()));
    assert_eq!(fake.lock().unwrap().posts.len(), 1);

    let ops = checked(&server).await;
    assert_eq!(
        ops,
        [
            "PostBySlug",
            "PublishPost",
            "UpdatePost",
            "RemovePost",
            "PostBySlug",
            "PublishPost"
        ]
    );
    let reqs = server.received_requests().await.unwrap();
    let first_publish: Value = serde_json::from_slice(&reqs[1].body).unwrap();
    let i = &first_publish["variables"]["input"];
    assert_eq!(i["publicationId"], PUBLICATION);
    assert_eq!(i["slug"], "hello-world");
    assert_eq!(i["originalArticleURL"], CANONICAL);
    assert_eq!(i["subtitle"], "A first post");
    assert_eq!(
        i["coverImageOptions"]["coverImageURL"],
        "https://cdn.example.com/cover.png"
    );
    assert_eq!(
        i["tags"],
        json!([{"slug": "rust", "name": "Rust"}, {"slug": "aws-lambda", "name": "AWS Lambda"}])
    );
    assert!(i["contentMarkdown"]
        .as_str()
        .unwrap()
        .contains("Hello world"));
}

#[tokio::test]
async fn plan_without_api_publishing_is_skipped_not_failed() {
    let fake = Arc::new(Mutex::new(Fake {
        plan_forbids: true,
        ..Fake::default()
    }));
    let server = start(fake).await;
    let ledger = MemoryLedger::new();
    let d = deps_with(
        net(5_000),
        &server.uri(),
        &ledger,
        Some(TOKEN),
        Some(PUBLICATION),
    );
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    for _ in 0..2 {
        let r = hashnode::handle(input(&a, Operation::Publish), &d)
            .await
            .unwrap();
        assert_eq!(r.status, Outcome::Skipped);
        assert!(r.reason.unwrap().contains("Pro plan"));
    }
    // Nothing is left claimed, so the next revision is not blocked.
    assert!(ledger.entries().is_empty());
    checked(&server).await;
}

#[tokio::test]
async fn lost_publish_answer_is_adopted_by_slug() {
    let fake = Arc::new(Mutex::new(Fake {
        slow_publish: Some(Duration::from_millis(1500)),
        ..Fake::default()
    }));
    let server = start(fake.clone()).await;
    let ledger = MemoryLedger::new();
    let d = deps_with(
        net(300),
        &server.uri(),
        &ledger,
        Some(TOKEN),
        Some(PUBLICATION),
    );
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let err = hashnode::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "PlatformUnavailable");
    assert_eq!(
        ledger
            .get("post-1", Target::Hashnode)
            .await
            .unwrap()
            .unwrap()
            .state,
        EntryState::Pending
    );
    let r = hashnode::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert!(r.reason.unwrap().contains("adopted"));
    assert_eq!(
        fake.lock().unwrap().posts.len(),
        1,
        "one post on the platform"
    );
    let ops = checked(&server).await;
    assert_eq!(ops.iter().filter(|o| *o == "PublishPost").count(), 1);
}

#[tokio::test]
async fn failures_are_classified() {
    async fn check(error: Option<Value>, status: Option<(u16, &str)>, expected: &str) {
        let fake = Arc::new(Mutex::new(Fake {
            error: error.clone(),
            ..Fake::default()
        }));
        let server = if let Some((code, retry_after)) = status {
            let s = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(
                    ResponseTemplate::new(code)
                        .insert_header("retry-after", retry_after)
                        .set_body_string("{}"),
                )
                .mount(&s)
                .await;
            s
        } else {
            start(fake).await
        };
        let ledger = MemoryLedger::new();
        let d = deps_with(
            net(5_000),
            &server.uri(),
            &ledger,
            Some(TOKEN),
            Some(PUBLICATION),
        );
        let err = hashnode::handle(
            input(
                &article("r1", "2026-03-01T10:00:00Z", "Hello"),
                Operation::Publish,
            ),
            &d,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), expected, "{error:?} {status:?}");
    }
    check(
        Some(gql_error("UNAUTHENTICATED", "Invalid token")),
        None,
        "Unauthorized",
    )
    .await;
    check(
        Some(gql_error("BAD_USER_INPUT", "Slug is invalid")),
        None,
        "InvalidArticle",
    )
    .await;
    check(
        Some(json!({"data": {"publication": null}})),
        None,
        "Misconfigured",
    )
    .await;
    check(None, Some((429, "20")), "RateLimited").await;
    check(None, Some((502, "0")), "PlatformUnavailable").await;
    check(None, Some((401, "0")), "Unauthorized").await;
}

#[tokio::test]
async fn skipped_without_token_or_publication() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(hashnode::simulate));
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let d = deps_with(
        Arc::new(dry.clone()),
        hashnode::DEFAULT_ENDPOINT,
        &ledger,
        None,
        Some(PUBLICATION),
    );
    let r = hashnode::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.reason.as_deref()),
        (Outcome::Skipped, Some("no token configured"))
    );
    let d = deps_with(
        Arc::new(dry.clone()),
        hashnode::DEFAULT_ENDPOINT,
        &ledger,
        Some(TOKEN),
        None,
    );
    let r = hashnode::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Skipped);
    assert!(r.reason.unwrap().contains("HASHNODE_PUBLICATION_ID"));
    assert!(dry.recorded().is_empty());
}

#[tokio::test]
async fn dry_run_operations_fit_the_schema_and_hide_the_token() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(hashnode::simulate));
    let d = deps_with(
        Arc::new(dry.clone()),
        hashnode::DEFAULT_ENDPOINT,
        &ledger,
        Some(TOKEN),
        Some(PUBLICATION),
    );
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    assert_eq!(
        hashnode::handle(input(&a, Operation::Publish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Created
    );
    let a2 = article("r2", "2026-03-01T11:00:00Z", "Edited");
    assert_eq!(
        hashnode::handle(input(&a2, Operation::Publish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Updated
    );
    assert_eq!(
        hashnode::handle(input(&a2, Operation::Unpublish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Unpublished
    );
    let schema = support::hashnode_schema();
    let rec = dry.recorded();
    assert_eq!(rec.len(), 4);
    for x in rec {
        assert!(!serde_json::to_string(&x.request).unwrap().contains(TOKEN));
        let body = x.request.body.unwrap();
        schema
            .check(body["query"].as_str().unwrap(), &body["variables"])
            .unwrap();
    }
}

#[test]
fn every_operation_constant_fits_the_schema_with_sample_variables() {
    let schema = support::hashnode_schema();
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let cfg = hashnode::Config::default();
    let publish = hashnode::publish_input(&a, &cfg, PUBLICATION).unwrap();
    let update = hashnode::update_input(&a, &cfg, "p1").unwrap();
    let cases = [
        (hashnode::PUBLISH_POST, json!({"input": publish})),
        (hashnode::UPDATE_POST, json!({"input": update})),
        (hashnode::REMOVE_POST, json!({"input": {"id": "p1"}})),
        (
            hashnode::POST_BY_SLUG,
            json!({"publicationId": PUBLICATION, "slug": "hello"}),
        ),
    ];
    for (q, vars) in cases {
        schema
            .check(q, &vars)
            .unwrap_or_else(|e| panic!("{q}: {e:#?}"));
    }
}

#[test]
fn the_schema_checker_rejects_what_the_schema_forbids() {
    let schema = support::hashnode_schema();
    let publish =
        "mutation M($input: PublishPostInput!) { publishPost(input: $input) { post { id } } }";
    let base = json!({"title": "t", "contentMarkdown": "x", "publicationId": "p"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        json!({"input": b})
    };
    let cases = [
        ("mutation M($input: PublishPostInput!) { publishPost(input: $input) { post { id canonicalURL } } }",
         json!({"input": base.clone()}), "no such field on Post"),
        (publish, json!({"input": {"title": "t", "contentMarkdown": "x"}}), "PublishPostInput.publicationId is required"),
        (publish, with("canonicalUrl", json!("u")), "has no field canonicalUrl"),
        (publish, with("tags", json!([{"slug": 5}])), "expected String"),
        (publish, with("title", Value::Null), "required"),
        (publish, json!({"input": base.clone(), "extra": 1}), "not declared"),
        ("mutation M($input: UpdatePostInput!) { publishPost(input: $input) { post { id } } }",
         json!({"input": {"id": "x"}}), "does not fit"),
        ("mutation M($input: RemovePostInput!) { removePost(input: $input) }",
         json!({"input": {"id": "x"}}), "needs a selection"),
        ("mutation M($input: RemovePostInput!) { removePost(input: $input) { post { id { x } } } }",
         json!({"input": {"id": "x"}}), "is a leaf"),
        ("query Q($slug: String!) { publication { post { id } } }", json!({"slug": "s"}), "required argument slug is missing"),
        ("query Q($h: String) { publication(hots: $h) { id } }", json!({}), "no argument hots"),
        ("mutation M($input: NoSuchInput!) { removePost(input: $input) { post { id } } }",
         json!({"input": {}}), "unknown type NoSuchInput"),
    ];
    for (q, vars, expected) in cases {
        match schema.check(q, &vars) {
            Ok(()) => panic!("should be rejected: {q} {vars}"),
            Err(errors) => assert!(
                errors.iter().any(|e| e.contains(expected)),
                "{q}: expected an error containing `{expected}`, got {errors:#?}"
            ),
        }
    }
}

/// The exact requests for the publish fixture, secrets redacted (reviewed snapshots in
/// tests/snapshots/).
#[test]
fn prepared_requests_snapshot() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/publish.json"
    ))
    .unwrap();
    let event: ExecutionInput = serde_json::from_str(&text).unwrap();
    let ArticleRef::Inline(a) = event.article else {
        panic!("inline fixture")
    };
    insta::assert_json_snapshot!(snapshot_requests(&a));
}

fn snapshot_requests(a: &Article) -> Vec<crosspost_core::PreparedRequest> {
    let cfg = hashnode::Config::default();
    vec![
        hashnode::prepare_lookup(&hashnode::slugify(&a.slug), &cfg, TOKEN, PUBLICATION).redacted(),
        hashnode::prepare_publish(
            &hashnode::publish_input(a, &cfg, PUBLICATION).unwrap(),
            &cfg,
            TOKEN,
        )
        .redacted(),
        hashnode::prepare_update(&hashnode::update_input(a, &cfg, "p1").unwrap(), &cfg, TOKEN)
            .redacted(),
        hashnode::prepare_remove("p1", &cfg, TOKEN).redacted(),
    ]
}

#[tokio::test]
async fn a_post_with_our_slug_but_another_canonical_url_is_not_adopted() {
    let fake = Arc::new(Mutex::new(Fake::default()));
    fake.lock().unwrap().posts.push(json!({
        "id": "0000000000000000000000aa", "slug": "hello-world",
        "url": "https://me.hashnode.dev/hello-world", "canonicalUrl": "https://elsewhere.example.com/hello"
    }));
    let server = start(fake.clone()).await;
    let ledger = MemoryLedger::new();
    let d = deps_with(
        net(5_000),
        &server.uri(),
        &ledger,
        Some(TOKEN),
        Some(PUBLICATION),
    );
    let err = hashnode::handle(
        input(
            &article("r1", "2026-03-01T10:00:00Z", "Hello"),
            Operation::Publish,
        ),
        &d,
    )
    .await
    .unwrap_err();
    assert_eq!(err.name(), "InvalidArticle");
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(ledger.entries().is_empty(), "claim released");
    // The same post with our canonical URL (any trailing slash or scheme) is adopted.
    fake.lock().unwrap().posts[0]["canonicalUrl"] = json!("http://Blog.example.com/posts/hello/");
    let r = hashnode::handle(
        input(
            &article("r1", "2026-03-01T10:00:00Z", "Hello"),
            Operation::Publish,
        ),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(
        (r.status, r.remote_id.as_deref()),
        (Outcome::Created, Some("0000000000000000000000aa"))
    );
    checked(&server).await;
}
