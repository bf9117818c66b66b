//! Portable Text (Sanity block content) to HTML, Markdown and plain text.
//!
//! - [`Format::Html`] is byte-identical to `@portabletext/to-html` 6 with default options.
//! - [`Format::Markdown`] follows `@portabletext/markdown` 2.2 with default options
//!   (deviations are listed in the crate README).
//! - [`Format::Text`] is plain text for search indexing.
//! - [`Format::Devto`], [`Format::Hashnode`] and [`Format::Medium`] are platform
//!   profiles that understand Sanity conventions (code blocks, images, embeds).
//!
//! Input is parsed in one pass with borrowed strings; rendering writes into one
//! pre-sized `String`. Nothing recurses on input depth, so hostile input cannot
//! overflow the stack.

#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

pub mod html;
mod json;
mod lex;
pub mod markdown;
mod markdown_escape;
pub mod model;
pub mod node;
pub mod profiles;
mod reuse;
pub mod sanity;
mod scan;
pub mod text;
mod tree;

use html::direct::Output;
pub use html::{DefaultHtml, HtmlComponents};
pub use json::write_json_string;
pub use markdown::{DefaultMarkdown, MarkdownComponents};
pub use model::{Entry, Object, Value};
pub use node::{Block, Node};
pub use sanity::{image_url, SanityConfig};
pub use tree::Mark;

/// Rendering errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The input is not valid JSON, or not a Portable Text shape at the top.
    #[error("invalid Portable Text JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What went wrong.
        message: String,
    },
    /// A list item's `level` would need more nested lists than allowed.
    #[error("block {index}: list level {level} needs more nested lists than the limit of {max}", max = tree::MAX_LISTS)]
    TooDeep {
        /// 0-based index of the block in the array.
        index: usize,
        /// The block's `level`.
        level: f64,
    },
    /// An element of the Portable Text array is not an object.
    #[error("element {index} of the Portable Text array is not an object (found `{found}`)")]
    NotAnObject {
        /// 0-based index in the array.
        index: usize,
        /// The value, abbreviated.
        found: String,
    },
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(p) => full[..p].to_owned(),
            None => full,
        };
        Error::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

/// null, false, 0 and "" entries are skipped (the toolkit skips falsy entries).
pub(crate) fn is_skippable(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Bool(b) => !b,
        serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
        serde_json::Value::String(s) => s.is_empty(),
        _ => false,
    }
}

pub(crate) fn not_an_object(index: usize, v: &serde_json::Value) -> Error {
    let mut found = v.to_string();
    if found.len() > 40 {
        let mut cut = 40;
        while !found.is_char_boundary(cut) {
            cut -= 1;
        }
        found.truncate(cut);
        found.push('…');
    }
    Error::NotAnObject { index, found }
}

/// Renders Portable Text given as JSON text: an array of blocks, a single
/// block, or a Sanity document (its `body` is rendered).
pub fn render_str(json: &str, format: Format, sanity: &SanityConfig) -> Result<String, Error> {
    let mut out = String::with_capacity(json.len() / 2 + 64);
    render_into(json, format, sanity, &mut out)?;
    Ok(out)
}

/// Like [`render_str`], appending to `out` (lets bulk callers reuse one buffer).
/// On error `out` may hold part of the output.
pub fn render_into(
    json: &str,
    format: Format,
    sanity: &SanityConfig,
    out: &mut String,
) -> Result<(), Error> {
    out.reserve(json.len() / 2 + 64);
    // Default HTML is written straight from the JSON where the input allows (see
    // `html/direct.rs`); everything else goes through the model.
    if format == Format::Html && html::render_default_direct(json, Output::Html, out) {
        return Ok(());
    }
    let input = model::parse(json)?;
    render_entries(&input.entries, format, sanity, out)
}

