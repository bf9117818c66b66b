//! Eight bytes at a time: word-wide byte tests for the escapers' scanning loops (ordinary
//! text has a space or other stop byte every few bytes, so byte-at-a-time loops branch
//! constantly).

/// A word with `byte` in each of its eight bytes.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

const LOW7: u64 = splat(0x7f);
const HIGH: u64 = splat(0x80);

/// The high bit of a word's last byte (the one next to the following word).
pub(crate) const LAST_BYTE: u64 = 0x80 << 56;

/// Eight bytes read as one little-endian word (byte 0 lowest), so the lowest set bit of
/// a test below belongs to the first matching byte. `chunk` holds exactly eight bytes.
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

/// The high bit of each byte of `w` that equals `byte` (exact: no false positives).
pub(crate) fn bytes_equal(w: u64, byte: u8) -> u64 {
    let x = w ^ splat(byte);
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The high bit of bytes of `w` below `limit` (at most 0x80), with only the lowest one
/// exact: a byte below the limit borrows from the next byte, which may then be flagged too.
/// Cheaper than [`bytes_below`] and [`bytes_equal`] where only the first match is used.
#[inline]
pub(crate) fn first_below(w: u64, limit: u8) -> u64 {
    w.wrapping_sub(splat(limit)) & !w & HIGH
}

/// The high bit of bytes of `w` equal to `byte`, with only the lowest one exact (see
/// [`first_below`]).
#[inline]
pub(crate) fn first_equal(w: u64, byte: u8) -> u64 {
    first_below(w ^ splat(byte), 1)
}

/// The bytes that end the plain part of a JSON string (`"`, `\` and control characters),
/// the lowest one exact.
#[inline]
pub(crate) fn json_string_stops(w: u64) -> u64 {
    first_below(w, 0x20) | first_equal(w, b'"') | first_equal(w, b'\\')
}

/// Whether `test` flags any of the first 16 bytes of `window` (17 bytes long), where
/// `test(byte, next)` sees each byte and the one after it. Written as a fixed-size loop that
/// ORs into 16 lanes, which the compiler turns into vector instructions (SSE2 or NEON, part
/// of every x86-64 and AArch64 target): on spans of a hundred bytes about three times faster
/// than the word-at-a-time tests above, in safe code.
#[inline(always)]
fn any16(window: &[u8], test: impl Fn(u8, u8) -> u8) -> bool {
    let (Some(w), Some(next)) = (window.get(..16), window.get(1..17)) else {
        return false;
    };
    let mut lanes = [0u8; 16];
    for k in 0..16 {
        lanes[k] = test(w[k], next[k]);
    }
    u128::from_le_bytes(lanes) != 0
}

/// Whether `test(byte, next)` is non-zero for any byte of `b` (`next` is 0 after the last
/// byte), sixteen bytes at a time (see [`any16`]), the last window overlapping the one
/// before so that no byte is left to a byte-wise loop.
#[inline(always)]
pub(crate) fn any_byte(b: &[u8], test: impl Fn(u8, u8) -> u8 + Copy) -> bool {
    let n = b.len();
    if n < 17 {
        return (0..n).any(|k| test(b[k], b.get(k + 1).copied().unwrap_or(0)) != 0);
    }
    let mut i = 0;
    while let Some(window) = b.get(i..i + 17) {
        if any16(window, test) {
            return true;
        }
        i += 16;
    }
    // Bytes n - 17 to n - 2 with their next byte, then the last one.
    any16(&b[n - 17..], test) || test(b[n - 1], 0) != 0
}

/// Index of the first byte at or after `i` that `stop` (a word test) flags, or `b.len()`;
/// the tail shorter than a word goes through `stop_byte`.
pub(crate) fn find(
    b: &[u8],
    mut i: usize,
    stop: impl Fn(u64) -> u64,
    stop_byte: impl Fn(u8) -> bool,
) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let hits = stop(word(chunk));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !stop_byte(b[i]) {
        i += 1;
    }
    i
}

/// The lines of `s` split at each `\n` (like `str::split('\n')`, found with a vectorised
/// search: span text is split into lines on every render).
pub(crate) fn lines(s: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', s.as_bytes())
        .chain([s.len()])
        .map(move |end| {
            // `\n` is one byte, so both ends are character boundaries.
            let line = s.get(start..end).unwrap_or("");
            start = end + 1;
            line
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lines_split_like_str_split(s in "[a\n\u{e9}]{0,12}") {
            prop_assert_eq!(lines(&s).collect::<Vec<_>>(), s.split('\n').collect::<Vec<_>>());
        }

        #[test]
        fn first_match_tests_find_the_first_match(bytes in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'"'), Just(b'\\'), Just(0u8), Just(b' ')], 8), byte in any::<u8>(), limit in 0u8..=0x80) {
            let w = word(&bytes);
            let first = |hits: u64| (hits != 0).then(|| hits.trailing_zeros() as usize / 8);
            prop_assert_eq!(first(first_equal(w, byte)), bytes.iter().position(|b| *b == byte));
            prop_assert_eq!(first(first_below(w, limit)), bytes.iter().position(|b| *b < limit));
            prop_assert_eq!(
                first(json_string_stops(w)),
                bytes.iter().position(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
            );
        }

        #[test]
        fn any_byte_sees_every_byte_and_the_next(bytes in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b' '), Just(b'&')], 0..60)) {
            let test = |c: u8, next: u8| u8::from(c == b'&') | (u8::from(c == b' ') & u8::from(next == b' '));
            let expected = bytes.iter().enumerate().any(|(k, &c)| test(c, bytes.get(k + 1).copied().unwrap_or(0)) != 0);
            prop_assert_eq!(any_byte(&bytes, test), expected);
        }

        #[test]
        fn word_tests_match_byte_tests(bytes in proptest::collection::vec(any::<u8>(), 8), byte in any::<u8>()) {
            let w = word(&bytes);
            for (k, b) in bytes.iter().enumerate() {
                prop_assert_eq!(bytes_equal(w, byte) >> (8 * k + 7) & 1 == 1, *b == byte);
            }
        }
    }
}
