//! HTML rendering.
//!
//! [`DefaultHtml`] reproduces `@portabletext/to-html` 6 with default options
//! byte for byte. Implement [`HtmlComponents`] and override only the methods
//! that should differ to build a profile (see [`crate::profiles`]).

pub(crate) mod direct;

use crate::model::{Entry, Object};
use crate::node::{classify, span_view, Block, Node};
use crate::scan::{chunk16, lanes};
use crate::tree::{nest_lists, Item, Leaf, Mark, MarkTree, Nested, Top};
use crate::Error;

/// Escapes `&<>"'` (to-html's `escapeHTMLChars`).
pub fn escape_html_chars(s: &str, out: &mut String) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Index of the first byte at or after `i` that [`escape_html`] must look at: one of
/// `&<>"'`, or the second space of a run of spaces. A search never starts inside a run (it
/// starts at 0, after an escaped character or after a whole run), so the first space of the
/// run found is the byte before. A lone space is written as it is, so ordinary text stops
/// only where something is escaped. Sixteen bytes at a time ([`lanes`]); the last chunk
/// overlaps the one before, so no byte is left to a slower loop.
fn next_html_special(b: &[u8], i: usize) -> usize {
    let n = b.len();
    if n < 16 {
        return next_html_special_short(b, i);
    }
    let mut at = i;
    // Whether the byte before the current chunk is a space.
    let mut space_before = false;
    while at < n {
        // The chunk at `at`, or the last sixteen bytes with the first `skip` already seen.
        // (In that overlapping chunk the byte before `at` is read as it is: at the search's
        // start it is never the first space of a run that goes on at `at`.)
        let start = at.min(n - 16);
        let skip = at - start;
        let Some(chunk) = chunk16(b, start) else {
            break;
        };
        let hits = html_hits(chunk, &mut space_before) >> skip;
        if hits != 0 {
            return at + hits.trailing_zeros() as usize;
        }
        at = start + 16;
    }
    n
}

/// The bytes of `chunk` that [`escape_html`] must look at (see [`next_html_special`]):
/// `&<>"'` and the second space of each run of spaces, given whether the byte before the
/// chunk is a space (`space_before`, updated for the chunk that follows).
#[inline(always)]
fn html_hits(chunk: &[u8; 16], space_before: &mut bool) -> u32 {
    let (special, spaces) = lanes::html_stops(chunk);
    // A space whose byte before is a space (`<< 1` moves each flag to the next byte).
    let second_spaces = spaces & ((spaces << 1) | u32::from(*space_before));
    *space_before = spaces & (1 << 15) != 0;
    special | second_spaces
}

/// [`next_html_special`] for text shorter than a chunk, byte by byte.
fn next_html_special_short(b: &[u8], mut i: usize) -> usize {
    let mut space_before = false;
    while let Some(&c) = b.get(i) {
        if matches!(c, b'&' | b'<' | b'>' | b'"' | b'\'') || (c == b' ' && space_before) {
            break;
        }
        space_before = c == b' ';
        i += 1;
    }
    i
}

/// Escapes like to-html's `escapeHTML`: the characters of [`escape_html_chars`], then runs of
/// two or more spaces become `&nbsp;` repeated (n-1) times plus one space.
pub fn escape_html(s: &str, out: &mut String) {
    escape_html_from(s, next_html_special(s.as_bytes(), 0), out);
}

