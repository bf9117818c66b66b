//! Markdown rendering.
//!
//! [`DefaultMarkdown`] follows `@portabletext/markdown` 2.2 with default
//! options: blocks are rendered one by one (lists are not nested into a tree;
//! each item is indented by its depth), text is escaped so that it reads back
//! as the same text, and objects without a renderer fall back to a
//! `json:object` fence. Implement [`MarkdownComponents`] to build a profile.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::html::{is_js_whitespace, uri_looks_safe};
use crate::model::{parse_list, Entry, Object};
use crate::node::{classify, Block, Node};
use crate::tree::{Leaf, Mark, MarkTree};
use crate::Error;

/// What a list item renderer gets besides its rendered text.
#[derive(Debug, Clone, Copy)]
pub struct ListItem<'r, 'n, 'a> {
    /// The block.
    pub block: &'r Block<'n, 'a>,
    /// `listItem` (`bullet`, `number`, `task`, ...).
    pub list_item: &'n str,
    /// 1-based position among its siblings, when known.
    pub index: Option<u64>,
    /// Nesting depth (0 for top level), when known.
    pub depth: Option<usize>,
    /// The style the item was rendered with: for any but `normal` the rendered text came
    /// through [`MarkdownComponents::block`] (a heading or blockquote inside the item).
    pub style: &'r str,
}

/// Per-node Markdown renderers; every method has the `@portabletext/markdown`
/// default.
pub trait MarkdownComponents {
    /// Renders a text block of `style` from its rendered `children`.
    fn block(&self, style: &str, block: &Block<'_, '_>, children: &str, out: &mut String) {
        default_block(self, style, block, children, out);
    }

    /// A style with no renderer: the children as they are.
    fn unknown_block_style(&self, _style: &str, children: &str, out: &mut String) {
        out.push_str(children);
    }

    /// Renders a list item: indentation of three spaces per depth, then the marker.
    fn list_item(&self, item: &ListItem<'_, '_, '_>, children: &str, out: &mut String) {
        default_list_item(item, children, out);
    }

    /// Writes one piece of already escaped span text.
    fn text(&self, escaped: &str, out: &mut String) {
        out.push_str(escaped);
    }

    /// Renders a decorator or annotation around already rendered `children`.
    fn mark(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        default_mark(self, mark, children, out);
    }

    /// A `link` annotation.
    fn link(&self, mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        let href = mark.def.and_then(|d| d.str("href")).unwrap_or_default();
        let title = mark.def.and_then(|d| d.str("title")).unwrap_or_default();
        if !uri_looks_safe(&href) {
            out.push_str(children);
            return;
        }
        out.push('[');
        out.push_str(children);
        out.push_str("](");
        let has_quote = href.contains(['"', '\'']);
        let has_angle = href.contains(['<', '>']);
        if has_quote && has_angle {
            let mut encoded = String::with_capacity(href.len() + 8);
            for c in href.chars() {
                match c {
                    '"' | '<' | '>' | '(' | ')' | ' ' => {
                        encoded.push_str(&format!("%{:X}", c as u32));
                    }
                    _ => encoded.push(c),
                }
            }
            out.push_str(&self.link_destination(&encoded));
        } else {
            out.push_str(&self.link_destination(&href));
            if !title.is_empty() {
                out.push_str(" \"");
                escape_title(&title, out);
                out.push('"');
            }
        }
        out.push(')');
    }

    /// Whether span text gets a backslash before every `~` (for renderers that strike
    /// through with one tilde, as GFM allows), not only before runs of two or more.
    fn escape_every_tilde(&self) -> bool {
        false
    }

