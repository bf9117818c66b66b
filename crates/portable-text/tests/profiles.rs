//! Snapshot tests of every profile over one realistic technical post
//! (`tests/fixtures/post.json`). The snapshots were reviewed by reading them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portable_text::{render_str, Format, SanityConfig};

fn post() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/post.json"
    ))
    .unwrap()
}

fn sanity() -> SanityConfig {
    SanityConfig {
        project_id: Some("3do82whm".into()),
        dataset: Some("production".into()),
    }
}

fn render(f: Format) -> String {
    render_str(&post(), f, &sanity()).unwrap()
}

#[test]
fn devto() {
    insta::assert_snapshot!("devto", render(Format::Devto));
}

#[test]
fn hashnode() {
    insta::assert_snapshot!("hashnode", render(Format::Hashnode));
}

#[test]
fn medium() {
    insta::assert_snapshot!("medium", render(Format::Medium));
}

#[test]
fn text() {
    insta::assert_snapshot!("text", render(Format::Text));
}

#[test]
fn html_default() {
    insta::assert_snapshot!("html", render(Format::Html));
}

#[test]
fn markdown_default() {
    insta::assert_snapshot!("markdown", render(Format::Markdown));
}

#[test]
fn images_without_project_are_left_out_of_profiles() {
    let out = render_str(&post(), Format::Devto, &SanityConfig::default()).unwrap();
    assert!(!out.contains("cdn.sanity.io"));
    assert!(!out.contains("Flame graph"));
}
