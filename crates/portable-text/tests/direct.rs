//! The direct HTML path (`src/html/direct.rs`, to-html's default output written while the
//! JSON is read) against the general path (model, mark tree, list tree, components), which
//! the reference fixtures and the differential test tie to `@portabletext/to-html`.
//!
//! Wherever the direct path answers, it must answer exactly what the general path does, in
//! both of its forms (HTML, and HTML escaped as the inside of a JSON string); where it does
//! not answer, `render_str` must still give the general path's result. It must answer for the
//! usual shapes (or it would not be the fast path), and never for text that is not JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use portable_text::{
    render_html_direct, render_html_with, render_json_into, render_str, write_json_string,
    DefaultHtml, Format, SanityConfig,
};
use proptest::prelude::*;

/// The general path's HTML for `json`.
fn general(json: &str) -> Result<String, portable_text::Error> {
    render_html_with(json, &DefaultHtml)
}

/// `s` as the inside of a JSON string (what `write_json_string` writes between the quotes).
fn json_inside(s: &str) -> String {
    let mut out = String::new();
    write_json_string(s, &mut out);
    out[1..out.len() - 1].to_owned()
}

/// Checks the direct path on `json` against the general path; returns whether it answered.
fn agrees(json: &str) -> Result<bool, TestCaseError> {
    let html = render_html_direct(json, false);
    let inside = render_html_direct(json, true);
    prop_assert_eq!(
        html.is_some(),
        inside.is_some(),
        "both forms answer for the same input: {}",
        json
    );
    let Some(html) = html else {
        return Ok(false);
    };
    let expected = general(json);
    prop_assert!(
        expected.is_ok(),
        "the direct path answered where the general path fails ({:?}): {}",
        expected.as_ref().err(),
        json
    );
    let expected = expected.unwrap();
    prop_assert_eq!(&html, &expected, "HTML differs for {}", json);
    prop_assert_eq!(
        inside.unwrap(),
        json_inside(&expected),
        "JSON form differs for {}",
        json
    );
    // And what the public entry points give (they choose the path themselves).
    prop_assert_eq!(
        render_str(json, Format::Html, &SanityConfig::default()).unwrap(),
        expected.clone()
    );
    let (mut out, mut scratch) = (String::from("x"), String::new());
    render_json_into(
        json,
        Format::Html,
        &SanityConfig::default(),
        &mut out,
        &mut scratch,
    )
    .unwrap();
    let mut literal = String::from("x");
    write_json_string(&expected, &mut literal);
    prop_assert_eq!(out, literal);
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Generated documents, written as JSON text (key order, escapes, duplicates and whitespace are
// chosen here, not by a serializer).

/// Pieces of a string's text, with the JSON escapes that matter.
fn text_piece(usual: bool) -> BoxedStrategy<String> {
    let mut pieces = vec![
        "[a-z]{1,6}".boxed(),
        // Long enough to cross the scanners' 16-byte chunks, with runs of spaces.
        "[a-z ]{8,40}".boxed(),
        Just(" ".to_owned()).boxed(),
        Just("   ".to_owned()).boxed(),
        Just("&".to_owned()).boxed(),
        Just("<b>".to_owned()).boxed(),
        Just("'".to_owned()).boxed(),
        Just("\\\"".to_owned()).boxed(),
        Just("\\\\".to_owned()).boxed(),
        Just("\\n".to_owned()).boxed(),
        Just("\\t".to_owned()).boxed(),
        Just("\\/".to_owned()).boxed(),
        Just("\\u00e9".to_owned()).boxed(),
        Just("\\u0001".to_owned()).boxed(),
        Just("\\ud83d\\ude00".to_owned()).boxed(),
        Just("é😀".to_owned()).boxed(),
    ];
    if !usual {
        // A lone surrogate: serde rejects it, so the direct path must not answer.
        pieces.push(Just("\\ud800".to_owned()).boxed());
    }
    proptest::strategy::Union::new(pieces).boxed()
}

fn json_text(usual: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(text_piece(usual), 0..6).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn mark_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("strong"),
        Just("em"),
        Just("code"),
        Just("underline"),
        Just("strike-through"),
        Just("link"),
        Just("zz-unknown"),
        Just("Zz"),
        Just("a1"),
        Just("a2"),
        Just("a3"),
    ]
}

/// One object as JSON text from its fields, in the given order, with optional spaces.
fn object(fields: &[(String, String)], spaced: bool) -> String {
    let sep = if spaced { " , " } else { "," };
    let colon = if spaced { " : " } else { ":" };
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\"{colon}{v}"))
        .collect();
    if spaced {
        format!("{{ {} }}", inner.join(sep))
    } else {
        format!("{{{}}}", inner.join(sep))
    }
}

