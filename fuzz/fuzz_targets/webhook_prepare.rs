//! A webhook delivery from the fuzz bytes: `name: value` header lines, an empty line, then
//! the body. The body is signed by the harness (so fuzzing gets past the signature) and
//! handled end to end: parse, normalise, plan, claim-check, name, start (a recording stub).
//! Every delivery must get an HTTP answer, never a panic.
#![no_main]

use std::sync::Arc;

use crosspost_core::MemorySnapshotStore;
use initiator::signature::{sign, HEADER};
use initiator::{Config, Delivery, ExecutionStarter, Initiator, StartError, Started};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret";
const NOW_MS: i64 = 1_740_000_000_000;

struct Accept;

#[async_trait::async_trait]
impl ExecutionStarter for Accept {
    async fn start(&self, name: &str, input: &str) -> Result<Started, StartError> {
        if input.is_empty() {
            return Err(StartError("empty input".into()));
        }
        Ok(Started {
            execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:fuzz:{name}"),
            duplicate: false,
        })
    }
}

fn split(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.iter().position(|b| *b == b'\n') {
        let line = &rest[..i];
        rest = &rest[i + 1..];
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    (headers, rest)
}

fuzz_target!(|data: &[u8]| {
    let (mut headers, body) = split(data);
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(HEADER));
    headers.push((HEADER.to_string(), sign(SECRET, NOW_MS, body)));
    let mut config = Config::default();
    config.claim_check_bytes = 4096;
    let initiator = Initiator::new(
        config,
        Some(SECRET.to_string()),
        None,
        Arc::new(MemorySnapshotStore::new()),
        Arc::new(Accept),
    );
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_time().build() else {
        return;
    };
    let delivery = Delivery {
        headers: &headers,
        body,
    };
    let response = rt.block_on(initiator.handle(delivery, NOW_MS));
    assert!(
        (200..600).contains(&response.status),
        "status {}",
        response.status
    );
});
