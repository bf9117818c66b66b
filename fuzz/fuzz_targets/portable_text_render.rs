//! Any text as Portable Text JSON, rendered in every format: each call must return Ok or
//! an error, never panic or run away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portable_text::{render_str, Format, SanityConfig};

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
});