    /// How [`Self::link`] writes a URL (after the reference's own encoding of URLs with both
    /// quotes and angle brackets): as it is.
    fn link_destination<'h>(&self, href: &'h str) -> Cow<'h, str> {
        Cow::Borrowed(href)
    }

    /// A mark with no renderer: the children as they are.
    fn unknown_mark(&self, _mark: &Mark<'_, '_>, children: &str, out: &mut String) {
        out.push_str(children);
    }

    /// A newline inside a span.
    fn hard_break(&self) -> &str {
        "  \n"
    }

    /// A custom object. Return false to fall through to the built-in renderers
    /// (`code`, `image`, `table`, `callout`, `horizontal-rule`, `html`) and
    /// then to [`Self::unknown_type`].
    fn custom_type(&self, _obj: &Object<'_>, _is_inline: bool, _out: &mut String) -> bool {
        false
    }

    /// Whether the built-in object renderers apply.
    fn builtin_types(&self) -> bool {
        true
    }

    /// An object with no renderer: a `json:object` fence (inline: a code span).
    fn unknown_type(&self, obj: &Object<'_>, is_inline: bool, out: &mut String) {
        if is_inline {
            out.push_str("json:object");
            code_span(&obj.to_js_json(0), out);
        } else {
            out.push_str("```json:object\n");
            out.push_str(&obj.to_js_json(2));
            out.push_str("\n```");
        }
    }

    /// The separator between two rendered top-level nodes.
    fn block_spacing(&self, current: &Node<'_, '_>, next: &Node<'_, '_>) -> &str {
        match (current, next) {
            (Node::Block(a), Node::Block(b)) if a.is_list_item() && b.is_list_item() => "\n",
            (Node::Block(a), Node::Block(b))
                if a.obj.str_is("style", "blockquote") && b.obj.str_is("style", "blockquote") =>
            {
                "\n>\n"
            }
            _ => "\n\n",
        }
    }
}

/// The default block renderer (for profiles that override [`MarkdownComponents::block`]):
/// paragraphs, blockquotes (every line behind `> `) and `#` headings; other styles go to
/// [`MarkdownComponents::unknown_block_style`].
pub fn default_block<C: MarkdownComponents + ?Sized>(
    c: &C,
    style: &str,
    _block: &Block<'_, '_>,
    children: &str,
    out: &mut String,
) {
    match style {
        "normal" => {
            if !children.trim_matches(is_js_whitespace).is_empty() {
                out.push_str(children);
            }
        }
        "blockquote" => {
            if children.is_empty() {
                out.push('>');
            } else {
                for (i, line) in crate::scan::lines(children).enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str("> ");
                    out.push_str(line);
                }
            }
        }
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let n = (style.as_bytes()[1] - b'0') as usize;
            for _ in 0..n {
                out.push('#');
            }
            out.push(' ');
            out.push_str(children);
        }
        _ => c.unknown_block_style(style, children, out),
    }
}

/// Deepest indentation the default list item renderer writes for a list item
/// whose depth comes from its `level` alone.
pub const MAX_INDENT_DEPTH: usize = 1_000;

/// The default list item renderer (three spaces of indentation per depth, then
/// `- `, `N. ` or a task checkbox).
pub fn default_list_item(item: &ListItem<'_, '_, '_>, children: &str, out: &mut String) {
    // Without a computed depth (nested content), the level decides; capped so
    // that an absurd level cannot produce an absurd indentation.
    let depth = item.depth.unwrap_or_else(|| {
        let l = item.block.level_or_one() - 1.0;
        if l > 0.0 {
            (l as usize).min(MAX_INDENT_DEPTH)
        } else {
            0
        }
    });
    for _ in 0..depth {
        out.push_str("   ");
    }
    match item.list_item {
        "number" => {
            out.push_str(&item.index.unwrap_or(1).to_string());
            out.push_str(". ");
        }
        "task" => out.push_str(if item.block.checked() {
            "- [x] "
        } else {
            "- [ ] "
        }),
        _ => out.push_str("- "),
    }
    out.push_str(children);
}

/// The default mark renderers (for profiles that override [`MarkdownComponents::mark`]
/// for some marks only).
pub fn default_mark<C: MarkdownComponents + ?Sized>(
    c: &C,
    mark: &Mark<'_, '_>,
    children: &str,
    out: &mut String,
) {
    match mark.mark_type {
        "em" => wrap(out, "_", children, "_"),
        "strong" => wrap(out, "**", children, "**"),
        "code" => code_span(&mark.text(), out),
        "underline" => wrap(out, "<u>", children, "</u>"),
        "strike-through" => wrap(out, "~~", children, "~~"),
        "link" => c.link(mark, children, out),
        _ => c.unknown_mark(mark, children, out),
    }
}