fn list(items: &[String], spaced: bool) -> String {
    if spaced {
        format!("[ {} ]", items.join(" , "))
    } else {
        format!("[{}]", items.join(","))
    }
}

/// `fields` in the order `order` picks (each pick takes one of the remaining fields).
fn arrange(mut fields: Vec<(String, String)>, order: &[usize]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &o in order {
        if fields.is_empty() {
            break;
        }
        out.push(fields.remove(o % fields.len()));
    }
    out.extend(fields);
    out
}

fn child(usual: bool) -> impl Strategy<Value = Vec<(String, String)>> {
    let marks = prop::collection::vec(mark_name(), 0..4).prop_map(|m| {
        list(
            &m.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>(),
            false,
        )
    });
    let kind = if usual { 0..3u8 } else { 0..7u8 };
    (
        kind,
        json_text(usual),
        marks,
        prop::option::of(json_text(usual)),
    )
        .prop_map(|(kind, text, marks, key)| {
            let mut f = Vec::new();
            match kind {
                // A span, with or without marks.
                0 | 1 => {
                    f.push(("_type".into(), "\"span\"".into()));
                    f.push(("text".into(), text));
                    if kind == 0 {
                        f.push(("marks".into(), marks));
                    }
                }
                // An inline object (whose `text`, if any, is not rendered but still decoded).
                2 => {
                    f.push(("_type".into(), "\"mention\"".into()));
                    f.push(("who".into(), "{\"id\":[1,2,{\"x\":null}]}".into()));
                    f.push(("text".into(), text));
                }
                // A span without text (an inline object), `marks: null`, no `_type`, a
                // non-string type.
                3 => f.push(("_type".into(), "\"span\"".into())),
                4 => {
                    f.push(("_type".into(), "\"span\"".into()));
                    f.push(("text".into(), text));
                    f.push(("marks".into(), "null".into()));
                }
                5 => f.push(("text".into(), text)),
                _ => f.push(("_type".into(), "7".into())),
            }
            if let Some(key) = key {
                f.push(("_key".into(), key));
            }
            f
        })
}

fn mark_def(usual: bool) -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![Just("a1"), Just("a2"), Just("a3"), Just("strong")];
    let ty = prop_oneof![
        Just(Some("\"link\"")),
        Just(Some("\"internalLink\"")),
        Just(Some("\"em\"")),
        Just(None),
    ];
    let mut hrefs = vec![
        Just(Some("\"https://x.test/?a=1&b=2\"")).boxed(),
        Just(Some("\"/docs\"")).boxed(),
        Just(Some("\"javascript:alert(1)\"")).boxed(),
        Just(Some("\"https:\\/\\/x.test\\/\\\"q\\\"\"")).boxed(),
        Just(None).boxed(),
    ];
    if !usual {
        hrefs.push(Just(Some("5")).boxed());
    }
    let href = proptest::strategy::Union::new(hrefs);
    (key, ty, href, any::<bool>()).prop_map(move |(key, ty, href, keyless)| {
        let mut f = Vec::new();
        if usual || !keyless {
            f.push(("_key".into(), format!("\"{key}\"")));
        }
        if let Some(ty) = ty {
            f.push(("_type".into(), ty.into()));
        }
        if let Some(href) = href {
            f.push(("href".into(), href.into()));
        }
        f
    })
}

