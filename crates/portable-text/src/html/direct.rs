//! The direct path of [`Format::Html`](crate::Format::Html): to-html's default output written
//! while the JSON is read, with no model, mark tree or list tree in between.
//!
//! The default components write every mark, list and list item as an opening, its content
//! and a closing, so nothing needs to be rendered into a buffer of its own: a stack of open
//! marks (per block) and a stack of open lists (per document) take the place of the trees,
//! and each block is written as soon as its object has been read (its `markDefs` may come
//! after its `children`). The rules are the general path's, step for step: the toolkit's
//! mark order and the list nesting of [`crate::tree`], the tags of [`crate::html`].
//!
//! It answers for input of the usual shape: an array of objects or a document with a `body`
//! array; blocks whose `_type`, `style`, `listItem`, keys and mark names are strings without
//! escapes, whose `level` is a whole number up to [`MAX_LEVEL`], and whose spans have at most
//! [`MAX_MARKS`] marks and blocks at most [`MAX_DEFS`] definitions. On anything else (and on
//! anything that is not well-formed JSON) it returns `None`, and the caller renders the same
//! input on the general path, which decides every unusual case and reports every error. The
//! tests hold the two paths to the same output wherever this one answers.

use std::cell::Cell;
use std::ops::Range;

use super::{
    block_tags, decorator_tags, escape_html, escape_html_from, html_hits, link_open, list_tags,
    next_html_special, unknown_mark_open, unknown_type_with, uri_looks_safe, DefaultHtml,
    HtmlComponents,
};
use crate::json::write_json_escaped;
use crate::lex::{decode, Lexer};
use crate::reuse::recycle;
use crate::scan::{chunk16, json_string_stops, lanes, word};
use crate::tree::{known_pos, mark_order};

/// Spans with more marks, and blocks with more mark definitions, are left to the general
/// path, which finds them through maps (a search here grows with their square).
const MAX_MARKS: usize = 8;
const MAX_DEFS: usize = 16;
/// List levels above this are left to the general path.
const MAX_LEVEL: f64 = 64.0;
/// Documents that open more lists than this are left to the general path (which stops at
/// [`crate::tree::MAX_LISTS`] with an error).
const MAX_LISTS: usize = 100_000;

/// How the output is written.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Output {
    /// As HTML.
    Html,
    /// As the inside of a JSON string literal (what [`crate::write_json_string`] writes
    /// between the quotes): the form `crosspost render --ndjson` sends, escaped as it is
    /// written rather than in a second pass.
    JsonString,
}

/// Renders `json` to `out` as to-html does with default options, or returns `None` (with
/// part of the output possibly written) where the general path must decide.
pub(crate) fn render(json: &str, output: Output, out: &mut String) -> Option<()> {
    let mut w = SCRATCH.with(Cell::take).reuse();
    let stack = std::mem::take(&mut w.stack);
    let mut d = Direct {
        lx: Lexer::with_stack(json, stack),
        orders: ORDERS.with(Cell::get),
        output,
        w,
        lists_made: 0,
    };
    let done = d.document(out);
    ORDERS.with(|orders| orders.set(d.orders));
    d.w.stack = d.lx.into_stack();
    SCRATCH.with(|kept| kept.set(d.w.reuse()));
    done
}

/// The working space of [`render`] for one document, kept from document to document on each
/// thread (emptied, as [`Work<'static>`]): its vectors grow to the size the documents need
/// once, rather than once per document (which cost about 4 % of the time on the bench
/// corpus, in the allocator).
#[derive(Default)]
struct Work<'a> {
    /// The lexer's skipping stack, while no document is read.
    stack: Vec<u8>,
    /// Markup written through [`escaped`].
    markup: String,
    // The block being read (reused from block to block).
    children: Vec<Child<'a>>,
    marks: Vec<&'a str>,
    defs: Vec<Def<'a>>,
    /// For each of `marks`: how many spans in a row, from its own, carry it.
    occ: Vec<u32>,
    /// The marks a span needs, in opening order: (count, known position, name).
    needed: Vec<(u32, i32, &'a str)>,
    open: Vec<OpenMark<'a>>,
    lists: Vec<OpenList<'a>>,
    /// Decoded text of a string with escape sequences.
    text: String,
}

impl Work<'_> {
    /// The same working space emptied, for a document of another lifetime.
    fn reuse<'b>(self) -> Work<'b> {
        Work {
            stack: self.stack,
            markup: self.markup,
            children: recycle(self.children),
            marks: recycle(self.marks),
            defs: recycle(self.defs),
            occ: self.occ,
            needed: recycle(self.needed),
            open: recycle(self.open),
            lists: recycle(self.lists),
            text: self.text,
        }
    }
}

