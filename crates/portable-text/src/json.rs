//! Small JSON helpers: fast string extraction from raw JSON text, and a
//! re-formatter that prints JSON the way JavaScript's `JSON.stringify` does
//! (compact, or indented by two spaces), keeping the input's key order.
//!
//! Everything here is iterative, so deeply nested input cannot exhaust the
//! stack.

use std::borrow::Cow;

use crate::scan::find_json_stop;

/// Decodes a raw JSON value if it is a string. Borrows when the string has no
/// escape sequences (the common case), so no copy is made.
pub(crate) fn raw_str(raw: &str) -> Option<Cow<'_, str>> {
    let bytes = raw.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'"' {
        return None;
    }
    let inner = &raw[1..raw.len() - 1];
    if !inner.as_bytes().contains(&b'\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
}

/// Writes `s` as a JSON string literal: the bytes `JSON.stringify` and `serde_json` both
/// write for it (`"`, `\\` and control characters escaped, short forms where JSON has them).
pub fn write_json_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    write_json_escaped(s, out);
    out.push('"');
}

/// The inside of [`write_json_string`]: `s` escaped as in a JSON string, without quotes.
pub(crate) fn write_json_escaped(s: &str, out: &mut String) {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        let i = find_json_stop(b, start);
        out.push_str(&s[start..i]);
        let Some(&c) = b.get(i) else { break };
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c >> 4) as usize] as char);
                out.push(HEX[(c & 0xf) as usize] as char);
            }
        }
        start = i + 1;
    }
}

/// Formats a JSON number token the way JavaScript prints a `Number`.
pub(crate) fn write_js_number(token: &str, out: &mut String) {
    let simple_int = {
        let t = token.strip_prefix('-').unwrap_or(token);
        !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit())
    };
    if simple_int {
        if token == "-0" {
            out.push('0');
        } else {
            out.push_str(token);
        }
        return;
    }
    let Ok(v) = token.parse::<f64>() else {
        out.push_str(token);
        return;
    };
    write_js_f64(v, out);
}

fn write_js_f64(v: f64, out: &mut String) {
    if v == 0.0 {
        out.push('0');
        return;
    }
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7".
    let e = format!("{:e}", v.abs());
    let (mant, exp) = match e.split_once('e') {
        Some((m, x)) => (m, x.parse::<i32>().unwrap_or(0)),
        None => (e.as_str(), 0),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1; // position of the decimal point relative to the digits
    if v < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        for _ in 0..(n - k) {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..(-n) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        let e = n - 1;
        if e >= 0 {
            out.push('+');
        }
        out.push_str(&e.to_string());
    }
}

/// Re-prints valid JSON text like `JSON.stringify(value)` (indent 0) or
/// `JSON.stringify(value, null, 2)` (indent 2). Key order is kept.
pub(crate) fn js_stringify(json: &str, indent: usize, out: &mut String) {
    let b = json.as_bytes();
    let mut i = 0;
    let mut depth: usize = 0;
    // Whether the container just opened has had no element yet.
    let mut just_opened = false;
    let newline = |out: &mut String, depth: usize| {
        if indent > 0 {
            out.push('\n');
            for _ in 0..depth * indent {
                out.push(' ');
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
            }
            b'{' | b'[' => {
                if just_opened {
                    newline(out, depth);
                }
                out.push(c as char);
                depth += 1;
                just_opened = true;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if !just_opened {
                    newline(out, depth);
                }
                just_opened = false;
                out.push(c as char);
                i += 1;
            }
            b',' => {
                out.push(',');
                newline(out, depth);
                i += 1;
            }
            b':' => {
                out.push(':');
                if indent > 0 {
                    out.push(' ');
                }
                i += 1;
            }
            b'"' => {
                if just_opened {
                    newline(out, depth);
                    just_opened = false;
                }
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(b.len());
                let tok = &json[start..end];
                match raw_str(tok) {
                    Some(s) => write_json_string(&s, out),
                    None => out.push_str(tok),
                }
                i = end;
            }
            _ => {
                if just_opened {
                    newline(out, depth);
                    just_opened = false;
                }
                let start = i;
                while i < b.len()
                    && !matches!(
                        b[i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b':'
                    )
                {
                    i += 1;
                }
                let tok = &json[start..i];
                if tok.starts_with(|ch: char| ch == '-' || ch.is_ascii_digit()) {
                    write_js_number(tok, out);
                } else {
                    out.push_str(tok);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, and text made mostly of the bytes that need escaping.
        #[test]
        fn json_strings_are_what_serde_json_writes(s in prop_oneof![
            "(?s).{0,64}",
            "[\\x00-\\x20\"\\\\a\u{e9}\u{1f600}]{0,64}",
        ]) {
            let mut ours = String::new();
            write_json_string(&s, &mut ours);
            let theirs = serde_json::to_string(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(ours, theirs);
        }
    }

    fn pretty(s: &str, indent: usize) -> String {
        let mut out = String::new();
        js_stringify(s, indent, &mut out);
        out
    }

    #[test]
    fn stringify_matches_js_layout() {
        let cases: &[(&str, usize, &str)] = &[
            (r#"{"b":1,"a":[]}"#, 2, "{\n  \"b\": 1,\n  \"a\": []\n}"),
            (r#"{ "a" : { } }"#, 0, r#"{"a":{}}"#),
            (
                r#"[1,[2,{"x":"y"}]]"#,
                2,
                "[\n  1,\n  [\n    2,\n    {\n      \"x\": \"y\"\n    }\n  ]\n]",
            ),
            (r#""a\/b\u0041""#, 0, r#""a/bA""#),
            (
                r#"[1.0, -0, 1e21, 1e-7, 0.000001, 123456789012345678901]"#,
                0,
                "[1,0,1e+21,1e-7,0.000001,123456789012345680000]",
            ),
            (r#"["\u0001\b"]"#, 0, "[\"\\u0001\\b\"]"),
        ];
        for (input, indent, expected) in cases {
            assert_eq!(pretty(input, *indent), *expected, "input {input}");
        }
    }

    #[test]
    fn raw_str_borrows_or_decodes() {
        assert_eq!(raw_str(r#""abc""#).as_deref(), Some("abc"));
        assert!(matches!(raw_str(r#""abc""#), Some(Cow::Borrowed(_))));
        assert_eq!(raw_str(r#""a\nb""#).as_deref(), Some("a\nb"));
        assert_eq!(raw_str("12"), None);
    }
}
