//! The JSONPath subset of the Amazon States Language.
//!
//! Roots: `$` (the state input or the value a field applies to), `$$` (the context object)
//! and `$name` (a variable). Segments: `.name`, `['name']`, `[n]` (negative counts from the
//! end), `[*]`, `.*`, `[a:b]`, `[a,b]`, `..name` and filters `[?(@.x OP literal)]`.
//! A path with a wildcard, slice, union, filter or descent is *indefinite*: it always yields
//! an array of every match (empty when nothing matches), as AWS does.

use std::borrow::Cow;

use serde_json::Value;

use crate::value::json_eq;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Root {
    /// `$`: the value the path applies to.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// Comparison in a filter expression.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
struct Filter {
    path: Vec<Segment>,
    op: FilterOp,
    literal: Value,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Index(i64),
    Wildcard,
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Union(Vec<i64>),
    Fields(Vec<String>),
    Descend(String),
    Filter(Box<Filter>),
}

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
}

/// Why a path could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid JSONPath '{path}': {reason}")]
pub struct PathSyntaxError {
    /// The text that was given.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

struct Cursor<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn ident(&mut self) -> &'a str {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b'.'
                || c == b'['
                || c == b' '
                || c == b')'
                || c == b'='
                || c == b'!'
                || c == b'<'
                || c == b'>'
                || c == b','
            {
                break;
            }
            self.i += 1;
        }
        &self.src[start..self.i]
    }
    fn int(&mut self) -> Option<i64> {
        self.skip_ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let r = self.src[start..self.i].parse().ok();
        self.skip_ws();
        r
    }
    fn quoted(&mut self) -> Result<String, String> {
        let q = self.peek().ok_or("unexpected end")?;
        self.i += 1;
        let mut out = String::new();
        let rest = &self.src[self.i..];
        let mut chars = rest.char_indices();
        while let Some((off, c)) = chars.next() {
            if c == q as char {
                self.i += off + 1;
                return Ok(out);
            }
            if c == '\\' {
                if let Some((_, n)) = chars.clone().next() {
                    if n == q as char {
                        chars.next();
                        out.push(n);
                        continue;
                    }
                }
            }
            out.push(c);
        }
        Err("unterminated quoted name".into())
    }
}

