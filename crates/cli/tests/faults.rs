//! Fault injection: `crosspost run --live` against a stand-in platform whose answers a test
//! programs per request (429 with and without `Retry-After`, 500/502/503, a reset connection,
//! an answer slower than the client timeout, a lost answer after the post was stored, a
//! malformed body, 401). All four targets run against their stand-ins; one misbehaves per
//! case. For each: how many posts the platform holds afterwards, whether the
//! ledger names that post, what the report says, and how often the state machine tried and
//! how long it waited (on the virtual clock, `CROSSPOST_VIRTUAL_CLOCK=1`) against the
//! Retry policy of `asl/crosspost.asl.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "faults/standin.rs"]
mod standin;

#[path = "support/command.rs"]
mod command;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use standin::{Fault, Platform};

/// The client timeout the runs use, so the slow answer costs well under a second.
const TIMEOUT_MS: u64 = 400;
const SLUG: &str = "rust-lambda-cold-starts";

/// The Retry policy of every target task, per error name: (IntervalSeconds, BackoffRate,
/// MaxDelaySeconds, full jitter), copied from `asl/crosspost.asl.json` (a test of its own,
/// `state_machine.rs`, checks the definition; these are the numbers the delays must follow).
fn policy(error: &str) -> (f64, f64, f64, bool) {
    match error {
        "RateLimited" => (30.0, 2.0, 600.0, false),
        "PlatformUnavailable" => (10.0, 3.0, 300.0, true),
        other => panic!("no retry policy expected for {other}"),
    }
}

/// What a case must end with.
struct Expected {
    /// The target's result status in the report.
    status: &'static str,
    /// For a failure, the error name in the report.
    error: Option<&'static str>,
    /// Posts on the platform afterwards.
    posts: usize,
    /// Whether the ledger and the report name the platform's post (Medium cannot look a
    /// post up, so after a lost answer it keeps no id and says so).
    recorded: bool,
    /// Create requests the platform received (faulted or not): a retry after a lost create
    /// must adopt the stored post, not send another create.
    creates: u32,
    /// Task attempts (TaskScheduled events of `Publish to <Target>`).
    attempts: usize,
    /// The error each failed attempt carried, in order (they decide the back-off).
    retried_on: &'static [&'static str],
}

struct Run {
    report: Value,
    history: Vec<Value>,
    /// The ledger folder's text per target (`<data>/live/ledger/<target>/...`).
    ledger: std::collections::BTreeMap<String, String>,
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The environment that points one target at its stand-in; the others stay unconfigured.
fn target_env(platform: Platform, url: &str) -> Vec<(&'static str, String)> {
    match platform {
        Platform::Devto => vec![
            ("DEVTO_API_KEY", "fault-test-key".into()),
            ("DEVTO_BASE_URL", url.into()),
        ],
        Platform::Hashnode => vec![
            ("HASHNODE_TOKEN", "fault-test-token".into()),
            ("HASHNODE_PUBLICATION_ID", "65a000000000000000000001".into()),
            ("HASHNODE_ENDPOINT", url.into()),
        ],
        Platform::Medium => vec![
            ("MEDIUM_TOKEN", "fault-test-token".into()),
            ("MEDIUM_BASE_URL", url.into()),
        ],
        Platform::Opensearch => vec![
            ("OPENSEARCH_ENDPOINT", url.into()),
            ("OPENSEARCH_USERNAME", "fault".into()),
            ("OPENSEARCH_PASSWORD", "fault-test-password".into()),
        ],
    }
}

/// The Task state of a target in `asl/crosspost.asl.json`.
fn task_of(target: &str) -> String {
    let mut capital = target.to_string();
    capital[..1].make_ascii_uppercase();
    format!("Publish to {capital}")
}

fn name_of(platform: Platform) -> &'static str {
    match platform {
        Platform::Devto => "devto",
        Platform::Hashnode => "hashnode",
        Platform::Medium => "medium",
        Platform::Opensearch => "opensearch",
    }
}

