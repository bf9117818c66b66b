//! Memory held while rendering: marks nested 10,000 deep on one span (10,000 names in its
//! `marks`) render in memory that grows with the output, not with its square.
//!
//! Each nested mark renders its children into a buffer of its own, and closed marks' buffers
//! are reused; keeping every one of them held all the output inside each level at once (5 GB
//! peak for this 100 KB input). The peak resident memory of this test process (alone in its
//! binary) is read from `/proc/self/status`, so the test runs on Linux only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(target_os = "linux")]
#[test]
fn ten_thousand_nested_marks_render_in_bounded_memory() {
    use portable_text::{render_str, Format, SanityConfig};

    let marks: Vec<String> = (0..10_000).map(|i| format!("\"m{i}\"")).collect();
    let json = format!(
        r#"[{{"_type":"block","children":[{{"_type":"span","text":"x","marks":[{}]}}]}}]"#,
        marks.join(",")
    );
    let before = peak_resident_kib();
    let html = render_str(&json, Format::Html, &SanityConfig::default()).unwrap();
    let grown = peak_resident_kib().saturating_sub(before);
    assert_eq!(
        html.matches("<span class=\"unknown__pt__mark__").count(),
        10_000
    );
    // The output is 0.46 MB; 256 MiB leaves room for allocator slack and the test harness.
    assert!(
        grown < 256 * 1024,
        "peak resident memory grew by {grown} KiB rendering {} bytes of HTML",
        html.len()
    );
}

/// `VmHWM` (peak resident set size) of this process, in KiB.
#[cfg(target_os = "linux")]
fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
