//! End to end: `crosspost run` on every example, in a temporary folder, through the real
//! state machine and every target's handler (dry run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/command.rs"]
mod command;

use std::path::{Path, PathBuf};

use serde_json::Value;

const SECRET_TOKEN: &str = "devto-secret-value-123";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Runs `crosspost run FILE` in `dir`; returns (exit ok, stdout).
fn run(dir: &Path, file: &Path) -> (bool, String) {
    run_with(dir, file, None)
}

/// The same, with the Sanity query API at `sanity_api` (a stand-in).
fn run_with(dir: &Path, file: &Path, sanity_api: Option<&str>) -> (bool, String) {
    let mut cmd = command::crosspost(dir);
    if let Some(url) = sanity_api {
        cmd.env("SANITY_API_URL", url);
    }
    cmd.arg("run").arg(file);
    cmd.env("DEVTO_API_KEY", SECRET_TOKEN)
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production");
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(SECRET_TOKEN) && !stderr.contains(SECRET_TOKEN));
    (out.status.success(), format!("{stdout}{stderr}"))
}

/// The per-target statuses of the last run, from `out/<slug>/report.json`.
fn statuses(dir: &Path, slug: &str) -> Vec<(String, String)> {
    let report: Value = serde_json::from_slice(
        &std::fs::read(dir.join("out").join(slug).join("report.json")).unwrap(),
    )
    .unwrap();
    report["report"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["target"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Every file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap_or_default()));
        }
    }
    out
}

/// The example file with its title changed (the document sits under `body` in a delivery file).
fn edited(src: &Path, dst: &Path) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
    let doc = if v.get("headers").is_some() {
        &mut v["body"]
    } else {
        &mut v
    };
    doc["title"] = Value::String(format!("{} (revised)", doc["title"].as_str().unwrap()));
    doc["_rev"] = Value::String("revised-rev-2".into());
    std::fs::write(dst, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn check(example: &str, slug: &str, first: &[(&str, &str)], edit: &[(&str, &str)]) {
    check_with(example, slug, first, edit, None)
}

fn check_with(
    example: &str,
    slug: &str,
    first: &[(&str, &str)],
    edit: &[(&str, &str)],
    sanity_api: Option<&str>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let src = examples().join(example);
    let run = |dir: &Path, file: &Path| run_with(dir, file, sanity_api);

    let (ok, out) = run(dir, &src);
    assert!(ok, "{example}: {out}");
    assert!(
        out.contains("state timings:") && out.contains("Publish to Devto"),
        "{out}"
    );
    assert_eq!(statuses(dir, slug), pairs(first), "{example} first run");

    // Files: one request per target that sent one, headers redacted, rendered bodies.
    let post = dir.join("out").join(slug);
    let devto: Value =
        serde_json::from_slice(&std::fs::read(post.join("devto.json")).unwrap()).unwrap();
    assert_eq!(devto["method"], "POST");
    assert_eq!(devto["url"], "https://dev.to/api/articles");
    assert_eq!(devto["headers"]["api-key"], "[redacted]");
    let md = std::fs::read_to_string(post.join("devto.md")).unwrap();
    assert!(md.contains("```"), "{md}");
    let hashnode: Value =
        serde_json::from_slice(&std::fs::read(post.join("hashnode.json")).unwrap()).unwrap();
    assert_eq!(hashnode["headers"]["authorization"], "[redacted]");
    for (path, text) in files(dir) {
        assert!(
            !text.contains(SECRET_TOKEN),
            "{} leaks the token",
            path.display()
        );
        assert!(
            !text.contains("dry-run-placeholder"),
            "{} leaks the placeholder",
            path.display()
        );
    }

    // OpenSearch runs after the platforms: the first run's search document already has the
    // URL of every platform that created the post (so the re-run below is all `unchanged`).
    let report: Value =
        serde_json::from_slice(&std::fs::read(post.join("report.json")).unwrap()).unwrap();
    let search: Value =
        serde_json::from_slice(&std::fs::read(post.join("opensearch.json")).unwrap()).unwrap();
    for r in report["report"]["results"].as_array().unwrap() {
        let target = r["target"].as_str().unwrap();
        if target != "opensearch" && r["status"] == "created" {
            assert_eq!(
                search["body"]["syndication"][format!("{target}_url")],
                r["url"],
                "{example}: the search document has the {target} URL"
            );
        }
    }

    let (ok, out) = run(dir, &src);
    assert!(ok, "{out}");
    let unchanged: Vec<(String, String)> = statuses(dir, slug)
        .into_iter()
        .map(|(t, s)| {
            let expect = if s == "skipped" {
                s.clone()
            } else {
                "unchanged".to_string()
            };
            assert_eq!(s, expect, "{example} second run, {t}");
            (t, s)
        })
        .collect();
    assert_eq!(unchanged.len(), 4);

    let changed = dir.join("edited.json");
    edited(&src, &changed);
    let (ok, out) = run(dir, &changed);
    assert!(ok, "{out}");
    assert_eq!(statuses(dir, slug), pairs(edit), "{example} after an edit");

    // The dry-run ledger lives apart from the live one.
    assert!(dir.join(".crosspost/dry-run/ledger.ndjson").is_file());
    assert!(!dir.join(".crosspost/live").exists());
}

#[test]
fn the_webhook_example() {
    check(
        "webhook.json",
        "rust-lambda-cold-starts",
        &[
            ("devto", "created"),
            ("hashnode", "created"),
            ("medium", "created"),
            ("opensearch", "created"),
        ],
        &[
            ("devto", "updated"),
            ("hashnode", "updated"),
            ("medium", "unsupported"),
            ("opensearch", "updated"),
        ],
    );
}

/// The plain document references its categories; their titles come from the query API.
#[tokio::test(flavor = "multi_thread")]
async fn the_cold_start_post_as_a_plain_document() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2021-10-21/data/query/production"))
        .and(query_param("$id", "\"post-rust-lambda-cold-starts\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "result": {"_id": "post-rust-lambda-cold-starts", "categories": ["Rust", "AWS", "Serverless"]}
        })))
        .expect(3)
        .mount(&server)
        .await;
    let uri = server.uri();
    tokio::task::spawn_blocking(move || the_cold_start_post(&uri))
        .await
        .unwrap();
}