/// [`escape_html`] for text whose first byte to look at (see [`next_html_special`]) is
/// already known to be at `i` (`s.len()`: nothing to escape).
pub(crate) fn escape_html_from(s: &str, mut i: usize, out: &mut String) {
    let b = s.as_bytes();
    // Most text has nothing to escape (four spans in five of the bench corpus): it is
    // copied whole.
    if i >= b.len() {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    out.reserve(s.len());
    while let Some(&c) = b.get(i) {
        let rep = match c {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => {
                // The second space of a run: two or more become `&nbsp;`s and a space.
                let first = i - 1;
                let run = 1 + b[i..].iter().take_while(|c| **c == b' ').count();
                out.push_str(&s[start..first]);
                for _ in 0..run - 1 {
                    out.push_str("&nbsp;");
                }
                out.push(' ');
                start = first + run;
                i = next_html_special(b, start);
                continue;
            }
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
        i = next_html_special(b, start);
    }
    out.push_str(&s[start..]);
}

/// to-html's `uriLooksSafe`: relative URLs, fragments and the `http`,
/// `https`, `mailto` and `tel` schemes pass; any other scheme does not.
pub fn uri_looks_safe(uri: &str) -> bool {
    let url = uri.trim_matches(is_js_whitespace);
    let first = url.chars().next();
    if first == Some('#') || first == Some('/') {
        return true;
    }
    let Some(colon) = url.find(':') else {
        return true;
    };
    // JavaScript's `toLowerCase` then a comparison: the same as comparing ASCII letters
    // case-insensitively, since the only non-ASCII letter that lower-cases to an ASCII one
    // is the Kelvin sign (to `k`), which none of the names has.
    let proto = &url[..colon];
    if ["http", "https", "mailto", "tel"]
        .iter()
        .any(|allowed| proto.eq_ignore_ascii_case(allowed))
    {
        return true;
    }
    if let Some(q) = url.find('?') {
        if colon > q {
            return true;
        }
    }
    if let Some(h) = url.find('#') {
        if colon > h {
            return true;
        }
    }
    false
}

/// Whitespace as JavaScript's `String.prototype.trim` and `\s` see it.
pub fn is_js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The tags of a block style that to-html renders itself (`None`: an unknown style).
pub(crate) fn block_tags(style: &str) -> Option<(&'static str, &'static str)> {
    Some(match style {
        "normal" => ("<p>", "</p>"),
        "blockquote" => ("<blockquote>", "</blockquote>"),
        "h1" => ("<h1>", "</h1>"),
        "h2" => ("<h2>", "</h2>"),
        "h3" => ("<h3>", "</h3>"),
        "h4" => ("<h4>", "</h4>"),
        "h5" => ("<h5>", "</h5>"),
        "h6" => ("<h6>", "</h6>"),
        _ => return None,
    })
}

/// The tags of a list of `list_item` type (`number` is ordered, anything else is not).
pub(crate) fn list_tags(list_item: &str) -> (&'static str, &'static str) {
    match list_item {
        "number" => ("<ol>", "</ol>"),
        _ => ("<ul>", "</ul>"),
    }
}

/// The tags of a decorator that to-html renders itself (`None`: not one of them).
pub(crate) fn decorator_tags(mark_type: &str) -> Option<(&'static str, &'static str)> {
    Some(match mark_type {
        "em" => ("<em>", "</em>"),
        "strong" => ("<strong>", "</strong>"),
        "code" => ("<code>", "</code>"),
        "strike-through" => ("<del>", "</del>"),
        "underline" => ("<span style=\"text-decoration:underline\">", "</span>"),
        _ => return None,
    })
}

/// Writes a link's opening tag and returns true when `href` looks safe; writes nothing and
/// returns false otherwise (the link then renders as its bare text). The closing tag is
/// `</a>`.
pub(crate) fn link_open(href: &str, out: &mut String) -> bool {
    if !uri_looks_safe(href) {
        return false;
    }
    out.push_str("<a href=\"");
    escape_html(href, out);
    out.push_str("\">");
    true
}

/// The opening tag of a mark with no renderer (closed by `</span>`).
pub(crate) fn unknown_mark_open(mark_type: &str, out: &mut String) {
    out.push_str("<span class=\"unknown__pt__mark__");
    escape_html_chars(mark_type, out);
    out.push_str("\">");
}

/// Per-node HTML renderers. Every method has the to-html default; a profile
/// overrides only what differs.
pub trait HtmlComponents {
    /// Escapes text content.
    fn text(&self, text: &str, out: &mut String) {
        escape_html(text, out);
    }

    /// Opens a text block of `style`.
    fn block_open(&self, style: &str, _block: &Block<'_, '_>, out: &mut String) {
        match block_tags(style) {
            Some((open, _)) => out.push_str(open),
            None => self.unknown_block_style_open(style, out),
        }
    }

    /// Closes a text block of `style`.
    fn block_close(&self, style: &str, _block: &Block<'_, '_>, out: &mut String) {
        match block_tags(style) {
            Some((_, close)) => out.push_str(close),
            None => self.unknown_block_style_close(style, out),
        }
    }

    /// Opens a block of a style with no renderer.
    fn unknown_block_style_open(&self, _style: &str, out: &mut String) {
        out.push_str("<p>");
    }

    /// Closes a block of a style with no renderer.
    fn unknown_block_style_close(&self, _style: &str, out: &mut String) {
        out.push_str("</p>");
    }

    /// Opens a list of `list_item` type at `level`.
    fn list_open(&self, list_item: &str, _level: f64, out: &mut String) {
        out.push_str(list_tags(list_item).0);
    }

    /// Closes a list.
    fn list_close(&self, list_item: &str, _level: f64, out: &mut String) {
        out.push_str(list_tags(list_item).1);
    }

    /// Opens a list item.
    fn list_item_open(&self, _block: &Block<'_, '_>, out: &mut String) {
        out.push_str("<li>");
    }

    /// Closes a list item.
    fn list_item_close(&self, _block: &Block<'_, '_>, out: &mut String) {
        out.push_str("</li>");
    }

    /// Renders a decorator or annotation around already rendered `children`.
    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        match mark.mark_type {
            "link" => self.link(mark, children, out),
            other => match decorator_tags(other) {
                Some((open, close)) => {
                    out.push_str(open);
                    out.push_str(children);
                    out.push_str(close);
                }
                None => self.unknown_mark(mark, children, out),
            },
        }
    }

    /// A `link` annotation: `<a href>` when the URL looks safe, else the bare text.
    fn link(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        let href = mark.def.and_then(|d| d.str("href")).unwrap_or_default();
        if link_open(&href, out) {
            out.push_str(children);
            out.push_str("</a>");
        } else {
            out.push_str(children);
        }
    }

    /// A mark with no renderer.
    fn unknown_mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        unknown_mark_open(mark.mark_type, out);
        out.push_str(children);
        out.push_str("</span>");
    }

    /// A newline inside a span.
    fn hard_break(&self, out: &mut String) {
        out.push_str("<br/>");
    }

    /// A custom (non-block) object. Return false to fall back to [`Self::unknown_type`].
    fn custom_type(&self, _obj: &Object<'_>, _is_inline: bool, _out: &mut String) -> bool {
        false
    }

    /// An object type with no renderer: to-html's hidden element.
    fn unknown_type(&self, type_name: &str, is_inline: bool, out: &mut String) {
        unknown_type_with(type_name, is_inline, "\"", out);
    }
}

