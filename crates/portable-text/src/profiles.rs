//! Platform profiles: Dev.to and Hashnode Markdown, Medium HTML.
//!
//! Each profile overrides only what differs from the defaults:
//!
//! - Sanity `code` blocks become fenced code (Markdown; the fence is longer
//!   than any backtick run in the code) or `<pre><code>` (Medium), with the
//!   file name as a line of inline code / a paragraph above.
//! - Sanity `image` blocks become images with CDN URLs; a caption follows in
//!   italics (Markdown) or in a `<figcaption>` (Medium). Images whose URL
//!   cannot be resolved are left out.
//! - Embed blocks (`embed`, `youtube`, `gist`, `codepen`, `tweet`,
//!   `twitter`, each with a `url`) become the platform's embed syntax for
//!   recognised providers and a plain link otherwise.
//! - Objects with no renderer are left out (no JSON fences or hidden
//!   elements in a published post).
//!
//! The Markdown profiles share one [`MarkdownComponents`] implementation, for
//! every [`MarkdownPlatform`]: emphasis, links, images and blank lines written
//! so that a CommonMark reader reads back what the input meant (see the crate
//! README, "Emphasis in the Markdown profiles"). A platform gives only its
//! text escaping, its exception for inline code and its embed syntax.

use std::borrow::Cow;

use crate::html::{escape_html_chars, uri_looks_safe, HtmlComponents};
use crate::markdown::{
    code_span, default_block, default_list_item, default_mark, longest_run, ListItem,
    MarkdownComponents,
};
use crate::markdown_escape::{escape_line_starts, is_punct, is_ws, left_flanking, right_flanking};
use crate::model::Object;
use crate::node::Block;
use crate::sanity::{self, Embed, SanityConfig};
use crate::tree::{Beside, Mark};