thread_local! {
    static SCRATCH: Cell<Work<'static>> = Cell::new(Work::default());
}

/// The key orders of each kind of object, kept from document to document on each thread:
/// the documents of one dataset are written alike, so after the first few nearly every key
/// is known (learning them anew for every document cost about 2 % of the time on the bench
/// corpus). What is learnt decides only how fast a key is read, never how it is read.
type Orders = [[Option<KnownKey>; KNOWN_KEYS]; 4];

thread_local! {
    static ORDERS: Cell<Orders> = const { Cell::new([[None; KNOWN_KEYS]; 4]) };
}

/// The object keys the direct path reads; any other key is `Other`, its value skipped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    /// `_type`.
    Type,
    /// `_key`.
    Key,
    Style,
    ListItem,
    Level,
    MarkDefs,
    Children,
    Text,
    Marks,
    Href,
    Body,
    Other,
}

/// The kinds of object whose key order [`Direct::predicted_key`] learns.
#[derive(Clone, Copy)]
enum Kind {
    /// An entry of the array that starts as a block (see [`Direct::entry`]): blocks and
    /// custom objects (code, images) have keys of their own, and take turns.
    Block,
    Entry,
    Child,
    Def,
}

/// One key as the last object of its kind had it at its position.
#[derive(Clone, Copy)]
struct KnownKey {
    /// `"name":` as written, zero-padded to 16 bytes, and the mask of its `len` bytes.
    bytes: u128,
    mask: u128,
    len: u8,
    field: Field,
}

/// Keys learnt per position, for the first this many keys of an object.
const KNOWN_KEYS: usize = 8;

/// A key of up to eight bytes as one word, zero-padded (as [`Direct::key`] reads it).
const fn key_word(key: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let mut i = 0;
    while i < key.len() && i < 8 {
        w[i] = key[i];
        i += 1;
    }
    u64::from_le_bytes(w)
}

impl Field {
    /// The key whose first `len` bytes (at most eight) are `w` read as a word; the rest of
    /// `w` is ignored.
    fn of(w: u64, len: usize) -> Field {
        const TYPE: u64 = key_word(b"_type");
        const KEY: u64 = key_word(b"_key");
        const STYLE: u64 = key_word(b"style");
        const LIST_ITEM: u64 = key_word(b"listItem");
        const LEVEL: u64 = key_word(b"level");
        const MARK_DEFS: u64 = key_word(b"markDefs");
        const CHILDREN: u64 = key_word(b"children");
        const TEXT: u64 = key_word(b"text");
        const MARKS: u64 = key_word(b"marks");
        const HREF: u64 = key_word(b"href");
        const BODY: u64 = key_word(b"body");
        let w = if len >= 8 {
            w
        } else {
            w & ((1u64 << (8 * len)) - 1)
        };
        match (len, w) {
            (5, TYPE) => Field::Type,
            (4, KEY) => Field::Key,
            (5, STYLE) => Field::Style,
            (8, LIST_ITEM) => Field::ListItem,
            (5, LEVEL) => Field::Level,
            (8, MARK_DEFS) => Field::MarkDefs,
            (8, CHILDREN) => Field::Children,
            (4, TEXT) => Field::Text,
            (5, MARKS) => Field::Marks,
            (4, HREF) => Field::Href,
            (4, BODY) => Field::Body,
            _ => Field::Other,
        }
    }

    /// A field the model decodes where it reads an object (the top-level object, the array's
    /// entries, their children and mark definitions): serde checks its escapes.
    fn is_decoded(self) -> bool {
        matches!(
            self,
            Field::Type | Field::Key | Field::Text | Field::Style | Field::ListItem
        )
    }

    /// The key named `name`.
    fn named(name: &str) -> Field {
        if name.len() > 8 {
            return Field::Other;
        }
        Field::of(key_word(name.as_bytes()), name.len())
    }
}

/// A string as read: its text between the quotes and whether it has escape sequences.
type Raw<'a> = (&'a str, bool);

/// A child of the block being read.
struct Child<'a> {
    /// `_type` (`None`: absent; the block is then not a block).
    ty: Option<&'a str>,
    text: Option<Raw<'a>>,
    /// Where [`escape_html`] must start to look in `text` read without escape sequences.
    html_from: usize,
    /// Its marks, in [`Direct::marks`].
    marks: Range<usize>,
}

impl Child<'_> {
    /// A span: `_type` `span` and a string `text` (its `marks`, if any, are strings).
    fn is_span(&self) -> bool {
        self.ty == Some("span") && self.text.is_some()
    }
}

/// A mark definition of the block being read.
struct Def<'a> {
    key: Option<&'a str>,
    ty: Option<&'a str>,
    href: Option<Raw<'a>>,
}

