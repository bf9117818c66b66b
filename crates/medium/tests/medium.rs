//! The medium target against a local stand-in for the Medium API. Requests are checked against
//! the contract summarised in contracts/medium-api.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use crosspost_core::ledger::Ledger;
use crosspost_core::{
    Article, ArticleRef, DryRunTransport, ExecutionInput, MemoryLedger, MemorySnapshotStore,
    Operation, Outcome, ReqwestTransport, Secrets, Services, StaticSecrets, Target, TargetPlan,
    Timeouts, Transport,
};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "medium-integration-token-xyz";
const AUTHOR: &str = "5303d74c64f66366f00cb9b2a94f3251bf5";
const CANONICAL: &str = "https://blog.example.com/posts/hello";

fn article(revision: &str, updated_at: &str, title: &str) -> Article {
    serde_json::from_value(json!({
        "id": "post-1", "revision": revision, "slug": "hello", "title": title,
        "body": [{"_type": "block", "_key": "a", "style": "normal", "markDefs": [],
                  "children": [{"_type": "span", "_key": "b", "text": "Hello world", "marks": []}]}],
        "canonicalUrl": CANONICAL,
        "tags": ["Rust", "AWS", "rust", "Serverless", "Extra"],
        "updatedAt": updated_at
    }))
    .unwrap()
}

fn input(a: &Article, op: Operation) -> ExecutionInput {
    ExecutionInput::inline(
        a.clone(),
        op,
        [(Target::Medium, TargetPlan::enabled())].into(),
    )
}