fn wrap(out: &mut String, open: &str, children: &str, close: &str) {
    out.push_str(open);
    out.push_str(children);
    out.push_str(close);
}

/// Escapes `\` and `"` for a link or image title.
pub fn escape_title(t: &str, out: &mut String) {
    for c in t.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Escapes `[`, `]` and `\` in image alt text and link text.
pub fn escape_label(t: &str, out: &mut String) {
    for c in t.chars() {
        if matches!(c, '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Wraps text in a code span whose fence is longer than any backtick run in it.
pub fn code_span(text: &str, out: &mut String) {
    let longest = longest_run(text, '`');
    let touches = text.starts_with('`') || text.ends_with('`');
    let stripped = text.starts_with(' ')
        && text.ends_with(' ')
        && !text.trim_matches(is_js_whitespace).is_empty();
    let pad = if touches || stripped { " " } else { "" };
    for _ in 0..=longest {
        out.push('`');
    }
    out.push_str(pad);
    out.push_str(text);
    out.push_str(pad);
    for _ in 0..=longest {
        out.push('`');
    }
}

/// Length of the longest run of `ch` in `text`.
pub fn longest_run(text: &str, ch: char) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for c in text.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// The `@portabletext/markdown` defaults.
#[derive(Debug, Default, Clone, Copy)]
pub struct DefaultMarkdown;

impl MarkdownComponents for DefaultMarkdown {}

// ---------------------------------------------------------------------------
// List positions (buildListIndexMap).

struct ListInfo<'n> {
    per_block: Vec<Option<(u64, usize)>>,
    by_key: HashMap<&'n str, (u64, usize)>,
}

fn block_key<'n>(b: &Block<'n, '_>) -> Option<&'n str> {
    let k = b.obj.str_ref("_key")?;
    if k.is_empty() {
        None
    } else {
        Some(k)
    }
}

fn list_info<'n>(nodes: &[Node<'n, '_>]) -> ListInfo<'n> {
    let mut per_block = vec![None; nodes.len()];
    let mut by_key = HashMap::new();
    let mut counters: Vec<(&str, Vec<(usize, u64)>)> = Vec::new();
    let mut stack: Vec<f64> = Vec::new();
    let mut prev: Option<(&str, usize)> = None;
    for (i, n) in nodes.iter().enumerate() {
        let b = match n {
            Node::Block(b)
                if b.obj.str_is("_type", "block") && b.obj.list("children").is_some() =>
            {
                b
            }
            _ => {
                counters.clear();
                prev = None;
                stack.clear();
                continue;
            }
        };
        let (Some(li), Some(level)) = (b.list_item, b.level) else {
            counters.clear();
            prev = None;
            stack.clear();
            continue;
        };
        while let Some(&d) = stack.last() {
            if d > level {
                stack.pop();
            } else {
                break;
            }
        }
        if stack.last() != Some(&level) {
            stack.push(level);
        }
        let depth = stack.len() - 1;
        let restart = match prev {
            None => true,
            Some((pli, pd)) => pli == li && pd < depth,
        };
        let index = if restart {
            set_counter(&mut counters, li, depth, 1);
            1
        } else {
            for (name, m) in counters.iter_mut() {
                if *name != li {
                    m.retain(|(d, _)| *d < depth);
                }
            }
            let c = get_counter(&counters, li, depth) + 1;
            set_counter(&mut counters, li, depth, c);
            c
        };
        prev = Some((li, depth));
        per_block[i] = Some((index, depth));
        if let Some(k) = block_key(b) {
            by_key.insert(k, (index, depth));
        }
    }
    ListInfo { per_block, by_key }
}

fn get_counter(c: &[(&str, Vec<(usize, u64)>)], li: &str, depth: usize) -> u64 {
    c.iter()
        .find(|(n, _)| *n == li)
        .and_then(|(_, m)| m.iter().find(|(d, _)| *d == depth).map(|(_, v)| *v))
        .unwrap_or(0)
}

fn set_counter<'n>(c: &mut Vec<(&'n str, Vec<(usize, u64)>)>, li: &'n str, depth: usize, v: u64) {
    let pos = match c.iter().position(|(n, _)| *n == li) {
        Some(p) => p,
        None => {
            c.push((li, Vec::new()));
            c.len() - 1
        }
    };
    let m = &mut c[pos].1;
    match m.iter_mut().find(|(d, _)| *d == depth) {
        Some(e) => e.1 = v,
        None => m.push((depth, v)),
    }
}

