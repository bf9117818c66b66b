//! Plain text for search indexing and descriptions.
//!
//! Text blocks give their span text (an inline object between two spans
//! counts as a space, like the toolkit's `toPlainText`); consecutive list
//! items are separated by one newline, everything else by a blank line.
//! Sanity `code` blocks give their code, `image` blocks their alt text and
//! caption; other objects are left out.

use crate::model::Entry;
use crate::node::{classify, span_view, Node};
use crate::Error;

pub(crate) fn render(entries: &[Entry<'_>], out: &mut String) -> Result<(), Error> {
    let mut prev_list = false;
    let mut first = true;
    let mut buf = String::new();
    for e in entries {
        buf.clear();
        let n = classify(e);
        let is_list = matches!(n, Node::Block(b) if b.is_list_item());
        match n {
            Node::Block(b) => {
                let mut pad = false;
                for c in b.children {
                    match span_view(c) {
                        Some(s) => {
                            if pad
                                && !buf.is_empty()
                                && !buf.ends_with(char::is_whitespace)
                                && !s.text.starts_with(char::is_whitespace)
                            {
                                buf.push(' ');
                            }
                            buf.push_str(&s.text);
                            pad = false;
                        }
                        None => pad = true,
                    }
                }
            }
            Node::Custom(o) => match o.str_ref("_type") {
                Some("code") => {
                    if let Some(code) = o.str("code") {
                        buf.push_str(code.trim_end_matches(['\n', '\r']));
                    }
                }
                Some("image") => {
                    let alt = o.str("alt").unwrap_or_default();
                    let caption = o.str("caption").unwrap_or_default();
                    buf.push_str(alt.trim());
                    if !caption.trim().is_empty() && caption.trim() != alt.trim() {
                        if !buf.is_empty() {
                            buf.push('\n');
                        }
                        buf.push_str(caption.trim());
                    }
                }
                _ => {}
            },
            Node::Invalid(_) => {}
        }
        if buf.trim().is_empty() {
            continue;
        }
        if !first {
            out.push_str(if prev_list && is_list { "\n" } else { "\n\n" });
        }
        out.push_str(&buf);
        first = false;
        prev_list = is_list;
    }
    Ok(())
}
