//! `crosspost serve` as a process: signed webhooks in, 401/413/202 out, the pipeline runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const SECRET: &str = "serve-test-secret";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends one HTTP/1.1 POST /webhook; returns (status, JSON body).
fn post(port: u16, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = String::from(
        "POST /webhook HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-type: application/json\r\n",
    );
    let mut has_length = false;
    for (n, v) in headers {
        has_length |= n.eq_ignore_ascii_case("content-length");
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !has_length {
        req.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

fn start(dir: &Path, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_crosspost"))
        .args(["serve", "--port", &port.to_string()])
        .current_dir(dir)
        .env("SANITY_WEBHOOK_SECRET", SECRET)
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production")
        .env("SANITY_API_URL", "http://127.0.0.1:9")
        .env("CROSSPOST_MAX_BODY_BYTES", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

#[test]
fn signed_webhooks_run_the_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let _server = start(tmp.path(), port);

    let example: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhook.json"))
            .unwrap(),
    )
    .unwrap();
    let body = serde_json::to_vec(&example["body"]).unwrap();
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