/// A top-level entry: mostly blocks (list items among them), some custom objects.
fn entry(usual: bool) -> impl Strategy<Value = String> {
    let style = prop_oneof![
        Just(Some("\"normal\"")),
        Just(Some("\"h1\"")),
        Just(Some("\"h4\"")),
        Just(Some("\"blockquote\"")),
        Just(Some("\"weird\"")),
        Just(Some("\"\"")),
        Just(Some("null")),
        Just(None),
    ];
    let list_item = prop_oneof![
        3 => Just(None),
        2 => Just(Some("\"bullet\"")),
        2 => Just(Some("\"number\"")),
        1 => Just(Some("\"check\"")),
    ];
    let mut levels = vec![
        Just(None).boxed(),
        Just(Some("1")).boxed(),
        Just(Some("2")).boxed(),
        Just(Some("3")).boxed(),
        Just(Some("4")).boxed(),
        Just(Some("0")).boxed(),
        Just(Some("2.0e0")).boxed(),
    ];
    if !usual {
        levels.extend([
            Just(Some("2.5")).boxed(),
            Just(Some("-1")).boxed(),
            Just(Some("70")).boxed(),
            Just(Some("\"2\"")).boxed(),
        ]);
    }
    let level = proptest::strategy::Union::new(levels);
    let ty = if usual {
        prop_oneof![8 => Just(Some("\"block\"")), 1 => Just(Some("\"code\"")), 1 => Just(Some("\"callout\""))].boxed()
    } else {
        prop_oneof![
            6 => Just(Some("\"block\"")),
            1 => Just(Some("\"code\"")),
            1 => Just(Some("\"@x\"")),
            1 => Just(None),
            1 => Just(Some("\"bl\\u006fck\"")),
        ]
        .boxed()
    };
    (
        ty,
        style,
        list_item,
        level,
        prop::collection::vec((mark_def(usual), any::<bool>()), 0..4),
        prop::collection::vec((child(usual), any::<bool>()), 0..6),
        prop::collection::vec(0usize..8, 0..8),
        any::<bool>(),
        if usual { 0..3u8 } else { 0..6u8 },
        json_text(usual),
    )
        .prop_map(
            move |(ty, style, li, level, defs, children, order, spaced, shape, key)| {
                let mut f: Vec<(String, String)> = Vec::new();
                if let Some(ty) = ty {
                    f.push(("_type".into(), ty.into()));
                }
                f.push(("_key".into(), key));
                if let Some(style) = style {
                    f.push(("style".into(), style.into()));
                }
                if let Some(li) = li {
                    f.push(("listItem".into(), li.into()));
                }
                if let Some(level) = level {
                    f.push(("level".into(), level.into()));
                }
                // Like objects mostly keep one key order (as serializers write them), and
                // sometimes not, which the direct path's learnt key order must survive.
                let reorder = |(mut fields, flip): (Vec<(String, String)>, bool)| {
                    if flip {
                        fields.reverse();
                    }
                    object(&fields, spaced)
                };
                let defs: Vec<String> = defs.into_iter().map(reorder).collect();
                let children: Vec<String> = children.into_iter().map(reorder).collect();
                match shape {
                    // The usual: both lists; or no markDefs; or a code block's fields too.
                    0 => {
                        f.push(("markDefs".into(), list(&defs, spaced)));
                        f.push(("children".into(), list(&children, spaced)));
                    }
                    1 => f.push(("children".into(), list(&children, spaced))),
                    2 => {
                        f.push(("markDefs".into(), "null".into()));
                        f.push(("children".into(), list(&children, spaced)));
                        f.push(("code".into(), "\"fn main() {}\\n\"".into()));
                    }
                    // No children; children not a list; a field twice.
                    3 => {}
                    4 => f.push(("children".into(), "null".into())),
                    _ => {
                        f.push(("children".into(), list(&children, spaced)));
                        f.push(("style".into(), "\"h2\"".into()));
                    }
                }
                f.push((
                    "extra".into(),
                    "{\"a\":[true,false,null,-1.5e3,\"s\"]}".into(),
                ));
                object(&arrange(f, &order), spaced)
            },
        )
}

/// A whole input: an array, a document with a `body`, or (rarely) something the direct path
/// leaves to the general one.
fn document(usual: bool) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(entry(usual), 0..10),
        if usual { 0..2u8 } else { 0..5u8 },
    )
        .prop_map(|(entries, shape)| match shape {
            0 => list(&entries, false),
            1 => format!(
                "{{\"_type\":\"post\",\"title\":\"T\",\"body\":{}}}",
                list(&entries, false)
            ),
            2 => format!("[null,{}]", entries.join(",")),
            3 => entries.first().cloned().unwrap_or_else(|| "{}".into()),
            _ => format!("{} ", list(&entries, true)),
        })
}