/// Backslash-escapes Markdown-significant ASCII punctuation in free text
/// (captions, file names in profiles).
pub fn escape_markdown_text(t: &str, out: &mut String) {
    for c in t.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '#'
                | '~'
                | '|'
                | '!'
                | '&'
                | '{'
                | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

fn fenced_code(code: &sanity::Code, out: &mut String) {
    if let Some(f) = &code.filename {
        code_span(f, out);
        out.push_str("\n\n");
    }
    let fence = "`".repeat(longest_run(&code.code, '`').max(2) + 1);
    out.push_str(&fence);
    out.push_str(&code.language);
    out.push('\n');
    let body = code.code.strip_suffix('\n').unwrap_or(&code.code);
    out.push_str(body);
    out.push('\n');
    out.push_str(&fence);
}

/// `![alt](url)`, and the caption in italics on the next line. The alt text is Markdown to
/// a reader (its `*` would be emphasis, gone from the alt attribute), so it is escaped like
/// the caption; both are written on one line (a caption line starting with `- ` would
/// start a list).
fn markdown_image(img: &sanity::Image, out: &mut String) {
    let one_line = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    out.push_str("![");
    escape_markdown_text(&one_line(&img.alt), out);
    out.push_str("](");
    out.push_str(&link_destination(&img.url));
    out.push(')');
    if let Some(c) = &img.caption {
        let c = one_line(c);
        if !c.is_empty() {
            out.push('\n');
            out.push('_');
            escape_markdown_text(&c, out);
            out.push('_');
        }
    }
}

/// Inline code as the Markdown profiles write it (`text` from [`code_text`]): nothing over
/// no text (the reference writes a stray ```` `` ````), and `<code>` right after another
/// code span, whose fence would merge with this one's. `out` holds what the mark's parent
/// wrote so far; when that is nothing, the mark tree tells what comes before. (A backtick
/// after an odd run of backslashes is no exception: inside a code span a backslash is
/// literal, so `` `a\` `` ends with a fence.)
fn inline_code(mark: &Mark<'_, '_>, text: &str, out: &mut String) {
    if text.is_empty() {
        return;
    }
    let after_code = out.ends_with('`')
        || out.is_empty()
            && matches!(
                mark.before_when_first(),
                Beside::Markup("code", _) | Beside::Unknown
            );
    if after_code {
        // The tag has no fence; its text is Markdown, hence escaped.
        out.push_str("<code>");
        escape_markdown_text(text, out);
        out.push_str("</code>");
    } else {
        code_span(text, out);
    }
}

/// The text of an inline code mark, on one line: newlines and carriage returns (line endings
/// to Markdown, which would end the paragraph or the heading) become spaces, as CommonMark
/// reads a newline in a code span anyway.
fn code_text(mark: &Mark<'_, '_>) -> String {
    mark.text().replace(['\n', '\r'], " ")
}

/// Writes a strong, em or strike-through mark (and underline's `<u>`, see below) so that it
/// survives Markdown's flanking rules, which the reference placement (`**` and `_` straight
/// around the text) breaks in three common cases:
///
/// - whitespace at the edge of the marked text (`** bold **`): moved outside the delimiters;
/// - emphasis inside a word (`un_believ_able`): `*` instead of `_`;
/// - punctuation inside a delimiter with a letter outside (`**"quoted"**s`): no delimiter
///   works there, so the HTML tag (`<strong>`, `<em>`, `<del>`) is written instead.
///
/// The text's own `*`, `_`, `~` and backslashes next to the delimiters were escaped by
/// [`mend_edges`]. Returns false for other marks.
fn emphasis(
    mark: &Mark<'_, '_>,
    children: &str,
    out: &mut String,
    code_as_text: impl Fn(usize) -> bool,
) -> bool {
    let (delimiters, tag): (&[&str], &str) = match mark.mark_type {
        "strong" => (&["**"], "strong"),
        "em" => (&["_", "*"], "em"),
        "strike-through" => (&["~~"], "del"),
        // No Markdown for it; the tag, with the whitespace outside too (`<u>` followed by
        // nothing but whitespace at the start of a line would begin an HTML block).
        "underline" => (&[], "u"),
        _ => return false,
    };
    let ws = |c: char| is_ws(Some(c));
    let core = children.trim_matches(ws);
    if core.is_empty() {
        out.push_str(children);
        return true;
    }
    let lead = &children[..children.len() - children.trim_start_matches(ws).len()];
    let trail = &children[lead.len() + core.len()..];
    out.push_str(lead);
    // Inline code that the platform writes as text has unknown characters at its edges.
    let resolve = |b| match b {
        Beside::Markup("code", node) if code_as_text(node) => Beside::Unknown,
        b => b,
    };
    let before = match out.chars().next_back() {
        Some(c) => Beside::Char(c),
        None => resolve(mark.before_when_first()),
    };
    let after = match trail.chars().next() {
        Some(c) => Beside::Char(c),
        None => resolve(mark.after()),
    };
    // A delimiter next to the same character would merge into a longer run (and what is
    // not known might be that character).
    let touches = |b: Beside<'_>, d: char| match b {
        Beside::Char(c) => c == d,
        Beside::Markup(kind, _) => delimiter_chars(kind).contains(&d),
        Beside::Unknown => true,
        Beside::Edge => false,
    };
    // A stand-in character of the same class, for the flanking rules.
    let probe = |b: Beside<'_>| match b {
        Beside::Edge => None,
        Beside::Char(c) => Some(c),
        Beside::Markup(..) => Some('*'),
        Beside::Unknown => Some('a'),
    };
    let (first, last) = (core.chars().next(), core.chars().next_back());
    let fits = |d: &&&str| {
        let c = d.chars().next().unwrap_or('*');
        if touches(before, c) || touches(after, c) || first == Some(c) || last == Some(c) {
            return false;
        }
        let (before, after) = (probe(before), probe(after));
        let opens = left_flanking(before, first);
        let closes = right_flanking(last, after);
        if c == '_' {
            opens
                && (!right_flanking(before, first) || is_punct(before))
                && closes
                && (!left_flanking(last, after) || is_punct(after))
        } else {
            opens && closes
        }
    };
    let (open, close) = match delimiters.iter().find(fits) {
        Some(d) => (d.to_string(), d.to_string()),
        None => (format!("<{tag}>"), format!("</{tag}>")),
    };
    out.push_str(&open);
    out.push_str(core);
    out.push_str(&close);
    out.push_str(trail);
    true
}

