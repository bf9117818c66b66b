//! The devto target against a local stand-in for Dev.to (wiremock). Every request the handler
//! sends is checked against the Forem OpenAPI contract in contracts/forem-api-v1.json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use crosspost_core::ledger::{EntryState, Ledger};
use crosspost_core::{
    Article, ArticleRef, DryRunTransport, ExecutionInput, MemoryLedger, MemorySnapshotStore,
    Operation, Outcome, ReqwestTransport, Secrets, Services, StaticSecrets, Target, TargetPlan,
    Timeouts, Transport,
};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "devto-test-key-0123456789";
const CANONICAL: &str = "https://blog.example.com/posts/hello";

fn article(revision: &str, updated_at: &str, title: &str) -> Article {
    serde_json::from_value(json!({
        "id": "post-1",
        "revision": revision,
        "slug": "hello",
        "title": title,
        "description": "A first post",
        "body": [{"_type": "block", "_key": "a", "style": "normal", "markDefs": [],
                  "children": [{"_type": "span", "_key": "b", "text": "Hello world", "marks": []}]}],
        "canonicalUrl": CANONICAL,
        "tags": ["Rust", "AWS Lambda", "web-dev", "serverless", "extra"],
        "coverImage": {"url": "https://cdn.example.com/cover.png"},
        "series": "Crossposting",
        "updatedAt": updated_at
    }))
    .unwrap()
}

fn input(a: &Article, op: Operation) -> ExecutionInput {
    ExecutionInput::inline(
        a.clone(),
        op,
        [(Target::Devto, TargetPlan::enabled())].into(),
    )
}

