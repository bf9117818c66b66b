//! Ten thousand marks on one span (10,000 names in its `marks`, so marks nested 10,000 deep)
//! render, and in memory that grows with the output, not with its square.
//!
//! Each nested mark renders its children into a buffer of its own, and closed marks' buffers
//! are reused; keeping every one of them held all the output inside each level at once (5 GB
//! peak for this 100 KB input). On Linux the peak resident memory of this test process
//! (alone in its binary) is read from `/proc/self/status`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use portable_text::{render_str, Format, SanityConfig};

#[test]
fn ten_thousand_marks_on_one_span_render_in_bounded_memory() {
    let marks: Vec<String> = (0..10_000).map(|i| format!("\"m{i}\"")).collect();
    let json = format!(
        r#"[{{"_type":"block","children":[{{"_type":"span","text":"x","marks":[{}]}}]}}]"#,
        marks.join(",")
    );
    let before = peak_resident_kib();
    let html = render_str(&json, Format::Html, &SanityConfig::default()).unwrap();
    let grown = peak_resident_kib()
        .zip(before)
        .map(|(after, before)| after - before);
    assert_eq!(
        html.matches("<span class=\"unknown__pt__mark__").count(),
        10_000
    );
    assert!(
        grown.is_some() || !cfg!(target_os = "linux"),
        "no VmHWM in /proc/self/status"
    );
    // The output is 0.46 MB; 256 MiB leaves room for allocator slack and the test harness.
    if let Some(grown) = grown {
        assert!(
            grown < 256 * 1024,
            "peak resident memory grew by {grown} KiB rendering {} bytes of HTML",
            html.len()
        );
    }
    let md = render_str(&json, Format::Markdown, &SanityConfig::default()).unwrap();
    assert_eq!(md, "x");
}

/// `VmHWM` (peak resident set size) of this process, in KiB; `None` where there is no
/// `/proc/self/status`.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