const PLATFORMS: [Platform; 4] = [
    Platform::Devto,
    Platform::Hashnode,
    Platform::Medium,
    Platform::Opensearch,
];

/// Runs the example post with every target pointed at its stand-in (`urls`, in `PLATFORMS`
/// order).
fn run_live(urls: &[String]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command::crosspost(dir.path());
    cmd.arg("run")
        .arg(examples().join("webhook.json"))
        .arg("--live")
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production")
        .env("CROSSPOST_HTTP_TIMEOUT_MS", TIMEOUT_MS.to_string())
        .env("CROSSPOST_VIRTUAL_CLOCK", "1");
    for (platform, url) in PLATFORMS.iter().zip(urls) {
        cmd.envs(target_env(*platform, url));
    }
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
        ledger: ["devto", "hashnode", "medium", "opensearch"]
            .into_iter()
            .map(|t| {
                let text = texts(&dir.path().join(".crosspost/live/ledger").join(t));
                (t.to_string(), text)
            })
            .collect(),
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

fn check(platform: Platform, name: &str, program: Vec<Fault>, want: Expected) {
    // Every target has its stand-in; only the one under test misbehaves.
    let mut program = Some(program);
    let servers: Vec<standin::Standin> = PLATFORMS
        .iter()
        .map(|p| {
            let faults = if *p == platform {
                program.take().unwrap_or_default()
            } else {
                Vec::new()
            };
            standin::Standin::start(*p, faults)
        })
        .collect();
    let urls: Vec<String> = servers.iter().map(|s| s.base_url.clone()).collect();
    let run = run_live(&urls);
    let server = &servers[PLATFORMS.iter().position(|p| *p == platform).unwrap()];
    let target = name_of(platform);
    let ctx = format!("{target}, {name}");

    // The platform: exactly the expected number of posts.
    let posts = server.posts();
    assert_eq!(posts.len(), want.posts, "{ctx}: posts {posts:?}");
    assert_eq!(server.creates(), want.creates, "{ctx}: create requests");

    // The report.
    let devto = result_of(&run.report, target);
    assert_eq!(devto["status"], want.status, "{ctx}: {devto}");
    if let Some(error) = want.error {
        assert_eq!(devto["error"], error, "{ctx}: {devto}");
    }
    // The ledger names the one remote post, and the report points at it.
    let ledger = &run.ledger[target];
    for p in posts.iter().filter(|_| want.recorded) {
        let id = match &p["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        assert!(
            ledger.contains(&format!("\"{id}\"")),
            "{ctx}: ledger does not name post {id}: {ledger}"
        );
        assert_eq!(devto["remoteId"], id.as_str(), "{ctx}: {devto}");
    }
    if !want.recorded {
        assert!(
            !ledger.contains("remote"),
            "{ctx}: ledger names a post that does not exist: {ledger}"
        );
    }
    // The other targets are unaffected: each created its one post at the first attempt.
    for (other, other_server) in PLATFORMS.iter().zip(&servers) {
        if *other == platform {
            continue;
        }
        let name = name_of(*other);
        let r = result_of(&run.report, name);
        assert_eq!(r["status"], "created", "{ctx}: {name}: {r}");
        assert_eq!(other_server.posts().len(), 1, "{ctx}: {name} posts");
        assert_eq!(other_server.creates(), 1, "{ctx}: {name} create requests");
        let id = match &other_server.posts()[0]["id"] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        assert!(
            run.ledger[name].contains(&format!("\"{id}\"")),
            "{ctx}: {name} ledger does not name post {id}"
        );
        let attempts = run
            .history
            .iter()
            .filter(|e| e["type"] == "TaskScheduled" && e["state"] == task_of(name).as_str())
            .count();
        assert_eq!(attempts, 1, "{ctx}: {name} attempts");
    }

    // OpenSearch is indexed after every platform is done (retries included), so the search
    // document has their URLs.
    let indexed = run
        .history
        .iter()
        .position(|e| e["type"] == "TaskScheduled" && e["state"] == task_of("opensearch").as_str())
        .unwrap_or_else(|| panic!("{ctx}: OpenSearch never ran"));
    for p in ["devto", "hashnode", "medium"] {
        let last = run
            .history
            .iter()
            .rposition(|e| e["state"] == task_of(p).as_str())
            .unwrap_or_else(|| panic!("{ctx}: no events of {p}"));
        assert!(last < indexed, "{ctx}: OpenSearch ran before {p} was done");
    }

    // Attempts and back-off, on the virtual clock.
    let task = task_of(target);
    let scheduled: Vec<&Value> = run
        .history
        .iter()
        .filter(|e| e["type"] == "TaskScheduled" && e["state"] == task.as_str())
        .collect();
    let failed: Vec<&Value> = run
        .history
        .iter()
        .filter(|e| e["type"] == "TaskFailed" && e["state"] == task.as_str())
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

/// The same faults for every target; only what a reset, slow, lost or unreadable create
/// answer leads to differs per target (`reset`, `after_lost`, `malformed`).
fn run_table(
    platform: Platform,
    reset: Expected,
    after_lost: fn() -> Expected,
    malformed: Expected,
) {
    let slow = Duration::from_millis(TIMEOUT_MS * 3);
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
        ("connection reset", vec![Fault::Reset], reset),
        (
            "answer slower than the client timeout (post stored)",
            vec![Fault::Slow(slow)],
            after_lost(),
        ),
        (
            "lost answer (post stored, connection dropped)",
            vec![Fault::Lost],
            after_lost(),
        ),
        (
            "malformed JSON in the create answer (post stored)",
            vec![Fault::Malformed],
            malformed,
        ),
        (
            "401",
            vec![Fault::Status(401)],
            Expected {
                status: "failed",
                error: Some("Unauthorized"),
                posts: 0,
                recorded: false,
                creates: 1,
                attempts: 1,
                retried_on: &[],
            },
        ),
    ];
    for (name, program, want) in table {
        check(platform, name, program, want);
    }
}

fn created(creates: u32, attempts: usize, retried_on: &'static [&'static str]) -> Expected {
    Expected {
        status: "created",
        error: None,
        posts: 1,
        recorded: true,
        creates,
        attempts,
        retried_on,
    }
}

