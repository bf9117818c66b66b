//! A JSON lexer over borrowed bytes, checking as strictly as serde does: the shared ground
//! of the model's fast parser (`model/fast.rs`) and the direct HTML path (`html/direct.rs`).
//!
//! Everything returns `None` where the input is not well-formed JSON or not of a shape the
//! caller handles itself; the callers then leave the input to the serde-based parser, which
//! reports the error with its line and column. Values that are skipped are skipped with an
//! explicit stack, so nesting depth costs heap, not stack.

use crate::scan::{chunk16, find_json_stop, lanes};

/// A position in a JSON text.
pub(crate) struct Lexer<'a> {
    pub(crate) s: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
    /// Closing brackets of the raw value being skipped.
    stack: Vec<u8>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(json: &'a str) -> Self {
        Self::with_stack(json, Vec::new())
    }

    /// A lexer whose skipping stack reuses `stack`'s allocation (see [`Self::into_stack`]).
    pub(crate) fn with_stack(json: &'a str, mut stack: Vec<u8>) -> Self {
        stack.clear();
        Lexer {
            s: json,
            b: json.as_bytes(),
            i: 0,
            stack,
        }
    }

    /// The skipping stack, for the next lexer to reuse.
    pub(crate) fn into_stack(self) -> Vec<u8> {
        self.stack
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Skips JSON whitespace.
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Consumes `c` after optional whitespace.
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.peek()? != c {
            return None;
        }
        self.i += 1;
        Some(())
    }

    /// A string (`"` at the current position): its text between the quotes, undecoded, and
    /// whether it has escape sequences. Checks what JSON requires: no control characters,
    /// only the defined escapes, four hex digits after `\u`.
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Option<(&'a str, bool)> {
        let b = self.b;
        if b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i + 1;
        // Most strings (keys, `_key`s, type names, short text) end within sixteen bytes.
        let Some(chunk) = chunk16(b, start) else {
            return self.string_rest(start, start);
        };
        let hits = lanes::json_stops(chunk);
        if hits == 0 {
            return self.string_rest(start, start + 16);
        }
        let pos = hits.trailing_zeros() as usize;
        let end = start + pos;
        if chunk[pos] == b'"' {
            self.i = end + 1;
            return Some((self.s.get(start..end)?, false));
        }
        self.string_rest(start, end)
    }

    /// [`Self::string`] for the string whose text starts at `start`, from `from` on (kept out
    /// of line, so that the two-word check inlines where strings are read).
    #[inline(never)]
    fn string_rest(&mut self, start: usize, from: usize) -> Option<(&'a str, bool)> {
        let mut k = from;
        let mut escaped = false;
        loop {
            k = find_json_stop(self.b, k);
            match self.b.get(k)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match self.b.get(k + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => k += 2,
                        b'u' => {
                            let hex = self.b.get(k + 2..k + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            k += 6;
                        }
                        _ => return None,
                    }
                }
                // A control character.
                _ => return None,
            }
        }
        self.i = k + 1;
        Some((self.s.get(start..k)?, escaped))
    }

    /// Skips one value of any kind, checking it as strictly as serde does.
    pub(crate) fn skip_value(&mut self) -> Option<()> {
        // Most skipped values are strings (`_key`s).
        if self.peek()? == b'"' {
            return self.string().map(drop);
        }
        self.stack.clear();
        loop {
            self.ws();
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                open @ (b'{' | b'[') => {
                    self.i += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        self.stack.push(close);
                        if close == b'}' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // A value is complete: close every container it completes.
            loop {
                let Some(&close) = self.stack.last() else {
                    return Some(());
                };
                self.ws();
                let c = self.peek()?;
                self.i += 1;
                if c == close {
                    self.stack.pop();
                } else if c == b',' {
                    if close == b'}' {
                        self.key()?;
                    }
                    break;
                } else {
                    return None;
                }
            }
        }
    }

    /// An object key and its colon, inside a skipped value.
    pub(crate) fn key(&mut self) -> Option<()> {
        self.ws();
        self.string()?;
        self.eat(b':')
    }

    pub(crate) fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? != word {
            return None;
        }
        self.i += word.len();
        Some(())
    }

    /// A number by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    /// (what follows it, such as the digit of "01", is checked by the caller).
    pub(crate) fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    pub(crate) fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    /// One or more digits.
    pub(crate) fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }
}

/// The character a two-byte escape sequence (`\\` and `byte`) stands for; `None` for `u`
/// (four hex digits follow) and for anything that is not an escape.
fn short_escape(byte: u8) -> Option<char> {
    Some(match byte {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// Decodes the text of a string with escape sequences, except `\u` (the serde path decodes
/// those, and rejects the lone surrogates that JSON allows to be written).
pub(crate) fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        out.push(short_escape(*rest.as_bytes().get(at + 1)?)?);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// Decodes the text of a string with escape sequences into `out`, `\u` escapes included
/// (a surrogate pair is one character). `None` for a lone surrogate, which serde rejects.
pub(crate) fn decode(text: &str, out: &mut String) -> Option<()> {
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let esc = rest.as_bytes().get(at + 1)?;
        rest = &rest[at + 2..];
        let c = match esc {
            b'u' => {
                let high = hex4(rest)?;
                rest = &rest[4..];
                if (0xd800..0xdc00).contains(&high) {
                    let low = hex4(rest.strip_prefix("\\u")?)?;
                    if !(0xdc00..0xe000).contains(&low) {
                        return None;
                    }
                    rest = &rest[6..];
                    char::from_u32(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00))?
                } else {
                    char::from_u32(high)?
                }
            }
            &other => short_escape(other)?,
        };
        out.push(c);
    }
    out.push_str(rest);
    Some(())
}

/// The value of four hex digits at the start of `s`.
fn hex4(s: &str) -> Option<u32> {
    let digits = s.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}
