//! Fault injection: `crosspost run --live` against a stand-in platform whose answers a test
//! programs per request (429 with and without `Retry-After`, 500/502/503, a reset connection,
//! an answer slower than the client timeout, a lost answer after the post was stored, a
//! malformed body, 401). For each: how many posts the platform holds afterwards, whether the
//! ledger names that post, what the report says, and how often the state machine tried and
//! how long it waited (on the virtual clock, `CROSSPOST_VIRTUAL_CLOCK=1`) against the
//! Retry policy of `asl/crosspost.asl.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "faults/standin.rs"]
mod standin;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use standin::Fault;

/// The client timeout the runs use, so the slow answer costs well under a second.
const TIMEOUT_MS: u64 = 400;
const SLUG: &str = "rust-lambda-cold-starts";

/// The Retry policy of the Dev.to task, per error name: (IntervalSeconds, BackoffRate,
/// MaxDelaySeconds, full jitter), copied from `asl/crosspost.asl.json` (a test of its own,
/// `state_machine.rs`, checks the definition; these are the numbers the delays must follow).
fn policy(error: &str) -> (f64, f64, f64, bool) {
    match error {
        "RateLimited" => (30.0, 2.0, 600.0, true),
        "PlatformUnavailable" => (10.0, 3.0, 300.0, true),
        other => panic!("no retry policy expected for {other}"),
    }
}

/// What a case must end with.
struct Expected {
    /// The Dev.to result's status in the report.
    status: &'static str,
    /// For a failure, the error name in the report.
    error: Option<&'static str>,
    /// Posts on the platform afterwards.
    posts: usize,
    /// Create requests the platform received (faulted or not): a retry after a lost create
    /// must adopt the stored post, not send another create.
    creates: u32,
    /// Task attempts (TaskScheduled events of `Publish to Devto`).
    attempts: usize,
    /// The error each failed attempt carried, in order (they decide the back-off).
    retried_on: &'static [&'static str],
}