// ---------------------------------------------------------------------------
// Rendering.

struct Ctx<'c, 'n, C: ?Sized> {
    c: &'c C,
    lists: ListInfo<'n>,
    /// Nesting depth of tables and callouts being rendered.
    depth: std::cell::Cell<usize>,
}

/// Tables and callouts nested deeper than this fall back to the unknown-type
/// renderer instead of recursing further (keeps the stack bounded).
pub const MAX_NESTED_OBJECTS: usize = 32;

/// Renders entries to Markdown with the given components.
pub(crate) fn render<C: MarkdownComponents + ?Sized>(
    entries: &[Entry<'_>],
    c: &C,
    out: &mut String,
) -> Result<(), Error> {
    let nodes: Vec<Node<'_, '_>> = entries.iter().map(classify).collect();
    for (i, n) in nodes.iter().enumerate() {
        if let Node::Invalid(v) = n {
            return Err(crate::not_an_object(i, v));
        }
    }
    let ctx = Ctx {
        c,
        lists: list_info(&nodes),
        depth: std::cell::Cell::new(0),
    };
    let mut prev: Option<usize> = None;
    for (i, n) in nodes.iter().enumerate() {
        // The spacing goes before a node only if the node renders something: write it, render
        // the node after it, and take it back if the node wrote nothing.
        let before = out.len();
        if let Some(p) = prev {
            out.push_str(c.block_spacing(&nodes[p], n));
        }
        let start = out.len();
        render_node(&ctx, n, Some(i), false, None, out);
        if out.len() == start {
            out.truncate(before);
            continue;
        }
        prev = Some(i);
    }
    Ok(())
}

fn render_node<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    n: &Node<'_, '_>,
    top_index: Option<usize>,
    inline: bool,
    force_style: Option<&str>,
    out: &mut String,
) {
    match n {
        Node::Block(b) if b.is_list_item() => render_list_item(ctx, b, top_index, force_style, out),
        Node::Block(b) => {
            let style = force_style.unwrap_or_else(|| b.style());
            render_block(ctx, b, style, false, out)
        }
        Node::Custom(o) => render_custom(ctx, o, inline, out),
        Node::Invalid(_) => {}
    }
}

fn render_list_item<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    b: &Block<'_, '_>,
    top_index: Option<usize>,
    force_style: Option<&str>,
    out: &mut String,
) {
    let style = force_style.unwrap_or_else(|| b.style());
    let mut children = String::with_capacity(CHILDREN_CAPACITY);
    if style != "normal" {
        render_block(ctx, b, style, true, &mut children);
        let trimmed = children.trim_end_matches('\n').len();
        children.truncate(trimmed);
    } else {
        render_children(ctx, b, false, true, &mut children);
    }
    let pos = match block_key(b) {
        Some(k) => ctx.lists.by_key.get(k).copied(),
        None => top_index.and_then(|i| ctx.lists.per_block.get(i).copied().flatten()),
    };
    let item = ListItem {
        block: b,
        list_item: b.list_item.unwrap_or(""),
        index: pos.map(|p| p.0),
        depth: pos.map(|p| p.1),
        style,
    };
    ctx.c.list_item(&item, &children, out);
}

/// Starting capacity of a block's rendered children: a paragraph's worth, so most blocks
/// never grow the buffer.
const CHILDREN_CAPACITY: usize = 512;

