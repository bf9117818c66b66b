//! Runs every case of the ASL conformance suite (recorded on real AWS, see
//! `conformance/PROVENANCE.md`) in-process and compares the results like the suite's own
//! runner: modes `exact`, `ignore-cause` and `shape`; numbers compare by value; object key
//! order is ignored.
//!
//! The test fails when fewer than 97% of the cases pass, when a case that is not in
//! `conformance/known-failures.tsv` fails, or when a listed case passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use asl::{ExecutionOptions, ExecutionType, HistoryLevel, NoTasks, StateMachine, VirtualClock};
use serde_json::Value;

const MIN_PASS_RATE: f64 = 0.97;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The first difference between expected and actual, or None.
fn first_diff(
    exp: &Value,
    act: &Value,
    path: &str,
    shape: bool,
    ignore_cause: bool,
) -> Option<String> {
    if kind(exp) != kind(act) {
        return Some(format!(
            "{path}: expected {} {exp}, got {} {act}",
            kind(exp),
            kind(act)
        ));
    }
    match (exp, act) {
        (Value::Object(e), Value::Object(a)) => {
            if let Some(k) = e.keys().find(|k| !a.contains_key(*k)) {
                return Some(format!("{path}: missing key {k:?}"));
            }
            if let Some(k) = a.keys().find(|k| !e.contains_key(*k)) {
                return Some(format!("{path}: unexpected key {k:?}"));
            }
            let skip_cause = ignore_cause && e.contains_key("Error") && e.contains_key("Cause");
            for (k, ev) in e {
                if skip_cause && k == "Cause" {
                    continue;
                }
                if let Some(d) = first_diff(ev, &a[k], &format!("{path}.{k}"), shape, ignore_cause)
                {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path}: expected {} item(s), got {}: {act}",
                    e.len(),
                    a.len()
                ));
            }
            e.iter().zip(a).enumerate().find_map(|(i, (x, y))| {
                first_diff(x, y, &format!("{path}[{i}]"), shape, ignore_cause)
            })
        }
        _ if shape => None,
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64() != y.as_f64()).then(|| format!("{path}: expected {exp}, got {act}"))
        }
        _ => (exp != act).then(|| format!("{path}: expected {exp}, got {act}")),
    }
}

/// None when `result` conforms to the case, else the reason.
fn check(case: &Value, result: &Value) -> Option<String> {
    let exp = &case["expected"];
    let mode = case["compare"].as_str().unwrap_or("exact");
    if result["status"] != exp["status"] {
        return Some(format!(
            "expected {} , got {} error={} cause={}",
            exp["status"], result["status"], result["error"], result["cause"]
        ));
    }
    if exp["status"] == "SUCCEEDED" {
        return first_diff(
            &exp["output"],
            &result["output"],
            "$",
            mode == "shape",
            mode == "ignore-cause",
        )
        .map(|d| format!("output {d}"));
    }
    if result["error"] != exp["error"] {
        return Some(format!(
            "error: expected {}, got {}",
            exp["error"], result["error"]
        ));
    }
    if mode == "exact" && result["cause"] != exp["cause"] {
        return Some(format!(
            "cause: expected {}, got {}",
            exp["cause"], result["cause"]
        ));
    }
    None
}

async fn run_case(case: &Value) -> Value {
    let sm = match StateMachine::from_value(case["definition"].clone()) {
        Ok(sm) => sm,
        Err(e) => {
            return serde_json::json!({"status": "INVALID", "error": e.to_string(), "cause": null})
        }
    };
    let mut opts = ExecutionOptions::new(Arc::new(NoTasks), Arc::new(VirtualClock::starting_now()));
    opts.name = "conformance-execution".into();
    opts.state_machine_name = "conformance-machine".into();
    opts.history = HistoryLevel::Events;
    // The case was recorded with StartSyncExecution on an express workflow.
    if case["source"]
        .as_str()
        .is_some_and(|s| s.contains("start_execution_sync"))
    {
        opts.execution_type = ExecutionType::Express;
    }
    sm.execute(case["input"].clone(), opts).await.result_json()
}

fn known_failures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir().join("known-failures.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l
                .split_once('\t')
                .expect("a line of known-failures.tsv needs a TAB and a reason");
            assert!(
                !reason.trim().is_empty(),
                "known failure {name} has no reason"
            );
            (name.to_string(), reason.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let filter = std::env::var("ASL_CONFORMANCE_FILTER").ok();
    let known = known_failures();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut by_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for f in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap().to_string();
        if filter.as_deref().is_some_and(|flt| !name.contains(flt)) {
            continue;
        }
        let group = name.split("__").next().unwrap_or("").to_string();
        let result = run_case(&case).await;
        let entry = by_group.entry(group).or_default();
        match check(&case, &result) {
            None => {
                passed += 1;
                entry.0 += 1;
                if known.contains_key(&name) {
                    now_passing.push(name);
                }
            }
            Some(reason) => {
                failed += 1;
                entry.1 += 1;
                println!("FAIL {name}: {reason}");
                if !known.contains_key(&name) {
                    unexpected.push(name);
                }
            }
        }
    }
    for (g, (p, f)) in &by_group {
        println!("{g}: {p} passed, {f} failed");
    }
    println!("{passed} passed, {failed} failed");
    if filter.is_some() {
        return;
    }
    assert_eq!(passed + failed, 821, "the suite should hold 821 cases");
    let rate = passed as f64 / (passed + failed) as f64;
    assert!(
        rate >= MIN_PASS_RATE,
        "pass rate {rate:.3} is below {MIN_PASS_RATE}"
    );
    assert!(
        unexpected.is_empty(),
        "cases failed that are not in known-failures.tsv: {unexpected:?}"
    );
    assert!(
        now_passing.is_empty(),
        "cases in known-failures.tsv now pass; remove them from the list: {now_passing:?}"
    );
}
