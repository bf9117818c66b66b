//! Duplicates, races and load at the front door of `crosspost serve`:
//!
//! - the same signed delivery ten times at once starts one execution and makes one post per
//!   platform;
//! - two revisions of one document delivered back to back (and in the wrong order) leave the
//!   newer content on every platform that can be updated, and no duplicate anywhere;
//! - 2,000 signed deliveries of 200 posts over 50 connections: every post is processed once.
//!
//! The first two run `serve --live` against the stateful platform stand-ins of the fault
//! suite, so "one post" is counted where it would be made; the load runs in dry-run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    pub mod command;
    pub mod load;
    pub mod serve;
}

#[path = "faults/standin.rs"]
mod standin;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use serde_json::{json, Value};
use standin::{Platform, Standin};
use support::serve as serving;

const SLUG: &str = "rust-lambda-cold-starts";

/// The four stand-ins, and the environment that points every target at its own.
struct Platforms {
    devto: Standin,
    hashnode: Standin,
    medium: Standin,
    opensearch: Standin,
}

impl Platforms {
    fn start() -> Platforms {
        Platforms {
            devto: Standin::start(Platform::Devto, vec![]),
            hashnode: Standin::start(Platform::Hashnode, vec![]),
            medium: Standin::start(Platform::Medium, vec![]),
            opensearch: Standin::start(Platform::Opensearch, vec![]),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DEVTO_API_KEY", "race-test-key".into()),
            ("DEVTO_BASE_URL", self.devto.base_url.clone()),
            ("HASHNODE_TOKEN", "race-test-token".into()),
            ("HASHNODE_PUBLICATION_ID", "65a000000000000000000001".into()),
            ("HASHNODE_ENDPOINT", self.hashnode.base_url.clone()),
            ("MEDIUM_TOKEN", "race-test-token".into()),
            ("MEDIUM_BASE_URL", self.medium.base_url.clone()),
            ("OPENSEARCH_ENDPOINT", self.opensearch.base_url.clone()),
            ("OPENSEARCH_USERNAME", "race".into()),
            ("OPENSEARCH_PASSWORD", "race-test-password".into()),
            ("CROSSPOST_VIRTUAL_CLOCK", "1".into()),
        ]
    }

