//! The opensearch target against a local stand-in cluster (wiremock), plus SigV4 signing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
#[cfg(feature = "lambda")]
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[cfg(feature = "lambda")]
use async_trait::async_trait;
use crosspost_core::ledger::{EntryState, Ledger, LedgerEntry};
use crosspost_core::{
    Article, ArticleRef, DryRunTransport, ExecutionInput, MemoryLedger, MemorySnapshotStore,
    Operation, Outcome, ReqwestTransport, Secrets, Services, StaticSecrets, Target, TargetPlan,
    Timeouts, Transport,
};
#[cfg(feature = "lambda")]
use crosspost_core::{PreparedRequest as Req, TaskError};
use opensearch::Auth;
#[cfg(feature = "lambda")]
use opensearch::Signer;
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn article(revision: &str, updated_at: &str, title: &str) -> Article {
    serde_json::from_value(json!({
        "id": "drafts/post 1", "revision": revision, "slug": "hello", "title": title,
        "description": "A first post",
        "body": [{"_type": "block", "_key": "a", "style": "normal", "markDefs": [],
                  "children": [{"_type": "span", "_key": "b", "text": "Hello **world**", "marks": ["strong"]}]}],
        "canonicalUrl": "https://blog.example.com/posts/hello", "tags": ["Rust", "Rust", "AWS"],
        "publishedAt": "2026-03-01T09:00:00Z", "updatedAt": updated_at
    }))
    .unwrap()
}

const DOC_PATH: &str = "/posts/_doc/drafts%2Fpost%201";

fn input(a: &Article, op: Operation) -> ExecutionInput {
    ExecutionInput::inline(
        a.clone(),
        op,
        [(Target::Opensearch, TargetPlan::enabled())].into(),
    )
}

fn deps_with(
    transport: Arc<dyn Transport>,
    endpoint: Option<&str>,
    ledger: &MemoryLedger,
    auth: Auth,
    basic: bool,
) -> opensearch::Deps {
    let secrets = if basic {
        Secrets {
            opensearch_username: Some("indexer".into()),
            opensearch_password: Some("pa55word".into()),
            ..Secrets::default()
        }
    } else {
        Secrets::default()
    };
    opensearch::Deps::new(
        Services {
            transport,
            ledger: Arc::new(ledger.clone()),
            snapshots: Arc::new(MemorySnapshotStore::new()),
            secrets: Arc::new(StaticSecrets::new(secrets)),
        },
        opensearch::Config {
            endpoint: endpoint.map(str::to_string),
            auth,
            ..opensearch::Config::default()
        },
    )
}

fn net() -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(Timeouts::default()).unwrap())
}