fn ends_with_odd_backslashes(text: &str) -> bool {
    (text.len() - text.trim_end_matches('\\').len()) % 2 == 1
}

/// Span text as a Markdown profile writes it. The escaper judges each `*`, `_` and `~` by
/// its neighbours in the block's text, but the markup written between two pieces of text
/// gives the characters at a piece's edges other neighbours (`_` then `~~` can open
/// emphasis, `!` then `[` starts an image), and so does [`emphasis`] when it moves the
/// whitespace at a piece's edge out of the delimiters. So the run of those characters at
/// either edge of the text, or just inside its edge whitespace, is escaped here too. A run
/// of backslashes there would escape the markup written next; it gets one more backslash (an
/// escape is always in the same piece as the character it escapes, so such a run is meant
/// literally). The middle of the text is as the escaper left it.
fn mend_edges(escaped: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '*' | '_' | '~');
    let ws = |c: char| is_ws(Some(c));
    let lead_ws = escaped.len() - escaped.trim_start_matches(ws).len();
    let body_end = escaped.trim_end_matches(ws).len().max(lead_ws);
    let rest = &escaped[lead_ws..body_end];
    let head = lead_ws + (rest.len() - rest.trim_start_matches(special).len());
    let mut tail = body_end;
    // At the end, `!` too: with a link written next it would make an image.
    while tail > head
        && escaped[..tail].ends_with(|c| special(c) || c == '!')
        && !ends_with_odd_backslashes(&escaped[..tail - 1])
    {
        tail -= 1;
    }
    let odd_end = tail == body_end && ends_with_odd_backslashes(&escaped[..body_end]);
    if head == lead_ws && tail == body_end && !odd_end {
        return Cow::Borrowed(escaped);
    }
    let mut s = String::with_capacity(escaped.len() + 8);
    s.push_str(&escaped[..lead_ws]);
    for c in escaped[lead_ws..head].chars() {
        s.push('\\');
        s.push(c);
    }
    s.push_str(&escaped[head..tail]);
    for c in escaped[tail..body_end].chars() {
        s.push('\\');
        s.push(c);
    }
    if odd_end {
        s.push('\\');
    }
    s.push_str(&escaped[body_end..]);
    Cow::Owned(s)
}

/// Markdown has no blank line inside a paragraph: a line holding nothing but a hard break
/// (two breaks in a row, or a break first) would end the paragraph, the list item or the
/// emphasis around it. Such a line gets a `&nbsp;`, which shows as the empty line that
/// `<br/><br/>` shows in HTML.
fn keep_blank_lines(children: &str) -> Cow<'_, str> {
    let blank = |line: &str| line.bytes().all(|b| b == b' ' || b == b'\t');
    let mut lines = children.split('\n');
    let last = lines.next_back();
    if !lines.clone().any(blank) {
        return Cow::Borrowed(children);
    }
    let mut s = String::with_capacity(children.len() + 16);
    for line in lines {
        if blank(line) {
            s.push_str("&nbsp;");
        }
        s.push_str(line);
        s.push('\n');
    }
    s.push_str(last.unwrap_or_default());
    Cow::Owned(s)
}

/// A `#` heading's text whose last `#`s stay text: a run of `#` at the end, after a space
/// or as the whole text, is read as the heading's optional closing sequence and dropped
/// (`## renders #` shows "renders"). The run's first `#` is escaped.
fn keep_closing_hashes(text: &str) -> Cow<'_, str> {
    let ws = |c: char| c == ' ' || c == '\t';
    let body = text.trim_end_matches(ws);
    let run = body.trim_end_matches('#');
    if run.len() == body.len() || !(run.trim_start_matches(ws).is_empty() || run.ends_with(ws)) {
        return Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(run);
    s.push('\\');
    s.push_str(&text[run.len()..]);
    Cow::Owned(s)
}

