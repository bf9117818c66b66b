//! The Markdown profiles' output reads back, with a CommonMark parser (pulldown-cmark), as
//! what the input meant: emphasis, blocks, links and images.
//!
//! Spans carry any mix of `strong`, `em` and `strike-through` (and sometimes inline code,
//! underline, a mark with no markup, or a link), with text that may start or end with spaces
//! or punctuation and sit inside a word, in a paragraph, heading, blockquote or list item.
//! Every non-space character must carry exactly the emphasis the input gave it, whether it
//! was written with delimiters or, where no delimiter can open or close, with an HTML tag;
//! and each block must read back as one paragraph, hard breaks and all. Link URLs with
//! spaces, parentheses, quotes and backslashes must read back as links to the same URL, and
//! images with their URL, alt text and caption.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{json, Value};

use portable_text::{render_str, Format, SanityConfig};

const STRONG: u8 = 1;
const EM: u8 = 2;
const STRIKE: u8 = 4;
/// Marks without a bit in the comparison: inline code and underline.
const CODE: u8 = 8;
const UNDERLINE: u8 = 16;

/// One span: its text and marks (a bit set, plus whether it is inside a bare mark / a link).
#[derive(Debug, Clone)]
struct Span {
    text: String,
    marks: u8,
    order: u8,
    bare: bool,
    link: bool,
}

fn span() -> impl Strategy<Value = Span> {
    (
        prop_oneof![
            4 => "[a-z]{1,5}",
            2 => "[ a-z]{0,2}[a-z.,:\"'()!?*_\\\\\\[\\]<>&`#-][ a-z]{0,2}",
            2 => " {1,2}[a-z]{1,3} {0,2}",
            1 => "[a-z .,:\"'()*_\\\\-]{0,6}",
            1 => "[a-z ]{0,3}\n[a-z ]{0,3}",
            // Liquid, which Dev.to cannot keep in inline code (written as text there).
            1 => "[a-z]{0,2}\\{[{%][ a-z]{0,2}",
        ],
        prop_oneof![6 => 0u8..8, 1 => 0u8..32],
        0u8..6,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(text, marks, order, bare, link)| Span {
            text,
            marks,
            order,
            bare,
            link,
        })
}

/// The block styles tried: a paragraph, a heading, a blockquote, a bullet list item.
const KINDS: [(&str, Option<&str>); 4] = [
    ("normal", None),
    ("h2", None),
    ("blockquote", None),
    ("normal", Some("bullet")),
];

fn block(spans: &[Span], kind: usize) -> String {
    let children: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut marks: Vec<&str> = [
                (STRONG, "strong"),
                (EM, "em"),
                (STRIKE, "strike-through"),
                (CODE, "code"),
                (UNDERLINE, "underline"),
            ]
            .iter()
            .filter(|(bit, _)| s.marks & bit != 0)
            .map(|(_, name)| *name)
            .collect();
            let n = marks.len().max(1);
            marks.rotate_left(usize::from(s.order) % n);
            if s.bare {
                marks.push("highlight");
            }
            if s.link {
                marks.insert(0, "lnk");
            }
            json!({"_type": "span", "text": s.text, "marks": marks})
        })
        .collect();
    let defs = json!([{"_key": "lnk", "_type": "link", "href": "https://example.com/"}]);
    let (style, list_item) = KINDS[kind];
    let mut block =
        json!({"_type": "block", "style": style, "markDefs": defs, "children": children});
    if let Some(l) = list_item {
        block["listItem"] = json!(l);
        block["level"] = json!(1);
    }
    serde_json::to_string(&json!([block])).unwrap()
}