impl Path {
    /// Parses a path such as `$.a.b[0]`, `$$.Execution.Input` or `$var.field`.
    pub fn parse(text: &str) -> Result<Path, PathSyntaxError> {
        let err = |reason: &str| PathSyntaxError {
            path: text.to_string(),
            reason: reason.to_string(),
        };
        let mut c = Cursor {
            s: text.as_bytes(),
            src: text,
            i: 0,
        };
        if !c.eat(b'$') {
            return Err(err("a path must start with '$'"));
        }
        let root = if c.eat(b'$') {
            Root::Context
        } else if matches!(c.peek(), Some(ch) if ch.is_ascii_alphanumeric() || ch == b'_') {
            let name = c.ident();
            Root::Variable(name.to_string())
        } else {
            Root::Input
        };
        let segments = parse_segments(&mut c, false).map_err(|r| err(&r))?;
        if c.i != text.len() {
            return Err(err(&format!("unexpected text at position {}", c.i)));
        }
        let definite = segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)));
        Ok(Path {
            text: text.to_string(),
            root,
            segments,
            definite,
        })
    }

    /// The text the path was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the path starts.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The field name of segment `n` after the root, if that segment is a plain field.
    pub(crate) fn field_at(&self, n: usize) -> Option<&str> {
        match self.segments.get(n) {
            Some(Segment::Field(f)) => Some(f),
            _ => None,
        }
    }

    /// The first field name after the root, if the path starts with one.
    pub(crate) fn first_field(&self) -> Option<&str> {
        self.field_at(0)
    }

    /// The path as a Jayway-style bracket path, used in AWS error messages (`$['a']['b']`).
    pub fn bracket_form(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.segments {
            match seg {
                Segment::Field(f) => {
                    s.push_str("['");
                    s.push_str(f);
                    s.push_str("']");
                }
                Segment::Index(i) => s.push_str(&format!("[{i}]")),
                _ => s.push_str("[*]"),
            }
        }
        s
    }

    /// Applies the path to `root`, skipping the first `skip` segments. `None` when a definite
    /// path selects nothing; indefinite paths always yield an array.
    pub(crate) fn select_from<'v>(&self, root: &'v Value, skip: usize) -> Option<Cow<'v, Value>> {
        let segs = self.segments.get(skip..).unwrap_or(&[]);
        if self.definite {
            let mut cur = root;
            for seg in segs {
                cur = step_definite(cur, seg)?;
            }
            Some(Cow::Borrowed(cur))
        } else {
            let mut cur: Vec<&Value> = vec![root];
            for seg in segs {
                let mut next = Vec::new();
                for v in cur {
                    step_all(v, seg, &mut next);
                }
                cur = next;
            }
            Some(Cow::Owned(Value::Array(cur.into_iter().cloned().collect())))
        }
    }

    /// Applies the path to `root` (the root kind is the caller's business).
    pub fn select<'v>(&self, root: &'v Value) -> Option<Cow<'v, Value>> {
        self.select_from(root, 0)
    }

    /// Whether this path can be used as a ResultPath (a definite path into the input).
    pub fn is_reference(&self) -> bool {
        self.definite && self.root == Root::Input
    }

    /// Writes `value` at this (reference) path inside `target`, creating objects on the way.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), String> {
        if self.segments.is_empty() {
            *target = value;
            return Ok(());
        }
        let mut cur = target;
        let last = self.segments.len() - 1;
        for (n, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Field(f) => {
                    if !cur.is_object() {
                        if cur.is_null() {
                            *cur = Value::Object(serde_json::Map::new());
                        } else {
                            return Err(format!(
                                "Unable to set the result at path '{}': the value at '{}' is not an object",
                                self.text, f
                            ));
                        }
                    }
                    let Value::Object(map) = cur else {
                        return Err("unreachable".into());
                    };
                    if n == last {
                        map.insert(f.clone(), value);
                        return Ok(());
                    }
                    cur = map
                        .entry(f.clone())
                        .or_insert(Value::Object(serde_json::Map::new()));
                }
                Segment::Index(i) => {
                    let Value::Array(arr) = cur else {
                        return Err(format!(
                            "Unable to set the result at path '{}': not an array",
                            self.text
                        ));
                    };
                    let len = arr.len() as i64;
                    let idx = if *i < 0 { len + i } else { *i };
                    if idx < 0 || idx >= len {
                        return Err(format!(
                            "Unable to set the result at path '{}': index {} out of bounds",
                            self.text, i
                        ));
                    }
                    let slot = &mut arr[idx as usize];
                    if n == last {
                        *slot = value;
                        return Ok(());
                    }
                    cur = slot;
                }
                _ => return Err(format!("'{}' is not a reference path", self.text)),
            }
        }
        Ok(())
    }
}

