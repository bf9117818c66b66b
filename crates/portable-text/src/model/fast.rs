//! The fast path of [`super::parse`]: a parser for well-formed input of the usual shape.
//!
//! It builds the same [`Input`] as the serde-based parser, in one pass over the bytes with
//! no visitor indirection, and gives up (returns `None`) on anything it does not handle
//! itself: invalid JSON, a key written with escape sequences, a `\u` escape in a field the
//! model decodes, a structural field that is not a list, a list element that is not an
//! object, a model string field that is not a string. The caller then parses the input
//! again with serde, which builds the value or reports the error with its line and column.
//! So parsing accepts exactly what serde accepts and builds the same values, provided that
//! whatever this parser accepts, serde accepts and builds identically: the property tests
//! below check that on generated and mutated JSON.
//!
//! Values the model keeps raw are skipped by the lexer ([`crate::lex`]) with an explicit
//! stack, so nesting depth costs heap, not stack.

use std::borrow::Cow;

use super::{document_input, entry_mode, is_str_field, Entry, Input, Mode, Object, Value};
use crate::lex::{unescape, Lexer};

/// Parses `json`, or returns `None` when the serde-based parser must decide.
pub(super) fn parse(json: &str) -> Option<Input<'_>> {
    let mut p = Lexer::new(json);
    p.ws();
    let input = match p.peek()? {
        b'[' => Input {
            entries: p.entries(Mode::Node, 16)?,
        },
        b'{' => document_input(p.object(Mode::Top)?).ok()?,
        _ => return None,
    };
    p.ws();
    (p.i == p.b.len()).then_some(input)
}

