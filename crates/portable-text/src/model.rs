//! The Portable Text model.
//!
//! Parsing is a single pass over the input with borrowed strings: every object
//! keeps its fields in input order, as raw JSON slices (`&str`), except the
//! lists that carry the document's structure (`body`, `children`, `markDefs`),
//! which are parsed into objects straight away. Scalar fields are decoded
//! lazily from their raw slices; strings without escapes are borrowed.
//!
//! Well-formed input of the usual shape goes through a hand-written parser
//! (`fast`); anything else, including every error, through serde, which the
//! fast path is tested against.
//!
//! Because the raw slices and the key order are kept, any custom object can be
//! printed back as JSON (the Markdown fallback does that) with its keys in the
//! order the input had them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{js_stringify, raw_str, write_json_string};

mod fast;

/// A map key or string that borrows from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One field value of an [`Object`].
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// The field's JSON text, exactly as it appeared in the input.
    Raw(&'a str),
    /// A string field that the model reads directly (`_type`, `_key`,
    /// `text`, `style`, `listItem`), decoded in the parsing pass.
    Str(Cow<'a, str>),
    /// A structural list (`body`, `children`, `markDefs`), parsed.
    List(Vec<Entry<'a>>),
    /// A structural field that was not a list; kept as a JSON value.
    Json(serde_json::Value),
}

/// One element of a structural list.
#[derive(Debug, Clone)]
pub enum Entry<'a> {
    /// A JSON object (a block, span, inline object, mark definition...).
    Object(Object<'a>),
    /// Anything that is not an object.
    Other(serde_json::Value),
}

/// A JSON object with its fields in input order.
#[derive(Debug, Clone, Default)]
pub struct Object<'a> {
    fields: Vec<(Cow<'a, str>, Value<'a>)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The top-level value: `body`, `children` and `markDefs` hold objects.
    Top,
    /// A block in a list: `children` and `markDefs` hold objects.
    Node,
    /// Everything else: all fields raw.
    Plain,
}

struct ObjectVisitor(Mode);

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(6));
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            let v = match entry_mode(self.0, &k) {
                Some(m) => map.next_value_seed(ListSeed(m))?,
                None if is_str_field(&k) => map.next_value_seed(StrSeed)?,
                None => Value::Raw(map.next_value::<&'de RawValue>()?.get()),
            };
            fields.push((k, v));
        }
        Ok(Object { fields })
    }
}

/// The mode of the objects in a structural list under `key` in an object parsed in
/// `mode`, or `None` when the field is not structural there.
fn entry_mode(mode: Mode, key: &str) -> Option<Mode> {
    match (mode, key) {
        (Mode::Top, "body") => Some(Mode::Node),
        (Mode::Top | Mode::Node, "children" | "markDefs") => Some(Mode::Plain),
        _ => None,
    }
}

/// The string fields the model reads directly, decoded while parsing.
fn is_str_field(key: &str) -> bool {
    matches!(key, "_type" | "_key" | "text" | "style" | "listItem")
}

/// A string decoded in place (borrowed when it has no escapes); any other
/// JSON value is kept as a `serde_json::Value`.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Value<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Value<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Value::Json(serde_json::Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Value::Json(serde_json::Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Value::Json(serde_json::Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Value::Json(serde_json::Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Json(serde_json::Value::Null))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Value::Json(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Value::Json(v))
    }
}

struct ListSeed(Mode);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Value<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ListVisitor(self.0))
    }
}

struct ListVisitor(Mode);

macro_rules! scalar_visits {
    ($wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::from(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::String(v.to_owned())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(serde_json::Value::Null))
        }
    };
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Value<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    scalar_visits!(Value::Json);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(e) = seq.next_element_seed(EntrySeed(self.0))? {
            items.push(e);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Value::Json(v))
    }
}

struct EntrySeed(Mode);

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Entry<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(EntryVisitor(self.0))
    }
}

struct EntryVisitor(Mode);

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    scalar_visits!(Entry::Other);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Entry::Other(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ObjectVisitor(self.0).visit_map(map).map(Entry::Object)
    }
}

/// The parsed input: a list of top-level entries.
pub(crate) struct Input<'a> {
    pub entries: Vec<Entry<'a>>,
}

/// Parses a Portable Text value: an array of blocks, one block, or a Sanity
/// document whose `body` holds the blocks.
pub(crate) fn parse(json: &str) -> Result<Input<'_>, serde_json::Error> {
    match fast::parse(json) {
        Some(input) => Ok(input),
        None => parse_with_serde(json),
    }
}

/// [`parse`] by serde: the reference for the fast path, and the one that reports errors.
fn parse_with_serde(json: &str) -> Result<Input<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let top = de.deserialize_any(TopVisitor)?;
    de.end()?;
    Ok(top)
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Input<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Portable Text array, a block object, or a document with a `body` array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some(e) = seq.next_element_seed(EntrySeed(Mode::Node))? {
            entries.push(e);
        }
        Ok(Input { entries })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let obj = ObjectVisitor(Mode::Top).visit_map(map)?;
        document_input(obj).map_err(de::Error::custom)
    }
}