/// One object as read: what it is, and whether it had a `body` (read only at the top) and
/// `children`.
struct Read<'a> {
    node: Node<'a>,
    body: bool,
    children: bool,
}

/// What one entry of the array turned out to be.
enum Node<'a> {
    Block(BlockInfo<'a>),
    /// Any other object, with its type name as to-html prints it.
    Custom(&'a str),
}

struct BlockInfo<'a> {
    style: &'a str,
    /// `listItem` and the level (`level || 1`) of a list item.
    list: Option<(&'a str, f64)>,
}

/// A mark open in the block being written: what closes it.
struct OpenMark<'a> {
    name: &'a str,
    close: &'static str,
}

/// A list open in the document being written, with its last item still open.
struct OpenList<'a> {
    level: f64,
    /// The list type (the `listItem` of its first block).
    list_item: &'a str,
    /// The style of the open item's block (closed with it).
    item_style: &'a str,
}

struct Direct<'a> {
    lx: Lexer<'a>,
    /// The key order of the last object of each [`Kind`].
    orders: Orders,
    output: Output,
    w: Work<'a>,
    lists_made: usize,
}

/// The fields of an entry that decide what it is, as read.
#[derive(Default)]
struct Fields<'a> {
    ty: Option<&'a str>,
    style: Option<&'a str>,
    list_item: Option<&'a str>,
    level: Option<f64>,
    /// `Some(true)`: a list of children that all have a `_type`; `Some(false)`: present but
    /// not that.
    children: Option<bool>,
    /// Every mark definition has a `_key`.
    defs_ok: bool,
}

impl<'a> Direct<'a> {
    /// The whole input: an array of blocks or an object (see [`render`]).
    fn document(&mut self, out: &mut String) -> Option<()> {
        self.lx.ws();
        match self.lx.peek()? {
            b'[' => self.array(out)?,
            b'{' => self.top_object(out)?,
            _ => return None,
        }
        self.lx.ws();
        (self.lx.i == self.lx.b.len()).then_some(())
    }

