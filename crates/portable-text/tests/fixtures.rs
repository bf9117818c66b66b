//! Reference fixtures: our HTML must equal `@portabletext/to-html` 6.0.0 and our
//! Markdown must equal `@portabletext/markdown` 2.2.0 (default options) for every case,
//! except the Markdown deviations listed in the crate README (and below).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use portable_text::{render_str, Format, SanityConfig};

/// Cases whose Markdown differs from the reference, with the reason (mirrored in README.md).
const MARKDOWN_DEVIATIONS: &[(&str, &str)] = &[];

struct Case {
    name: String,
    input: String,
    html: String,
    markdown: Option<String>,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        // Re-read the input's exact text (key order matters for JSON fallbacks).
        out.push(Case {
            name: v["name"].as_str().unwrap().to_owned(),
            input: input_text(&fs::read_to_string(&path).unwrap()),
            html: v["html"].as_str().unwrap().to_owned(),
            markdown: v["markdown"].as_str().map(str::to_owned),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Extracts the raw JSON text of the `input` field, keeping key order.
fn input_text(file: &str) -> String {
    #[derive(serde::Deserialize)]
    struct F<'a> {
        #[serde(borrow)]
        input: &'a serde_json::value::RawValue,
    }
    let f: F<'_> = serde_json::from_str(file).unwrap();
    f.input.get().to_owned()
}

fn check(format: Format, input: &str, expected: &str) -> Result<(), String> {
    let got = render_str(input, format, &SanityConfig::default()).map_err(|e| e.to_string())?;
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected:\n{expected}\n---- got:\n{got}"))
    }
}

#[test]
fn html_matches_to_html_v6() {
    let cases = cases();
    assert_eq!(cases.len(), 86);
    let mut failures = Vec::new();
    for c in &cases {
        if let Err(e) = check(Format::Html, &c.input, &c.html) {
            failures.push(format!("== {}\n{e}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} HTML cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn markdown_matches_portabletext_markdown_v2() {
    let cases = cases();
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in &cases {
        let Some(expected) = &c.markdown else {
            continue;
        };
        checked += 1;
        let deviation = MARKDOWN_DEVIATIONS.iter().find(|(n, _)| *n == c.name);
        match (check(Format::Markdown, &c.input, expected), deviation) {
            (Ok(()), None) => {}
            (Err(e), None) => failures.push(format!("== {}\n{e}", c.name)),
            (Err(_), Some(_)) => {}
            (Ok(()), Some(_)) => failures.push(format!(
                "== {} is listed as a deviation but now matches",
                c.name
            )),
        }
    }
    assert_eq!(checked, 85);
    assert!(
        failures.is_empty(),
        "{} Markdown cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
