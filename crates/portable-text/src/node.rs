//! Typed views over parsed objects: blocks, spans, mark definitions.
//!
//! The rules for what counts as a block, a span or a list item follow the
//! Portable Text toolkit's checks, with one documented difference: a block
//! whose `_type` is `block` and that has no `children` is an empty block
//! (the toolkit would treat it as an unknown type).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::model::{Entry, Object, Value};

/// A classified node of a Portable Text array.
#[derive(Debug, Clone, Copy)]
pub enum Node<'n, 'a> {
    /// A text block (paragraph, heading, list item...).
    Block(Block<'n, 'a>),
    /// Any other object (`image`, `code`, embeds...).
    Custom(&'n Object<'a>),
    /// A value that is not an object (only possible for malformed input).
    Invalid(&'n serde_json::Value),
}

/// A text block.
#[derive(Debug, Clone, Copy)]
pub struct Block<'n, 'a> {
    /// The block object itself.
    pub obj: &'n Object<'a>,
    /// Spans and inline objects.
    pub children: &'n [Entry<'a>],
    /// Annotation definitions.
    pub mark_defs: &'n [Entry<'a>],
    /// `listItem` when the block is a list item.
    pub list_item: Option<&'n str>,
    /// `level`, when present and a number.
    pub level: Option<f64>,
    style: StyleRef<'n>,
}

#[derive(Debug, Clone, Copy)]
enum StyleRef<'n> {
    Normal,
    Str(&'n str),
}

impl<'n, 'a> Block<'n, 'a> {
    /// The style name (`normal` when missing or falsy).
    pub fn style(&self) -> &'n str {
        match self.style {
            StyleRef::Normal => "normal",
            StyleRef::Str(s) => s,
        }
    }

    /// True when this block is a list item (`listItem` string, `level` absent or a number).
    pub fn is_list_item(&self) -> bool {
        self.list_item.is_some()
    }

    /// `level || 1`, as the toolkit computes it.
    pub fn level_or_one(&self) -> f64 {
        match self.level {
            Some(l) if l != 0.0 => l,
            _ => 1.0,
        }
    }

    /// `checked` for task list items.
    pub fn checked(&self) -> bool {
        self.obj.bool("checked") == Some(true)
    }

    /// Finds a mark definition by `_key` (the first one, like `Array.find`).
    pub fn mark_def(&self, key: &str) -> Option<&'n Object<'a>> {
        find_mark_def(self.mark_defs, key)
    }
}

/// A block's mark definitions, found by key: through a map when there are many (a search
/// per mark would take time growing with marks times definitions).
pub(crate) struct MarkDefs<'n, 'a> {
    defs: &'n [Entry<'a>],
    /// Key to the index of the first definition with it, above eight definitions.
    index: Option<HashMap<Cow<'n, str>, usize>>,
}

impl<'n, 'a> MarkDefs<'n, 'a> {
    pub(crate) fn new(defs: &'n [Entry<'a>]) -> Self {
        let index = (defs.len() > 8).then(|| {
            let mut index = HashMap::with_capacity(defs.len());
            for (i, d) in defs.iter().enumerate() {
                if let Entry::Object(o) = d {
                    if let Some(key) = o.str("_key") {
                        index.entry(key).or_insert(i);
                    }
                }
            }
            index
        });
        MarkDefs { defs, index }
    }

    /// The first definition whose `_key` is `key` (like `Array.find`).
    pub(crate) fn get(&self, key: &str) -> Option<&'n Object<'a>> {
        match &self.index {
            Some(index) => match self.defs.get(*index.get(key)?) {
                Some(Entry::Object(o)) => Some(o),
                _ => None,
            },
            None => find_mark_def(self.defs, key),
        }
    }
}

/// The first of `mark_defs` whose `_key` is `key`.
pub(crate) fn find_mark_def<'n, 'a>(
    mark_defs: &'n [Entry<'a>],
    key: &str,
) -> Option<&'n Object<'a>> {
    mark_defs.iter().find_map(|e| match e {
        Entry::Object(o) if o.str("_key").as_deref() == Some(key) => Some(o),
        _ => None,
    })
}

fn raw_is_falsy(raw: &str) -> bool {
    matches!(raw, "null" | "false" | "0" | "\"\"" | "-0")
        || raw.parse::<f64>().map(|v| v == 0.0).unwrap_or(false)
}

/// Classifies an entry of a Portable Text array.
pub fn classify<'n, 'a>(entry: &'n Entry<'a>) -> Node<'n, 'a> {
    match entry {
        Entry::Other(v) => Node::Invalid(v),
        Entry::Object(o) => classify_object(o),
    }
}

