//! The Lambda adapter with an API Gateway HTTP API event (tests/fixtures/apigw_v2_webhook.json).
#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crosspost_core::MemorySnapshotStore;
use initiator::{Config, ExecutionStarter, Initiator, StartError, Started};
use serde_json::Value;

const T: i64 = 1_735_689_600_000;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl ExecutionStarter for Recorder {
    async fn start(&self, name: &str, _input: &str) -> Result<Started, StartError> {
        self.0.lock().unwrap().push(name.to_string());
        Ok(Started {
            execution_arn: format!(
                "arn:aws:states:us-east-1:123456789012:execution:crosspost:{name}"
            ),
            duplicate: false,
        })
    }
}

async fn check(secret: &str, now_ms: i64, status: u16, started: usize) {
    let recorder = Arc::new(Recorder::default());
    let init = Initiator::new(
        Config::default(),
        Some(secret.into()),
        None,
        Arc::new(MemorySnapshotStore::new()),
        recorder.clone(),
    );
    let req =
        lambda_http::request::from_str(include_str!("fixtures/apigw_v2_webhook.json")).unwrap();
    let resp = initiator::lambda::handle_request(&init, req, now_ms)
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = serde_json::from_slice(resp.body().as_ref()).unwrap();
    assert_eq!(recorder.0.lock().unwrap().len(), started, "{body}");
    if status == 202 {
        assert!(body["executionArn"]
            .as_str()
            .unwrap()
            .ends_with(body["executionName"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn api_gateway_events() {
    check("fixture-secret", T + 5_000, 202, 1).await;
    check("another-secret", T + 5_000, 401, 0).await;
    check("fixture-secret", T + 3_700_000, 401, 0).await;
}