/// Dev.to: the retry finds the stored post by its canonical URL and adopts it.
#[test]
fn devto_under_faults() {
    run_table(
        Platform::Devto,
        created(2, 2, &[UNAVAILABLE]),
        || created(1, 2, &[UNAVAILABLE]),
        created(1, 2, &[UNAVAILABLE]),
    );
}

/// Hashnode: the retry finds the stored post by its slug in the publication and adopts it.
#[test]
fn hashnode_under_faults() {
    run_table(
        Platform::Hashnode,
        created(2, 2, &[UNAVAILABLE]),
        || created(1, 2, &[UNAVAILABLE]),
        created(1, 2, &[UNAVAILABLE]),
    );
}

/// Medium cannot look posts up: after an unanswered create the retry does not create again
/// and reports the post as unsupported (to be checked by hand), without an id. A reset after
/// the request was sent is unanswered too: nothing was stored, and the report says to check.
fn medium_unknown() -> Expected {
    Expected {
        status: "unsupported",
        error: None,
        posts: 1,
        recorded: false,
        creates: 1,
        attempts: 2,
        retried_on: &[UNAVAILABLE],
    }
}

#[test]
fn medium_under_faults() {
    let reset = Expected {
        posts: 0,
        ..medium_unknown()
    };
    run_table(Platform::Medium, reset, medium_unknown, medium_unknown());
}

/// OpenSearch: PUT by document id is an upsert, so a repeated create replaces the document
/// (one document, two PUTs); a 2xx with an unreadable body still means it is indexed.
#[test]
fn opensearch_under_faults() {
    run_table(
        Platform::Opensearch,
        created(2, 2, &[UNAVAILABLE]),
        || created(2, 2, &[UNAVAILABLE]),
        created(1, 1, &[]),
    );
}
