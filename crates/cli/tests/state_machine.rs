//! The contract of `asl/crosspost.asl.json`: what Terraform fills in, what each target Task
//! retries and catches, and the paths that the examples do not take (unpublish, scheduled).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

fn definition() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../asl/crosspost.asl.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn tasks(def: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    // The platforms in one Parallel, then OpenSearch (`Index`).
    for parallel in ["Targets", "Index"] {
        for branch in def["States"][parallel]["Branches"].as_array().unwrap() {
            for (name, state) in branch["States"].as_object().unwrap() {
                if state["Type"] == "Task" {
                    out.push((name.clone(), state.clone()));
                }
            }
        }
    }
    out
}

fn retrier<'a>(task: &'a Value, error: &str) -> Option<&'a Value> {
    task["Retry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ErrorEquals"].as_array().unwrap().contains(&json!(error)))
}

#[test]
fn placeholders_are_exactly_the_four_function_arns() {
    let text = definition().to_string();
    let mut found: Vec<&str> = text
        .match_indices("${")
        .map(|(i, _)| {
            let end = text[i..].find('}').unwrap();
            &text[i..i + end + 1]
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "${devto_arn}",
            "${hashnode_arn}",
            "${medium_arn}",
            "${opensearch_arn}"
        ]
    );
}

#[test]
fn every_target_task_retries_and_catches_by_contract() {
    let def = definition();
    let tasks = tasks(&def);
    assert_eq!(tasks.len(), 4);
    for (name, task) in &tasks {
        assert_eq!(task["Resource"], "arn:aws:states:::lambda:invoke", "{name}");
        assert!(task["Parameters"]["FunctionName"]
            .as_str()
            .unwrap()
            .starts_with("${"));
        assert!(task["TimeoutSeconds"].as_u64().unwrap() > 0, "{name}");
        for transient in [
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.TooManyRequestsException",
            "PlatformUnavailable",
        ] {
            assert!(
                retrier(task, transient).is_some(),
                "{name} retries {transient}"
            );
        }
        let rate = retrier(task, "RateLimited").unwrap();
        // Never sooner than the Retry-After Dev.to sends for creates and updates (30 s), and
        // past its 300 s anti-spam window by the last attempt: no jitter, which could only
        // make a retry earlier.
        assert!(rate["IntervalSeconds"].as_u64().unwrap() >= 30);
        assert_eq!(rate["JitterStrategy"], "NONE");
        let waits: f64 = (0..rate["MaxAttempts"].as_u64().unwrap() as i32)
            .map(|i| {
                (rate["IntervalSeconds"].as_f64().unwrap()
                    * rate["BackoffRate"].as_f64().unwrap().powi(i))
                .min(rate["MaxDelaySeconds"].as_f64().unwrap())
            })
            .sum();
        assert!(
            waits > 300.0,
            "{name}: RateLimited retries span only {waits} s"
        );
        assert!(rate["MaxDelaySeconds"].as_u64().is_some());
        // A lost create race (another revision is creating) must outlast one target
        // invocation (60 s Lambda timeout), or the newer revision would fail instead of
        // updating the post once the older one has created it.
        let conflict = retrier(task, "Conflict").unwrap();
        let attempts = conflict["MaxAttempts"].as_u64().unwrap();
        let interval = conflict["IntervalSeconds"].as_f64().unwrap();
        let rate = conflict["BackoffRate"].as_f64().unwrap_or(2.0);
        let waited: f64 = (0..attempts).map(|i| interval * rate.powi(i as i32)).sum();
        assert!(
            waited > 60.0,
            "{name}: Conflict retries wait only {waited} s"
        );
        for never in [
            "Unauthorized",
            "InvalidArticle",
            "Misconfigured",
            "States.ALL",
        ] {
            assert!(
                retrier(task, never).is_none(),
                "{name} must not retry {never}"
            );
        }
        let catch = &task["Catch"][0];
        assert_eq!(catch["ErrorEquals"], json!(["States.ALL"]));
        assert!(catch["ResultPath"].is_string());
    }
}

fn run(dir: &Path, file: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_crosspost"))
        .arg("run")
        .arg(file)
        .current_dir(dir)
        .env_remove("CROSSPOST_TARGETS")
        .env_remove("SANITY_PROJECT_ID")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn statuses(dir: &Path) -> Vec<String> {
    let report: Value = serde_json::from_slice(
        &std::fs::read(dir.join("out/rust-lambda-cold-starts/report.json")).unwrap(),
    )
    .unwrap();
    report["report"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn delete_unpublishes_and_a_future_post_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let example: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhook.json"))
            .unwrap(),
    )
    .unwrap();

    // Scheduled: the execution passes through the Wait state (a dry run does not sleep).
    let mut future = example.clone();
    future["body"]["publishedAt"] = json!("2099-01-01T00:00:00Z");
    std::fs::write(dir.join("future.json"), future.to_string()).unwrap();
    let out = run(dir, &dir.join("future.json"));
    assert!(out.contains("Wait until publishAt"), "{out}");
    assert!(out.contains("scheduled"), "{out}");
    assert_eq!(statuses(dir), ["created", "created", "created", "created"]);

    // Published now: no Wait state.
    let out = run(
        dir,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhook.json"),
    );
    assert!(!out.contains("Wait until publishAt"), "{out}");

    // A delete delivery carries only the id; every target takes the post down where it can.
    let mut delete = example.clone();
    delete["headers"]["sanity-operation"] = json!("delete");
    delete["body"] =
        json!({"_id": "post-rust-lambda-cold-starts", "slug": "rust-lambda-cold-starts"});
    std::fs::write(dir.join("delete.json"), delete.to_string()).unwrap();
    let out = run(dir, &dir.join("delete.json"));
    assert!(out.contains("execution unp-"), "{out}");
    assert_eq!(
        statuses(dir),
        ["unpublished", "unpublished", "unsupported", "unpublished"]
    );
}