fn deps_with(
    transport: Arc<dyn Transport>,
    base: &str,
    ledger: &MemoryLedger,
    token: Option<&str>,
) -> medium::Deps {
    medium::Deps::new(
        Services {
            transport,
            ledger: Arc::new(ledger.clone()),
            snapshots: Arc::new(MemorySnapshotStore::new()),
            secrets: Arc::new(StaticSecrets::new(Secrets {
                medium_token: token.map(str::to_string),
                ..Secrets::default()
            })),
        },
        medium::Config {
            base_url: base.to_string(),
            ..medium::Config::default()
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

/// The Medium contract (contracts/medium-api.md) for the two calls we make.
fn check_contract(
    m: &str,
    p: &str,
    headers: &[(String, String)],
    body: Option<&Value>,
) -> Result<(), String> {
    let h = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if h("authorization") != Some(&format!("Bearer {TOKEN}"))
        && h("authorization") != Some("[redacted]")
    {
        return Err("Authorization must be `Bearer <token>`".into());
    }
    if h("accept") != Some("application/json") {
        return Err("Accept must be application/json".into());
    }
    match (m, p) {
        ("GET", "/v1/me") if body.is_none() => Ok(()),
        ("POST", p) if p.starts_with("/v1/users/") && p.ends_with("/posts") => {
            let b = body
                .ok_or("create needs a body")?
                .as_object()
                .ok_or("body is not an object")?;
            if h("content-type") != Some("application/json") {
                return Err("Content-Type must be application/json".into());
            }
            let allowed = [
                "title",
                "contentFormat",
                "content",
                "tags",
                "canonicalUrl",
                "publishStatus",
                "license",
                "notifyFollowers",
            ];
            for k in b.keys() {
                if !allowed.contains(&k.as_str()) {
                    return Err(format!("unknown field {k}"));
                }
            }
            for k in ["title", "contentFormat", "content"] {
                if !b.get(k).is_some_and(Value::is_string) {
                    return Err(format!("{k} is required and must be a string"));
                }
            }
            if !["html", "markdown"].contains(&b["contentFormat"].as_str().unwrap()) {
                return Err("contentFormat must be html or markdown".into());
            }
            if let Some(s) = b.get("publishStatus") {
                if !["public", "draft", "unlisted"].contains(&s.as_str().unwrap_or("")) {
                    return Err(format!("publishStatus {s} is not allowed"));
                }
            }
            if let Some(t) = b.get("tags") {
                let t = t.as_array().ok_or("tags must be an array")?;
                if t.len() > 3
                    || t.iter()
                        .any(|x| x.as_str().is_none_or(|s| s.chars().count() > 25))
                {
                    return Err(format!(
                        "tags {t:?}: at most 3 strings of at most 25 characters"
                    ));
                }
            }
            if b.get("canonicalUrl").is_some_and(|c| !c.is_string()) {
                return Err("canonicalUrl must be a string".into());
            }
            Ok(())
        }
        _ => Err(format!("{m} {p} is not a Medium API call we may make")),
    }
}

fn check_received(reqs: &[Request]) -> Vec<(String, String, Option<Value>)> {
    reqs.iter()
        .map(|r| {
            let headers: Vec<(String, String)> = r
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
                .collect();
            let body: Option<Value> =
                (!r.body.is_empty()).then(|| serde_json::from_slice(&r.body).unwrap());
            let m = r.method.to_string();
            check_contract(&m, r.url.path(), &headers, body.as_ref())
                .unwrap_or_else(|e| panic!("{m} {}: {e}", r.url.path()));
            (m, r.url.path().to_string(), body)
        })
        .collect()
}

async fn mount_me(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": AUTHOR, "username": "me", "name": "Me", "url": "https://medium.com/@me"}})))
        .expect(times)
        .mount(server)
        .await;
}

fn created(status: &str) -> Value {
    json!({"data": {"id": "e6f36a", "title": "Hello", "authorId": AUTHOR, "tags": [], "url": "https://medium.com/@me/hello-e6f36a", "canonicalUrl": CANONICAL, "publishStatus": status}})
}

#[tokio::test]
async fn creates_once_and_reports_changes_as_unsupported() {
    let server = MockServer::start().await;
    mount_me(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1/users/{AUTHOR}/posts")))
        .respond_with(ResponseTemplate::new(201).set_body_json(created("draft")))
        .expect(1)
        .mount(&server)
        .await;
    let ledger = MemoryLedger::new();
    let d = deps_with(net(5_000), &server.uri(), &ledger, Some(TOKEN));
    let a1 = article("r1", "2026-03-01T10:00:00Z", "Hello <World>");

    let r = medium::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.remote_id.as_deref()),
        (Outcome::Created, Some("e6f36a"))
    );
    assert!(r.reason.unwrap().contains("draft"));

    let r = medium::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unchanged);

    let a2 = article("r2", "2026-03-01T11:00:00Z", "Hello, edited");
    let r = medium::handle(input(&a2, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unsupported);
    assert_eq!(
        r.url.as_deref(),
        Some("https://medium.com/@me/hello-e6f36a")
    );

    let r = medium::handle(input(&a2, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unsupported);

    let reqs = check_received(&server.received_requests().await.unwrap());
    assert_eq!(reqs.len(), 2, "one /me (cached), one create");
    let body = reqs[1].2.as_ref().unwrap();
    assert_eq!(body["contentFormat"], "html");
    assert_eq!(body["publishStatus"], "draft");
    assert_eq!(body["canonicalUrl"], CANONICAL);
    assert_eq!(body["tags"], json!(["Rust", "AWS", "Serverless"]));
    let content = body["content"].as_str().unwrap();
    assert!(
        content.starts_with("<h1>Hello &lt;World&gt;</h1>"),
        "{content}"
    );
    assert!(content.contains("Hello world"));
}

#[tokio::test]
async fn a_lost_create_answer_never_becomes_a_second_post() {
    let server = MockServer::start().await;
    mount_me(&server, 1).await;
    Mock::given(method("POST"))
        .and(path_regex("^/v1/users/.+/posts$"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(created("draft"))
                .set_delay(Duration::from_millis(1500)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let ledger = MemoryLedger::new();
    let d = deps_with(net(300), &server.uri(), &ledger, Some(TOKEN));
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let err = medium::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "PlatformUnavailable");
    for _ in 0..2 {
        let r = medium::handle(input(&a, Operation::Publish), &d)
            .await
            .unwrap();
        assert_eq!(r.status, Outcome::Unsupported);
        assert!(r.reason.unwrap().contains("answer was lost"));
    }
    check_received(&server.received_requests().await.unwrap());
}

/// `GET /v1/me` answers; the first create cannot connect (nothing is sent), later ones work.
struct CreateCannotConnectOnce(std::sync::atomic::AtomicU32);

#[async_trait::async_trait]
impl Transport for CreateCannotConnectOnce {
    async fn send(
        &self,
        req: &crosspost_core::PreparedRequest,
    ) -> Result<crosspost_core::Response, crosspost_core::TransportError> {
        if req.url.ends_with("/v1/me") {
            let me = json!({"data": {"id": AUTHOR, "username": "u"}});
            return Ok(crosspost_core::Response::json(200, &me));
        }
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == 0 {
            return Err(crosspost_core::TransportError::Connect(
                "connection refused".into(),
            ));
        }
        Ok(crosspost_core::Response::json(201, &created("public")))
    }
}

/// A create that never connected sent nothing: the retry creates the post (it must not be
/// treated like a lost answer, which would leave the post uncreated for good).
#[tokio::test]
async fn a_create_that_could_not_connect_is_retried() {
    let ledger = MemoryLedger::new();
    let transport = Arc::new(CreateCannotConnectOnce(Default::default()));
    let d = deps_with(
        transport.clone(),
        "http://medium.invalid",
        &ledger,
        Some(TOKEN),
    );
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let err = medium::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "PlatformUnavailable");
    let r = medium::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert_eq!(transport.0.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refusals_free_the_claim_and_are_classified() {
    async fn check(me_status: u16, create_status: u16, expected: &str) {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/me"))
            .respond_with(if me_status == 200 {
                ResponseTemplate::new(200).set_body_json(json!({"data": {"id": AUTHOR}}))
            } else {
                ResponseTemplate::new(me_status).set_body_json(
                    json!({"errors": [{"message": "Token was invalid.", "code": 6003}]}),
                )
            })
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(create_status)
                    .set_body_json(json!({"errors": [{"message": "x", "code": 6000}]})),
            )
            .mount(&server)
            .await;
        let ledger = MemoryLedger::new();
        let d = deps_with(net(5_000), &server.uri(), &ledger, Some(TOKEN));
        let err = medium::handle(
            input(
                &article("r1", "2026-03-01T10:00:00Z", "Hello"),
                Operation::Publish,
            ),
            &d,
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.name(),
            expected,
            "me {me_status} create {create_status}"
        );
        assert!(
            ledger
                .get("post-1", Target::Medium)
                .await
                .unwrap()
                .is_none(),
            "claim released"
        );
        check_received(&server.received_requests().await.unwrap());
    }
    check(401, 201, "Unauthorized").await;
    check(200, 400, "InvalidArticle").await;
    check(200, 403, "Unauthorized").await;
    check(200, 429, "RateLimited").await;
    check(200, 503, "PlatformUnavailable").await;
}

#[tokio::test]
async fn without_token_or_history_it_skips() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(medium::simulate));
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let d = deps_with(
        Arc::new(dry.clone()),
        medium::DEFAULT_BASE_URL,
        &ledger,
        None,
    );
    let r = medium::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.reason.as_deref()),
        (Outcome::Skipped, Some("no token configured"))
    );
    let d = deps_with(
        Arc::new(dry.clone()),
        medium::DEFAULT_BASE_URL,
        &ledger,
        Some(TOKEN),
    );
    let r = medium::handle(input(&a, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Skipped);
    assert!(dry.recorded().is_empty());
}

#[tokio::test]
async fn dry_run_follows_the_contract_and_hides_the_token() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(medium::simulate));
    let d = deps_with(
        Arc::new(dry.clone()),
        medium::DEFAULT_BASE_URL,
        &ledger,
        Some(TOKEN),
    );
    let r = medium::handle(
        input(
            &article("r1", "2026-03-01T10:00:00Z", "Hello"),
            Operation::Publish,
        ),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(r.status, Outcome::Created);
    let rec = dry.recorded();
    assert_eq!(rec.len(), 2);
    for x in rec {
        assert!(!serde_json::to_string(&x.request).unwrap().contains(TOKEN));
        let p = crosspost_core::http::url_path(&x.request.url).to_string();
        check_contract(
            x.request.method.as_str(),
            &p,
            &x.request.headers,
            x.request.body.as_ref(),
        )
        .unwrap();
    }
}

#[test]
fn the_contract_check_rejects_what_the_contract_forbids() {
    let hs = vec![
        ("authorization".to_string(), format!("Bearer {TOKEN}")),
        ("accept".to_string(), "application/json".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let ok = json!({"title": "t", "contentFormat": "html", "content": "<p>x</p>"});
    assert!(check_contract("POST", "/v1/users/a/posts", &hs, Some(&ok)).is_ok());
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    for body in [
        with("contentFormat", json!("rtf")),
        with("publishStatus", json!("live")),
        with("tags", json!(["a", "b", "c", "d"])),
        with("tags", json!(["x".repeat(26)])),
        with("updateId", json!("1")),
        json!({"title": "t", "contentFormat": "html"}),
    ] {
        assert!(
            check_contract("POST", "/v1/users/a/posts", &hs, Some(&body)).is_err(),
            "{body}"
        );
    }
    assert!(check_contract("PUT", "/v1/posts/1", &hs, Some(&ok)).is_err());
    assert!(check_contract("GET", "/v1/me", &hs[1..], None).is_err());
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
    let cfg = medium::Config::default();
    vec![
        medium::prepare_me(&cfg, TOKEN).redacted(),
        medium::prepare_create(&medium::post_body(a, &cfg).unwrap(), AUTHOR, &cfg, TOKEN)
            .redacted(),
    ]
}
