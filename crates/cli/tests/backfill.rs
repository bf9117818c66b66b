//! `crosspost backfill`: a small dataset export (bare NDJSON and the `.tar.gz` that
//! `sanity dataset export` writes) through the real pipeline, dry run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/command.rs"]
mod command;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Runs `crosspost backfill ARGS` in `dir`; returns (exit ok, stdout, stderr).
fn backfill(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = command::crosspost(dir)
        .arg("backfill")
        .args(args)
        .env_remove("SANITY_PROJECT_ID")
        .env_remove("SANITY_DATASET")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Packs `ndjson` as `<export>/data.ndjson` plus an asset file into a `.tar.gz`.
fn tarball(ndjson: &Path, dest: &Path) {
    let file = std::fs::File::create(dest).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_path_with_name(ndjson, "production-export-2025-01-10/data.ndjson")
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\nnot really";
    let mut header = tar::Header::new_gnu();
    header.set_size(png.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(
        &mut header,
        "production-export-2025-01-10/images/abc-100x50.png",
        &png[..],
    )
    .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
}

/// `(post, [devto, hashnode, medium, opensearch])` from `out/backfill.json`.
fn table(dir: &Path) -> Vec<(String, Vec<String>)> {
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/backfill.json")).unwrap()).unwrap();
    doc["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let r = &p["results"];
            (
                p["post"].as_str().unwrap().to_string(),
                ["devto", "hashnode", "medium", "opensearch"]
                    .iter()
                    .map(|t| r[t].as_str().unwrap_or("-").to_string())
                    .collect(),
            )
        })
        .collect()
}

fn rows(expected: &[(&str, [&str; 4])]) -> Vec<(String, Vec<String>)> {
    expected
        .iter()
        .map(|(p, r)| (p.to_string(), r.iter().map(|s| s.to_string()).collect()))
        .collect()
}

/// Every published post is run; the category, the image asset and the draft are not. The
/// second run finds everything in the ledger.
fn check(export: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = backfill(tmp.path(), &[export.to_str().unwrap()]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        table(tmp.path()),
        rows(&[
            ("first-post", ["created", "created", "created", "created"]),
            ("second-post", ["created", "created", "created", "created"]),
            ("third-post", ["created", "created", "skipped", "created"]),
        ])
    );
    // The printed table: a header and one line per post, in export order.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["post", "devto", "hashnode", "medium", "opensearch"]
    );
    assert_eq!(
        lines[3].split_whitespace().collect::<Vec<_>>(),
        ["third-post", "created", "created", "skipped", "created"]
    );
    assert!(
        stdout.contains("3 `post` documents of 6 (3 skipped: other types or drafts)"),
        "{stdout}"
    );
    assert!(!stdout.contains("draft-post"), "{stdout}");
    // Each post got the same output folder as `crosspost run`.
    for slug in ["first-post", "second-post", "third-post"] {
        let dir = tmp.path().join("out").join(slug);
        for f in ["report.json", "devto.json", "devto.md", "run.svg"] {
            assert!(dir.join(f).is_file(), "{slug}/{f}");
        }
    }
    assert!(!tmp.path().join("out/draft-post").exists());

    let (ok, stdout, stderr) = backfill(tmp.path(), &[export.to_str().unwrap()]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        table(tmp.path()),
        rows(&[
            (
                "first-post",
                ["unchanged", "unchanged", "unchanged", "unchanged"]
            ),
            (
                "second-post",
                ["unchanged", "unchanged", "unchanged", "unchanged"]
            ),
            (
                "third-post",
                ["unchanged", "unchanged", "skipped", "unchanged"]
            ),
        ])
    );
}

#[test]
fn a_bare_ndjson_export() {
    check(&data("export-small.ndjson"));
}

#[test]
fn a_tar_gz_export() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("production.tar.gz");
    tarball(&data("export-small.ndjson"), &archive);
    check(&archive);
}

#[test]
fn another_type_is_selected_with_type() {
    let tmp = tempfile::tempdir().unwrap();
    let export = data("export-small.ndjson");
    let (_, stdout, stderr) = backfill(tmp.path(), &[export.to_str().unwrap(), "--type", "page"]);
    assert!(
        stdout.contains("0 `page` documents of 6"),
        "{stdout}{stderr}"
    );
    assert_eq!(table(tmp.path()), rows(&[]));
}

#[test]
fn a_bad_line_is_refused_with_its_number() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(data("export-small.ndjson")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(2, "{\"_id\": \"post-broken\", \"_type\": ");
    let bad = tmp.path().join("data.ndjson");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, stdout, stderr) = backfill(tmp.path(), &[bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("data.ndjson: line 3: not a JSON object"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "nothing is run: {stdout}");
    assert!(!tmp.path().join("out").exists());

    // A line that is JSON but not an object, inside an archive.
    std::fs::write(&bad, format!("{}\n[1, 2]\n", lines[0])).unwrap();
    let archive = tmp.path().join("export.tar.gz");
    tarball(&bad, &archive);
    let (ok, _, stderr) = backfill(tmp.path(), &[archive.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        stderr.contains("export.tar.gz!data.ndjson: line 2: not a JSON object: found an array"),
        "{stderr}"
    );
}