struct Run {
    report: Value,
    history: Vec<Value>,
    ledger: String,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn run_live(devto_url: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
    cmd.arg("run")
        .arg(examples().join("webhook.json"))
        .arg("--live")
        .current_dir(dir.path());
    for var in [
        "HASHNODE_TOKEN",
        "MEDIUM_TOKEN",
        "HASHNODE_PUBLICATION_ID",
        "OPENSEARCH_ENDPOINT",
        "CROSSPOST_TARGETS",
        "CROSSPOST_SITE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("SANITY_API_URL", "http://127.0.0.1:9")
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production")
        .env("DEVTO_API_KEY", "fault-test-key")
        .env("DEVTO_BASE_URL", devto_url)
        .env("CROSSPOST_HTTP_TIMEOUT_MS", TIMEOUT_MS.to_string())
        .env("CROSSPOST_VIRTUAL_CLOCK", "1");
    let out = cmd.output().unwrap();
    let post_dir = dir.path().join("out").join(SLUG);
    let read = |name: &str| -> Value {
        let bytes = std::fs::read(post_dir.join(name)).unwrap_or_else(|e| {
            panic!(
                "{name}: {e}\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        serde_json::from_slice(&bytes).unwrap()
    };
    let report = read("report.json");
    let history = read("history.json").as_array().unwrap().clone();
    Run {
        report,
        history,
        ledger: texts(&dir.path().join(".crosspost/live/ledger")),
    }
}

/// Every file's text under `dir` (empty when there is none).
fn texts(dir: &Path) -> String {
    let mut out = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.push_str(&texts(&p));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn ts(e: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap())
        .unwrap()
        .into()
}

fn result_of<'a>(report: &'a Value, target: &str) -> &'a Value {
    report["report"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == target)
        .unwrap_or_else(|| panic!("no result for {target}: {report}"))
}

fn check(name: &str, program: Vec<Fault>, want: Expected) {
    let server = standin::Devto::start(program);
    let run = run_live(&server.base_url);
    let ctx = format!("case {name}");

    // The platform: exactly the expected number of posts.
    let posts = server.posts();
    assert_eq!(posts.len(), want.posts, "{ctx}: posts {posts:?}");
    assert_eq!(server.creates(), want.creates, "{ctx}: create requests");

    // The report.
    let devto = result_of(&run.report, "devto");
    assert_eq!(devto["status"], want.status, "{ctx}: {devto}");
    if let Some(error) = want.error {
        assert_eq!(devto["error"], error, "{ctx}: {devto}");
    }
    // The ledger names the one remote post, and the report points at it.
    for p in &posts {
        let id = p["id"].to_string();
        assert!(
            run.ledger.contains(&format!("\"{id}\"")),
            "{ctx}: ledger does not name post {id}: {}",
            run.ledger
        );
        assert_eq!(devto["remoteId"], id.as_str(), "{ctx}: {devto}");
    }
    if want.posts == 0 {
        assert!(
            !run.ledger.contains("remote"),
            "{ctx}: ledger names a post that does not exist: {}",
            run.ledger
        );
    }
    // The other targets are not configured here: each reports what it reports without faults.
    for other in ["hashnode", "medium", "opensearch"] {
        let r = result_of(&run.report, other);
        assert_eq!(r["status"], "skipped", "{ctx}: {other}: {r}");
    }

    // Attempts and back-off, on the virtual clock.
    let task = "Publish to Devto";
    let scheduled: Vec<&Value> = run
        .history
        .iter()
        .filter(|e| e["type"] == "TaskScheduled" && e["state"] == task)
        .collect();
    let failed: Vec<&Value> = run
        .history
        .iter()
        .filter(|e| e["type"] == "TaskFailed" && e["state"] == task)
        .collect();
    assert_eq!(scheduled.len(), want.attempts, "{ctx}: attempts");
    let errors: Vec<&str> = failed
        .iter()
        .map(|e| e["error"].as_str().unwrap_or(""))
        .collect();
    let retried: Vec<&str> = errors
        .iter()
        .take(want.attempts.saturating_sub(1))
        .copied()
        .collect();
    assert_eq!(
        retried, want.retried_on,
        "{ctx}: errors of the retried attempts"
    );
    let mut per_error: std::collections::BTreeMap<&str, i32> = Default::default();
    for (i, error) in retried.iter().enumerate() {
        let (interval, rate, max, full) = policy(error);
        let n = per_error.entry(error).or_default();
        let nominal = (interval * rate.powi(*n)).min(max);
        *n += 1;
        let waited = (ts(scheduled[i + 1]) - ts(failed[i]))
            .to_std()
            .unwrap()
            .as_secs_f64();
        // Full jitter: anywhere in [0, nominal]; plus what real time passes on the way.
        let low = if full { 0.0 } else { nominal };
        assert!(
            waited >= low - 0.001 && waited <= nominal + 1.0,
            "{ctx}: retry {} after {error} waited {waited:.3}s, policy allows [{low}, {nominal}]",
            i + 1
        );
    }
}

const UNAVAILABLE: &str = "PlatformUnavailable";
const RATE: &str = "RateLimited";

#[test]
fn devto_under_faults() {
    let slow = Duration::from_millis(TIMEOUT_MS * 3);
    let created = |creates, attempts, retried_on| Expected {
        status: "created",
        error: None,
        posts: 1,
        creates,
        attempts,
        retried_on,
    };
    let table: Vec<(&str, Vec<Fault>, Expected)> = vec![
        ("no fault", vec![], created(1, 1, &[])),
        (
            "429 with Retry-After, twice",
            vec![Fault::TooMany(Some(7)), Fault::TooMany(Some(7))],
            created(3, 3, &[RATE, RATE]),
        ),
        (
            "429 without Retry-After",
            vec![Fault::TooMany(None)],
            created(2, 2, &[RATE]),
        ),
        (
            "500",
            vec![Fault::Status(500)],
            created(2, 2, &[UNAVAILABLE]),
        ),
        (
            "502 then 503",
            vec![Fault::Status(502), Fault::Status(503)],
            created(3, 3, &[UNAVAILABLE, UNAVAILABLE]),
        ),
        (
            "connection reset",
            vec![Fault::Reset],
            created(2, 2, &[UNAVAILABLE]),
        ),
        (
            "answer slower than the client timeout (post stored)",
            vec![Fault::Slow(slow)],
            created(1, 2, &[UNAVAILABLE]),
        ),
        (
            "lost answer (post stored, connection dropped)",
            vec![Fault::Lost],
            created(1, 2, &[UNAVAILABLE]),
        ),
        (
            "malformed JSON in the create answer (post stored)",
            vec![Fault::Malformed],
            created(1, 2, &[UNAVAILABLE]),
        ),
        (
            "401",
            vec![Fault::Status(401)],
            Expected {
                status: "failed",
                error: Some("Unauthorized"),
                posts: 0,
                creates: 1,
                attempts: 1,
                retried_on: &[],
            },
        ),
    ];
    for (name, program, want) in table {
        check(name, program, want);
    }
}