/// A link URL as a Markdown link destination that every reader takes whole: spaces, control
/// characters, `<`, `>` and backslashes percent-encoded, and parentheses too when they are
/// not balanced (balanced ones, as in Wikipedia URLs, are allowed and kept). The reference
/// writes the URL as it is, so `[docs](https://x.test/a b)` was not a link.
fn link_destination(href: &str) -> Cow<'_, str> {
    let mut depth: i64 = 0;
    let mut balanced = true;
    for c in href.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                balanced &= depth >= 0;
            }
            _ => {}
        }
    }
    balanced &= depth == 0;
    let encode = |c: char| {
        c.is_ascii_control()
            || matches!(c, ' ' | '<' | '>' | '\\')
            || (!balanced && matches!(c, '(' | ')'))
    };
    if !href.contains(encode) {
        return Cow::Borrowed(href);
    }
    let mut s = String::with_capacity(href.len() + 8);
    for c in href.chars() {
        if encode(c) {
            s.push_str(&format!("%{:02X}", c as u32));
        } else {
            s.push(c);
        }
    }
    Cow::Owned(s)
}

/// The characters the Markdown profiles may write at the edges of a mark of this type.
fn delimiter_chars(mark_type: &str) -> &'static [char] {
    match mark_type {
        "strong" => &['*'],
        "em" => &['_', '*'],
        "strike-through" => &['~'],
        "code" => &['`'],
        "link" => &['[', ')'],
        _ => &['<', '>'],
    }
}

fn autolink(url: &str, out: &mut String) {
    out.push('<');
    out.push_str(url);
    out.push('>');
}

/// Dev.to Markdown: liquid tags for embeds; `{%` and `{{` in text are
/// wrapped in `{% raw %}` so Forem's liquid parser cannot reject the post.
#[derive(Debug, Clone)]
pub struct Devto<'s> {
    sanity: &'s SanityConfig,
}

impl<'s> Devto<'s> {
    /// A Dev.to profile resolving images with `sanity`.
    pub fn new(sanity: &'s SanityConfig) -> Self {
        Devto { sanity }
    }
}

/// Wraps liquid delimiters in raw tags.
pub fn escape_liquid(t: &str, out: &mut String) {
    if !t.contains("{%") && !t.contains("{{") {
        out.push_str(t);
        return;
    }
    let mut rest = t;
    while let Some(p) = rest.find(['{']) {
        let (head, tail) = rest.split_at(p);
        out.push_str(head);
        if tail.starts_with("{%") || tail.starts_with("{{") {
            out.push_str("{% raw %}");
            out.push_str(&tail[..2]);
            out.push_str("{% endraw %}");
            rest = &tail[2..];
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
}

impl MarkdownPlatform for Devto<'_> {
    fn sanity(&self) -> &SanityConfig {
        self.sanity
    }

    fn write_text(&self, text: &str, out: &mut String) {
        escape_liquid(text, out);
    }

    /// Inline code cannot hold `{% raw %}` tags, so code with liquid in it is written as
    /// escaped text.
    fn code_as_text(&self, text: &str) -> bool {
        text.contains("{%") || text.contains("{{")
    }

    fn embed(&self, embed: &Embed, out: &mut String) {
        match embed {
            Embed::YouTube { id, .. } => out.push_str(&format!("{{% youtube {id} %}}")),
            Embed::Gist { url } => out.push_str(&format!("{{% gist {url} %}}")),
            Embed::CodePen { url } => out.push_str(&format!("{{% codepen {url} %}}")),
            Embed::Tweet { id, .. } => out.push_str(&format!("{{% twitter {id} %}}")),
            Embed::Other { url } => autolink(url, out),
        }
    }
}

/// Hashnode Markdown: `%[url]` embeds on their own line.
#[derive(Debug, Clone)]
pub struct Hashnode<'s> {
    sanity: &'s SanityConfig,
}

impl<'s> Hashnode<'s> {
    /// A Hashnode profile resolving images with `sanity`.
    pub fn new(sanity: &'s SanityConfig) -> Self {
        Hashnode { sanity }
    }
}

impl MarkdownPlatform for Hashnode<'_> {
    fn sanity(&self) -> &SanityConfig {
        self.sanity
    }

    fn embed(&self, embed: &Embed, out: &mut String) {
        match embed {
            Embed::Other { url } => autolink(url, out),
            e => {
                out.push_str("%[");
                out.push_str(e.url());
                out.push(']');
            }
        }
    }
}