fn parse_segments(c: &mut Cursor<'_>, in_filter: bool) -> Result<Vec<Segment>, String> {
    let mut segs = Vec::new();
    loop {
        match c.peek() {
            None => break,
            Some(b'.') => {
                c.i += 1;
                if c.eat(b'.') {
                    let name = c.ident();
                    if name.is_empty() {
                        return Err("'..' must be followed by a name".into());
                    }
                    segs.push(Segment::Descend(name.to_string()));
                } else if c.eat(b'*') {
                    segs.push(Segment::Wildcard);
                } else {
                    let name = c.ident();
                    if name.is_empty() {
                        return Err("empty field name".into());
                    }
                    segs.push(Segment::Field(name.to_string()));
                }
            }
            Some(b'[') => {
                c.i += 1;
                c.skip_ws();
                match c.peek() {
                    Some(b'\'' | b'"') => {
                        let mut names = vec![c.quoted()?];
                        c.skip_ws();
                        while c.eat(b',') {
                            c.skip_ws();
                            names.push(c.quoted()?);
                            c.skip_ws();
                        }
                        if names.len() == 1 {
                            segs.push(Segment::Field(names.remove(0)));
                        } else {
                            segs.push(Segment::Fields(names));
                        }
                    }
                    Some(b'*') => {
                        c.i += 1;
                        segs.push(Segment::Wildcard);
                    }
                    Some(b'?') => {
                        c.i += 1;
                        c.skip_ws();
                        if !c.eat(b'(') {
                            return Err("expected '(' after '?'".into());
                        }
                        c.skip_ws();
                        if !c.eat(b'@') {
                            return Err("a filter must start with '@'".into());
                        }
                        let path = parse_segments(c, true)?;
                        c.skip_ws();
                        let op = if c.eat(b'=') {
                            c.eat(b'=');
                            FilterOp::Eq
                        } else if c.eat(b'!') {
                            if !c.eat(b'=') {
                                return Err("expected '!='".into());
                            }
                            FilterOp::Ne
                        } else if c.eat(b'<') {
                            if c.eat(b'=') {
                                FilterOp::Le
                            } else {
                                FilterOp::Lt
                            }
                        } else if c.eat(b'>') {
                            if c.eat(b'=') {
                                FilterOp::Ge
                            } else {
                                FilterOp::Gt
                            }
                        } else {
                            FilterOp::Exists
                        };
                        c.skip_ws();
                        let literal = if op == FilterOp::Exists {
                            Value::Null
                        } else {
                            parse_literal(c)?
                        };
                        c.skip_ws();
                        if !c.eat(b')') {
                            return Err("expected ')' to close the filter".into());
                        }
                        segs.push(Segment::Filter(Box::new(Filter { path, op, literal })));
                    }
                    _ => {
                        let start = c.int();
                        if c.eat(b':') {
                            let end = c.int();
                            let step = if c.eat(b':') { c.int() } else { None };
                            segs.push(Segment::Slice(start, end, step));
                        } else if c.peek() == Some(b',') {
                            let mut idx = vec![start.ok_or("expected an index")?];
                            while c.eat(b',') {
                                idx.push(c.int().ok_or("expected an index")?);
                            }
                            segs.push(Segment::Union(idx));
                        } else {
                            segs.push(Segment::Index(
                                start.ok_or("expected an index, '*', a name or a filter")?,
                            ));
                        }
                    }
                }
                c.skip_ws();
                if !c.eat(b']') {
                    return Err("expected ']'".into());
                }
            }
            Some(_) if in_filter => break,
            Some(_) => return Err(format!("unexpected character at position {}", c.i)),
        }
    }
    Ok(segs)
}

fn parse_literal(c: &mut Cursor<'_>) -> Result<Value, String> {
    match c.peek() {
        Some(b'\'' | b'"') => Ok(Value::String(c.quoted()?)),
        _ => {
            let start = c.i;
            while let Some(ch) = c.peek() {
                if ch == b')' || ch == b' ' {
                    break;
                }
                c.i += 1;
            }
            let text = &c.src[start..c.i];
            serde_json::from_str(text).map_err(|_| format!("invalid literal '{text}' in filter"))
        }
    }
}

fn step_definite<'v>(v: &'v Value, seg: &Segment) -> Option<&'v Value> {
    match (seg, v) {
        (Segment::Field(f), Value::Object(m)) => m.get(f),
        (Segment::Index(i), Value::Array(a)) => {
            let len = a.len() as i64;
            let idx = if *i < 0 { len + i } else { *i };
            if idx < 0 {
                None
            } else {
                a.get(idx as usize)
            }
        }
        _ => None,
    }
}

fn step_all<'v>(v: &'v Value, seg: &Segment, out: &mut Vec<&'v Value>) {
    match seg {
        Segment::Field(_) | Segment::Index(_) => {
            if let Some(x) = step_definite(v, seg) {
                out.push(x);
            }
        }
        Segment::Wildcard => match v {
            Value::Array(a) => out.extend(a.iter()),
            Value::Object(m) => out.extend(m.values()),
            _ => {}
        },
        Segment::Fields(names) => {
            if let Value::Object(m) = v {
                out.extend(names.iter().filter_map(|n| m.get(n)));
            }
        }
        Segment::Union(idx) => {
            if let Value::Array(_) = v {
                for i in idx {
                    if let Some(x) = step_definite(v, &Segment::Index(*i)) {
                        out.push(x);
                    }
                }
            }
        }
        Segment::Slice(start, end, step) => {
            if let Value::Array(a) = v {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let s = start.map(norm).unwrap_or(0);
                let e = end.map(norm).unwrap_or(len);
                let st = step.unwrap_or(1).max(1);
                let mut i = s;
                while i < e {
                    out.push(&a[i as usize]);
                    i += st;
                }
            }
        }
        Segment::Descend(name) => descend(v, name, out),
        Segment::Filter(f) => {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                Value::Object(m) => m.values().collect(),
                _ => Vec::new(),
            };
            for item in items {
                if filter_matches(f, item) {
                    out.push(item);
                }
            }
        }
    }
}

