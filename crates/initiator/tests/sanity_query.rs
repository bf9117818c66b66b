//! The Sanity query API against a local stand-in: the exact URL, parameters as JSON, the token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crosspost_core::{ArticleRef, ExecutionInput, MemorySnapshotStore};
use initiator::sanity::{SanityClient, SanityError, DOCUMENT_QUERY};
use initiator::signature::sign;
use initiator::{Config, Delivery, ExecutionStarter, Initiator, StartError, Started};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cret";

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl ExecutionStarter for Recorder {
    async fn start(&self, name: &str, input: &str) -> Result<Started, StartError> {
        self.0.lock().unwrap().push(input.to_string());
        Ok(Started {
            execution_arn: name.to_string(),
            duplicate: false,
        })
    }
}

fn client(server: &MockServer) -> SanityClient {
    SanityClient::new(
        "proj1",
        "production",
        "v2021-10-21",
        Some(&server.uri()),
        Some("tok".into()),
    )
    .unwrap()
}

#[test]
fn the_url_carries_the_id_as_a_json_parameter() {
    let c = SanityClient::new("proj1", "production", "v2021-10-21", None, None).unwrap();
    let url = c.document_url(r#"post"] | order(_id) [0"#).unwrap();
    assert_eq!(url.host_str(), Some("proj1.api.sanity.io"));
    assert_eq!(url.path(), "/v2021-10-21/data/query/production");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("query".to_string(), DOCUMENT_QUERY.to_string()),
            (
                "$id".to_string(),
                r#""post\"] | order(_id) [0""#.to_string()
            ),
            ("perspective".to_string(), "published".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_bare_projection_is_completed_from_the_query_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2021-10-21/data/query/production"))
        .and(query_param("query", DOCUMENT_QUERY))
        .and(query_param("$id", "\"post-9\""))
        .and(query_param("perspective", "published"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ms": 3, "query": DOCUMENT_QUERY,
            "result": {"_id": "post-9", "_rev": "r9", "title": "From the API", "slug": {"current": "from-api"},
                       "categories": ["Rust", null, "Sanity"],
                       "body": [{"_type": "block", "children": [{"_type": "span", "text": "x"}]}]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let recorder = Arc::new(Recorder::default());
    let init = Initiator::new(
        Config::default(),
        Some(SECRET.into()),
        Some(client(&server)),
        Arc::new(MemorySnapshotStore::new()),
        recorder.clone(),
    );
    let body = br#"{"_id":"post-9","_rev":"r9","operation":"update","slug":"from-api"}"#;
    let now = 1_735_689_600_000;
    let h = vec![(
        "sanity-webhook-signature".to_string(),
        sign(SECRET, now, body),
    )];
    let answer = init.handle(Delivery { headers: &h, body }, now).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let input: ExecutionInput = serde_json::from_str(&recorder.0.lock().unwrap()[0]).unwrap();
    let ArticleRef::Inline(a) = input.article else {
        unreachable!("a small article is inline")
    };
    assert_eq!(a.title, "From the API");
    assert_eq!(a.slug, "from-api");
    assert_eq!(a.tags, ["Rust", "Sanity"]);
}

#[tokio::test]
async fn failures_of_the_query_api_are_502_and_unknown_documents_400() {
    let server = MockServer::start().await;
    Mock::given(path("/v2021-10-21/data/query/production"))
        .and(query_param("$id", "\"gone\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": null})))
        .mount(&server)
        .await;
    Mock::given(path("/v2021-10-21/data/query/production"))
        .and(query_param("$id", "\"broken\""))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    assert_eq!(client(&server).document("gone").await, Ok(None));
    assert_eq!(
        client(&server).document("broken").await,
        Err(SanityError::Status { status: 503 })
    );
    let recorder = Arc::new(Recorder::default());
    let init = Initiator::new(
        Config::default(),
        Some(SECRET.into()),
        Some(client(&server)),
        Arc::new(MemorySnapshotStore::new()),
        recorder.clone(),
    );
    let now = 1_735_689_600_000;
    for (id, status) in [("gone", 400), ("broken", 502)] {
        let body = serde_json::to_vec(&json!({"_id": id, "_rev": "r"})).unwrap();
        let h = vec![(
            "sanity-webhook-signature".to_string(),
            sign(SECRET, now, &body),
        )];
        let a = init
            .handle(
                Delivery {
                    headers: &h,
                    body: &body,
                },
                now,
            )
            .await;
        assert_eq!(a.status, status, "{id}: {}", a.body);
        assert!(a.body.get("error").and_then(Value::as_str).is_some());
    }
    assert!(recorder.0.lock().unwrap().is_empty());
}
