//! `run.mmd` and `run.svg`: the state machine coloured by what happened in one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

/// The `class <node> <status>` lines of a Mermaid chart, as (node, status).
fn classes(mmd: &str) -> Vec<(String, String)> {
    mmd.lines()
        .filter_map(|l| l.trim().strip_prefix("class "))
        .map(|l| {
            let (n, s) = l.split_once(' ').unwrap();
            (n.to_string(), s.to_string())
        })
        .collect()
}

fn check(classes: &[(String, String)], node: &str, expected: &str) {
    let found: Vec<&String> = classes
        .iter()
        .filter(|(n, _)| n == node)
        .map(|(_, s)| s)
        .collect();
    assert_eq!(found, [expected], "{node}");
}

/// `data-status` of a state in the SVG.
fn svg_status(svg: &str, state: &str) -> String {
    let key = format!("data-state=\"{state}\" data-status=\"");
    let at = svg
        .find(&key)
        .unwrap_or_else(|| panic!("{state} not in the SVG"))
        + key.len();
    svg[at..].split('"').next().unwrap().to_string()
}

/// `--live` against a stand-in Dev.to that refuses the key (401, not retried) and no other
/// target configured: the Dev.to task is caught, its failure path is failed, the execution's
/// Fail state is failed, and the other targets' branches are skipped.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_target_is_coloured_caught_and_failed_the_others_skipped() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let devto = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "unauthorized", "status": 401})),
        )
        .mount(&devto)
        .await;
    let uri = devto.uri();
    let (mmd, svg) = tokio::task::spawn_blocking(move || {
        let tmp = tempfile::tempdir().unwrap();
        let webhook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhook.json");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
        cmd.arg("run")
            .arg(webhook)
            .arg("--live")
            .current_dir(tmp.path());
        for var in [
            "HASHNODE_TOKEN",
            "MEDIUM_TOKEN",
            "OPENSEARCH_ENDPOINT",
            "CROSSPOST_TARGETS",
        ] {
            cmd.env_remove(var);
        }
        let out = cmd
            .env("DEVTO_API_KEY", "devto-test-key")
            .env("DEVTO_BASE_URL", &uri)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let dir = tmp.path().join("out/rust-lambda-cold-starts");
        (
            std::fs::read_to_string(dir.join("run.mmd")).unwrap(),
            std::fs::read_to_string(dir.join("run.svg")).unwrap(),
        )
    })
    .await
    .unwrap();
    assert!(mmd.starts_with("flowchart TD\n"), "{mmd}");
    let c = classes(&mmd);
    for (node, status) in [
        ("start", "succeeded"),
        ("s_Operation_", "succeeded"),
        ("s_Wait_until_publishAt", "notrun"),
        ("s_Unknown_operation", "notrun"),
        ("s_Targets", "succeeded"),
        ("s_Targets_b0_Devto_enabled_", "succeeded"),
        ("s_Targets_b0_Publish_to_Devto", "caught"),
        ("s_Targets_b0_Devto_error_defaults", "failed"),
        ("s_Targets_b0_Devto_failed", "failed"),
        ("s_Targets_b0_Devto_skipped", "notrun"),
        ("s_Targets_b1_Hashnode_enabled_", "skipped"),
        // Not configured: the handler ran and answered "skipped"; the Choice's own
        // "skipped" state (a disabled target) was not entered.
        ("s_Targets_b1_Hashnode_skipped", "notrun"),
        ("s_Targets_b1_Publish_to_Hashnode", "skipped"),
        ("s_Targets_b1_Hashnode_failed", "notrun"),
        ("s_Targets_b2_Publish_to_Medium", "skipped"),
        ("s_Index", "succeeded"),
        ("s_Index_b0_Publish_to_Opensearch", "skipped"),
        ("s_Index_b0_Opensearch_failed", "notrun"),
        ("s_Report", "succeeded"),
        ("s_Any_target_failed_", "succeeded"),
        ("s_Targets_failed", "failed"),
        ("s_Done", "notrun"),
    ] {
        check(&c, node, status);
    }
    // Every state of the chart is classed once (29 states and the start node).
    assert_eq!(c.len(), 30, "{mmd}");
    for status in ["succeeded", "caught", "failed", "skipped", "notrun"] {
        assert!(
            mmd.contains(&format!("classDef {status} fill:")),
            "{status}"
        );
    }
    // The SVG says the same, with the colours of the legend.
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!svg.contains("<script"));
    for (state, status) in [
        ("Publish to Devto", "caught"),
        ("Devto failed", "failed"),
        ("Hashnode enabled?", "skipped"),
        ("Publish to Medium", "skipped"),
        ("Targets failed", "failed"),
        ("Report", "succeeded"),
    ] {
        assert_eq!(svg_status(&svg, state), status, "{state}");
    }
    assert!(
        svg.contains("— FAILED</text>"),
        "the title names the outcome"
    );
}

/// A dry run of a post that opts out of Medium: Medium's Choice leads to its "skipped" state,
/// the other targets publish, the execution succeeds.
#[test]
fn an_opted_out_target_is_coloured_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let post = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/posts/portable-text-in-practice.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
    cmd.arg("run").arg(post).current_dir(tmp.path());
    for var in ["CROSSPOST_TARGETS", "OPENSEARCH_ENDPOINT"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("SANITY_PROJECT_ID", "demo1234")
        .env("SANITY_DATASET", "production")
        .env("SANITY_API_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mmd =
        std::fs::read_to_string(tmp.path().join("out/portable-text-in-practice/run.mmd")).unwrap();
    let c = classes(&mmd);
    for (node, status) in [
        ("s_Targets_b2_Medium_enabled_", "skipped"),
        ("s_Targets_b2_Medium_skipped", "skipped"),
        ("s_Targets_b2_Publish_to_Medium", "notrun"),
        ("s_Targets_b0_Publish_to_Devto", "succeeded"),
        ("s_Targets_b0_Devto_skipped", "notrun"),
        ("s_Targets_b0_Devto_failed", "notrun"),
        ("s_Targets_failed", "notrun"),
        ("s_Done", "succeeded"),
    ] {
        check(&c, node, status);
    }
}