fn render_block<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    b: &Block<'_, '_>,
    style: &str,
    list_item: bool,
    out: &mut String,
) {
    let heading = matches!(style, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    let mut children = String::with_capacity(CHILDREN_CAPACITY);
    render_children(ctx, b, heading, list_item, &mut children);
    ctx.c.block(style, b, &children, out);
}

fn render_children<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    b: &Block<'_, '_>,
    heading: bool,
    list_item: bool,
    out: &mut String,
) {
    if b.children.is_empty() {
        return;
    }
    let tree = MarkTree::build(b);
    let hard_break = ctx.c.hard_break();
    let escaped = crate::markdown_escape::plan(
        &tree,
        b,
        heading,
        list_item,
        hard_break.contains('\n'),
        ctx.c.escape_every_tilde(),
    );
    // Text leaves come in document order, the order of `escaped`.
    let mut text_leaf = 0;
    tree.walk(
        b,
        out,
        |leaf, out| match leaf {
            Leaf::Text(text) => {
                match escaped.get(text_leaf) {
                    Some(s) => ctx.c.text(s, out),
                    None => ctx.c.text(text, out),
                }
                text_leaf += 1;
            }
            Leaf::Break => out.push_str(hard_break),
            Leaf::Inline(i) => {
                if let Some(Entry::Object(o)) = b.children.get(i) {
                    render_custom(ctx, o, true, out);
                }
            }
        },
        |mark, children, out| ctx.c.mark(mark, children, out),
    );
}

fn render_custom<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    o: &Object<'_>,
    inline: bool,
    out: &mut String,
) {
    if ctx.c.custom_type(o, inline, out) {
        return;
    }
    if ctx.c.builtin_types() && builtin(ctx, o, inline, out) {
        return;
    }
    ctx.c.unknown_type(o, inline, out);
}

/// The built-in object renderers of `@portabletext/markdown`. Returns false
/// when the object's type has none or its shape does not fit.
fn builtin<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    o: &Object<'_>,
    inline: bool,
    out: &mut String,
) -> bool {
    let Some(ty) = o.str_ref("_type") else {
        return false;
    };
    match ty {
        "code" => {
            let Some(code) = o.str("code") else {
                return false;
            };
            out.push_str("```");
            if let Some(lang) = o.str("language") {
                if !lang.contains('\n') && lang != "json:object" {
                    out.push_str(&lang);
                }
            }
            out.push('\n');
            out.push_str(&code);
            out.push_str("\n```");
            true
        }
        "horizontal-rule" => {
            out.push_str("---");
            true
        }
        "html" => match o.str("html") {
            Some(h) => {
                out.push_str(&h);
                true
            }
            None => false,
        },
        "image" => {
            let Some(src) = o.str("src") else {
                return false;
            };
            let alt = match o.raw("alt") {
                None | Some("null") => None,
                Some(_) => match o.str("alt") {
                    Some(a) => Some(a),
                    None => return false,
                },
            };
            let title = match o.raw("title") {
                None | Some("null") => None,
                Some(_) => match o.str("title") {
                    Some(a) => Some(a),
                    None => return false,
                },
            };
            if !link_valid(&src) {
                return false;
            }
            out.push_str("![");
            escape_label(alt.as_deref().unwrap_or(""), out);
            out.push_str("](");
            out.push_str(&src);
            if let Some(t) = title.filter(|t| !t.is_empty()) {
                out.push_str(" \"");
                escape_title(&t, out);
                out.push('"');
            }
            out.push(')');
            true
        }
        "table" | "callout" if ctx.depth.get() >= MAX_NESTED_OBJECTS => false,
        "table" => {
            ctx.depth.set(ctx.depth.get() + 1);
            let done = render_table(ctx, o, out);
            ctx.depth.set(ctx.depth.get() - 1);
            done
        }
        "callout" => {
            let Some(tone) = o.str("tone") else {
                return false;
            };
            let Some(content) = o.raw("content").and_then(parse_list) else {
                return false;
            };
            if !content.iter().all(is_typed_object) {
                return false;
            }
            out.push_str("> [!");
            out.push_str(&tone.to_uppercase());
            out.push_str("]\n");
            ctx.depth.set(ctx.depth.get() + 1);
            let parts = render_nested(ctx, &content, true);
            ctx.depth.set(ctx.depth.get() - 1);
            let joined = parts.join("\n\n");
            for (i, line) in crate::scan::lines(&joined).enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if line.is_empty() {
                    out.push('>');
                } else {
                    out.push_str("> ");
                    out.push_str(line);
                }
            }
            let _ = inline;
            true
        }
        _ => false,
    }
}

fn is_typed_object(e: &Entry<'_>) -> bool {
    matches!(e, Entry::Object(o) if o.str("_type").is_some())
}