/// [`HtmlComponents::unknown_type`]'s element, its attribute's quotes written as `quote`: `"`
/// for HTML, `\"` for HTML inside a JSON string (where the direct path writes it straight,
/// for a type name without characters JSON escapes).
pub(crate) fn unknown_type_with(type_name: &str, is_inline: bool, quote: &str, out: &mut String) {
    let tag = if is_inline { "span" } else { "div" };
    out.push('<');
    out.push_str(tag);
    out.push_str(" style=");
    out.push_str(quote);
    out.push_str("display:none");
    out.push_str(quote);
    out.push_str(">Unknown block type &quot;");
    escape_html_chars(type_name, out);
    out.push_str("&quot;, specify a component for it in the `components.types` option</");
    out.push_str(tag);
    out.push('>');
}

/// The to-html defaults.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultHtml;

impl HtmlComponents for DefaultHtml {}

/// Renders `json` with the default components on the direct path ([`direct`]), appending to
/// `out`; `false` (with `out` as it was) where the general path must render it instead.
pub(crate) fn render_default_direct(json: &str, output: direct::Output, out: &mut String) -> bool {
    let len = out.len();
    if direct::render(json, output, out).is_some() {
        return true;
    }
    out.truncate(len);
    false
}

/// Renders entries to HTML with the given components.
pub(crate) fn render<C: HtmlComponents + ?Sized>(
    entries: &[Entry<'_>],
    c: &C,
    out: &mut String,
) -> Result<(), Error> {
    let nodes: Vec<Node<'_, '_>> = entries.iter().map(classify).collect();
    let blocks: Vec<Option<Block<'_, '_>>> = nodes
        .iter()
        .map(|n| match n {
            Node::Block(b) => Some(*b),
            _ => None,
        })
        .collect();
    let nested = nest_lists(&blocks).map_err(|e| Error::TooDeep {
        index: e.index,
        level: e.level,
    })?;
    for t in &nested.top {
        match t {
            Top::Node(i) => match &nodes[*i] {
                Node::Block(b) => render_block(b, b.style(), c, out),
                Node::Custom(o) => render_custom(o, false, c, out),
                Node::Invalid(v) => {
                    if !crate::is_skippable(v) {
                        c.unknown_type("undefined", false, out)
                    }
                }
            },
            Top::List(l) => render_list(&nested, &blocks, *l, c, out),
        }
    }
    Ok(())
}

pub(crate) fn render_custom<C: HtmlComponents + ?Sized>(
    o: &Object<'_>,
    inline: bool,
    c: &C,
    out: &mut String,
) {
    if !c.custom_type(o, inline, out) {
        let name = match o.get("_type") {
            Some(crate::model::Value::Str(t)) => t.to_string(),
            Some(crate::model::Value::Raw(r)) => match crate::json::raw_str(r) {
                Some(t) => t.into_owned(),
                None => (*r).to_owned(),
            },
            Some(crate::model::Value::Json(j)) => match j {
                serde_json::Value::Object(_) => "[object Object]".to_owned(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            },
            Some(crate::model::Value::List(_)) | None => "undefined".to_owned(),
        };
        c.unknown_type(&name, inline, out);
    }
}

fn render_block<C: HtmlComponents + ?Sized>(
    b: &Block<'_, '_>,
    style: &str,
    c: &C,
    out: &mut String,
) {
    c.block_open(style, b, out);
    render_inline(b, c, out);
    c.block_close(style, b, out);
}

/// Renders a block's children (marks, text, inline objects) iteratively.
pub(crate) fn render_inline<C: HtmlComponents + ?Sized>(
    b: &Block<'_, '_>,
    c: &C,
    out: &mut String,
) {
    if b.children.is_empty() {
        return;
    }
    // Fast path: only unmarked spans (most paragraphs) need no mark tree.
    if b.children
        .iter()
        .all(|e| matches!(e, Entry::Object(o) if o.raw("marks").is_none_or(|m| m.trim() == "[]")))
    {
        let spans: Option<Vec<_>> = b.children.iter().map(span_view).collect();
        if let Some(spans) = spans {
            for s in &spans {
                for (i, line) in crate::scan::lines(&s.text).enumerate() {
                    if i > 0 {
                        c.hard_break(out);
                    }
                    c.text(line, out);
                }
            }
            return;
        }
    }
    let tree = MarkTree::build(b);
    tree.walk(
        b,
        out,
        |leaf, out| match leaf {
            Leaf::Text(text) => c.text(text, out),
            Leaf::Break => c.hard_break(out),
            Leaf::Inline(i) => {
                if let Some(Entry::Object(o)) = b.children.get(i) {
                    render_custom(o, true, c, out);
                }
            }
        },
        |mark, children, out| c.mark(mark, children, out),
    );
}

fn render_list<C: HtmlComponents + ?Sized>(
    n: &Nested,
    blocks: &[Option<Block<'_, '_>>],
    root: usize,
    c: &C,
    out: &mut String,
) {
    enum Frame {
        List {
            list: usize,
            next: usize,
        },
        Item {
            list: usize,
            item: usize,
            next: usize,
        },
    }
    let li_of = |list: usize| -> &str {
        match blocks.get(n.lists[list].first_block) {
            Some(Some(b)) => b.list_item.unwrap_or(""),
            _ => "",
        }
    };
    c.list_open(li_of(root), n.lists[root].level, out);
    let mut stack = vec![Frame::List {
        list: root,
        next: 0,
    }];
    while let Some(top) = stack.last_mut() {
        match top {
            Frame::List { list, next } => {
                let list = *list;
                let items = &n.lists[list].items;
                if *next < items.len() {
                    let idx = *next;
                    *next += 1;
                    let it: &Item = &items[idx];
                    if let Some(Some(b)) = blocks.get(it.block) {
                        c.list_item_open(b, out);
                        let style = b.style();
                        if style != "normal" {
                            c.block_open(style, b, out);
                        }
                        if !it.placeholder {
                            render_inline(b, c, out);
                        }
                    }
                    stack.push(Frame::Item {
                        list,
                        item: idx,
                        next: 0,
                    });
                } else {
                    c.list_close(li_of(list), n.lists[list].level, out);
                    stack.pop();
                }
            }
            Frame::Item { list, item, next } => {
                let it = &n.lists[*list].items[*item];
                if *next < it.sublists.len() {
                    let s = it.sublists[*next];
                    *next += 1;
                    c.list_open(li_of(s), n.lists[s].level, out);
                    stack.push(Frame::List { list: s, next: 0 });
                } else {
                    if let Some(Some(b)) = blocks.get(it.block) {
                        let style = b.style();
                        if style != "normal" {
                            c.block_close(style, b, out);
                        }
                        c.list_item_close(b, out);
                    }
                    stack.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_html;
    use proptest::prelude::*;

    /// to-html's `escapeHTML`, one character at a time.
    fn escape_slowly(s: &str) -> String {
        let mut out = String::new();
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let run = chars[i..].iter().take_while(|c| **c == ' ').count();
            if run >= 2 {
                out.push_str(&"&nbsp;".repeat(run - 1));
                out.push(' ');
                i += run;
                continue;
            }
            match chars[i] {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#x27;"),
                c => out.push(c),
            }
            i += 1;
        }
        out
    }

    #[test]
    fn space_runs_across_chunk_boundaries() {
        // Runs that start, end and straddle the 16-byte chunks and the overlapping last one.
        for lead in 0..40 {
            for run in 1..36 {
                for tail in ["x", "", "&x"] {
                    let s = format!("{}{}{tail}", "a".repeat(lead), " ".repeat(run));
                    let mut out = String::new();
                    escape_html(&s, &mut out);
                    assert_eq!(out, escape_slowly(&s), "{s:?}");
                }
            }
        }
    }

    /// to-html's `uriLooksSafe` with the lower-casing spelt out as JavaScript does it.
    fn uri_looks_safe_slowly(uri: &str) -> bool {
        let url = uri.trim_matches(super::is_js_whitespace);
        if url.starts_with('#') || url.starts_with('/') {
            return true;
        }
        let Some(colon) = url.find(':') else {
            return true;
        };
        let proto = url[..colon].to_lowercase();
        ["http", "https", "mailto", "tel"].contains(&proto.as_str())
            || url.find('?').is_some_and(|q| colon > q)
            || url.find('#').is_some_and(|h| colon > h)
    }

    #[test]
    fn allowed_schemes_in_any_case() {
        let cases = [
            ("HTTP://example.com", true),
            ("Https://example.com", true),
            ("MailTo:a@example.com", true),
            ("tEL:+100", true),
            ("javascript:alert(1)", false),
            ("JavaScript:alert(1)", false),
            // A dotted capital I lower-cases to `i` and a combining dot: not `mailto`.
            ("ma\u{130}lto:a@example.com", false),
            ("data:text/html,x", false),
        ];
        for (uri, safe) in cases {
            assert_eq!(super::uri_looks_safe(uri), safe, "{uri}");
            assert_eq!(uri_looks_safe_slowly(uri), safe, "{uri}");
        }
    }

    proptest! {
        #[test]
        fn uri_safety_is_decided_like_the_reference(uri in "[ hHtTpPsSmMaAiIlLoOeE:#?/\u{212a}\u{130}\u{131}]{0,12}") {
            prop_assert_eq!(super::uri_looks_safe(&uri), uri_looks_safe_slowly(&uri));
        }

        #[test]
        fn escapes_like_the_reference(s in "[ a&<>\"'é😀\t]{0,80}") {
            let mut out = String::new();
            escape_html(&s, &mut out);
            prop_assert_eq!(out, escape_slowly(&s));
        }
    }
}