/// The input given as one object: a document's `body` (a document has a `body` list and is
/// not itself a block), or else the object as a single block.
fn document_input(mut obj: Object<'_>) -> Result<Input<'_>, &'static str> {
    let is_doc = obj.has("body") && !obj.has("children");
    if is_doc {
        if let Some(pos) = obj.fields.iter().rposition(|(k, _)| k == "body") {
            let (_, v) = obj.fields.swap_remove(pos);
            return match v {
                Value::List(entries) => Ok(Input { entries }),
                Value::Json(serde_json::Value::Null) => Ok(Input {
                    entries: Vec::new(),
                }),
                _ => Err("the document's `body` is not an array"),
            };
        }
    }
    Ok(Input {
        entries: vec![Entry::Object(obj)],
    })
}

impl<'a> Object<'a> {
    /// Whether the object has a field named `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| same_key(k, key))
    }

    /// The last value stored under `key` (JSON's "last one wins").
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    /// The raw JSON text of a field (None for parsed structural lists).
    #[inline]
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::Raw(r)) => Some(r),
            _ => None,
        }
    }

    /// A string field (None when missing or not a string).
    #[inline]
    pub fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        match self.get(key)? {
            Value::Str(s) => Some(s.clone()),
            Value::Raw(r) => raw_str(r),
            _ => None,
        }
    }

    /// A string field, borrowed from the object (None when missing, not a
    /// string, or — for fields kept raw — written with escape sequences).
    #[inline]
    pub fn str_ref(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Str(s) => Some(s),
            Value::Raw(r) => {
                let inner = r.strip_prefix('"')?.strip_suffix('"')?;
                if inner.contains('\\') {
                    None
                } else {
                    Some(inner)
                }
            }
            _ => None,
        }
    }

    /// True when the field is the string `value`.
    #[inline]
    pub fn str_is(&self, key: &str, value: &str) -> bool {
        match self.str_ref(key) {
            Some(s) => s == value,
            None => self.str(key).as_deref() == Some(value),
        }
    }

    /// A number field.
    pub fn f64(&self, key: &str) -> Option<f64> {
        let r = self.raw(key)?;
        if r.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            r.parse::<f64>().ok()
        } else {
            None
        }
    }

    /// A boolean field.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.raw(key)? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// Deserializes a field into any owned type (for nested values such as
    /// `asset`, `crop`, `highlightedLines`). None when missing or mistyped.
    pub fn field<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        match self.get(key)? {
            Value::Raw(r) => serde_json::from_str(r).ok(),
            other => {
                let mut s = String::new();
                write_value(other, &mut s);
                serde_json::from_str(&s).ok()
            }
        }
    }

    /// The object's `_type`, when it is a string.
    pub fn type_name(&self) -> Option<Cow<'a, str>> {
        self.str("_type")
    }

    /// The object's `_key`, when it is a string.
    pub fn key(&self) -> Option<Cow<'a, str>> {
        self.str("_key")
    }

    /// Fields in input order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    /// Structural list field (`children`, `markDefs`, `body`) when it is a list.
    #[inline]
    pub fn list(&self, key: &str) -> Option<&[Entry<'a>]> {
        match self.get(key) {
            Some(Value::List(l)) => Some(l),
            _ => None,
        }
    }

    /// The object as compact JSON text, keys in input order (whitespace in
    /// raw fields is kept as it was).
    pub fn to_json(&self) -> String {
        let mut s = String::new();
        write_object(self, &mut s);
        s
    }

    /// Like `JSON.stringify(value)` (indent 0) or `JSON.stringify(value, null, 2)`.
    pub fn to_js_json(&self, indent: usize) -> String {
        let mut out = String::new();
        js_stringify(&self.to_json(), indent, &mut out);
        out
    }
}

/// `field == key`, written so that for a constant `key` (the usual lookup, once inlined) the
/// byte comparison has a constant length and is done in registers instead of a call.
#[inline]
fn same_key(field: &str, key: &str) -> bool {
    field.len() == key.len() && field.as_bytes().get(..key.len()) == Some(key.as_bytes())
}

fn write_object(o: &Object<'_>, s: &mut String) {
    s.push('{');
    for (i, (k, v)) in o.fields.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_json_string(k, s);
        s.push(':');
        write_value(v, s);
    }
    s.push('}');
}

fn write_value(v: &Value<'_>, s: &mut String) {
    match v {
        Value::Raw(r) => s.push_str(r),
        Value::Str(t) => write_json_string(t, s),
        Value::Json(j) => s.push_str(&j.to_string()),
        Value::List(items) => {
            s.push('[');
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                match e {
                    Entry::Object(o) => write_object(o, s),
                    Entry::Other(j) => s.push_str(&j.to_string()),
                }
            }
            s.push(']');
        }
    }
}

/// Parses a raw JSON array of blocks (e.g. a callout's `content`) into entries.
pub(crate) fn parse_list(raw: &str) -> Option<Vec<Entry<'_>>> {
    let mut de = serde_json::Deserializer::from_str(raw);
    match ListSeed(Mode::Node).deserialize(&mut de) {
        Ok(Value::List(l)) => Some(l),
        _ => None,
    }
}