#[tokio::test]
async fn index_once_update_on_change_delete_on_unpublish() {
    let server = MockServer::start().await;
    // "indexer:pa55word" in base64, computed independently.
    let basic = "Basic aW5kZXhlcjpwYTU1d29yZA==";
    Mock::given(method("PUT"))
        .and(path(DOC_PATH))
        .and(header("authorization", basic))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"result": "created", "_version": 1})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(DOC_PATH))
        .and(header("authorization", basic))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"result": "not_found"})))
        .expect(2)
        .mount(&server)
        .await;
    let ledger = MemoryLedger::new();
    // Dev.to already has the post: its URL goes into the document.
    ledger
        .create(&LedgerEntry {
            document_id: "drafts/post 1".into(),
            target: Target::Devto,
            state: EntryState::Published,
            remote_id: Some("42".into()),
            url: Some("https://dev.to/me/hello-42".into()),
            content_hash: Some("h".into()),
            revision: "r0".into(),
            source_updated_at: None,
            version: 1,
            updated_at: "2026-03-01T00:00:00Z".into(),
        })
        .await
        .unwrap();
    let d = deps_with(net(), Some(&server.uri()), &ledger, Auth::Basic, true);
    let a1 = article("r1", "2026-03-01T10:00:00Z", "Hello");
    assert_eq!(
        opensearch::handle(input(&a1, Operation::Publish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Created
    );
    assert_eq!(
        opensearch::handle(input(&a1, Operation::Publish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Unchanged
    );
    let a2 = article("r2", "2026-03-01T11:00:00Z", "Hello, edited");
    assert_eq!(
        opensearch::handle(input(&a2, Operation::Publish), &d)
            .await
            .unwrap()
            .status,
        Outcome::Updated
    );
    // 404 on delete means "already gone": success, twice.
    for _ in 0..2 {
        assert_eq!(
            opensearch::handle(input(&a2, Operation::Unpublish), &d)
                .await
                .unwrap()
                .status,
            Outcome::Unpublished
        );
    }
    let reqs = server.received_requests().await.unwrap();
    let doc: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert_eq!(doc["title"], "Hello");
    assert_eq!(doc["description"], "A first post");
    assert_eq!(doc["tags"], json!(["Rust", "AWS"]));
    assert_eq!(doc["canonical_url"], "https://blog.example.com/posts/hello");
    assert_eq!(doc["published_at"], "2026-03-01T09:00:00Z");
    assert_eq!(
        doc["syndication"],
        json!({"devto_url": "https://dev.to/me/hello-42"})
    );
    let body = doc["body"].as_str().unwrap();
    assert!(
        body.contains("Hello **world**") && !body.contains('<'),
        "plain text: {body}"
    );
    let e = ledger
        .get("drafts/post 1", Target::Opensearch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.state, EntryState::Unpublished);
}

#[tokio::test]
async fn failures_are_classified_and_free_the_claim() {
    for (status, name) in [
        (503u16, "PlatformUnavailable"),
        (401, "Unauthorized"),
        (403, "Unauthorized"),
        (429, "RateLimited"),
        (400, "InvalidArticle"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(ResponseTemplate::new(status).set_body_string("{}"))
            .mount(&server)
            .await;
        let ledger = MemoryLedger::new();
        let d = deps_with(net(), Some(&server.uri()), &ledger, Auth::Basic, false);
        let err = opensearch::handle(
            input(
                &article("r1", "2026-03-01T10:00:00Z", "Hello"),
                Operation::Publish,
            ),
            &d,
        )
        .await
        .unwrap_err();
        assert_eq!(err.name(), name, "HTTP {status}");
        assert!(ledger.entries().is_empty(), "HTTP {status}: claim released");
        let reqs = server.received_requests().await.unwrap();
        assert!(
            reqs[0].headers.get("authorization").is_none(),
            "no credentials configured, no header"
        );
    }
}

#[tokio::test]
async fn skipped_without_endpoint_and_misconfigured_without_signer() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(opensearch::simulate));
    let a = article("r1", "2026-03-01T10:00:00Z", "Hello");
    let d = deps_with(Arc::new(dry.clone()), None, &ledger, Auth::Basic, true);
    let r = opensearch::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap();
    assert_eq!(r.status, Outcome::Skipped);
    let d = deps_with(
        Arc::new(dry.clone()),
        Some("https://search.example.com"),
        &ledger,
        Auth::SigV4Es,
        false,
    );
    let err = opensearch::handle(input(&a, Operation::Publish), &d)
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Misconfigured");
    assert!(dry.recorded().is_empty());
}

#[cfg(feature = "lambda")]
struct FixedSigner(&'static str);

#[cfg(feature = "lambda")]
#[async_trait]
impl Signer for FixedSigner {
    async fn sign(&self, request: &mut Req) -> Result<(), TaskError> {
        let creds = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret-key-example",
            Some("session-token-example".into()),
            None,
            "test",
        );
        opensearch::sigv4::sign_with(request, creds, "eu-west-1", self.0, SystemTime::now())
    }
}

#[cfg(feature = "lambda")]
#[tokio::test]
async fn signed_requests_carry_sigv4_headers_and_dry_run_redacts_them() {
    let ledger = MemoryLedger::new();
    let dry = DryRunTransport::new(Arc::new(opensearch::simulate));
    let d = deps_with(
        Arc::new(dry.clone()),
        Some("https://abc.eu-west-1.aoss.amazonaws.com"),
        &ledger,
        Auth::SigV4Aoss,
        false,
    )
    .with_signer(Arc::new(FixedSigner("aoss")));
    let r = opensearch::handle(
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
    assert_eq!(rec.len(), 1);
    let req = &rec[0].request;
    assert_eq!(
        req.url,
        format!("https://abc.eu-west-1.aoss.amazonaws.com{DOC_PATH}")
    );
    assert_eq!(req.header_value("authorization"), Some("[redacted]"));
    assert_eq!(req.header_value("x-amz-security-token"), Some("[redacted]"));
    assert!(req.header_value("x-amz-date").is_some());
    assert_eq!(
        req.header_value("x-amz-content-sha256"),
        Some(crosspost_core::http::sha256_hex(&req.body_bytes()).as_str())
    );
}

/// The published SigV4 test suite case `get-vanilla` (AWS Signature Version 4 test suite):
/// GET / on example.amazonaws.com, 2015-08-30T12:36:00Z, us-east-1, service `service`.
#[cfg(feature = "lambda")]
#[test]
fn sigv4_matches_the_published_test_vector() {
    let mut req = Req::new(
        crosspost_core::Method::Get,
        "https://example.amazonaws.com/",
    );
    let creds = aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "test",
    );
    let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    opensearch::sigv4::sign_with(&mut req, creds, "us-east-1", "service", time).unwrap();
    assert_eq!(req.header_value("x-amz-date"), Some("20150830T123600Z"));
    assert_eq!(
        req.header_value("authorization"),
        Some("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    );
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
    let cfg = opensearch::Config::default();
    let endpoint = "https://search.example.com";
    let syn = opensearch::Syndication {
        devto_url: Some("https://dev.to/me/hello-42".into()),
        ..Default::default()
    };
    let doc = opensearch::document(a, &cfg, &syn).unwrap();
    vec![
        opensearch::basic_auth(
            opensearch::prepare_upsert(endpoint, &cfg, &a.id, &doc),
            "u",
            "p",
        )
        .redacted(),
        opensearch::prepare_delete(endpoint, &cfg, &a.id),
    ]
}
