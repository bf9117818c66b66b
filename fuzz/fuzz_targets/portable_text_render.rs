//! Any text as Portable Text JSON, rendered in every format: each call must return Ok or
//! an error, never panic or run away. Wherever the direct HTML path answers, its answer is the
//! general path's, in both of its forms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portable_text::{
    render_html_direct, render_html_with, render_str, write_json_string, DefaultHtml, Format,
    SanityConfig,
};

const FORMATS: [Format; 6] = [
    Format::Html,
    Format::Markdown,
    Format::Text,
    Format::Devto,
    Format::Hashnode,
    Format::Medium,
];

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let sanity = SanityConfig::default();
    for format in FORMATS {
        let _ = render_str(input, format, &sanity);
    }
    if let Some(direct) = render_html_direct(input, false) {
        let general = render_html_with(input, &DefaultHtml);
        assert_eq!(Ok(&direct), general.as_ref(), "direct and general HTML differ");
        let mut literal = String::new();
        write_json_string(&direct, &mut literal);
        let inside = render_html_direct(input, true);
        assert_eq!(inside.as_deref(), Some(&literal[1..literal.len() - 1]));
    }
});