/// The model-building half of the parser; the lexing half is [`crate::lex`].
impl<'a> Lexer<'a> {
    /// A list of objects (`[` at the current position), each parsed in `mode`.
    fn entries(&mut self, mode: Mode, capacity: usize) -> Option<Vec<Entry<'a>>> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            // Empty lists (`markDefs: []` mostly) allocate nothing.
            return Some(Vec::new());
        }
        let mut items = Vec::with_capacity(capacity);
        loop {
            self.ws();
            items.push(Entry::Object(self.object(mode)?));
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    /// An object (`{` at the current position) with its fields in input order.
    fn object(&mut self, mode: Mode) -> Option<Object<'a>> {
        self.eat(b'{')?;
        let mut fields = Vec::with_capacity(6);
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(Object { fields });
        }
        loop {
            self.ws();
            let (key, escaped) = self.string()?;
            if escaped {
                return None;
            }
            self.eat(b':')?;
            self.ws();
            let value = if let Some(m) = entry_mode(mode, key) {
                Value::List(self.entries(m, 4)?)
            } else if is_str_field(key) {
                if self.peek()? != b'"' {
                    return None;
                }
                let (text, escaped) = self.string()?;
                Value::Str(if escaped {
                    Cow::Owned(unescape(text)?)
                } else {
                    Cow::Borrowed(text)
                })
            } else {
                let start = self.i;
                self.skip_value()?;
                Value::Raw(self.s.get(start..self.i)?)
            };
            fields.push((Cow::Borrowed(key), value));
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(Object { fields });
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_with_serde;
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    /// Whether the fast path took `text`; when it did, serde must accept `text` too and
    /// build the same value.
    fn agrees(text: &str) -> Result<bool, TestCaseError> {
        let Some(fast) = parse(text) else {
            return Ok(false);
        };
        let slow = parse_with_serde(text);
        prop_assert!(
            slow.is_ok(),
            "fast path accepted what serde rejects: {text:?}: {slow:?}",
            slow = slow.as_ref().err()
        );
        let slow = slow.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(format!("{:?}", fast.entries), format!("{:?}", slow.entries));
        Ok(true)
    }

    fn arb_json() -> impl Strategy<Value = Json> {
        let key = prop_oneof![
            Just("_type"),
            Just("_key"),
            Just("children"),
            Just("markDefs"),
            Just("marks"),
            Just("text"),
            Just("style"),
            Just("listItem"),
            Just("level"),
            Just("body"),
            Just("asset"),
            Just("x"),
            Just("t\"q"),
        ];
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "[a-z\"\\\\/\n\t\u{1}\u{e9}\u{1f600} ]{0,12}".prop_map(Json::String),
        ];
        leaf.prop_recursive(5, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|fields| {
                    Json::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    /// Portable Text of the usual shape: blocks with spans and mark definitions, in an
    /// array or a document.
    fn arb_document() -> impl Strategy<Value = Json> {
        let span = (
            "[a-z <>&*_\"\\\\\n]{0,20}",
            prop::collection::vec("[a-z]{1,6}", 0..3),
        )
            .prop_map(
                |(text, marks)| json!({"_type": "span", "_key": "k", "text": text, "marks": marks}),
            );
        let block = (
            prop::collection::vec(span, 0..4),
            prop_oneof![Just("normal"), Just("h2")],
            0u8..3,
            arb_json(),
        )
            .prop_map(|(children, style, level, extra)| {
                json!({
                    "_type": "block", "style": style, "level": level, "listItem": "bullet",
                    "markDefs": [{"_type": "link", "_key": "a", "href": "https://example.com/?a=1&b=2"}],
                    "children": children, "extra": extra,
                })
            });
        (prop::collection::vec(block, 0..4), any::<bool>()).prop_map(|(blocks, doc)| {
            if doc {
                json!({"_type": "post", "title": "T", "body": blocks})
            } else {
                Json::Array(blocks)
            }
        })
    }

    /// Bytes that change what a JSON text means when put in or taken out.
    const MUTATIONS: &[&str] = &[
        "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\x", "\\/", "\\b", "0", "01", "-", ".",
        "e", "1e", "t", "nul", " ", "\n", "\u{1}", "\u{e9}",
    ];

    proptest! {
        #[test]
        fn well_formed_documents_take_the_fast_path(doc in arb_document(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
            }.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let fast = agrees(&text)?;
            // serde writes control characters as `\u` escapes, which the fast path leaves
            // to serde in the fields it decodes; everything else must not fall back.
            if !text.contains("\\u") && !text.contains("t\\\"q") {
                prop_assert!(fast, "fell back on {text}");
            }
        }

        #[test]
        fn any_accepted_text_is_accepted_by_serde_with_the_same_value(
            doc in prop_oneof![arb_document(), arb_json()],
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0..MUTATIONS.len(), 0u8..3), 0..4),
        ) {
            let mut text = serde_json::to_string(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
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

    #[test]
    fn raw_values_are_kept_as_written_and_checked_like_serde() {
        let text = r#"[{"_type":"block","n":-0.5e+3,"a":[ 1 , {"b":[]}, "c\"\u00e9" ],"t":true,"z":null,"children":[]}]"#;
        assert!(agrees(text).map_err(|e| e.to_string()).unwrap());
        let input = parse(text).unwrap();
        let Entry::Object(o) = &input.entries[0] else {
            panic!("not an object")
        };
        assert_eq!(o.raw("n"), Some("-0.5e+3"));
        assert_eq!(o.raw("a"), Some(r#"[ 1 , {"b":[]}, "c\"\u00e9" ]"#));
        let escaped = r#"{"_type":"span","text":"a\/b\"c\\d\n\t\b\f\r"}"#;
        assert!(agrees(escaped).map_err(|e| e.to_string()).unwrap());
        let input = parse(escaped).unwrap();
        let Entry::Object(o) = &input.entries[0] else {
            panic!("not an object")
        };
        assert_eq!(o.str("text").as_deref(), Some("a/b\"c\\d\n\t\u{8}\u{c}\r"));
        for bad in [
            r#"[{"n":01}]"#,
            r#"[{"n":1.}]"#,
            r#"[{"n":-}]"#,
            r#"[{"n":1e}]"#,
            r#"[{"a":[1,]}]"#,
            r#"[{"a":{"b"}}]"#,
            r#"[{"a":"\x"}]"#,
            r#"[{"a":"\u12"}]"#,
            "[{\"a\":\"\u{1}\"}]",
            r#"[{"a":tru}]"#,
            r#"[{"a":1}] x"#,
            r#"[{"a":1},]"#,
        ] {
            assert!(parse(bad).is_none(), "{bad}");
            assert!(parse_with_serde(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deep_raw_values_are_skipped_without_recursion() {
        let depth = 100_000;
        let text = format!(
            r#"[{{"_type":"x","deep":{}{}}}]"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let input = parse(&text).unwrap();
        assert_eq!(input.entries.len(), 1);
        assert!(parse(&format!(
            r#"[{{"deep":{}{}}}]"#,
            "[".repeat(depth),
            "]".repeat(depth - 1)
        ))
        .is_none());
    }
}
