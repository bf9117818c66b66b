//! Test support shared by crosspost's crates. Only ever a dev-dependency.
//!
//! [`moto()`] gives the AWS tests a moto server: the one at `AWS_ENDPOINT_URL` when it is set
//! (`scripts/test` starts one and exports it), otherwise `.venv/bin/moto_server` started on a
//! free loopback port and stopped when the guard drops. Without either it panics with the
//! command that installs one: a test that needs AWS must fail loudly, never skip.
#![allow(clippy::panic, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server; a child process is killed on drop.
pub struct Moto {
    pub endpoint: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The moto server the AWS tests talk to (see the crate docs).
pub fn moto() -> Moto {
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        if !url.trim().is_empty() {
            return Moto {
                endpoint: url,
                child: None,
            };
        }
    }
    let bin: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        ".venv",
        "bin",
        "moto_server",
    ]
    .iter()
    .collect();
    if !bin.exists() {
        panic!(
            "no moto server: run scripts/test, set AWS_ENDPOINT_URL to a running moto server, or \
             install one with `python3 -m venv .venv && .venv/bin/pip install -r \
             requirements-test.txt` (looked for {})",
            bin.display()
        );
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let guard = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        child: Some(child),
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            panic!("moto_server did not start on port {port} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    guard
}

/// A name no other test run uses (moto state is shared by every test of one suite run).
pub fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{n}", std::process::id())
}
