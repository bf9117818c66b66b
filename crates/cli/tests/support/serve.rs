//! `crosspost serve` as a child process, and signed deliveries to it: shared by the serve
//! tests, the concurrency tests and the load benchmark (beside `command.rs`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The webhook secret every served process is started with.
pub const SECRET: &str = "serve-test-secret";

/// A running `crosspost serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    /// Where its standard output and error go, when a log was asked for.
    pub log: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The log so far (empty without one).
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// The execution names of the runs that have finished (one summary line each).
    pub fn finished_executions(&self) -> Vec<String> {
        finished_executions(&self.log_text())
    }

    /// Waits until at least `n` runs have finished; returns their names.
    pub fn wait_for_executions(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let names = self.finished_executions();
            if names.len() >= n {
                return names;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} runs finished within {within:?}; log:\n{}",
                names.len(),
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The names in the `crosspost <mode>: execution <name> <STATUS>` lines a run prints when it ends.
pub fn finished_executions(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let rest = l
                .strip_prefix("crosspost dry run: execution ")
                .or_else(|| l.strip_prefix("crosspost live: execution "))?;
            rest.split_whitespace().next().map(String::from)
        })
        .collect()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `crosspost serve --port <port> <args>` in `dir` with the test's Sanity settings and
/// `env`; standard output and error go to `log` when given. Returns once it accepts connections.
pub fn start(dir: &Path, args: &[&str], env: &[(&str, &str)], log: Option<&Path>) -> Server {
    let port = free_port();
    let output = |log: Option<&Path>| match log {
        Some(p) => Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap(),
        ),
        None => Stdio::null(),
    };
    let child = super::command::crosspost(dir)
        .args(["serve", "--port", &port.to_string()])
        .args(args)
        .env("SANITY_WEBHOOK_SECRET", SECRET)
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production")
        .env("CROSSPOST_MAX_BODY_BYTES", "200000")
        .envs(env.iter().copied())
        .stdout(output(log))
        .stderr(output(log))
        .spawn()
        .unwrap();
    let server = Server {
        child,
        port,
        log: log.map(Path::to_path_buf),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Sends one HTTP/1.1 `POST /webhook` on a fresh connection; returns (status, JSON body).
pub fn post(port: u16, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
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

/// The headers of a delivery signed now with [`SECRET`].
pub fn signed_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp_millis();
    vec![
        ("sanity-operation", "update".to_string()),
        (
            "sanity-webhook-signature",
            initiator::signature::sign(SECRET, now, body),
        ),
    ]
}

/// The body of `examples/webhook.json`: the example post as Sanity delivers it.
pub fn example_body() -> Value {
    let example: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhook.json"))
            .unwrap(),
    )
    .unwrap();
    example["body"].clone()
}
