//! Builds a well-shaped Portable Text document (blocks, spans, marks, mark definitions,
//! lists, code, images, custom objects) from the fuzz bytes, so the renderers get past the
//! JSON parser; renders it in every format. Text nodes that carry no markup characters must
//! survive plain-text rendering. Wherever the direct HTML path answers, it answers what the
//! general path does.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use portable_text::{render_html_direct, render_html_with, render_value, DefaultHtml, Format, SanityConfig};
use serde_json::{json, Map, Value};

const FORMATS: [Format; 6] = [
    Format::Html,
    Format::Markdown,
    Format::Text,
    Format::Devto,
    Format::Hashnode,
    Format::Medium,
];

const STYLES: [&str; 10] = [
    "normal",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "callout",
    "weird",
];
const DECORATORS: [&str; 6] = ["strong", "em", "code", "underline", "strike-through", "x"];
const OBJECT_TYPES: [&str; 8] = [
    "code",
    "image",
    "table",
    "callout",
    "horizontal-rule",
    "break",
    "embed",
    "unknownType",
];

#[derive(Debug, Arbitrary)]
struct Doc {
    as_document: bool,
    blocks: Vec<Item>,
}

#[derive(Debug, Arbitrary)]
enum Item {
    Block(Block),
    Object(Obj),
}

#[derive(Debug, Arbitrary)]
struct Block {
    style: u8,
    list: Option<(bool, u8)>,
    spans: Vec<Span>,
    links: Vec<String>,
    key: Option<String>,
}

#[derive(Debug, Arbitrary)]
struct Span {
    text: String,
    decorators: Vec<u8>,
    link: Option<u8>,
}

#[derive(Debug, Arbitrary)]
struct Obj {
    kind: u8,
    text: String,
    language: Option<String>,
    asset: Option<String>,
    url: Option<String>,
    rows: Vec<Vec<String>>,
}

fn block(b: &Block, index: usize) -> Value {
    let mut map = Map::new();
    map.insert("_type".into(), json!("block"));
    map.insert(
        "_key".into(),
        json!(b.key.clone().unwrap_or_else(|| format!("b{index}"))),
    );
    map.insert(
        "style".into(),
        json!(STYLES[usize::from(b.style) % STYLES.len()]),
    );
    if let Some((bullet, level)) = b.list {
        map.insert(
            "listItem".into(),
            json!(if bullet { "bullet" } else { "number" }),
        );
        map.insert("level".into(), json!(level % 12));
    }
    let defs: Vec<Value> = b
        .links
        .iter()
        .enumerate()
        .map(|(i, href)| json!({"_type": "link", "_key": format!("l{i}"), "href": href}))
        .collect();
    let children: Vec<Value> = b
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut marks: Vec<String> = s
                .decorators
                .iter()
                .map(|d| DECORATORS[usize::from(*d) % DECORATORS.len()].to_string())
                .collect();
            if let Some(l) = s.link {
                // Sometimes points at a definition that does not exist.
                marks.push(format!("l{}", usize::from(l) % (b.links.len() + 1)));
            }
            json!({"_type": "span", "_key": format!("s{i}"), "text": s.text, "marks": marks})
        })
        .collect();
    map.insert("markDefs".into(), Value::Array(defs));
    map.insert("children".into(), Value::Array(children));
    Value::Object(map)
}

fn object(o: &Obj, index: usize) -> Value {
    let kind = OBJECT_TYPES[usize::from(o.kind) % OBJECT_TYPES.len()];
    let mut v = json!({"_type": kind, "_key": format!("o{index}")});
    let Some(map) = v.as_object_mut() else {
        return v;
    };
    match kind {
        "code" => {
            map.insert("code".into(), json!(o.text));
            if let Some(l) = &o.language {
                map.insert("language".into(), json!(l));
            }
        }
        "image" => {
            let asset = o
                .asset
                .clone()
                .unwrap_or_else(|| "image-abc123-800x600-png".into());
            map.insert("asset".into(), json!({"_ref": asset, "_type": "reference"}));
            map.insert("alt".into(), json!(o.text));
        }
        "table" => {
            let rows: Vec<Value> = o
                .rows
                .iter()
                .map(|cells| json!({"_type": "row", "cells": cells}))
                .collect();
            map.insert("rows".into(), Value::Array(rows));
        }
        _ => {
            map.insert("text".into(), json!(o.text));
            if let Some(u) = &o.url {
                map.insert("url".into(), json!(u));
            }
        }
    }
    v
}

fuzz_target!(|doc: Doc| {
    let blocks: Vec<Value> = doc
        .blocks
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Item::Block(b) => block(b, i),
            Item::Object(o) => object(o, i),
        })
        .collect();
    let value = if doc.as_document {
        json!({"_type": "post", "_id": "fuzz", "body": blocks})
    } else {
        Value::Array(blocks)
    };
    let sanity = SanityConfig {
        project_id: Some("fuzz1234".into()),
        dataset: Some("production".into()),
    };
    for format in FORMATS {
        let _ = render_value(&value, format, &sanity);
    }
    let json = value.to_string();
    if let Some(direct) = render_html_direct(&json, false) {
        let general = render_html_with(&json, &DefaultHtml);
        assert_eq!(Ok(&direct), general.as_ref(), "direct and general HTML differ");
    }
    // Plain words in a normal paragraph come through plain-text rendering unchanged.
    for item in &doc.blocks {
        if let Item::Block(b) = item {
            if b.style == 0 && b.list.is_none() {
                for s in &b.spans {
                    let t = s.text.trim();
                    if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()) {
                        if let Ok(text) = render_value(&value, Format::Text, &sanity) {
                            assert!(text.contains(t), "text {t:?} lost from {text:?}");
                        }
                    }
                }
            }
        }
    }
});