fn deps_with(
    transport: Arc<dyn Transport>,
    base_url: &str,
    ledger: Arc<dyn Ledger>,
    key: Option<&str>,
    page_size: u32,
) -> devto::Deps {
    let secrets = Secrets {
        devto_api_key: key.map(str::to_string),
        ..Secrets::default()
    };
    devto::Deps::new(
        Services {
            transport,
            ledger,
            snapshots: Arc::new(MemorySnapshotStore::new()),
            secrets: Arc::new(StaticSecrets::new(secrets)),
        },
        devto::Config {
            base_url: base_url.to_string(),
            page_size,
            ..devto::Config::default()
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

fn deps(server: &MockServer, ledger: &MemoryLedger) -> devto::Deps {
    deps_with(
        net(5_000),
        &server.uri(),
        Arc::new(ledger.clone()),
        Some(KEY),
        1000,
    )
}

fn remote(id: u64, canonical: &str) -> Value {
    json!({"id": id, "url": format!("https://dev.to/me/hello-{id}"), "canonical_url": canonical, "published": true, "title": "x"})
}

/// Checks every received request against the contract and the header rules; returns them as
/// (method, path?query, body).
async fn checked(server: &MockServer) -> Vec<(String, String, Option<Value>)> {
    let api = support::forem();
    let mut out = Vec::new();
    for r in server.received_requests().await.unwrap() {
        out.push(check_one(&api, &r));
    }
    out
}

fn check_one(api: &support::openapi::OpenApi, r: &Request) -> (String, String, Option<Value>) {
    let m = r.method.to_string();
    let pq = match r.url.query() {
        Some(q) => format!("{}?{q}", r.url.path()),
        None => r.url.path().to_string(),
    };
    let body: Option<Value> = if r.body.is_empty() {
        None
    } else {
        Some(serde_json::from_slice(&r.body).unwrap())
    };
    if let Err(errs) = api.check_request(&m, &pq, body.as_ref()) {
        panic!("{m} {pq} breaks the Forem contract: {errs:#?}");
    }
    let h = |n: &str| r.headers.get(n).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(h("api-key").as_deref(), Some(KEY), "{m} {pq}: api-key");
    assert_eq!(
        h("accept").as_deref(),
        Some(devto::ACCEPT),
        "{m} {pq}: accept"
    );
    if body.is_some() {
        assert_eq!(h("content-type").as_deref(), Some("application/json"));
    }
    (m, pq, body)
}

async fn mount_list(server: &MockServer, items: Value) {
    Mock::given(method("GET"))
        .and(path("/api/articles/me/all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(items))
        .mount(server)
        .await;
}

#[tokio::test]
async fn create_once_then_unchanged_then_update() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    mount_list(&server, json!([remote(7, "https://other.example.com/x")])).await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(ResponseTemplate::new(201).set_body_json(remote(42, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remote(42, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let d = deps(&server, &ledger);

    let a1 = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let r = devto::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert_eq!(r.remote_id.as_deref(), Some("42"));
    assert_eq!(r.url.as_deref(), Some("https://dev.to/me/hello-42"));

    // The same revision again (a redelivery): nothing is sent.
    let before = server.received_requests().await.unwrap().len();
    let r = devto::handle(input(&a1, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unchanged);
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // An edit: one PUT.
    let a2 = article("r2", "2026-03-01T11:00:00Z", "Hello, edited");
    let r = devto::handle(input(&a2, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Updated);

    let reqs = checked(&server).await;
    let methods: Vec<&str> = reqs
        .iter()
        .map(|(m, p, _)| {
            assert!(!p.is_empty());
            m.as_str()
        })
        .collect();
    assert_eq!(methods, ["GET", "POST", "PUT"]);
    let created = reqs[1].2.as_ref().unwrap();
    let a = &created["article"];
    assert_eq!(a["title"], "Hello");
    assert_eq!(a["published"], true);
    assert_eq!(a["canonical_url"], CANONICAL);
    assert_eq!(a["main_image"], "https://cdn.example.com/cover.png");
    assert_eq!(a["series"], "Crossposting");
    assert_eq!(a["description"], "A first post");
    assert_eq!(
        a["tags"],
        json!(["rust", "awslambda", "webdev", "serverless"])
    );
    assert!(a["body_markdown"].as_str().unwrap().contains("Hello world"));
    assert_eq!(
        reqs[2].2.as_ref().unwrap()["article"]["title"],
        "Hello, edited"
    );

    let e = ledger.get("post-1", Target::Devto).await.unwrap().unwrap();
    assert_eq!(
        (e.state, e.remote_id.as_deref()),
        (EntryState::Published, Some("42"))
    );
}

#[tokio::test]
async fn lost_create_response_is_adopted_not_duplicated() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    // First lookup: nothing yet. Later lookups: the article the lost create made.
    Mock::given(method("GET"))
        .and(path("/api/articles/me/all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_list(
        &server,
        json!([remote(99, "https://blog.example.com/posts/hello/")]),
    )
    .await;
    // The create succeeds on the platform, but the answer arrives after the client gave up.
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(remote(99, CANONICAL))
                .set_delay(Duration::from_millis(1500)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/99"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remote(99, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let d = deps_with(
        net(300),
        &server.uri(),
        Arc::new(ledger.clone()),
        Some(KEY),
        1000,
    );
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");

    let err = devto::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "PlatformUnavailable");
    let pending = ledger.get("post-1", Target::Devto).await.unwrap().unwrap();
    assert_eq!(pending.state, EntryState::Pending);

    // The state machine's retry: the article is found by canonical URL and adopted.
    let r = devto::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert_eq!(r.remote_id.as_deref(), Some("99"));
    assert!(r.reason.unwrap().contains("adopted"));
    let posts = checked(&server)
        .await
        .into_iter()
        .filter(|(m, _, _)| m == "POST")
        .count();
    assert_eq!(posts, 1, "exactly one create reached the platform");
}

#[tokio::test]
async fn canonical_taken_422_adopts() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    Mock::given(method("GET"))
        .and(path("/api/articles/me/all"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_list(&server, json!([remote(5, CANONICAL)])).await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(
                json!({"error": "Canonical url has already been taken", "status": 422}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remote(5, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let d = deps(&server, &ledger);
    let r = devto::handle(
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
        (Outcome::Created, Some("5"))
    );
    checked(&server).await;
}

#[tokio::test]
async fn lookup_pages_through_all_articles() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    for (page, items) in [
        (
            "1",
            json!([
                remote(1, "https://a.example.com/1"),
                remote(2, "https://a.example.com/2")
            ]),
        ),
        (
            "2",
            json!([remote(3, "https://a.example.com/3"), remote(4, CANONICAL)]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/articles/me/all"))
            .and(query_param("page", page))
            .and(query_param("per_page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(items))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("PUT"))
        .and(path("/api/articles/4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remote(4, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let d = deps_with(
        net(5_000),
        &server.uri(),
        Arc::new(ledger.clone()),
        Some(KEY),
        2,
    );
    let r = devto::handle(
        input(
            &article("r1", "2026-03-01T10:00:00Z", "Hello"),
            Operation::Publish,
        ),
        &d,
    )
    .await
    .unwrap();
    assert_eq!(r.remote_id.as_deref(), Some("4"));
    checked(&server).await;
}

/// Failure answers of the create: the task error name, and whether the claim is kept (an
/// unanswered request may have created the post) or released (a refusal created nothing).
#[tokio::test]
async fn create_failures_are_classified() {
    async fn check(status: u16, headers: &[(&str, &str)], name: &str, claim_kept: bool) {
        let server = MockServer::start().await;
        let ledger = MemoryLedger::new();
        mount_list(&server, json!([])).await;
        let mut t =
            ResponseTemplate::new(status).set_body_json(json!({"error": "x", "status": status}));
        for (k, v) in headers {
            t = t.insert_header(*k, *v);
        }
        Mock::given(method("POST"))
            .and(path("/api/articles"))
            .respond_with(t)
            .mount(&server)
            .await;
        let d = deps(&server, &ledger);
        let err = devto::handle(
            input(
                &article("r1", "2026-03-01T10:00:00Z", "Hello"),
                Operation::Publish,
            ),
            &d,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), name, "HTTP {status}");
        if let crosspost_core::TaskError::RateLimited { retry_after, .. } = &err {
            assert_eq!(*retry_after, Some(Duration::from_secs(30)));
        }
        let kept = ledger.get("post-1", Target::Devto).await.unwrap().is_some();
        assert_eq!(kept, claim_kept, "HTTP {status}: claim kept");
        checked(&server).await;
    }
    check(429, &[("Retry-After", "30")], "RateLimited", false).await;
    check(401, &[], "Unauthorized", false).await;
    check(403, &[], "Unauthorized", false).await;
    check(422, &[], "InvalidArticle", false).await;
    check(500, &[], "PlatformUnavailable", true).await;
    check(503, &[], "PlatformUnavailable", true).await;
}

#[tokio::test]
async fn unpublish_sets_published_false_once() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    mount_list(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(ResponseTemplate::new(201).set_body_json(remote(42, CANONICAL)))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/42"))
        .respond_with(ResponseTemplate::new(200).set_body_json(remote(42, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let d = deps(&server, &ledger);
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    devto::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    let r = devto::handle(input(&a, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unpublished);
    let r = devto::handle(input(&a, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Unchanged);
    let reqs = checked(&server).await;
    let last = reqs.last().unwrap();
    assert_eq!(last.0, "PUT");
    assert_eq!(last.2, Some(json!({"article": {"published": false}})));
}

#[tokio::test]
async fn skips_without_token_opt_out_or_plan() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let no_key = deps_with(
        net(5_000),
        &server.uri(),
        Arc::new(ledger.clone()),
        None,
        1000,
    );
    let r = devto::handle(input(&a, Operation::Publish), &no_key)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.reason.as_deref()),
        (Outcome::Skipped, Some("no token configured"))
    );

    let d = deps(&server, &ledger);
    let mut opted = a.clone();
    opted.opt_out = vec![Target::Devto];
    let r = devto::handle(input(&opted, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.reason.as_deref()),
        (Outcome::Skipped, Some("opted out"))
    );

    let mut disabled = input(&a, Operation::Publish);
    disabled.targets.insert(
        Target::Devto,
        TargetPlan {
            enabled: false,
            reason: Some("disabled in settings".into()),
        },
    );
    let r = devto::handle(disabled, &d).await.unwrap();
    assert_eq!(
        (r.status, r.reason.as_deref()),
        (Outcome::Skipped, Some("disabled in settings"))
    );

    let r = devto::handle(input(&a, Operation::Unpublish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Skipped);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(ledger.entries().is_empty());
}

#[tokio::test]
async fn concurrent_executions_create_once() {
    let server = MockServer::start().await;
    let ledger = MemoryLedger::new();
    mount_list(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(remote(42, CANONICAL))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let d = deps(&server, &ledger);
    let a1 = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let a2 = article("r2", "2026-03-01T10:01:00Z", "Hello again");
    let (x, y) = tokio::join!(
        devto::handle(input(&a1, Operation::Publish), &d),
        devto::handle(input(&a2, Operation::Publish), &d)
    );
    let mut names: Vec<String> = [x, y]
        .into_iter()
        .map(|r| match r {
            Ok(t) => format!("{:?}", t.status),
            Err(e) => e.name().to_string(),
        })
        .collect();
    names.sort();
    assert_eq!(names, ["Conflict", "Created"]);
}

#[tokio::test]
async fn dry_run_records_redacted_requests_that_follow_the_contract() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(devto::simulate));
    let d = deps_with(
        Arc::new(dry.clone()),
        "https://dev.to",
        Arc::new(ledger.clone()),
        Some(KEY),
        1000,
    );
    let r = devto::handle(
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
    let api = support::forem();
    let calls: Vec<String> = rec
        .iter()
        .map(|x| {
            let text = serde_json::to_string(&x.request).unwrap();
            assert!(!text.contains(KEY), "secret leaked into the dry-run record");
            let pq = x.request.url.trim_start_matches("https://dev.to");
            api.check_request(x.request.method.as_str(), pq, x.request.body.as_ref())
                .unwrap_or_else(|e| panic!("{pq}: {e:?}"));
            format!(
                "{} {}",
                x.request.method,
                crosspost_core::http::url_path(&x.request.url)
            )
        })
        .collect();
    assert_eq!(calls, ["GET /api/articles/me/all", "POST /api/articles"]);
}

#[test]
fn the_contract_checker_rejects_what_the_contract_forbids() {
    let api = support::forem();
    let ok = json!({"article": {"title": "t", "tags": ["a"]}});
    assert!(api
        .check_request("POST", "/api/articles", Some(&ok))
        .is_ok());
    let cases = [
        ("POST", "/api/articles", json!({"article": {"title": 5}})),
        (
            "POST",
            "/api/articles",
            json!({"article": {"tags": "a, b"}}),
        ),
        ("POST", "/api/articles", json!({"article": {"titel": "t"}})),
        ("PUT", "/api/articles/0", ok.clone()),
        ("PUT", "/api/articles/abc", ok.clone()),
        ("DELETE", "/api/articles/1", ok.clone()),
        ("GET", "/api/articles/me/all?per_page=5000", Value::Null),
        ("GET", "/api/articles/me/all?limit=5", Value::Null),
        ("POST", "/articles", ok.clone()),
    ];
    for (m, p, body) in cases {
        let b = if body.is_null() { None } else { Some(&body) };
        assert!(
            api.check_request(m, p, b).is_err(),
            "{m} {p} {body} should be rejected"
        );
    }
}

#[tokio::test]
async fn fixtures_are_valid_events_and_run_in_dry_run() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let expected = [
        ("publish.json", Some(Outcome::Created)),
        ("unpublish.json", Some(Outcome::Skipped)),
        // The snapshot is not in the store: a clear, non-retryable error.
        ("snapshot.json", None),
    ];
    for (name, outcome) in expected {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let event: ExecutionInput = serde_json::from_str(&text).unwrap();
        let dry = DryRunTransport::new(Arc::new(devto::simulate));
        let d = deps_with(
            Arc::new(dry),
            "https://dev.to",
            Arc::new(MemoryLedger::new()),
            Some(KEY),
            1000,
        );
        match (devto::handle(event, &d).await, outcome) {
            (Ok(r), Some(o)) => assert_eq!(r.status, o, "{name}"),
            (Err(e), None) => assert_eq!(e.name(), "InvalidArticle", "{name}"),
            (other, _) => panic!("{name}: unexpected {other:?}"),
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
    let cfg = devto::Config::default();
    let payload = devto::article_payload(a, &cfg).unwrap();
    vec![
        devto::prepare_list_mine(1, &cfg, KEY).redacted(),
        devto::prepare_create(&payload, &cfg, KEY).redacted(),
        devto::prepare_update("42", &payload, &cfg, KEY).redacted(),
        devto::prepare_unpublish("42", &cfg, KEY).redacted(),
    ]
}

/// The local mode's dry run: an overlay over the real local ledger reports truthfully and
/// writes nothing; after a live run the same dry run reports `unchanged`.
#[tokio::test]
async fn dry_run_over_the_local_ledger_writes_nothing() {
    use crosspost_core::{LocalLedger, OverlayLedger};
    let dir = tempfile::tempdir().unwrap();
    let local: Arc<dyn Ledger> = Arc::new(LocalLedger::new(dir.path().join("ledger")));
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let dry_run = |local: Arc<dyn Ledger>| {
        let dry = DryRunTransport::new(Arc::new(devto::simulate));
        let overlay: Arc<dyn Ledger> = Arc::new(OverlayLedger::new(local));
        deps_with(Arc::new(dry), "https://dev.to", overlay, Some(KEY), 1000)
    };
    let r = devto::handle(input(&a, Operation::Publish), &dry_run(local.clone()))
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Created);
    assert!(
        !dir.path().join("ledger").exists(),
        "the dry run wrote to the local ledger"
    );

    let server = MockServer::start().await;
    mount_list(&server, json!([])).await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(ResponseTemplate::new(201).set_body_json(remote(42, CANONICAL)))
        .expect(1)
        .mount(&server)
        .await;
    let live = deps_with(net(5_000), &server.uri(), local.clone(), Some(KEY), 1000);
    assert_eq!(
        devto::handle(input(&a, Operation::Publish), &live)
            .await
            .unwrap()
            .status,
        Outcome::Created
    );

    let r = devto::handle(input(&a, Operation::Publish), &dry_run(local.clone()))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.remote_id.as_deref()),
        (Outcome::Unchanged, Some("42"))
    );
    let edited = article("r2", "2026-03-01T11:00:00Z", "Edited");
    let r = devto::handle(input(&edited, Operation::Publish), &dry_run(local.clone()))
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Updated);
    // Still the live run's entry on disk.
    let e = local.get("post-1", Target::Devto).await.unwrap().unwrap();
    assert_eq!(e.revision, "r1");
}

proptest::proptest! {
    #[test]
    fn tags_always_satisfy_forem(tags in proptest::collection::vec(".{0,40}", 0..10)) {
        let out = devto::normalise_tags(&tags);
        proptest::prop_assert!(out.len() <= devto::MAX_TAGS);
        for t in &out {
            proptest::prop_assert!(!t.is_empty() && t.len() <= devto::MAX_TAG_LEN);
            proptest::prop_assert!(t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
        let unique: std::collections::BTreeSet<_> = out.iter().collect();
        proptest::prop_assert_eq!(unique.len(), out.len());
    }
}