    /// A string whose escape sequences all decode. The lexer checks their form; a `\u`
    /// escape may still be half of a surrogate pair with no other half, which serde rejects
    /// in the fields the model decodes ([`Field::is_decoded`]).
    fn checked_string(&mut self) -> Option<Raw<'a>> {
        let (text, escaped) = self.lx.string()?;
        if escaped && text.contains("\\u") {
            self.w.text.clear();
            decode(text, &mut self.w.text)?;
        }
        Some((text, escaped))
    }

    /// The value of a field the model decodes but the direct path does not read: checked
    /// like the model's parser checks it, then passed over.
    fn decoded_field(&mut self) -> Option<()> {
        if self.lx.peek()? == b'"' {
            self.checked_string().map(drop)
        } else {
            self.lx.skip_value()
        }
    }

    /// The text of a span (`"` at the current position): [`Self::checked_string`], and for
    /// text without escape sequences where [`escape_html`] must start to look (`text.len()`
    /// if it leaves the text as it is), found in the same pass: most span text has nothing
    /// to escape (four spans in five of the bench corpus) and is then copied to the output
    /// without a second look.
    fn span_text(&mut self) -> Option<(Raw<'a>, usize)> {
        let b = self.lx.b;
        if b.get(self.lx.i) != Some(&b'"') {
            return None;
        }
        let start = self.lx.i + 1;
        let mut k = start;
        // The first byte HTML escaping looks at (`None`: none yet), and whether the byte
        // before the chunk at `k` is a space.
        let mut html: Option<usize> = None;
        let mut space_before = false;
        while let Some(chunk) = chunk16(b, k) {
            let stops = lanes::json_stops(chunk);
            let hits = if html.is_none() {
                html_hits(chunk, &mut space_before)
            } else {
                0
            };
            // A hit past the closing quote is past the text: as good as none.
            if hits != 0 {
                html = Some(k + hits.trailing_zeros() as usize - start);
            }
            if stops != 0 {
                let end = k + stops.trailing_zeros() as usize;
                if b[end] != b'"' {
                    // An escape sequence (or a control character): the plain scan decides.
                    break;
                }
                self.lx.i = end + 1;
                let text = self.lx.s.get(start..end)?;
                return Some(((text, false), html.unwrap_or(text.len())));
            }
            k += 16;
        }
        // The end of the input is near, or the text has escapes: read it the plain way. For
        // escaped text the position is not used (the decoded text is escaped).
        let (text, escaped) = self.checked_string()?;
        let from = match html {
            _ if escaped => 0,
            Some(from) => from,
            None => next_html_special(text.as_bytes(), 0),
        };
        Some(((text, escaped), from))
    }

    /// A string without escape sequences.
    fn plain_string(&mut self) -> Option<&'a str> {
        match self.lx.string()? {
            (s, false) => Some(s),
            _ => None,
        }
    }

    /// An object key and its colon. A key of up to eight bytes is read as one word and told
    /// apart by it (most keys are; see [`Field`]).
    fn key(&mut self) -> Option<(Field, usize)> {
        if self.lx.peek()? != b'"' {
            self.lx.ws();
        }
        let b = self.lx.b;
        let start = self.lx.i + 1;
        let short = match (b.get(self.lx.i), b.get(start..start + 9)) {
            (Some(b'"'), Some(chunk)) => {
                let w = word(&chunk[..8]);
                let hits = json_string_stops(w);
                // The byte that ends the key: read from the word itself (a load would wait for
                // the search), or the ninth byte for a key of eight.
                let (len, end) = if hits == 0 {
                    (8, chunk[8])
                } else {
                    let len = (hits.trailing_zeros() / 8) as usize;
                    (len, (w >> (8 * len)) as u8)
                };
                (end == b'"').then_some((w, len))
            }
            _ => None,
        };
        let key = match short {
            Some((w, len)) => {
                self.lx.i = start + len + 1;
                Field::of(w, len)
            }
            // Longer, escaped or at the very end of the input.
            None => Field::named(self.plain_string()?),
        };
        let after = self.lx.i;
        if b.get(self.lx.i) == Some(&b':') {
            self.lx.i += 1;
        } else {
            self.lx.eat(b':')?;
        }
        if self.lx.peek()?.is_ascii_whitespace() {
            self.lx.ws();
        }
        Some((key, after))
    }

    /// The `k`-th key of an object of `kind`, when its bytes are those of the `k`-th key of
    /// the last such object (`"_type":`, up to 16 bytes, compared at once): the key and its
    /// colon are then consumed without reading them. Serializers write the keys of like
    /// objects in the same order, so after the first block, span and mark definition most
    /// keys are known this way.
    fn predicted_key(&mut self, kind: Kind, k: usize) -> Option<Field> {
        let known = (*self.orders[kind as usize].get(k)?)?;
        let chunk = self.lx.b.get(self.lx.i..self.lx.i + 16)?;
        let mut w = [0u8; 16];
        w.copy_from_slice(chunk);
        if (u128::from_le_bytes(w) ^ known.bytes) & known.mask != 0 {
            return None;
        }
        self.lx.i += usize::from(known.len);
        if self.lx.peek()?.is_ascii_whitespace() {
            self.lx.ws();
        }
        Some(known.field)
    }

    /// [`Self::key`], remembering the key's bytes as the `k`-th of `kind` when they are
    /// `"name":` with nothing between (see [`Self::predicted_key`]).
    fn learned_key(&mut self, kind: Kind, k: usize) -> Option<Field> {
        if self.lx.peek()? != b'"' {
            self.lx.ws();
        }
        let start = self.lx.i;
        let (field, after) = self.key()?;
        let b = self.lx.b;
        let known = match b.get(start..after + 1) {
            Some(token) if token.len() <= 16 && token.last() == Some(&b':') => {
                let mut w = [0u8; 16];
                w[..token.len()].copy_from_slice(token);
                let len = token.len();
                Some(KnownKey {
                    bytes: u128::from_le_bytes(w),
                    mask: if len == 16 {
                        u128::MAX
                    } else {
                        (1u128 << (8 * len)) - 1
                    },
                    len: len as u8,
                    field,
                })
            }
            _ => None,
        };
        if let Some(slot) = self.orders[kind as usize].get_mut(k) {
            *slot = known;
        }
        Some(field)
    }

    /// After a value inside an object or array: `true` at a comma, `false` at `close`.
    fn more(&mut self, close: u8) -> Option<bool> {
        let mut c = self.lx.peek()?;
        if c.is_ascii_whitespace() {
            self.lx.ws();
            c = self.lx.peek()?;
        }
        self.lx.i += 1;
        match c {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// Calls `each` on every element of the array at the current position; `false` for `[]`.
    fn elements(&mut self, mut each: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.lx.eat(b'[')?;
        self.lx.ws();
        if self.lx.peek()? == b']' {
            self.lx.i += 1;
            return Some(());
        }
        loop {
            self.lx.ws();
            each(self)?;
            if !self.more(b']')? {
                return Some(());
            }
        }
    }

    /// Calls `each` with every key of the object at the current position, which must
    /// consume the value.
    fn fields(
        &mut self,
        kind: Kind,
        each: impl FnMut(&mut Self, Field) -> Option<()>,
    ) -> Option<()> {
        self.lx.eat(b'{')?;
        self.lx.ws();
        if self.lx.peek()? == b'}' {
            self.lx.i += 1;
            return Some(());
        }
        self.fields_from(kind, 0, each)
    }

    /// [`Self::fields`] from the `k`-th key on, the object's opening and its first `k` keys
    /// and values having been read.
    fn fields_from(
        &mut self,
        kind: Kind,
        mut k: usize,
        mut each: impl FnMut(&mut Self, Field) -> Option<()>,
    ) -> Option<()> {
        loop {
            let key = match self.predicted_key(kind, k) {
                Some(key) => key,
                None => self.learned_key(kind, k)?,
            };
            each(self, key)?;
            k += 1;
            if !self.more(b'}')? {
                return Some(());
            }
        }
    }

    /// A top-level object: a document (it has a `body` and no `children`), whose `body` is
    /// rendered as it is read, or else a single block.
    fn top_object(&mut self, out: &mut String) -> Option<()> {
        let read = self.entry(Some(&mut *out))?;
        match (read.body, read.children) {
            (true, false) => Some(()),
            // A block with a `body` as well: its `body` was written as a document's would be.
            (true, true) => None,
            (false, _) => {
                self.write_node(read.node, out)?;
                self.close_lists(0, out);
                Some(())
            }
        }
    }

    /// The array of blocks at the current position, rendered.
    fn array(&mut self, out: &mut String) -> Option<()> {
        self.elements(|d| {
            let read = d.entry(None)?;
            d.write_node(read.node, out)
        })?;
        self.close_lists(0, out);
        Some(())
    }

    /// One entry of the array (an object), read and classified like
    /// [`crate::node::classify_object`]. At the top (`document` given), a `body` is rendered
    /// there as it is read, as a document's (whether it is one is known at the end).
    fn entry(&mut self, mut document: Option<&mut String>) -> Option<Read<'a>> {
        self.w.children.clear();
        self.w.marks.clear();
        self.w.defs.clear();
        let mut f = Fields {
            defs_ok: true,
            ..Fields::default()
        };
        // Fields read twice would need "the last one wins": left to the general path.
        let mut seen = 0u8;
        // Most entries are blocks written as serializers write them (see
        // [`Self::typed_opening`]); their other keys are learnt apart from other objects'.
        let block_first = self.typed_opening(br#"{"_type":"block","#);
        if block_first.is_some() {
            f.ty = block_first;
            seen = 1;
        }
        let mut once = |bit: u8| {
            let first = seen & bit == 0;
            seen |= bit;
            first.then_some(())
        };
        let read = |d: &mut Self, key| match key {
            Field::Type => {
                once(1)?;
                f.ty = Some(d.plain_string()?);
                Some(())
            }
            Field::Style => {
                once(2)?;
                if d.lx.peek()? == b'n' {
                    d.lx.literal(b"null")
                } else {
                    f.style = Some(d.plain_string()?);
                    Some(())
                }
            }
            Field::ListItem => {
                once(4)?;
                f.list_item = Some(d.plain_string()?);
                Some(())
            }
            Field::Level => {
                once(8)?;
                let start = d.lx.i;
                d.lx.number()?;
                f.level = Some(d.lx.s.get(start..d.lx.i)?.parse().ok()?);
                Some(())
            }
            Field::MarkDefs => {
                once(16)?;
                if d.lx.peek()? == b'n' {
                    return d.lx.literal(b"null");
                }
                d.elements(|d| {
                    let def = d.def()?;
                    f.defs_ok &= def.key.is_some();
                    d.w.defs.push(def);
                    Some(())
                })?;
                (d.w.defs.len() <= MAX_DEFS).then_some(())
            }
            Field::Body if document.is_some() => {
                once(64)?;
                let out = document.as_deref_mut()?;
                match d.lx.peek()? {
                    b'[' => d.array(out),
                    b'n' => d.lx.literal(b"null"),
                    // Not a document (`body` must be an array): an error there.
                    _ => None,
                }
            }
            Field::Children => {
                once(32)?;
                if d.lx.peek()? != b'[' {
                    f.children = Some(false);
                    return d.lx.skip_value();
                }
                let mut ok = true;
                d.elements(|d| {
                    d.child()?;
                    ok &= d.w.children.last().is_some_and(|c| c.ty.is_some());
                    Some(())
                })?;
                f.children = Some(ok);
                Some(())
            }
            key if key.is_decoded() => d.decoded_field(),
            _ => d.lx.skip_value(),
        };
        if block_first.is_some() {
            self.fields_from(Kind::Block, 1, read)?;
        } else {
            self.fields(Kind::Entry, read)?;
        }
        let read = |node| Read {
            node,
            body: seen & 64 != 0,
            children: seen & 32 != 0,
        };
        let Some(ty) = f.ty else {
            return Some(read(Node::Custom("undefined")));
        };
        let is_block = !ty.starts_with('@')
            && f.defs_ok
            && match f.children {
                None => ty == "block",
                Some(ok) => ok,
            };
        if !is_block {
            return Some(read(Node::Custom(ty)));
        }
        let list = match (f.list_item, f.level) {
            (None, _) => None,
            (Some(li), None) => Some((li, 1.0)),
            (Some(li), Some(level)) => {
                let level = if level == 0.0 { 1.0 } else { level };
                // Fractional, negative and very deep levels: the general path.
                if level.fract() != 0.0 || !(1.0..=MAX_LEVEL).contains(&level) {
                    return None;
                }
                Some((li, level))
            }
        };
        Some(read(Node::Block(BlockInfo {
            style: f.style.filter(|s| !s.is_empty()).unwrap_or("normal"),
            list,
        })))
    }

    /// A child of a block (an object), added to [`Self::children`]: `_type`, `text` and
    /// `marks` are read. It is written in place as it is read, rather than built aside and
    /// moved in (a copy of its small fields in pieces, which profiles showed stalling).
    fn child(&mut self) -> Option<()> {
        let at = self.w.children.len();
        let none = self.w.marks.len()..self.w.marks.len();
        self.w.children.push(Child {
            ty: None,
            text: None,
            html_from: 0,
            marks: none,
        });
        let mut has_marks = false;
        let read = |d: &mut Self, key| match key {
            Field::Type if d.w.children.get(at)?.ty.is_none() => {
                let ty = d.plain_string()?;
                d.w.children.get_mut(at)?.ty = Some(ty);
                Some(())
            }
            Field::Text if d.w.children.get(at)?.text.is_none() => {
                let (text, html_from) = d.span_text()?;
                let c = d.w.children.get_mut(at)?;
                c.text = Some(text);
                c.html_from = html_from;
                Some(())
            }
            Field::Marks if !has_marks => {
                has_marks = true;
                let start = d.w.marks.len();
                d.elements(|d| {
                    let m = d.plain_string()?;
                    d.w.marks.push(m);
                    Some(())
                })?;
                let marks = start..d.w.marks.len();
                let fits = marks.len() <= MAX_MARKS;
                d.w.children.get_mut(at)?.marks = marks;
                fits.then_some(())
            }
            Field::Type | Field::Text | Field::Marks => None,
            key if key.is_decoded() => d.decoded_field(),
            _ => d.lx.skip_value(),
        };
        // Most children are spans written as serializers write them.
        if let Some(ty) = self.typed_opening(br#"{"_type":"span","#) {
            self.w.children.get_mut(at)?.ty = Some(ty);
            return self.fields_from(Kind::Child, 1, read);
        }
        self.fields(Kind::Child, read)
    }

    /// The opening of an object whose first key is `_type`, written as serializers write it
    /// (`{"_type":"name",`, the `opening`): consumed, and `name` returned, when the input at
    /// the current position starts with exactly those bytes, which are then compared at once
    /// instead of read as a key, a value and a comma.
    fn typed_opening(&mut self, opening: &[u8]) -> Option<&'a str> {
        const BEFORE: usize = br#"{"_type":""#.len();
        let i = self.lx.i;
        if self.lx.b.get(i..i + opening.len())? != opening {
            return None;
        }
        let name = self.lx.s.get(i + BEFORE..i + opening.len() - 2)?;
        self.lx.i = i + opening.len();
        Some(name)
    }

    /// A mark definition (an object): `_key`, `_type` and `href` are read.
    fn def(&mut self) -> Option<Def<'a>> {
        let mut def = Def {
            key: None,
            ty: None,
            href: None,
        };
        self.fields(Kind::Def, |d, key| match key {
            Field::Key if def.key.is_none() => {
                def.key = Some(d.plain_string()?);
                Some(())
            }
            Field::Type if def.ty.is_none() => {
                def.ty = Some(d.plain_string()?);
                Some(())
            }
            Field::Href if def.href.is_none() => {
                def.href = Some(d.lx.string()?);
                Some(())
            }
            Field::Key | Field::Type | Field::Href => None,
            key if key.is_decoded() => d.decoded_field(),
            _ => d.lx.skip_value(),
        })?;
        Some(def)
    }

    /// Writes one entry, opening and closing lists around list items as
    /// [`crate::tree::nest_lists`] nests them.
    fn write_node(&mut self, node: Node<'a>, out: &mut String) -> Option<()> {
        let block = match node {
            Node::Custom(name) => {
                self.close_lists(0, out);
                unknown_type(name, false, self.output, out);
                return Some(());
            }
            Node::Block(b) => b,
        };
        let Some((list_item, level)) = block.list else {
            self.close_lists(0, out);
            let (open, close) = block_tags(block.style).unwrap_or(("<p>", "</p>"));
            out.push_str(open);
            self.inline(out)?;
            out.push_str(close);
            return Some(());
        };
        let start_level = match self.w.lists.last() {
            None => 0.0,
            Some(cur) if cur.level == level && cur.list_item == list_item => {
                let depth = self.w.lists.len() - 1;
                return self.next_item(depth, block.style, out);
            }
            Some(cur) if level > cur.level => cur.level,
            Some(cur) => {
                // A shallower item goes into the open list of its level and type, if any
                // (`findListMatching`); otherwise, like an item of another type at the same
                // level, it starts a new list at the top.
                let found = (level < cur.level)
                    .then(|| {
                        self.w
                            .lists
                            .iter()
                            .position(|l| l.level == level && l.list_item == list_item)
                    })
                    .flatten();
                if let Some(depth) = found {
                    self.close_lists(depth + 1, out);
                    return self.next_item(depth, block.style, out);
                }
                self.close_lists(0, out);
                0.0
            }
        };
        // `createNested`: one list per level from `start_level + 1` to `level`, each with
        // one item; all but the deepest are empty placeholders.
        let mut l = start_level + 1.0;
        while l <= level {
            self.lists_made += 1;
            if self.lists_made > MAX_LISTS {
                return None;
            }
            out.push_str(list_tags(list_item).0);
            self.w.lists.push(OpenList {
                level: l,
                list_item,
                item_style: block.style,
            });
            self.item_open(block.style, l == level, out)?;
            l += 1.0;
        }
        Some(())
    }

    /// Closes the open item of the list at `depth` and opens the next one.
    fn next_item(&mut self, depth: usize, style: &'a str, out: &mut String) -> Option<()> {
        let list = self.w.lists.get_mut(depth)?;
        close_item(list.item_style, out);
        list.item_style = style;
        self.item_open(style, true, out)
    }

    /// Opens a list item of a block of `style`, with the block's content unless it is a
    /// placeholder.
    fn item_open(&mut self, style: &str, content: bool, out: &mut String) -> Option<()> {
        out.push_str("<li>");
        if style != "normal" {
            out.push_str(block_tags(style).map_or("<p>", |t| t.0));
        }
        if content {
            self.inline(out)?;
        }
        Some(())
    }

    /// Closes the open lists deeper than `depth` (all of them for 0), with their items.
    fn close_lists(&mut self, depth: usize, out: &mut String) {
        while self.w.lists.len() > depth {
            if let Some(list) = self.w.lists.pop() {
                close_item(list.item_style, out);
                out.push_str(list_tags(list.list_item).1);
            }
        }
    }

    /// Writes the block's children: [`crate::tree::MarkTree`]'s nesting, written as it opens
    /// and closes.
    fn inline(&mut self, out: &mut String) -> Option<()> {
        if self.w.marks.is_empty() {
            // No marks (a third of the blocks of the bench corpus): the children one after
            // another.
            for c in &self.w.children {
                leaf(c, self.output, (&mut self.w.text, &mut self.w.markup), out)?;
            }
            return Some(());
        }
        let children = &self.w.children;
        let marks = &self.w.marks;
        // occ: how many spans in a row, from this one, carry the mark (the toolkit's
        // `sortMarksByOccurences`), counted from the last child back.
        self.w.occ.clear();
        self.w.occ.resize(marks.len(), 0);
        for (i, c) in children.iter().enumerate().rev() {
            if !c.is_span() {
                continue;
            }
            let next = children.get(i + 1).filter(|n| n.is_span());
            for j in c.marks.clone() {
                let at = next.and_then(|n| {
                    let r = n.marks.clone();
                    marks[r.clone()]
                        .iter()
                        .position(|m| *m == marks[j])
                        .map(|p| r.start + p)
                });
                self.w.occ[j] = at.map_or(1, |p| 1 + self.w.occ[p]);
            }
        }
        self.w.open.clear();
        for c in children {
            self.w.needed.clear();
            if c.is_span() {
                let own = &marks[c.marks.clone()];
                for &m in own {
                    // One count per name: its first occurrence's.
                    let first = own.iter().position(|x| *x == m).unwrap_or(0);
                    let count = self.w.occ[c.marks.start + first];
                    self.w.needed.push((count, known_pos(m), m));
                }
                self.w
                    .needed
                    .sort_by(|a, b| mark_order((a.0, a.1, a.2), (b.0, b.1, b.2)));
            }
            // The open marks this child still needs stay open, up to the first it does not.
            let mut keep = 0;
            while let Some(open) = self.w.open.get(keep) {
                match self.w.needed.iter().position(|m| m.2 == open.name) {
                    Some(k) => {
                        self.w.needed.remove(k);
                        keep += 1;
                    }
                    None => break,
                }
            }
            while self.w.open.len() > keep {
                if let Some(m) = self.w.open.pop() {
                    out.push_str(m.close);
                }
            }
            for k in 0..self.w.needed.len() {
                let name = self.w.needed[k].2;
                let buffers = (&mut self.w.text, &mut self.w.markup);
                let close = open_mark(name, &self.w.defs, self.output, buffers, out)?;
                self.w.open.push(OpenMark { name, close });
            }
            leaf(c, self.output, (&mut self.w.text, &mut self.w.markup), out)?;
        }
        while let Some(m) = self.w.open.pop() {
            out.push_str(m.close);
        }
        Some(())
    }
}