/// Renders nested blocks (callout content); non-empty results only.
fn render_nested<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    entries: &[Entry<'_>],
    normal: bool,
) -> Vec<String> {
    let mut parts = Vec::new();
    for e in entries {
        let n = classify(e);
        let force = match (&n, e) {
            (_, Entry::Object(o)) if normal && o.str_is("_type", "block") => Some("normal"),
            _ => None,
        };
        let mut s = String::new();
        render_node(ctx, &n, None, false, force, &mut s);
        if !s.is_empty() {
            parts.push(s);
        }
    }
    parts
}

/// markdown-it's `validateLink`.
fn link_valid(url: &str) -> bool {
    let u = url.trim_matches(is_js_whitespace).to_lowercase();
    for bad in ["vbscript:", "javascript:", "file:", "data:"] {
        if u.starts_with(bad) {
            return bad == "data:"
                && [
                    "data:image/gif;",
                    "data:image/png;",
                    "data:image/jpeg;",
                    "data:image/webp;",
                ]
                .iter()
                .any(|g| u.starts_with(g));
        }
    }
    true
}

#[derive(Deserialize)]
struct Row<'a> {
    #[serde(rename = "_type")]
    _ty: String,
    #[serde(borrow)]
    cells: Vec<Cell<'a>>,
}

#[derive(Deserialize)]
struct Cell<'a> {
    #[serde(rename = "_type")]
    _ty: String,
    #[serde(borrow)]
    value: &'a RawValue,
}

fn render_table<C: MarkdownComponents + ?Sized>(
    ctx: &Ctx<'_, '_, C>,
    o: &Object<'_>,
    out: &mut String,
) -> bool {
    let Some(rows_raw) = o.raw("rows") else {
        return false;
    };
    let Ok(rows) = serde_json::from_str::<Vec<Row<'_>>>(rows_raw) else {
        return false;
    };
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut row = Vec::with_capacity(r.cells.len());
        for cell in &r.cells {
            let Some(blocks) = parse_list(cell.value.get()) else {
                return false;
            };
            if !blocks.iter().all(is_typed_object) {
                return false;
            }
            let mut texts = Vec::new();
            for e in &blocks {
                let n = classify(e);
                let mut s = String::new();
                render_node(ctx, &n, None, false, None, &mut s);
                if let Node::Custom(obj) = n {
                    let mut fallback = String::new();
                    ctx.c.unknown_type(obj, false, &mut fallback);
                    if s == fallback {
                        s.clear();
                        ctx.c.unknown_type(obj, true, &mut s);
                    }
                }
                texts.push(s);
            }
            let text = texts.join(" ");
            row.push(escape_cell(text.trim_matches(is_js_whitespace)));
        }
        cells.push(row);
    }
    if cells.is_empty() {
        return true;
    }
    let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
    let alignment: Vec<Option<String>> = o.field("alignment").unwrap_or_default();
    let line = |texts: &[String], out: &mut String| {
        out.push('|');
        for i in 0..columns {
            out.push(' ');
            out.push_str(texts.get(i).map(String::as_str).unwrap_or(""));
            out.push_str(" |");
        }
    };
    let delimiter = |out: &mut String| {
        out.push('|');
        for i in 0..columns {
            out.push_str(match alignment.get(i).and_then(|a| a.as_deref()) {
                Some("left") => " :--- ",
                Some("center") => " :---: ",
                Some("right") => " ---: ",
                _ => " --- ",
            });
            out.push('|');
        }
    };
    let header_rows = o
        .f64("headerRows")
        .or_else(|| o.str("headerRows").and_then(|s| s.trim().parse().ok()))
        .unwrap_or(0.0);
    if header_rows >= 1.0 {
        line(&cells[0], out);
        out.push('\n');
        delimiter(out);
        for r in &cells[1..] {
            out.push('\n');
            line(r, out);
        }
    } else {
        line(&[], out);
        out.push('\n');
        delimiter(out);
        for r in &cells {
            out.push('\n');
            line(r, out);
        }
    }
    true
}

fn escape_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut backslashes = 0;
    for c in text.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                out.push(c);
                continue;
            }
            '|' if backslashes % 2 == 0 => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
        backslashes = 0;
    }
    out
}
