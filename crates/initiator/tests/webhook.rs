//! The whole delivery path of the initiator: size, signature, parsing, normalisation,
//! claim check, naming and starting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crosspost_core::{ArticleRef, ExecutionInput, MemorySnapshotStore, SnapshotStore};
use initiator::sanity::SanityClient;
use initiator::signature::sign;
use initiator::{Config, Delivery, ExecutionStarter, Initiator, StartError, Started};
use serde_json::{json, Value};

const SECRET: &str = "whsec-test";
const NOW: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

#[derive(Default)]
struct Recorder {
    started: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl ExecutionStarter for Recorder {
    async fn start(&self, name: &str, input: &str) -> Result<Started, StartError> {
        let mut s = self.started.lock().unwrap();
        let duplicate = s.iter().any(|(n, _)| n == name);
        s.push((name.to_string(), input.to_string()));
        Ok(Started {
            execution_arn: format!("arn:aws:states:us-east-1:1:execution:sm:{name}"),
            duplicate,
        })
    }
}

struct Fixture {
    initiator: Initiator,
    recorder: Arc<Recorder>,
    snapshots: Arc<MemorySnapshotStore>,
}

fn fixture_with(config: Config, sanity: Option<SanityClient>) -> Fixture {
    let recorder = Arc::new(Recorder::default());
    let snapshots = Arc::new(MemorySnapshotStore::new());
    let initiator = Initiator::new(
        config,
        Some(SECRET.into()),
        sanity,
        snapshots.clone(),
        recorder.clone(),
    );
    Fixture {
        initiator,
        recorder,
        snapshots,
    }
}

fn config() -> Config {
    Config {
        site_url: "https://blog.dev".into(),
        sanity_project_id: Some("proj1".into()),
        sanity_dataset: Some("production".into()),
        ..Config::default()
    }
}

fn post(rev: &str) -> Value {
    json!({
        "_id": "post-1", "_rev": rev, "title": "Hello", "slug": {"current": "hello"},
        "publishedAt": "2024-12-31T10:00:00Z",
        "categories": ["Rust", "AWS"],
        "body": [{"_type": "block", "_key": "a", "children": [{"_type": "span", "text": "Hi"}]}]
    })
}

fn headers(op: &str, signature: Option<String>) -> Vec<(String, String)> {
    let mut h = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("sanity-operation".to_string(), op.to_string()),
    ];
    if let Some(s) = signature {
        h.push(("Sanity-Webhook-Signature".to_string(), s));
    }
    h
}

async fn deliver(f: &Fixture, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
    let r = f.initiator.handle(Delivery { headers, body }, NOW).await;
    (r.status, r.body)
}

async fn signed(f: &Fixture, op: &str, body: &[u8]) -> (u16, Value) {
    let h = headers(op, Some(sign(SECRET, NOW - 1000, body)));
    deliver(f, &h, body).await
}

fn started(f: &Fixture) -> Vec<(String, String)> {
    f.recorder.started.lock().unwrap().clone()
}

/// One refused delivery: status, a message fragment, and nothing started.
async fn check_refused(headers: Vec<(String, String)>, body: &[u8], status: u16, message: &str) {
    let f = fixture_with(config(), None);
    let (got, answer) = deliver(&f, &headers, body).await;
    assert_eq!(got, status, "{answer}");
    let text = answer["error"].as_str().unwrap();
    assert!(text.contains(message), "`{text}` lacks `{message}`");
    assert!(started(&f).is_empty());
}

#[tokio::test]
async fn refusals() {
    let body = serde_json::to_vec(&post("r1")).unwrap();
    let good = sign(SECRET, NOW - 1000, &body);
    check_refused(headers("create", None), &body, 401, "missing").await;
    check_refused(
        headers("create", Some(sign("wrong", NOW - 1000, &body))),
        &body,
        401,
        "does not match",
    )
    .await;
    // Signed body, different bytes delivered.
    let mut tampered = body.clone();
    tampered.push(b' ');
    check_refused(
        headers("create", Some(good.clone())),
        &tampered,
        401,
        "does not match",
    )
    .await;
    check_refused(
        headers("create", Some(sign(SECRET, NOW - 3_601_000, &body))),
        &body,
        401,
        "tolerance 3600s",
    )
    .await;
    check_refused(
        headers("create", Some("v1=abc".into())),
        &body,
        401,
        "malformed",
    )
    .await;

    // Malformed but signed bodies: 400 naming the problem.
    for (b, msg) in [
        (b"{not json".to_vec(), "not valid JSON"),
        (b"[1,2]".to_vec(), "must be a JSON object"),
        (
            br#"{"_id":"p","_rev":"r","slug":"s","body":[]}"#.to_vec(),
            "missing field `title`",
        ),
        (
            br#"{"_id":"p","_rev":"r","title":"T","slug":"s","body":{}}"#.to_vec(),
            "field `body` must be a Portable Text array",
        ),
    ] {
        let h = headers("create", Some(sign(SECRET, NOW, &b)));
        check_refused(h, &b, 400, msg).await;
    }
    let h = headers("patch", Some(good.clone()));
    check_refused(h, &body, 400, "unknown operation `patch`").await;

    // Over the limit: 413 before the signature is even looked at.
    let mut small = config();
    small.max_body_bytes = 100;
    let f = fixture_with(small, None);
    let (status, _) = deliver(&f, &headers("create", Some(good)), &body).await;
    assert_eq!(status, 413);
    let declared = vec![("content-length".to_string(), "5000000".to_string())];
    let (status, _) = deliver(&f, &declared, b"{}").await;
    assert_eq!(status, 413);
    assert!(started(&f).is_empty());
}