/// Writes one child of a block, inside its marks: a span's text, escaped, or an inline
/// object as to-html's unknown-type fallback (`text` and `markup` are working space).
fn leaf(
    c: &Child<'_>,
    output: Output,
    (text, markup): (&mut String, &mut String),
    out: &mut String,
) -> Option<()> {
    match (c.is_span(), c.text) {
        (true, Some((raw, false))) => escape_html_from(raw, c.html_from, out),
        (true, Some((raw, true))) => {
            text.clear();
            decode(raw, text)?;
            let text = &*text;
            escaped(output, markup, out, |out| {
                for (n, line) in crate::scan::lines(text).enumerate() {
                    if n > 0 {
                        DefaultHtml.hard_break(out);
                    }
                    escape_html(line, out);
                }
            });
        }
        _ => unknown_type(c.ty.unwrap_or("undefined"), true, output, out),
    }
    Some(())
}

/// to-html's fallback for an object of type `name` (read without escape sequences, so it
/// holds no quote, backslash or control character, and HTML escaping adds none), written for
/// `output`: only the attribute's quotes differ, and are written escaped for a JSON string.
fn unknown_type(name: &str, is_inline: bool, output: Output, out: &mut String) {
    let quote = match output {
        Output::Html => "\"",
        Output::JsonString => "\\\"",
    };
    unknown_type_with(name, is_inline, quote, out);
}