/// What sets one Markdown profile apart; everything else is shared, in the
/// [`MarkdownComponents`] implementation of every platform.
pub trait MarkdownPlatform {
    /// The Sanity project and dataset, for image URLs.
    fn sanity(&self) -> &SanityConfig;

    /// Writes span text, already escaped as Markdown.
    fn write_text(&self, text: &str, out: &mut String) {
        out.push_str(text);
    }

    /// Whether the text of an inline code mark is written as escaped text (through
    /// [`write_text`](Self::write_text)) instead of a code span.
    fn code_as_text(&self, _text: &str) -> bool {
        false
    }

    /// Writes an embed block.
    fn embed(&self, embed: &Embed, out: &mut String);
}

impl<P: MarkdownPlatform> MarkdownComponents for P {
    fn text(&self, escaped: &str, out: &mut String) {
        if escaped.contains('\r') {
            // A carriage return is a line ending to Markdown (a line break the input did not
            // have, and the next line could start a block); in HTML it is a space.
            self.write_text(&mend_edges(&escaped.replace('\r', " ")), out);
            return;
        }
        self.write_text(&mend_edges(escaped), out);
    }

    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        if mark.is_link_in_link() {
            out.push_str(children);
        } else if mark.mark_type == "code" {
            let text = code_text(mark);
            if self.code_as_text(&text) {
                let mut escaped = String::with_capacity(text.len() + 8);
                escape_markdown_text(&text, &mut escaped);
                self.write_text(&escaped, out);
            } else {
                inline_code(mark, &text, out);
            }
        } else if !emphasis(mark, children, out, |node| {
            self.code_as_text(&mark.text_of(node))
        }) {
            default_mark(self, mark, children, out);
        }
    }

    fn block(&self, style: &str, block: &Block<'_, '_>, children: &str, out: &mut String) {
        if matches!(style, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
            // A `#` heading is one line: a hard break in it would end the heading there
            // (and any link or emphasis across it). The break is a space instead.
            let one_line = if children.contains('\n') {
                Cow::Owned(children.replace("  \n", " ").replace('\n', " "))
            } else {
                Cow::Borrowed(children)
            };
            let text = escape_line_starts(&one_line, true, false);
            default_block(self, style, block, &keep_closing_hashes(&text), out);
            return;
        }
        let text = keep_blank_lines(children);
        default_block(
            self,
            style,
            block,
            &escape_line_starts(&text, false, false),
            out,
        );
    }

    fn link_destination<'h>(&self, href: &'h str) -> Cow<'h, str> {
        link_destination(href)
    }

    fn escape_every_tilde(&self) -> bool {
        true
    }

    fn list_item(&self, item: &ListItem<'_, '_, '_>, children: &str, out: &mut String) {
        // Leading spaces would move the item's content column and break nesting.
        let children = keep_blank_lines(children);
        let children = children.trim_start_matches([' ', '\t']);
        // An empty item (`- ` alone) cannot interrupt a paragraph: after an item's text it
        // is read as a setext heading underline, and the items nested under it as code.
        let children = if children.trim_end_matches([' ', '\t']).is_empty() {
            Cow::Borrowed("&nbsp;")
        } else if item.style == "normal" {
            escape_line_starts(children, false, true)
        } else {
            // Came through `block`, which has seen to its lines.
            Cow::Borrowed(children)
        };
        if !children.contains('\n') {
            default_list_item(item, &children, out);
            return;
        }
        // The lines after the first (hard breaks, a blockquote's lines) are indented to the
        // item's content: unindented, only plain text would stay in the item (as a lazy
        // continuation), and a line starting with `>` would leave the list.
        let start = out.len();
        default_list_item(item, "", out);
        let indent = " ".repeat(out.len() - start);
        out.push_str(&children.replace('\n', &format!("\n{indent}")));
    }

    fn custom_type(&self, obj: &Object<'_>, is_inline: bool, out: &mut String) -> bool {
        if is_inline {
            return false;
        }
        match obj.type_name().as_deref() {
            Some("code") => {
                if let Some(code) = sanity::code(obj) {
                    fenced_code(&code, out);
                }
            }
            Some("image") => {
                if let Some(img) = sanity::image(obj, self.sanity()) {
                    markdown_image(&img, out);
                }
            }
            _ => match sanity::embed(obj) {
                Some(e) => self.embed(&e, out),
                None => return false,
            },
        }
        true
    }

    fn unknown_type(&self, _obj: &Object<'_>, _is_inline: bool, _out: &mut String) {}
}

