//! Portable Text (Sanity block content) to HTML, Markdown and plain text.
//!
//! Work in progress: the renderers land in the foundation issue.

use std::fmt;
use std::str::FromStr;

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