/// Bytes that change what a JSON text means when put in or taken out.
const MUTATIONS: &[&str] = &[
    "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\x", "0", "01", "-", ".", "1e", "t", "nul",
    " ", "\n", "\u{1}", "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_direct_path_answers_what_the_general_path_does(doc in document(false)) {
        agrees(&doc)?;
    }

    #[test]
    fn the_direct_path_answers_for_the_usual_shapes(doc in document(true)) {
        prop_assert!(agrees(&doc)?, "the direct path did not answer for {}", doc);
    }

    #[test]
    fn the_direct_path_never_answers_for_broken_json(
        doc in document(true),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..MUTATIONS.len(), 0u8..3), 1..4),
    ) {
        let mut text = doc;
        for (at, m, kind) in edits {
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match kind {
                0 => text.insert_str(at, MUTATIONS[m]),
                1 => {
                    if let Some(c) = text[at..].chars().next() {
                        text.replace_range(at..at + c.len_utf8(), "");
                    }
                }
                _ => text.truncate(at),
            }
        }
        agrees(&text)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed cases.

/// The reference fixtures: the direct path answers for every one of them, with to-html's
/// output.
#[test]
fn the_direct_path_matches_to_html_on_the_reference_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cases");
    let (mut answered, mut total) = (0, 0);
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        #[derive(serde::Deserialize)]
        struct Case<'a> {
            #[serde(borrow)]
            input: &'a serde_json::value::RawValue,
            html: String,
        }
        let case: Case<'_> = serde_json::from_str(&text).unwrap();
        total += 1;
        match render_html_direct(case.input.get(), false) {
            Some(html) => {
                answered += 1;
                assert_eq!(html, case.html, "{}", path.display());
            }
            None => eprintln!("general path: {}", path.display()),
        }
    }
    assert_eq!(total, 86);
    assert_eq!(
        answered, total,
        "the direct path answered {answered} of {total} cases"
    );
}

/// What the direct path leaves to the general path, each still rendered by `render_str`.
#[test]
fn unusual_shapes_are_left_to_the_general_path() {
    let cases = [
        // A document that is also a block (it has `children`).
        r#"{"_type":"post","body":[],"children":[]}"#,
        r#"{"_type":"post","body":5}"#,
        // A non-object element.
        r#"[null,{"_type":"block","children":[]}]"#,
        // A field given twice (the last one counts).
        r#"[{"_type":"block","style":"h1","style":"h2","children":[]}]"#,
        // Escapes in a type name and a key.
        r#"[{"_type":"bl\u006fck","children":[]}]"#,
        r#"[{"_typ\u0065":"block","children":[]}]"#,
        // Levels that are not whole numbers from 1 to 64.
        r#"[{"_type":"block","listItem":"bullet","level":2.5,"children":[]}]"#,
        r#"[{"_type":"block","listItem":"bullet","level":70,"children":[]}]"#,
        r#"[{"_type":"block","listItem":"bullet","level":"2","children":[]}]"#,
        // A span with more than eight marks; `marks: null`.
        r#"[{"_type":"block","children":[{"_type":"span","text":"a","marks":["a","b","c","d","e","f","g","h","i"]}]}]"#,
        r#"[{"_type":"block","children":[{"_type":"span","text":"a","marks":null}]}]"#,
        // A link whose `href` is not a string.
        r#"[{"_type":"block","markDefs":[{"_key":"l","_type":"link","href":5}],"children":[{"_type":"span","text":"a","marks":["l"]}]}]"#,
    ];
    for json in cases {
        assert_eq!(render_html_direct(json, false), None, "{json}");
        assert_eq!(
            render_str(json, Format::Html, &SanityConfig::default()).ok(),
            general(json).ok(),
            "{json}"
        );
    }
    // Not JSON, or JSON that is not Portable Text: the general path reports the error.
    for json in [
        r#"[{"_type":"block","children":[}]"#,
        r#"[{"_type":"span","text":"\ud800"}]"#,
        r#"{"body":5}"#,
        r#"[1] x"#,
    ] {
        assert_eq!(render_html_direct(json, false), None, "{json}");
        assert!(render_str(json, Format::Html, &SanityConfig::default()).is_err());
    }
}