#[tokio::test]
async fn accepted_delivery_starts_one_execution() {
    let f = fixture_with(config(), None);
    let body = serde_json::to_vec(&post("r1")).unwrap();
    let (status, answer) = signed(&f, "update", &body).await;
    assert_eq!(status, 202, "{answer}");
    let name = answer["executionName"].as_str().unwrap();
    assert_eq!(
        answer["executionArn"],
        format!("arn:aws:states:us-east-1:1:execution:sm:{name}")
    );
    assert_eq!(answer["duplicate"], false);
    let s = started(&f);
    assert_eq!(s.len(), 1);
    let input: ExecutionInput = serde_json::from_str(&s[0].1).unwrap();
    assert_eq!(input.document_id, "post-1");
    assert_eq!(input.publish_at.as_deref(), Some("2024-12-31T10:00:00Z"));
    let ArticleRef::Inline(a) = &input.article else {
        unreachable!("a small article is inline")
    };
    assert_eq!(a.canonical_url, "https://blog.dev/hello");
    assert_eq!(a.tags, ["Rust", "AWS"]);
    assert!(input.targets.values().all(|p| p.enabled));
}

#[tokio::test]
async fn redeliveries_are_byte_identical_and_revisions_are_not() {
    let f = fixture_with(config(), None);
    let body = serde_json::to_vec(&post("r1")).unwrap();
    // Two deliveries signed at different times (Sanity retries) give one name and one input.
    let h1 = headers("update", Some(sign(SECRET, NOW - 5000, &body)));
    let h2 = headers("update", Some(sign(SECRET, NOW - 100, &body)));
    let (_, a1) = deliver(&f, &h1, &body).await;
    let (_, a2) = deliver(&f, &h2, &body).await;
    assert_eq!(a1["executionName"], a2["executionName"]);
    assert_eq!(a2["duplicate"], true);
    let s = started(&f);
    assert_eq!(s[0], s[1]);

    let body2 = serde_json::to_vec(&post("r2")).unwrap();
    let (_, a3) = signed(&f, "update", &body2).await;
    assert_ne!(a3["executionName"], a1["executionName"]);
    // A delete of the same revision is another execution.
    let (_, a4) = signed(&f, "delete", &body).await;
    assert_ne!(a4["executionName"], a1["executionName"]);
    let del: ExecutionInput = serde_json::from_str(&started(&f)[3].1).unwrap();
    assert_eq!(del.operation, crosspost_core::Operation::Unpublish);
    assert_eq!(del.publish_at, None);
}

#[tokio::test]
async fn opt_outs_and_configured_targets_plan_the_branches() {
    let mut c = config();
    c.targets = initiator::config::parse_targets("devto,hashnode,opensearch").unwrap();
    let f = fixture_with(c, None);
    let mut p = post("r1");
    p["optOut"] = json!(["hashnode"]);
    let (status, _) = signed(&f, "create", &serde_json::to_vec(&p).unwrap()).await;
    assert_eq!(status, 202);
    let input: ExecutionInput = serde_json::from_str(&started(&f)[0].1).unwrap();
    let plan: Vec<(String, bool, Option<String>)> = input
        .targets
        .iter()
        .map(|(t, p)| (t.to_string(), p.enabled, p.reason.clone()))
        .collect();
    assert_eq!(
        plan,
        vec![
            ("devto".into(), true, None),
            (
                "hashnode".into(),
                false,
                Some("opted out in Sanity (optOut)".into())
            ),
            (
                "medium".into(),
                false,
                Some("not enabled in CROSSPOST_TARGETS".into())
            ),
            ("opensearch".into(), true, None),
        ]
    );
}

#[tokio::test]
async fn a_one_megabyte_post_goes_through_the_claim_check() {
    let f = fixture_with(config(), None);
    let mut p = post("r1");
    let paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20);
    let blocks: Vec<Value> = (0..900)
        .map(|i| json!({"_type": "block", "_key": format!("b{i}"), "style": "normal", "markDefs": [],
            "children": [{"_type": "span", "_key": format!("s{i}"), "text": paragraph, "marks": []}]}))
        .collect();
    p["body"] = Value::Array(blocks);
    let body = serde_json::to_vec(&p).unwrap();
    assert!(body.len() > 1_000_000, "{}", body.len());
    let (status, answer) = signed(&f, "create", &body).await;
    assert_eq!(status, 202, "{answer}");
    let (_, input_json) = started(&f)[0].clone();
    assert!(
        input_json.len() < 4096,
        "input is {} bytes",
        input_json.len()
    );
    let input: ExecutionInput = serde_json::from_str(&input_json).unwrap();
    let ArticleRef::Snapshot { snapshot } = &input.article else {
        unreachable!("a large article is a snapshot reference")
    };
    let bytes = f.snapshots.get(snapshot).await.unwrap();
    let article: crosspost_core::Article = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(article.body.as_array().unwrap().len(), 900);
    // A redelivery names the same snapshot (same key and hash): byte-identical input.
    let (_, _) = signed(&f, "create", &body).await;
    assert_eq!(started(&f)[1].1, input_json);
}