/// Like [`render_into`], but appends the output as a JSON string literal, the bytes
/// [`write_json_string`] writes for it: one line of an NDJSON answer. `scratch` is working
/// space that a bulk caller keeps from call to call. On error `out` may hold part of the
/// output.
pub fn render_json_into(
    json: &str,
    format: Format,
    sanity: &SanityConfig,
    out: &mut String,
    scratch: &mut String,
) -> Result<(), Error> {
    if format == Format::Html {
        // The HTML is escaped for the string as it is written.
        out.reserve(json.len() / 2 + 64);
        out.push('"');
        if html::render_default_direct(json, Output::JsonString, out) {
            out.push('"');
            return Ok(());
        }
        out.pop();
    }
    scratch.clear();
    render_into(json, format, sanity, scratch)?;
    write_json_string(scratch, out);
    Ok(())
}

/// HTML with the default components through the direct path alone: `None` where that path
/// leaves the input to the general renderer (see the crate README, "Performance"); with
/// `json_string`, escaped as the inside of a JSON string. For tests and benchmarks that
/// compare the two paths; [`render_str`] and [`render_json_into`] pick the path themselves.
#[doc(hidden)]
pub fn render_html_direct(json: &str, json_string: bool) -> Option<String> {
    let output = if json_string {
        Output::JsonString
    } else {
        Output::Html
    };
    let mut out = String::new();
    html::render_default_direct(json, output, &mut out).then_some(out)
}

/// Renders a Portable Text value (see [`render_str`]).
pub fn render_value(
    value: &serde_json::Value,
    format: Format,
    sanity: &SanityConfig,
) -> Result<String, Error> {
    let json = serde_json::to_string(value)?;
    render_str(&json, format, sanity)
}

/// Renders parsed entries in `format`, appending to `out`.
pub fn render_entries(
    entries: &[Entry<'_>],
    format: Format,
    sanity: &SanityConfig,
    out: &mut String,
) -> Result<(), Error> {
    match format {
        Format::Html => html::render(entries, &DefaultHtml, out),
        Format::Markdown => markdown::render(entries, &DefaultMarkdown, out),
        Format::Text => text::render(entries, out),
        Format::Devto => markdown::render(entries, &profiles::Devto::new(sanity), out),
        Format::Hashnode => markdown::render(entries, &profiles::Hashnode::new(sanity), out),
        Format::Medium => html::render(entries, &profiles::Medium::new(sanity), out),
    }
}

/// Renders with custom HTML components.
pub fn render_html_with<C: HtmlComponents + ?Sized>(
    json: &str,
    components: &C,
) -> Result<String, Error> {
    let input = model::parse(json)?;
    let mut out = String::with_capacity(json.len() / 2 + 64);
    html::render(&input.entries, components, &mut out)?;
    Ok(out)
}

/// Renders with custom Markdown components.
pub fn render_markdown_with<C: MarkdownComponents + ?Sized>(
    json: &str,
    components: &C,
) -> Result<String, Error> {
    let input = model::parse(json)?;
    let mut out = String::with_capacity(json.len() / 2 + 64);
    markdown::render(&input.entries, components, &mut out)?;
    Ok(out)
}

/// The output formats and platform profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// HTML, byte-identical to `@portabletext/to-html` with default options.
    Html,
    /// Markdown, matching `@portabletext/markdown` with default options.
    Markdown,
    /// Plain text (search indexing, descriptions).
    Text,
    /// Dev.to Markdown (liquid tags for embeds).
    Devto,
    /// Hashnode Markdown (`%[url]` embeds).
    Hashnode,
    /// Medium HTML (only the markup Medium keeps).
    Medium,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "html" => Format::Html,
            "markdown" | "md" => Format::Markdown,
            "text" | "plain" => Format::Text,
            "devto" => Format::Devto,
            "hashnode" => Format::Hashnode,
            "medium" => Format::Medium,
            other => return Err(format!("unknown format `{other}` (expected html, markdown, text, devto, hashnode or medium)")),
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Devto => "devto",
            Format::Hashnode => "hashnode",
            Format::Medium => "medium",
        })
    }
}