fn descend<'v>(v: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            for x in m.values() {
                descend(x, name, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                descend(x, name, out);
            }
        }
        _ => {}
    }
}

fn filter_matches(f: &Filter, item: &Value) -> bool {
    let mut cur = vec![item];
    for seg in &f.path {
        let mut next = Vec::new();
        for v in cur {
            step_all(v, seg, &mut next);
        }
        cur = next;
    }
    let Some(v) = cur.first() else {
        return false;
    };
    match f.op {
        FilterOp::Exists => true,
        FilterOp::Eq => json_eq(v, &f.literal),
        FilterOp::Ne => !json_eq(v, &f.literal),
        op => {
            let ord = match (v, &f.literal) {
                (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
                (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
                _ => None,
            };
            match (ord, op) {
                (Some(o), FilterOp::Lt) => o.is_lt(),
                (Some(o), FilterOp::Le) => o.is_le(),
                (Some(o), FilterOp::Gt) => o.is_gt(),
                (Some(o), FilterOp::Ge) => o.is_ge(),
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(path: &str, input: Value, expected: Option<Value>) {
        let p = Path::parse(path).unwrap();
        assert_eq!(
            p.select(&input).map(|c| c.into_owned()),
            expected,
            "path {path}"
        );
    }

    #[test]
    fn selects_like_aws() {
        let doc = json!({"a": {"b": [1, 2, 3]}, "users": [{"s": 0, "n": "x"}, {"s": 1, "n": "y"}]});
        check("$", doc.clone(), Some(doc.clone()));
        check("$.a.b[0]", doc.clone(), Some(json!(1)));
        check("$.a.b[-1]", doc.clone(), Some(json!(3)));
        check("$['a']['b'][1]", doc.clone(), Some(json!(2)));
        check("$.a.b[1:]", doc.clone(), Some(json!([2, 3])));
        check("$.a.b[:1]", doc.clone(), Some(json!([1])));
        check("$.a.b[*]", doc.clone(), Some(json!([1, 2, 3])));
        check(
            "$.users[?(@.s == 0)]",
            doc.clone(),
            Some(json!([{"s": 0, "n": "x"}])),
        );
        check("$.users[?(@.n == 'y')].s", doc.clone(), Some(json!([1])));
        check("$.users[*].n", doc.clone(), Some(json!(["x", "y"])));
        check("$..n", doc.clone(), Some(json!(["x", "y"])));
        check("$.missing", doc.clone(), None);
        check("$.missing[*].x", doc.clone(), Some(json!([])));
        check("$.a.b[7]", doc, None);
    }

    #[test]
    fn roots_and_errors() {
        assert_eq!(
            Path::parse("$$.Execution.Id").unwrap().root(),
            &Root::Context
        );
        assert_eq!(
            Path::parse("$var.x").unwrap().root(),
            &Root::Variable("var".into())
        );
        assert!(Path::parse("a.b").is_err());
        assert!(Path::parse("$.a[").is_err());
        assert!(Path::parse("$.a..").is_err());
    }

    #[test]
    fn set_creates_objects() {
        let mut v = json!({"a": 1});
        Path::parse("$.b.c").unwrap().set(&mut v, json!(2)).unwrap();
        assert_eq!(v, json!({"a": 1, "b": {"c": 2}}));
        let mut v = json!({"a": 1});
        assert!(Path::parse("$.a.c").unwrap().set(&mut v, json!(2)).is_err());
    }
}