/// Each non-space character of the parsed paragraph with the emphasis it carries.
fn parse(md: &str) -> Result<Vec<(char, u8)>, String> {
    let mut out = Vec::new();
    let mut paragraphs = 0;
    let mut active: Vec<u8> = Vec::new();
    let mut html: Vec<u8> = Vec::new();
    let text = |t: &str, active: &[u8], html: &[u8], out: &mut Vec<(char, u8)>| {
        let set = active.iter().chain(html).fold(0, |a, b| a | b);
        out.extend(t.chars().filter(|c| !c.is_whitespace()).map(|c| (c, set)));
    };
    for ev in Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH) {
        match ev {
            Event::Start(Tag::Strong) => active.push(STRONG),
            Event::Start(Tag::Emphasis) => active.push(EM),
            Event::Start(Tag::Strikethrough) => active.push(STRIKE),
            Event::End(TagEnd::Strong | TagEnd::Emphasis | TagEnd::Strikethrough) => {
                active.pop();
            }
            Event::InlineHtml(h) => match &*h {
                "<strong>" => html.push(STRONG),
                "<em>" => html.push(EM),
                "<del>" => html.push(STRIKE),
                "</strong>" | "</em>" | "</del>" => {
                    html.pop();
                }
                "<u>" | "</u>" | "<code>" | "</code>" => {}
                other => return Err(format!("unexpected HTML {other:?}")),
            },
            Event::Text(t) | Event::Code(t) => text(&t, &active, &html, &mut out),
            Event::Start(Tag::Paragraph | Tag::Heading { .. }) => {
                // One block is one paragraph (hard breaks included).
                paragraphs += 1;
                if paragraphs > 1 {
                    return Err("a second paragraph".into());
                }
            }
            Event::Start(Tag::Link { .. } | Tag::BlockQuote(_) | Tag::List(None) | Tag::Item)
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Link
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::List(false)
                | TagEnd::Item,
            )
            | Event::SoftBreak
            | Event::HardBreak => {}
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    Ok(out)
}

/// Each non-space character of the input with its emphasis; `None` under inline code,
/// which is written from its plain text and so keeps only the marks outside it (which ones
/// are outside depends on the mark order rules, not the concern here).
fn expected(spans: &[Span]) -> Vec<(char, Option<u8>)> {
    spans
        .iter()
        .flat_map(|s| {
            let marks = (s.marks & CODE == 0).then_some(s.marks & (STRONG | EM | STRIKE));
            s.text
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(move |c| (c, marks))
        })
        .collect()
}