/// Writes what `write` writes to `out`, escaped for `output` (through `markup`, a buffer
/// kept for it). Only what can hold a quote, a backslash or a control character goes through
/// here: tags with attributes and text decoded from escape sequences. Text read without
/// escapes has none of them (JSON does not allow them raw in a string) and HTML escaping adds
/// none, so it is written straight to `out` in either form.
fn escaped<R>(
    output: Output,
    markup: &mut String,
    out: &mut String,
    write: impl FnOnce(&mut String) -> R,
) -> R {
    match output {
        Output::Html => write(out),
        Output::JsonString => {
            markup.clear();
            let r = write(markup);
            write_json_escaped(markup, out);
            r
        }
    }
}

/// Closes a list item whose block has `style`.
fn close_item(style: &str, out: &mut String) {
    if style != "normal" {
        out.push_str(block_tags(style).map_or("</p>", |t| t.1));
    }
    out.push_str("</li>");
}

/// Writes the opening of mark `name` (a decorator, or the key of one of `defs`) as
/// `DefaultHtml::mark` would, escaped for `output` (through `markup`), and returns its
/// closing (which never needs escaping).
fn open_mark(
    name: &str,
    defs: &[Def<'_>],
    output: Output,
    (scratch, markup): (&mut String, &mut String),
    out: &mut String,
) -> Option<&'static str> {
    // The first definition with the key, like `Array.find`.
    let def = defs.iter().find(|d| d.key == Some(name));
    let mark_type = def.and_then(|d| d.ty).unwrap_or(name);
    if mark_type == "link" {
        let (href, decoded) = match def.and_then(|d| d.href) {
            None => ("", false),
            Some((href, false)) => (href, false),
            Some((href, true)) => {
                scratch.clear();
                decode(href, scratch)?;
                (scratch.as_str(), true)
            }
        };
        if !uri_looks_safe(href) {
            return Some("");
        }
        if output == Output::JsonString && !decoded {
            // A URL read without escapes holds no quote, backslash or control character,
            // and HTML escaping adds none: only the attribute's quotes need escaping.
            out.push_str("<a href=\\\"");
            escape_html(href, out);
            out.push_str("\\\">");
        } else {
            escaped(output, markup, out, |out| link_open(href, out));
        }
        return Some("</a>");
    }
    Some(match decorator_tags(mark_type) {
        // `em`, `strong`, `code`, `del`: nothing to escape in either form.
        Some((open, close)) if mark_type != "underline" => {
            out.push_str(open);
            close
        }
        Some((open, close)) => {
            escaped(output, markup, out, |out| out.push_str(open));
            close
        }
        None => {
            escaped(output, markup, out, |out| unknown_mark_open(mark_type, out));
            "</span>"
        }
    })
}