/// Medium HTML: only the markup Medium keeps (paragraphs, `h1`–`h4`, links,
/// `strong`/`em`/`code`, blockquotes, lists, `pre`, `figure`/`img`/`figcaption`,
/// `hr`, `br`); no classes or styles.
#[derive(Debug, Clone)]
pub struct Medium<'s> {
    sanity: &'s SanityConfig,
}

impl<'s> Medium<'s> {
    /// A Medium profile resolving images with `sanity`.
    pub fn new(sanity: &'s SanityConfig) -> Self {
        Medium { sanity }
    }
}

fn medium_tag(style: &str) -> &'static str {
    match style {
        "h1" => "h1",
        "h2" => "h2",
        "h3" => "h3",
        "h4" | "h5" | "h6" => "h4",
        "blockquote" => "blockquote",
        _ => "p",
    }
}

impl HtmlComponents for Medium<'_> {
    fn text(&self, text: &str, out: &mut String) {
        escape_html_chars(text, out);
    }

    fn block_open(&self, style: &str, _block: &Block<'_, '_>, out: &mut String) {
        out.push('<');
        out.push_str(medium_tag(style));
        out.push('>');
    }

    fn block_close(&self, style: &str, _block: &Block<'_, '_>, out: &mut String) {
        out.push_str("</");
        out.push_str(medium_tag(style));
        out.push('>');
    }

    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        let tag = match mark.mark_type {
            "em" => "em",
            "strong" => "strong",
            "code" => "code",
            "link" => {
                let href = mark.def.and_then(|d| d.str("href")).unwrap_or_default();
                let href = href.trim();
                // No link inside a link (HTML does not nest them either).
                if !href.is_empty() && uri_looks_safe(href) && !mark.is_link_in_link() {
                    out.push_str("<a href=\"");
                    escape_html_chars(href, out);
                    out.push_str("\">");
                    out.push_str(children);
                    out.push_str("</a>");
                } else {
                    out.push_str(children);
                }
                return;
            }
            _ => {
                out.push_str(children);
                return;
            }
        };
        out.push('<');
        out.push_str(tag);
        out.push('>');
        out.push_str(children);
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }

    fn hard_break(&self, out: &mut String) {
        out.push_str("<br>");
    }

    fn custom_type(&self, obj: &Object<'_>, is_inline: bool, out: &mut String) -> bool {
        if is_inline {
            return true;
        }
        match obj.type_name().as_deref() {
            Some("code") => {
                if let Some(code) = sanity::code(obj) {
                    if let Some(f) = &code.filename {
                        out.push_str("<p><code>");
                        escape_html_chars(f, out);
                        out.push_str("</code></p>");
                    }
                    out.push_str("<pre><code>");
                    escape_html_chars(code.code.strip_suffix('\n').unwrap_or(&code.code), out);
                    out.push_str("</code></pre>");
                }
            }
            Some("image") => {
                if let Some(img) = sanity::image(obj, self.sanity) {
                    out.push_str("<figure><img src=\"");
                    escape_html_chars(&img.url, out);
                    out.push_str("\" alt=\"");
                    escape_html_chars(&img.alt, out);
                    out.push_str("\">");
                    if let Some(c) = &img.caption {
                        out.push_str("<figcaption>");
                        escape_html_chars(c.trim(), out);
                        out.push_str("</figcaption>");
                    }
                    out.push_str("</figure>");
                }
            }
            Some("horizontal-rule") | Some("break") => out.push_str("<hr>"),
            _ => {
                if let Some(e) = sanity::embed(obj) {
                    // A link alone in its paragraph; Medium expands known providers.
                    out.push_str("<p><a href=\"");
                    escape_html_chars(e.url(), out);
                    out.push_str("\">");
                    escape_html_chars(e.url(), out);
                    out.push_str("</a></p>");
                }
            }
        }
        true
    }
}