fn the_cold_start_post(sanity_api: &str) {
    check_with(
        "posts/rust-lambda-cold-starts.json",
        "rust-lambda-cold-starts",
        &[
            ("devto", "created"),
            ("hashnode", "created"),
            ("medium", "created"),
            ("opensearch", "created"),
        ],
        &[
            ("devto", "updated"),
            ("hashnode", "updated"),
            ("medium", "unsupported"),
            ("opensearch", "updated"),
        ],
        Some(sanity_api),
    );
}

#[test]
fn the_portable_text_post_opts_out_of_medium() {
    check(
        "posts/portable-text-in-practice.json",
        "portable-text-in-practice",
        &[
            ("devto", "created"),
            ("hashnode", "created"),
            ("medium", "skipped"),
            ("opensearch", "created"),
        ],
        &[
            ("devto", "updated"),
            ("hashnode", "updated"),
            ("medium", "skipped"),
            ("opensearch", "updated"),
        ],
    );
}

#[test]
fn a_bad_file_is_refused_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("bad.json");
    std::fs::write(
        &f,
        br#"{"_id": "p1", "_rev": "r", "title": 3, "slug": "x", "body": []}"#,
    )
    .unwrap();
    let (ok, out) = run(tmp.path(), &f);
    assert!(!ok);
    assert!(
        out.contains("field `title` must be a string, found a number"),
        "{out}"
    );
}

/// `--live` against a stand-in Dev.to that refuses the key: `Unauthorized` is not retried, the
/// branch reports `failed`, the other branches still finish (no token: `skipped`), and the
/// execution fails with `TargetsFailed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_fails_one_branch_and_the_execution() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let devto = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "unauthorized", "status": 401})),
        )
        .expect(1)
        .mount(&devto)
        .await;
    let uri = devto.uri();
    let (ok, out, statuses) = tokio::task::spawn_blocking(move || {
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = command::crosspost(tmp.path());
        cmd.arg("run")
            .arg(examples().join("webhook.json"))
            .arg("--live");
        let out = cmd
            .env("DEVTO_API_KEY", SECRET_TOKEN)
            .env("DEVTO_BASE_URL", &uri)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains(SECRET_TOKEN));
        let report: Value = serde_json::from_slice(
            &std::fs::read(tmp.path().join("out/rust-lambda-cold-starts/report.json")).unwrap(),
        )
        .unwrap();
        // The failed line carries the Lambda-shaped error, as Step Functions would record it.
        let devto = &report["report"]["results"][0];
        assert_eq!(devto["error"], "Unauthorized");
        let cause: Value = serde_json::from_str(devto["cause"].as_str().unwrap()).unwrap();
        assert_eq!(cause["errorType"], "Unauthorized");
        assert!(
            cause["errorMessage"].as_str().unwrap().contains("devto"),
            "{cause}"
        );
        assert_eq!(report["error"], "TargetsFailed");
        (
            out.status.success(),
            text,
            statuses(tmp.path(), "rust-lambda-cold-starts"),
        )
    })
    .await
    .unwrap();
    assert!(!ok, "{out}");
    assert!(out.contains("FAILED"), "{out}");
    assert_eq!(
        statuses,
        pairs(&[
            ("devto", "failed"),
            ("hashnode", "skipped"),
            ("medium", "skipped"),
            ("opensearch", "skipped"),
        ])
    );
    assert!(out.contains("Unauthorized"), "{out}");
}

/// A 1 MB post: the initiator stores it as a snapshot (claim check), every handler loads it;
/// Dev.to refuses bodies over its limit as `InvalidArticle` without stopping the others.
#[test]
fn a_one_megabyte_post_goes_through_a_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut doc: Value = serde_json::from_slice(
        &std::fs::read(examples().join("posts/portable-text-in-practice.json")).unwrap(),
    )
    .unwrap();
    let paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(20);
    doc["body"] = Value::Array(
        (0..900)
            .map(|i| {
                serde_json::json!({"_type": "block", "_key": format!("b{i}"), "style": "normal",
                    "markDefs": [], "children": [{"_type": "span", "_key": format!("s{i}"),
                    "text": paragraph, "marks": []}]})
            })
            .collect(),
    );
    doc["optOut"] = Value::Array(Vec::new());
    let file = dir.join("big.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() > 1_000_000);
    let (ok, out) = run(dir, &file);
    assert!(!ok, "{out}");
    assert_eq!(
        statuses(dir, "portable-text-in-practice"),
        pairs(&[
            ("devto", "failed"),
            ("hashnode", "created"),
            ("medium", "created"),
            ("opensearch", "created"),
        ])
    );
    assert!(out.contains("InvalidArticle"), "{out}");
    let snapshot = dir.join(
        ".crosspost/dry-run/snapshots/articles/post-portable-text-in-practice/Bc3Fh6JkL9nP2rS5tV8wXy.json",
    );
    assert!(std::fs::metadata(&snapshot).unwrap().len() > 1_000_000);
    let opensearch =
        std::fs::read_to_string(dir.join("out/portable-text-in-practice/opensearch.txt")).unwrap();
    assert!(opensearch.len() > 900_000, "{}", opensearch.len());
}
