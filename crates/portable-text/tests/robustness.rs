//! Limits, defaults and errors: deep nesting, huge inputs, missing fields, bad JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use portable_text::{render_str, render_value, Error, Format, SanityConfig};

const ALL: [Format; 6] = [
    Format::Html,
    Format::Markdown,
    Format::Text,
    Format::Devto,
    Format::Hashnode,
    Format::Medium,
];

fn render(json: &str, f: Format) -> Result<String, Error> {
    render_str(json, f, &SanityConfig::default())
}

fn check(json: &str, f: Format, expected: &str) {
    assert_eq!(
        render(json, f).unwrap(),
        expected,
        "input {json} format {f}"
    );
}

#[test]
fn missing_optional_fields_take_defaults() {
    let cases: &[(&str, Format, &str)] = &[
        // No markDefs, no marks, no style.
        (
            r#"[{"_type":"block","children":[{"_type":"span","text":"hi"}]}]"#,
            Format::Html,
            "<p>hi</p>",
        ),
        (
            r#"[{"_type":"block","children":[{"_type":"span","text":"hi"}]}]"#,
            Format::Markdown,
            "hi",
        ),
        // No children: an empty block.
        (
            r#"[{"_type":"block","style":"h2"}]"#,
            Format::Html,
            "<h2></h2>",
        ),
        (
            r#"[{"_type":"block"},{"_type":"block","children":[{"_type":"span","text":"x"}]}]"#,
            Format::Markdown,
            "x",
        ),
        // listItem without level is level 1.
        (
            r#"[{"_type":"block","listItem":"bullet","children":[{"_type":"span","text":"a"}]}]"#,
            Format::Html,
            "<ul><li>a</li></ul>",
        ),
        // null entries are skipped.
        (
            r#"[null,{"_type":"block","children":[{"_type":"span","text":"a"}]}]"#,
            Format::Html,
            "<p>a</p>",
        ),
        // A single block, and a Sanity document with a body.
        (
            r#"{"_type":"block","children":[{"_type":"span","text":"one"}]}"#,
            Format::Text,
            "one",
        ),
        (
            r#"{"_id":"post-1","_type":"post","title":"T","body":[{"_type":"block","children":[{"_type":"span","text":"body text"}]}]}"#,
            Format::Html,
            "<p>body text</p>",
        ),
        (r#"{"_type":"post","body":null}"#, Format::Html, ""),
        (r#"[]"#, Format::Markdown, ""),
    ];
    for (json, f, expected) in cases {
        check(json, *f, expected);
    }
}

#[test]
fn json_errors_name_line_and_column() {
    let err = render("[\n  {\"_type\": \"block\",}\n]", Format::Html).unwrap_err();
    match &err {
        Error::Json { line, column, .. } => assert_eq!((*line, *column), (2, 21)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("line 2, column 21"), "{err}");
    for bad in [
        "",
        "nul",
        "\"just a string\"",
        "42",
        "[1,2",
        "{\"body\": 5}",
    ] {
        assert!(
            matches!(render(bad, Format::Html), Err(Error::Json { .. })),
            "input {bad:?}"
        );
    }
}

#[test]
fn non_object_entries_are_errors_in_markdown() {
    match render(r#"[{"_type":"block"}, 5]"#, Format::Markdown) {
        Err(Error::NotAnObject { index, found }) => assert_eq!((index, found.as_str()), (1, "5")),
        other => panic!("unexpected {other:?}"),
    }
    // to-html renders them as an unknown type.
    check(r#"[5]"#, Format::Html, "<div style=\"display:none\">Unknown block type &quot;undefined&quot;, specify a component for it in the `components.types` option</div>");
}

#[test]
fn deep_json_nesting_does_not_overflow() {
    let depth = 10_000;
    // Deeply nested arrays: beyond serde_json's recursion limit → a clear error.
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for f in ALL {
        assert!(
            matches!(render(&arrays, f), Err(Error::Json { .. })),
            "format {f}"
        );
    }
    // A custom object whose field nests 10,000 levels deep is kept raw: it renders.
    let deep = format!(
        r#"[{{"_type":"widget","data":{}1{}}}]"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    for f in ALL {
        let out = render(&deep, f).unwrap();
        if f == Format::Markdown {
            assert!(
                out.starts_with(
                    "```json:object\n{\n  \"_type\": \"widget\",\n  \"data\": [\n    [\n"
                ),
                "{}",
                &out[..80]
            );
            assert_eq!(out.matches('[').count(), depth);
        }
    }
    // Deeply nested objects inside a span's marks array are an error, not a crash.
    let deep_obj = format!(
        r#"[{{"_type":"block","children":[{{"_type":"span","text":"x","marks":{}"a"{}}}]}}]"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    for f in ALL {
        let _ = render(&deep_obj, f);
    }
}

#[test]
fn list_level_ten_thousand() {
    let json = r#"[{"_type":"block","listItem":"bullet","level":10000,"children":[{"_type":"span","text":"deep"}]}]"#;
    let html = render(json, Format::Html).unwrap();
    assert_eq!(html.matches("<ul>").count(), 10_000);
    assert_eq!(html.matches("</ul>").count(), 10_000);
    assert_eq!(html.matches("<li>").count(), 10_000);
    assert!(html.starts_with("<ul><li><ul><li>"));
    assert!(html.contains("<ul><li>deep</li></ul>"));
    // Markdown counts each jump in level as one step of nesting.
    check(json, Format::Markdown, "- deep");
    // Back and forth between level 1 and 10000.
    let mut blocks = Vec::new();
    for i in 0..20 {
        let level = if i % 2 == 0 { 1 } else { 10_000 };
        blocks.push(format!(r#"{{"_type":"block","listItem":"number","level":{level},"children":[{{"_type":"span","text":"i{i}"}}]}}"#));
    }
    let json = format!("[{}]", blocks.join(","));
    for f in ALL {
        render(&json, f).unwrap();
    }
}

#[test]
fn absurd_list_levels_are_refused() {
    let json = r#"[{"_type":"block","listItem":"bullet","level":1e12,"children":[]}]"#;
    match render(json, Format::Html) {
        Err(Error::TooDeep { index: 0, level }) => assert_eq!(level, 1e12),
        other => panic!("unexpected {other:?}"),
    }
    // Markdown does not nest lists, so it renders.
    check(json, Format::Markdown, "- ");
}

#[test]
fn a_hundred_thousand_blocks() {
    let n = 100_000;
    let mut s = String::from("[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let li = if i % 3 == 0 {
            r#","listItem":"bullet","level":2"#
        } else {
            ""
        };
        s.push_str(&format!(r#"{{"_type":"block","_key":"k{i}"{li},"children":[{{"_type":"span","text":"b{i}","marks":["strong"]}}]}}"#));
    }
    s.push(']');
    for f in ALL {
        let out = render(&s, f).unwrap();
        assert!(out.contains(&format!("b{}", n - 1)), "format {f}");
    }
    let html = render(&s, Format::Html).unwrap();
    assert_eq!(html.matches("<strong>").count(), n);
}

/// 100,000 spans in one block, each pair under its own mark with no markup (an unknown
/// decorator), bold first in each: the Markdown profiles look up what is written before
/// each bold mark past that mark in the tree. The lookup climbs the tree (as deep as marks
/// are nested) rather than scanning the block, so the block renders in linear time; a scan
/// per mark made this input take minutes.
#[test]
fn a_hundred_thousand_spans_under_marks_without_markup() {
    let n = 100_000;
    let spans: Vec<String> = (0..n)
        .map(|i| {
            let bare = format!("\"h{}\"", (i / 2) % 2);
            let marks = if i % 2 == 0 {
                format!("{bare},\"strong\"")
            } else {
                bare
            };
            format!(r#"{{"_type":"span","text":"w{i}","marks":[{marks}]}}"#)
        })
        .collect();
    let json = format!(r#"[{{"_type":"block","children":[{}]}}]"#, spans.join(","));
    for f in ALL {
        let out = render(&json, f).unwrap();
        assert!(out.contains(&format!("w{}", n - 1)), "format {f}");
        if matches!(f, Format::Devto | Format::Hashnode) {
            assert!(out.starts_with("**w0**w1**w2**w3"), "format {f}");
            assert_eq!(out.matches("**").count(), n, "format {f}");
        }
    }
}

/// 30,000 links in one block, each span with its own definition: definitions are found
/// through a map (searching the list for every mark took 2 s for 20,000 in a release build,
/// and grew with the square).
#[test]
fn thirty_thousand_link_definitions_in_one_block() {
    let n = 30_000;
    let defs: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"_type":"link","_key":"l{i}","href":"https://x.test/{i}"}}"#))
        .collect();
    let spans: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"_type":"span","text":"w{i} ","marks":["l{i}"]}}"#))
        .collect();
    let json = format!(
        r#"[{{"_type":"block","markDefs":[{}],"children":[{}]}}]"#,
        defs.join(","),
        spans.join(",")
    );
    for f in ALL {
        let out = render(&json, f).unwrap();
        let last = format!("https://x.test/{}", n - 1);
        match f {
            Format::Text => assert!(out.contains(&format!("w{}", n - 1))),
            Format::Html | Format::Medium => {
                assert_eq!(out.matches("<a href=").count(), n, "format {f}");
                assert!(out.contains(&last), "format {f}");
            }
            _ => {
                assert_eq!(out.matches("](https://x.test/").count(), n, "format {f}");
                assert!(out.contains(&last), "format {f}");
            }
        }
    }
}

// 10,000 marks on one span: `tests/memory.rs` (which also measures the memory it takes).

#[test]
fn render_value_matches_render_str() {
    let v = serde_json::json!([{"_type":"block","style":"h1","children":[{"_type":"span","text":"Title & more"}]}]);
    let s = serde_json::to_string(&v).unwrap();
    for f in ALL {
        assert_eq!(
            render_value(&v, f, &SanityConfig::default()).unwrap(),
            render(&s, f).unwrap()
        );
    }
    assert_eq!(
        render_value(&v, Format::Html, &SanityConfig::default()).unwrap(),
        "<h1>Title &amp; more</h1>"
    );
}

#[test]
fn deeply_nested_callouts_and_tables_stay_bounded() {
    fn nested(depth: usize) -> (String, String) {
        let mut callout =
            String::from(r#"{"_type":"block","children":[{"_type":"span","text":"core"}]}"#);
        let mut table = callout.clone();
        for _ in 0..depth {
            callout = format!(r#"{{"_type":"callout","tone":"note","content":[{callout}]}}"#);
            table = format!(
                r#"{{"_type":"table","headerRows":1,"rows":[{{"_type":"row","cells":[{{"_type":"cell","value":[{table}]}}]}}]}}"#
            );
        }
        (format!("[{callout}]"), format!("[{table}]"))
    }
    // 5,000 levels: the profiles leave the too-deep remainder out.
    let (callout, table) = nested(5_000);
    for f in [Format::Devto, Format::Hashnode] {
        let out = render(&callout, f).unwrap();
        assert_eq!(out.matches("[!NOTE]").count(), 32, "format {f}");
        assert!(!out.contains("core"));
        // Each nested table sits in a cell of the one around it, its pipes escaped.
        let out = render(&table, f).unwrap();
        assert_eq!(out.matches("---").count(), 32, "format {f}");
        assert!(!out.contains("core"));
    }
    // The default renderer prints the remainder as a JSON fence.
    let (callout, _) = nested(40);
    let md = render(&callout, Format::Markdown).unwrap();
    assert_eq!(md.matches("[!NOTE]").count(), 32);
    assert!(md.contains("> ```json:object"));
}

#[test]
fn absurd_levels_inside_callouts_are_capped() {
    let json = r#"[{"_type":"callout","tone":"tip","content":[{"_type":"block","listItem":"bullet","level":1e12,"children":[{"_type":"span","text":"x"}]}]}]"#;
    let md = render(json, Format::Markdown).unwrap();
    assert_eq!(md, format!("> [!TIP]\n> {}- x", "   ".repeat(1_000)));
}