    fn all(&self) -> [(&'static str, &Standin); 4] {
        [
            ("devto", &self.devto),
            ("hashnode", &self.hashnode),
            ("medium", &self.medium),
            ("opensearch", &self.opensearch),
        ]
    }
}

/// `serve --live` in `dir` against `platforms`, logging to `dir/serve.log`.
fn serve_live(dir: &Path, platforms: &Platforms) -> serving::Server {
    let env = platforms.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    serving::start(dir, &["--live"], &env, Some(&dir.join("serve.log")))
}

/// The ledger entry of the example post for `target` in a live run in `dir`.
fn ledger_entry(dir: &Path, target: &str) -> Value {
    let folder = dir.join(".crosspost/live/ledger").join(target);
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{target}: ledger files {files:?}");
    serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap()
}

#[test]
fn ten_concurrent_copies_of_one_delivery_start_one_execution_and_one_post_each() {
    let tmp = tempfile::tempdir().unwrap();
    let platforms = Platforms::start();
    let server = serve_live(tmp.path(), &platforms);
    let body = serde_json::to_vec(&serving::example_body()).unwrap();
    let headers = serving::signed_headers(&body);

    let barrier = Arc::new(Barrier::new(10));
    let senders: Vec<_> = (0..10)
        .map(|_| {
            let (barrier, headers, body, port) = (
                Arc::clone(&barrier),
                headers.clone(),
                body.clone(),
                server.port,
            );
            std::thread::spawn(move || {
                barrier.wait();
                serving::post(port, &headers, &body)
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = senders.into_iter().map(|s| s.join().unwrap()).collect();

    for (status, answer) in &answers {
        assert_eq!(*status, 202, "{answer}");
    }
    let names: BTreeSet<&str> = answers
        .iter()
        .map(|(_, a)| a["executionName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "one execution name for one delivery: {names:?}"
    );
    let fresh = answers
        .iter()
        .filter(|(_, a)| a["duplicate"] == json!(false))
        .count();
    assert_eq!(
        fresh, 1,
        "exactly one copy starts the execution: {answers:?}"
    );

    let finished = server.wait_for_executions(1, Duration::from_secs(60));
    // Give a wrongly started second run the time to show itself.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.finished_executions(), finished, "one run only");
    for (target, platform) in platforms.all() {
        assert_eq!(
            platform.posts().len(),
            1,
            "{target}: {:?}",
            platform.posts()
        );
        assert_eq!(platform.creates(), 1, "{target}: create requests");
        let entry = ledger_entry(tmp.path(), target);
        assert_eq!(entry["state"], "published", "{target}: {entry}");
        assert_eq!(
            entry["remoteId"].as_str(),
            Some(post_id(&platform.posts()[0]).as_str())
        );
    }
}

/// A stand-in post's id as the ledger keeps it.
fn post_id(post: &Value) -> String {
    match &post["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The example post as revision `rev`, last edited at `updated_at`, with `marker` in its title
/// and first paragraph.
fn revision(rev: &str, updated_at: &str, marker: &str) -> Vec<u8> {
    let mut body = serving::example_body();
    body["_rev"] = json!(rev);
    body["_updatedAt"] = json!(updated_at);
    body["title"] = json!(format!("Rust on Lambda ({marker})"));
    body["body"][0]["children"][0]["text"] = json!(format!("{marker}: where the cold start goes."));
    serde_json::to_vec(&body).unwrap()
}

/// Delivers `first` then `second` (each answered before the next is sent), waits for both
/// runs, and checks that every updatable platform ends with `newest` and nothing is duplicated.
fn deliver_in_order(first: &[u8], second: &[u8], newest: &str, older: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let platforms = Platforms::start();
    let server = serve_live(tmp.path(), &platforms);
    let mut names = Vec::new();
    for body in [first, second] {
        let (status, answer) = serving::post(server.port, &serving::signed_headers(body), body);
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["duplicate"], false, "{answer}");
        names.push(answer["executionName"].as_str().unwrap().to_string());
    }
    assert_ne!(names[0], names[1], "two revisions are two executions");
    let finished = server.wait_for_executions(2, Duration::from_secs(60));
    assert_eq!(
        finished.iter().collect::<BTreeSet<_>>(),
        names.iter().collect::<BTreeSet<_>>()
    );

    let posts: BTreeMap<&str, Value> = platforms
        .all()
        .into_iter()
        .map(|(target, platform)| {
            let posts = platform.posts();
            assert_eq!(posts.len(), 1, "{target}: a duplicate: {posts:?}");
            (target, posts[0].clone())
        })
        .collect();
    for target in ["devto", "hashnode", "opensearch"] {
        let text = posts[target].to_string();
        assert!(
            text.contains(newest) && !text.contains(older),
            "{target} does not show the newest revision ({newest}): {text}"
        );
        let entry = ledger_entry(tmp.path(), target);
        assert_eq!(entry["state"], "published", "{target}: {entry}");
        assert_eq!(entry["revision"], "rev-newer", "{target}: {entry}");
        assert_eq!(
            entry["remoteId"].as_str(),
            Some(post_id(&posts[target]).as_str()),
            "{target}: the ledger names another post"
        );
    }
    // Medium's API cannot change a post once made (platforms.md): it keeps the revision it
    // got first, and the run of the other revision says why it did not send it.
    let medium = posts["medium"].to_string();
    assert!(
        medium.contains(newest) || medium.contains(older),
        "{medium}"
    );
    assert_eq!(platforms.medium.creates(), 1);

    // The report on disk is the last run's: it says what that revision did on each platform.
    let report: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(format!("out/{SLUG}/report.json"))).unwrap(),
    )
    .unwrap();
    let last = finished.last().unwrap();
    assert_eq!(report["execution"], last.as_str());
    for r in report["report"]["results"].as_array().unwrap() {
        let (target, status) = (r["target"].as_str().unwrap(), r["status"].as_str().unwrap());
        let reason = r["reason"].as_str().unwrap_or_default();
        if last.ends_with("rev-newer") {
            let expected = if target == "medium" {
                "unsupported"
            } else {
                "updated"
            };
            assert_eq!(status, expected, "{target}: {r}");
        } else {
            assert_eq!(status, "unchanged", "{target}: {r}");
            assert!(reason.contains("newer revision"), "{target}: {r}");
        }
    }
}

#[test]
fn two_revisions_back_to_back_end_with_the_newer_content_everywhere() {
    let older = revision("rev-older", "2025-03-04T17:40:12Z", "OLDER-REVISION");
    let newer = revision("rev-newer", "2025-03-04T17:41:30Z", "NEWER-REVISION");
    deliver_in_order(&older, &newer, "NEWER-REVISION", "OLDER-REVISION");
}

#[test]
fn an_older_revision_arriving_late_does_not_overwrite_the_newer_one() {
    let older = revision("rev-older", "2025-03-04T17:40:12Z", "OLDER-REVISION");
    let newer = revision("rev-newer", "2025-03-04T17:41:30Z", "NEWER-REVISION");
    deliver_in_order(&newer, &older, "NEWER-REVISION", "OLDER-REVISION");
}

#[test]
fn two_thousand_deliveries_of_two_hundred_posts_are_each_processed_once() {
    let plan = support::load::Plan {
        posts: 200,
        copies: 10,
        concurrency: 50,
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = serving::start(tmp.path(), &[], &[], Some(&tmp.path().join("serve.log")));
    let outcome = support::load::drive(&server, plan, Duration::from_secs(300));
    println!("{}", outcome.summary(plan));

    assert_eq!(outcome.answers.len(), 2_000);
    assert_eq!(
        outcome.max_in_flight, 50,
        "the load never had 50 requests in flight"
    );
    let mut per_post: BTreeMap<usize, (BTreeSet<String>, usize)> = BTreeMap::new();
    for a in &outcome.answers {
        assert_eq!(a.status, 202, "post {}: {}", a.post, a.body);
        let entry = per_post.entry(a.post).or_default();
        entry
            .0
            .insert(a.body["executionName"].as_str().unwrap().to_string());
        if a.body["duplicate"] == json!(false) {
            entry.1 += 1;
        }
    }
    assert_eq!(per_post.len(), 200);
    for (post, (names, fresh)) in &per_post {
        assert_eq!(names.len(), 1, "post {post}: names {names:?}");
        assert_eq!(*fresh, 1, "post {post}: started {fresh} times");
    }

    // Every post ran once: 200 distinct finished executions, each its own post's.
    std::thread::sleep(Duration::from_millis(500));
    let finished = server.finished_executions();
    assert_eq!(finished.len(), 200, "runs finished");
    let finished: BTreeSet<String> = finished.into_iter().collect();
    let started: BTreeSet<String> = per_post.values().flat_map(|(n, _)| n.clone()).collect();
    assert_eq!(finished, started);
    for i in 0..plan.posts {
        let report: Value = serde_json::from_slice(
            &std::fs::read(
                tmp.path()
                    .join("out")
                    .join(support::load::slug(i))
                    .join("report.json"),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(report["status"], "SUCCEEDED", "post {i}: {report}");
        let statuses: Vec<&str> = report["report"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["created"; 4], "post {i}");
    }
    // The dry run's ledger names every post on every target, each created once.
    let ledger =
        crosspost_core::JournalLedger::new(tmp.path().join(".crosspost/dry-run/ledger.ndjson"));
    let entries = ledger.entries().unwrap();
    assert_eq!(entries.len(), 800, "ledger entries");
    assert!(
        entries
            .iter()
            .all(|e| e.state == crosspost_core::EntryState::Published && e.version == 2),
        "an entry was written more than claim + record"
    );
    assert!(
        !tmp.path().join(format!("out/{SLUG}")).exists(),
        "only the load's posts ran"
    );
}
