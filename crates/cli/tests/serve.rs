//! `crosspost serve` as a process: signed webhooks in, 401/413/202 out, the pipeline runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support {
    pub mod command;
    pub mod serve;
}

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::serve::{self as serving, post, SECRET};

#[test]
fn signed_webhooks_run_the_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serving::start(tmp.path(), &[], &[], None);
    let port = server.port;

    let body = serde_json::to_vec(&serving::example_body()).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let signature = initiator::signature::sign(SECRET, now, &body);
    let op = ("sanity-operation", "update".to_string());

    let (status, answer) = post(port, std::slice::from_ref(&op), &body);
    assert_eq!(status, 401, "{answer}");
    let forged = initiator::signature::sign("other", now, &body);
    let (status, _) = post(
        port,
        &[op.clone(), ("sanity-webhook-signature", forged)],
        &body,
    );
    assert_eq!(status, 401);
    // Over CROSSPOST_MAX_BODY_BYTES (200000 here): refused before the signature is checked.
    let big = vec![b' '; 250_000];
    let (status, _) = post(
        port,
        &[op.clone(), ("sanity-webhook-signature", signature.clone())],
        &big,
    );
    assert_eq!(status, 413);
    let bad = br#"{"_id":"p","_rev":"r","title":["x"],"slug":"s","body":[]}"#;
    let (status, answer) = post(
        port,
        &[
            op.clone(),
            (
                "sanity-webhook-signature",
                initiator::signature::sign(SECRET, now, bad),
            ),
        ],
        bad,
    );
    assert_eq!(status, 400);
    assert!(
        answer["error"].as_str().unwrap().contains("field `title`"),
        "{answer}"
    );

    let signed = [op.clone(), ("sanity-webhook-signature", signature)];
    let (status, answer) = post(port, &signed, &body);
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["duplicate"], false);
    let name = answer["executionName"].as_str().unwrap().to_string();
    assert!(
        name.starts_with("pub-post-rust-lambda-cold-starts-"),
        "{name}"
    );
    let (status, again) = post(port, &signed, &body);
    assert_eq!(status, 202);
    assert_eq!(again["executionName"], name.as_str());
    assert_eq!(again["duplicate"], true);

    // The run happens in the background and writes its report.
    let report = tmp.path().join("out/rust-lambda-cold-starts/report.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    let report: Value = loop {
        if let Ok(bytes) = std::fs::read(&report) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                break v;
            }
        }
        assert!(Instant::now() < deadline, "no report was written");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(report["execution"], name.as_str());
    assert_eq!(report["status"], "SUCCEEDED");
    let statuses: Vec<&str> = report["report"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["created", "created", "created", "created"]);
}

/// Reads `out/<slug>/report.json` once the background run has written it.
fn wait_for_report(dir: &Path) -> Value {
    let report = dir.join("out/rust-lambda-cold-starts/report.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(bytes) = std::fs::read(&report) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                return v;
            }
        }
        assert!(Instant::now() < deadline, "no report was written");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every configured secret stays out of the logs (at trace level) and out of every file a
/// run writes, through refusals and a successful run.
#[test]
fn no_secret_reaches_the_logs_or_the_output() {
    let secrets = [
        ("DEVTO_API_KEY", "devto-key-4f9c1e"),
        ("HASHNODE_TOKEN", "hashnode-token-8a2d7b"),
        ("MEDIUM_TOKEN", "medium-token-3e6f0c"),
        ("OPENSEARCH_USERNAME", "search-user-91bd"),
        ("OPENSEARCH_PASSWORD", "search-pass-5c7a2e"),
        ("SANITY_TOKEN", "sanity-token-d04f88"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("serve.log");
    let mut env: Vec<(&str, &str)> = secrets.to_vec();
    env.push(("RUST_LOG", "trace"));
    let server = serving::start(tmp.path(), &[], &env, Some(&log));
    let port = server.port;

    let body = serde_json::to_vec(&serving::example_body()).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let op = ("sanity-operation", "update".to_string());
    let forged = initiator::signature::sign("not-the-secret", now, &body);
    let (status, _) = post(
        port,
        &[op.clone(), ("sanity-webhook-signature", forged)],
        &body,
    );
    assert_eq!(status, 401);
    let signed = initiator::signature::sign(SECRET, now, &body);
    let (status, answer) = post(port, &[op, ("sanity-webhook-signature", signed)], &body);
    assert_eq!(status, 202, "{answer}");
    let report = wait_for_report(tmp.path());
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    drop(server);

    let mut scanned = vec![log.clone()];
    let mut stack = vec![tmp.path().join("out")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                scanned.push(path);
            }
        }
    }
    assert!(scanned.len() > 5, "expected the run's files: {scanned:?}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("TRACE") || log_text.contains("DEBUG") || log_text.contains("INFO"),
        "trace logging produced nothing to scan"
    );
    let requests =
        std::fs::read_to_string(tmp.path().join("out/rust-lambda-cold-starts/devto.json")).unwrap();
    assert!(
        requests.contains("[redacted]"),
        "the Dev.to request shows no redacted header"
    );
    for path in &scanned {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        for secret in [SECRET].iter().chain(secrets.iter().map(|(_, v)| v)) {
            assert!(
                !text.contains(secret),
                "{} contains the secret {secret}",
                path.display()
            );
        }
    }
}