/// Lists jump levels, change type and come back; marks open and close across spans. The
/// direct path writes them as it goes; this is the same output as the trees give.
#[test]
fn nested_lists_and_marks_written_as_they_open_and_close() {
    let li = |level: u8, kind: &str, text: &str| {
        format!(
            r#"{{"_type":"block","listItem":"{kind}","level":{level},"style":"{style}","children":[{{"_type":"span","text":"{text}","marks":["strong"]}}]}}"#,
            style = if level == 3 { "h3" } else { "normal" }
        )
    };
    let json = format!(
        "[{},{},{},{},{},{},{},{}]",
        li(1, "bullet", "a"),
        li(3, "bullet", "b"),
        li(2, "number", "c"),
        li(2, "bullet", "d"),
        li(1, "bullet", "e"),
        li(1, "number", "f"),
        r#"{"_type":"block","markDefs":[{"_key":"l","_type":"link","href":"/x"}],"children":[{"_type":"span","text":"p ","marks":["em","l"]},{"_type":"span","text":"q","marks":["l","strong"]},{"_type":"span","text":" r","marks":["strong"]}]}"#,
        li(2, "bullet", "g"),
    );
    let direct = render_html_direct(&json, false).expect("the direct path answers");
    assert_eq!(direct, general(&json).unwrap());
    // @portabletext/to-html 6.0.0's output for this input (`node tools/js/render.mjs --to
    // html`): the placeholder items of a skipped level carry the style of the item below them.
    assert_eq!(
        direct,
        "<ul><li><strong>a</strong><ul><li><h3><ul><li><h3><strong>b</strong></h3></li></ul></h3></li></ul></li></ul>\
         <ol><li><ol><li><strong>c</strong></li></ol></li></ol>\
         <ul><li><ul><li><strong>d</strong></li></ul></li><li><strong>e</strong></li></ul>\
         <ol><li><strong>f</strong></li></ol>\
         <p><a href=\"/x\"><em>p </em><strong>q</strong></a><strong> r</strong></p>\
         <ul><li><ul><li><strong>g</strong></li></ul></li></ul>"
    );
}

/// The key order learnt from one object is checked byte for byte on the next: a key that
/// starts like a learnt one, spaces, a key too long to learn and a changed order are all
/// read as what they are.
#[test]
fn a_learnt_key_order_is_never_trusted_blindly() {
    let span = r#"{"_type":"span","_key":"a","text":"one","marks":["strong"]}"#;
    let others = [
        // Same keys, another order.
        r#"{"marks":["em"],"text":"two","_key":"b","_type":"span"}"#,
        // A key that begins with a learnt one; then the real one.
        r#"{"_type":"span","_key":"c","textual":"no","text":"three","marks":[]}"#,
        // Spaces around the colon; a key longer than 16 bytes.
        r#"{"_type" : "span","_key":"d","a_rather_long_key_name":1,"text" :"four","marks":[]}"#,
        // A key that differs in its last byte only.
        r#"{"_type":"span","_kez":"e","text":"five","marks":["em"]}"#,
        span,
    ];
    let children: Vec<&str> = std::iter::once(span).chain(others).collect();
    let block = |children: &[&str]| {
        format!(
            r#"{{"_type":"block","markDefs":[],"style":"normal","children":[{}]}}"#,
            children.join(",")
        )
    };
    let json = format!("[{},{}]", block(&children), block(&children[..2]));
    let direct = render_html_direct(&json, false).expect("the direct path answers");
    assert_eq!(direct, general(&json).unwrap());
    // @portabletext/to-html 6.0.0's output (`node tools/js/render.mjs --to html`).
    assert_eq!(
        direct,
        "<p><strong>one</strong><em>two</em>threefour<em>five</em><strong>one</strong></p>\
         <p><strong>one</strong><em>two</em></p>"
    );
}