/// Classifies an object.
pub fn classify_object<'n, 'a>(o: &'n Object<'a>) -> Node<'n, 'a> {
    let ty_str = match o.str_ref("_type") {
        Some(s) => s,
        None => return Node::Custom(o),
    };
    if ty_str.starts_with('@') {
        return Node::Custom(o);
    }
    // markDefs: absent, falsy, or a list of objects with a string _key.
    let mark_defs: &[Entry<'a>] = match o.get("markDefs") {
        None => &[],
        Some(Value::List(l)) => {
            let ok = l
                .iter()
                .all(|e| matches!(e, Entry::Object(d) if d.str("_key").is_some()));
            if !ok {
                return Node::Custom(o);
            }
            l
        }
        Some(Value::Raw(r)) if raw_is_falsy(r) => &[],
        Some(Value::Json(j)) if json_is_falsy(j) => &[],
        Some(_) => return Node::Custom(o),
    };
    let children: &[Entry<'a>] = match o.get("children") {
        None if ty_str == "block" => &[],
        Some(Value::List(l)) => {
            let ok = l
                .iter()
                .all(|e| matches!(e, Entry::Object(c) if c.has("_type")));
            if !ok {
                return Node::Custom(o);
            }
            l
        }
        _ => return Node::Custom(o),
    };
    let style = match o.get("style") {
        None => StyleRef::Normal,
        Some(Value::Str(st)) if st.is_empty() => StyleRef::Normal,
        Some(Value::Str(st)) => StyleRef::Str(st),
        Some(Value::Raw(r)) if raw_is_falsy(r) => StyleRef::Normal,
        Some(Value::Raw(r)) => match o.str_ref("style") {
            Some(st) => StyleRef::Str(st),
            None => StyleRef::Str(r),
        },
        Some(Value::Json(j)) if json_is_falsy(j) => StyleRef::Normal,
        Some(_) => StyleRef::Str("\u{0}non-string style"),
    };
    let level_raw = o.raw("level");
    let (level, level_ok) = match level_raw {
        None => (None, true),
        Some(r) => match o.f64("level") {
            Some(v) => (Some(v), true),
            None => {
                let _ = r;
                (None, false)
            }
        },
    };
    let list_item = if level_ok {
        o.str_ref("listItem")
    } else {
        None
    };
    Node::Block(Block {
        obj: o,
        children,
        mark_defs,
        list_item,
        level,
        style,
    })
}

fn json_is_falsy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Bool(b) => !b,
        serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
        serde_json::Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// A span (`_type: "span"` with string `text`, `marks` absent or strings).
pub(crate) struct SpanView<'a> {
    pub text: Cow<'a, str>,
    pub marks: Vec<Cow<'a, str>>,
}

/// Returns the span data when the child is a valid span.
pub(crate) fn span_view<'a>(e: &Entry<'a>) -> Option<SpanView<'a>> {
    let Entry::Object(o) = e else { return None };
    if !o.str_is("_type", "span") {
        return None;
    }
    let text = o.str("text")?;
    let marks = match o.raw("marks") {
        None => Vec::new(),
        Some(r) => {
            let r = r.trim();
            if r == "[]" {
                Vec::new()
            } else {
                parse_str_array(r)?
            }
        }
    };
    Some(SpanView { text, marks })
}

/// Parses a JSON array of strings, borrowing where possible.
fn parse_str_array(raw: &str) -> Option<Vec<Cow<'_, str>>> {
    if let Some(v) = fast_str_array(raw) {
        return Some(v);
    }
    #[derive(serde::Deserialize)]
    struct Arr<'a>(#[serde(borrow)] Vec<BorrowStr<'a>>);
    #[derive(serde::Deserialize)]
    struct BorrowStr<'a>(#[serde(borrow)] Cow<'a, str>);
    let Arr(v) = serde_json::from_str::<Arr<'_>>(raw).ok()?;
    Some(v.into_iter().map(|b| b.0).collect())
}

/// Parses `["a", "b"]` whose strings have no escapes without going through
/// serde; None when the input needs the full parser (or is not such an array).
fn fast_str_array(raw: &str) -> Option<Vec<Cow<'_, str>>> {
    let inner = raw.strip_prefix('[')?.strip_suffix(']')?;
    let b = inner.as_bytes();
    let mut out = Vec::with_capacity(2);
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == b.len() {
        return Some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let len = b[start..]
            .iter()
            .position(|c| *c == b'"' || *c == b'\\' || *c < 0x20)?;
        if b[start + len] != b'"' {
            return None;
        }
        out.push(Cow::Borrowed(&inner[start..start + len]));
        i = start + len + 1;
        skip_ws(&mut i);
        match b.get(i) {
            None => return Some(out),
            Some(b',') => {
                i += 1;
                skip_ws(&mut i);
            }
            Some(_) => return None,
        }
    }
}