fn matches(got: &[(char, u8)], want: &[(char, Option<u8>)]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|((c, m), (wc, wm))| c == wc && wm.is_none_or(|wm| wm == *m))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn profile_images_read_back_with_their_alt_text_and_caption(
        alt in "[a-z *_\\[\\]\\\\<>&!#`()\n-]{0,10}",
        caption in "[a-z *_\\[\\]\\\\<>&!#`()\n.+-]{0,12}",
    ) {
        let json = serde_json::to_string(&json!([{"_type": "image", "alt": alt, "caption": caption,
            "asset": {"_ref": "image-Tb9Ew8CXIwaY6R1kjMvI0uRR-1600x900-png"}}])).unwrap();
        let sanity = SanityConfig { project_id: Some("p1".into()), dataset: Some("production".into()) };
        let url = "https://cdn.sanity.io/images/p1/production/Tb9Ew8CXIwaY6R1kjMvI0uRR-1600x900.png";
        let norm = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        for format in [Format::Devto, Format::Hashnode] {
            let md = render_str(&json, format, &sanity).unwrap();
            // (inside the image, inside emphasis after it)
            let (mut in_image, mut in_em) = (false, false);
            let (mut dest, mut got_alt, mut got_caption) = (None, String::new(), String::new());
            for ev in Parser::new(&md) {
                match ev {
                    Event::Start(Tag::Image { dest_url, .. }) => {
                        in_image = true;
                        dest = Some(dest_url.to_string());
                    }
                    Event::End(TagEnd::Image) => in_image = false,
                    Event::Start(Tag::Emphasis) => in_em = true,
                    Event::End(TagEnd::Emphasis) => in_em = false,
                    Event::Text(t) | Event::Code(t) if in_image => got_alt.push_str(&t),
                    Event::Text(t) | Event::Code(t) if in_em => got_caption.push_str(&t),
                    Event::SoftBreak | Event::HardBreak if in_image => got_alt.push(' '),
                    Event::SoftBreak | Event::HardBreak if in_em => got_caption.push(' '),
                    Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) | Event::SoftBreak => {}
                    other => prop_assert!(false, "unexpected {:?} in {:?}: {}", other, format, md),
                }
            }
            prop_assert_eq!(dest.as_deref(), Some(url), "{:?}: {}", format, md);
            prop_assert_eq!(norm(&got_alt), norm(&alt), "alt, {:?}: {}", format, md);
            prop_assert_eq!(norm(&got_caption), norm(&caption), "caption, {:?}: {}", format, md);
        }
    }

    #[test]
    fn profile_links_read_back_as_links_to_the_same_url(
        path in "[a-z0-9 ()\"'<>\\\\%\t\u{e9}&#?=/.-]{0,12}",
        title in prop::option::of("[a-z \"'()\\\\]{0,6}"),
    ) {
        let href = format!("https://x.test/{path}");
        let mut def = json!({"_key": "l", "_type": "link", "href": href});
        if let Some(t) = &title {
            def["title"] = json!(t);
        }
        let json = serde_json::to_string(&json!([{"_type": "block", "markDefs": [def],
            "children": [{"_type": "span", "text": "docs", "marks": ["l"]}]}])).unwrap();
        // The reference makes a link whenever the URL passes its safety check.
        let reference = render_str(&json, Format::Markdown, &SanityConfig::default()).unwrap();
        prop_assume!(reference.starts_with("[docs]("));
        for format in [Format::Devto, Format::Hashnode] {
            let md = render_str(&json, format, &SanityConfig::default()).unwrap();
            let links: Vec<(String, String)> = Parser::new(&md)
                .filter_map(|ev| match ev {
                    Event::Start(Tag::Link { dest_url, title, .. }) => Some((dest_url.to_string(), title.to_string())),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(links.len(), 1, "{:?}: {}", format, md);
            prop_assert_eq!(percent_decoded(&links[0].0), percent_decoded(&href), "{:?}: {}", format, md);
            // The title too, except where the reference leaves it out (URLs with both quotes
            // and angle brackets).
            let both = href.contains(['"', '\'']) && href.contains(['<', '>']);
            if !both {
                prop_assert_eq!(&links[0].1, title.as_deref().unwrap_or(""), "{:?}: {}", format, md);
            }
        }
    }

    #[test]
    fn profile_emphasis_reads_back_as_the_input_marked_it(
        spans in prop::collection::vec(span(), 1..7),
        lead in "[a-z]{0,3}",
        kind in 0..KINDS.len(),
    ) {
        // The block starts with plain text or a marked span; the first span cannot start
        // with characters that would make the paragraph something else (a list, a heading).
        let mut spans = spans;
        spans.insert(0, Span { text: lead, marks: 0, order: 0, bare: false, link: false });
        // A heading is one line.
        if KINDS[kind].0 == "h2" {
            for s in spans.iter_mut() {
                s.text = s.text.replace('\n', " ");
            }
        }
        let json = block(&spans, kind);
        let want = expected(&spans);
        for format in [Format::Devto, Format::Hashnode] {
            let md = render_str(&json, format, &SanityConfig::default()).unwrap();
            // Dev.to runs Liquid first: its raw tags leave only what they enclose.
            let read = md.replace("{% raw %}", "").replace("{% endraw %}", "");
            let got = parse(&read).map_err(|e| TestCaseError::fail(format!("{e} in {format:?}: {md}")))?;
            prop_assert!(matches(&got, &want), "{:?}: {}\n got {:?}\nwant {:?}", format, md, got, want);
        }
    }
}

/// Spans as `(text, marks)`.
type Spans<'a> = &'a [(&'a str, &'a [&'a str])];

#[test]
fn placements_the_reference_breaks_are_mended() {
    let block = |v: Spans<'_>| {
        let children: Vec<Value> = v
            .iter()
            .map(|(t, m)| json!({"_type": "span", "text": t, "marks": m}))
            .collect();
        let defs = json!([{"_key": "lnk", "_type": "link", "href": "https://example.com/"}]);
        serde_json::to_string(&json!([{"_type": "block", "markDefs": defs, "children": children}]))
            .unwrap()
    };
    // (spans, the reference's Markdown (checked with @portabletext/markdown 2.2.0), the
    // profiles' Markdown)
    let cases: &[(Spans<'_>, &str, &str)] = &[
        // Whitespace at the edge of bold: `** bold **` is not bold.
        (
            &[("a", &[]), (" bold ", &["strong"]), ("b", &[])],
            "a** bold **b",
            "a **bold** b",
        ),
        // Emphasis inside a word: `_` cannot open or close there.
        (
            &[("un", &[]), ("believ", &["em"]), ("able", &[])],
            "un_believ_able",
            "un*believ*able",
        ),
        // Punctuation inside, a letter outside: no delimiter closes.
        (
            &[("a ", &[]), ("\"q\"", &["strong"]), ("s", &[])],
            "a **\"q\"**s",
            "a <strong>\"q\"</strong>s",
        ),
        // Emphasis over whitespace alone.
        (&[("x ", &[]), (" ", &["em"]), ("y", &[])], "x _ _y", "x  y"),
        // An emphasised underscore: `___` is a thematic break.
        (&[("_", &["em"])], "___", "*\\_*"),
        // `!` before a link makes an image; a backslash before it escapes the bracket.
        (
            &[("see!", &[]), ("docs", &["lnk"])],
            "see![docs](https://example.com/)",
            "see\\![docs](https://example.com/)",
        ),
        (
            &[("a\\", &[]), ("docs", &["lnk"])],
            "a\\[docs](https://example.com/)",
            "a\\\\[docs](https://example.com/)",
        ),
        // Inline code over no text.
        (&[("a", &[]), ("", &["code"]), ("b", &[])], "a``b", "ab"),
        // Two code spans with nothing between: the fences would merge into one run.
        (
            &[("a", &["code"]), ("", &[]), ("b", &["code"])],
            "`a``b`",
            "`a`<code>b</code>",
        ),
        // A backslash in a code span is literal: the fence after it still merges.
        (
            &[("a\\", &["code"]), ("", &[]), ("b", &["code"])],
            "`a\\``b`",
            "`a\\`<code>b</code>",
        ),
        // The second code span opens a mark with no markup of its own (an unknown
        // decorator): what is written before it is looked up past that mark.
        (
            &[("a", &["code"]), ("", &[]), ("b", &["highlight", "code"])],
            "`a``b`",
            "`a`<code>b</code>",
        ),
        // Bold inside a mark with no markup (an unknown decorator, an internal link):
        // its neighbours are looked up past that mark, so no HTML tag is needed.
        (
            &[
                ("see ", &[]),
                ("docs", &["highlight", "strong"]),
                (" now", &[]),
            ],
            "see **docs** now",
            "see **docs** now",
        ),
        // Bold over no text writes nothing, so the `~~` would be followed by the `a`.
        (
            &[
                ("a", &["strike-through"]),
                ("a", &["strike-through", "strong"]),
                ("", &["strong"]),
                ("a", &[]),
            ],
            "~~a**a**~~****a",
            "<del>a**a**</del>a",
        ),
    ];
    for (input, reference, profile) in cases {
        let json = block(input);
        let plain = render_str(&json, Format::Markdown, &SanityConfig::default()).unwrap();
        assert_eq!(
            &plain, reference,
            "the default renderer keeps the reference's placement"
        );
        for format in [Format::Devto, Format::Hashnode] {
            let md = render_str(&json, format, &SanityConfig::default()).unwrap();
            assert_eq!(&md, profile, "{format:?}");
        }
    }
}

#[test]
fn a_heading_keeps_the_hashes_at_its_end() {
    // A run of `#` at the end of a `#` heading, after a space or alone, is its closing
    // sequence, which readers drop. The escaper sees the lines of a heading with hard
    // breaks one by one, and after a link the reference leaves the last line's `#`s as
    // they are (`### [q](#anchor)a  \nb #`); the profiles write a heading on one line.
    let cases: &[Spans<'_>] = &[
        &[("renders #", &[])],
        &[("renders ##  ", &[])],
        &[("#", &[])],
        &[("  ###", &[])],
        &[("C#", &[])],
        &[("a # b", &[])],
        &[("x \\#", &[])],
        &[("a\nb c # ", &[])],
        &[("q", &["lnk"]), ("a\nb #", &[])],
        &[("q", &["lnk"]), ("a\n#", &[])],
    ];
    for spans in cases {
        let children: Vec<Value> = spans
            .iter()
            .map(|(t, m)| json!({"_type": "span", "text": t, "marks": m}))
            .collect();
        let defs = json!([{"_key": "lnk", "_type": "link", "href": "#anchor"}]);
        let json = serde_json::to_string(&json!([
            {"_type": "block", "style": "h3", "markDefs": defs, "children": children}
        ]))
        .unwrap();
        let text: String = spans.iter().map(|(t, _)| t.replace('\n', " ")).collect();
        for format in [Format::Devto, Format::Hashnode] {
            let md = render_str(&json, format, &SanityConfig::default()).unwrap();
            let mut heading = String::new();
            let mut headings = 0;
            for ev in Parser::new(&md) {
                match ev {
                    Event::Start(Tag::Heading { .. }) => headings += 1,
                    Event::Text(t) => heading.push_str(&t),
                    _ => {}
                }
            }
            assert_eq!(headings, 1, "{format:?}: {md}");
            assert_eq!(heading, text.trim(), "{format:?}: {md}");
        }
    }
}

#[test]
fn overlapping_links_keep_each_word_in_one_link() {
    // Link A over "foo bar", link B over "bar baz": the shared word sits in both marks, and
    // the reference nests B inside A, which Markdown cannot read
    // (`[foo [bar](B)](A)[ baz](B)` leaves `[foo ` and `](A)` as text).
    let json = serde_json::to_string(&json!([{
        "_type": "block",
        "markDefs": [
            {"_key": "a", "_type": "link", "href": "https://a.test/"},
            {"_key": "b", "_type": "link", "href": "https://b.test/"}
        ],
        "children": [
            {"_type": "span", "text": "foo ", "marks": ["a"]},
            {"_type": "span", "text": "bar", "marks": ["a", "b"]},
            {"_type": "span", "text": " baz", "marks": ["b"]}
        ]
    }]))
    .unwrap();
    let reference = render_str(&json, Format::Markdown, &SanityConfig::default()).unwrap();
    assert_eq!(
        reference,
        "[foo [bar](https://b.test/)](https://a.test/)[ baz](https://b.test/)"
    );
    for format in [Format::Devto, Format::Hashnode] {
        let md = render_str(&json, format, &SanityConfig::default()).unwrap();
        let mut links: Vec<(String, String)> = Vec::new();
        let mut outside = String::new();
        let mut depth = 0;
        for ev in Parser::new(&md) {
            match ev {
                Event::Start(Tag::Link { dest_url, .. }) => {
                    depth += 1;
                    links.push((dest_url.to_string(), String::new()));
                }
                Event::End(TagEnd::Link) => depth -= 1,
                Event::Text(t) if depth > 0 => {
                    if let Some(last) = links.last_mut() {
                        last.1.push_str(&t);
                    }
                }
                Event::Text(t) => outside.push_str(&t),
                _ => {}
            }
        }
        let want = [
            ("https://a.test/".to_string(), "foo bar".to_string()),
            ("https://b.test/".to_string(), " baz".to_string()),
        ];
        assert_eq!(links, want, "{format:?}: {md}");
        assert_eq!(outside, "", "{format:?}: {md}");
    }
    let medium = render_str(&json, Format::Medium, &SanityConfig::default()).unwrap();
    assert_eq!(
        medium,
        "<p><a href=\"https://a.test/\">foo bar</a><a href=\"https://b.test/\"> baz</a></p>"
    );
}

#[test]
fn two_hard_breaks_in_a_row_stay_inside_their_list_item() {
    let json = serde_json::to_string(&json!([
        {"_type": "block", "listItem": "bullet", "level": 1,
         "children": [{"_type": "span", "text": "step one\n\nexplanation"}]},
        {"_type": "block", "listItem": "bullet", "level": 2,
         "children": [{"_type": "span", "text": "nested"}]},
        {"_type": "block", "listItem": "bullet", "level": 1,
         "children": [{"_type": "span", "text": "two"}]},
    ]))
    .unwrap();
    let reference = render_str(&json, Format::Markdown, &SanityConfig::default()).unwrap();
    // The reference's blank line ends the item: `explanation` falls out of the list.
    assert_eq!(
        reference,
        "- step one  \n  \nexplanation\n   - nested\n- two"
    );
    for format in [Format::Devto, Format::Hashnode] {
        let md = render_str(&json, format, &SanityConfig::default()).unwrap();
        assert_eq!(
            md, "- step one  \n  &nbsp;  \n  explanation\n   - nested\n- two",
            "{format:?}"
        );
        // Read back: one list of two items, the first holding both lines and the nested list.
        let mut depth = 0;
        let mut items = Vec::new();
        for ev in Parser::new(&md) {
            match ev {
                Event::Start(Tag::List(_)) => depth += 1,
                Event::End(TagEnd::List(_)) => depth -= 1,
                Event::Start(Tag::Item) => items.push((depth, String::new())),
                Event::Text(t) => {
                    if let Some(last) = items.last_mut() {
                        last.1.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        let want = [(1, "step one\u{a0}explanation"), (2, "nested"), (1, "two")];
        let got: Vec<(i32, &str)> = items.iter().map(|(d, t)| (*d, t.as_str())).collect();
        assert_eq!(got, want, "{format:?}: {md}");
    }
}

/// `%XX` sequences decoded (bytes), the rest as it is.
fn percent_decoded(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(v) if b[i] == b'%' => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    out
}
