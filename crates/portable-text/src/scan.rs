//! Eight bytes at a time: word-wide byte tests for the escapers' scanning loops (ordinary
//! text has a space or other stop byte every few bytes, so byte-at-a-time loops branch
//! constantly).

/// A word with `byte` in each of its eight bytes.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

const LOW7: u64 = splat(0x7f);
const HIGH: u64 = splat(0x80);

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

/// Sixteen bytes at a time, as bit masks (bit `k` for byte `k`): on x86-64 SSE2 compares
/// and `pmovmskb` through `safe_arch` (safe wrappers of the intrinsics; SSE2 is part of every
/// x86-64 target), elsewhere [`bytewise`]. A mask gives the first match's position in one
/// `trailing_zeros`, where the word tests above need a test per eight bytes (and the
/// compiler's own vectorisation of a fixed-size loop only tells whether there is one).
#[cfg(target_arch = "x86_64")]
pub(crate) mod lanes {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    #[inline(always)]
    fn eq(v: m128i, byte: u8) -> m128i {
        cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(byte as i8))
    }

    #[inline(always)]
    fn mask(v: m128i) -> u32 {
        move_mask_i8_m128i(v) as u32
    }

    /// The bytes that end the plain part of a JSON string: `"`, `\` and control characters.
    #[inline(always)]
    pub(crate) fn json_stops(chunk: &[u8; 16]) -> u32 {
        let v = load_unaligned_m128i(chunk);
        // `min(v, 0x1f) == v` is `v <= 0x1f` for unsigned bytes.
        let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, set_splat_i8_m128i(0x1f)), v);
        mask(eq(v, b'"') | eq(v, b'\\') | control)
    }

    /// The bytes HTML escaping replaces (`&<>"'`), and the spaces.
    #[inline(always)]
    pub(crate) fn html_stops(chunk: &[u8; 16]) -> (u32, u32) {
        let v = load_unaligned_m128i(chunk);
        let special = eq(v, b'&') | eq(v, b'<') | eq(v, b'>') | eq(v, b'"') | eq(v, b'\'');
        (mask(special), mask(eq(v, b' ')))
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(crate) use bytewise as lanes;

/// [`lanes`] one byte at a time: the other targets' version, and the reference its tests
/// hold the vector one to.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(crate) mod bytewise {
    fn mask(chunk: &[u8; 16], test: impl Fn(u8) -> bool) -> u32 {
        let mut m = 0;
        for (k, &c) in chunk.iter().enumerate() {
            m |= u32::from(test(c)) << k;
        }
        m
    }

    pub(crate) fn json_stops(chunk: &[u8; 16]) -> u32 {
        mask(chunk, |c| c < 0x20 || c == b'"' || c == b'\\')
    }

    pub(crate) fn html_stops(chunk: &[u8; 16]) -> (u32, u32) {
        (
            mask(chunk, |c| matches!(c, b'&' | b'<' | b'>' | b'"' | b'\'')),
            mask(chunk, |c| c == b' '),
        )
    }
}

/// The sixteen bytes of `b` at `i`, if there are that many.
#[inline(always)]
pub(crate) fn chunk16(b: &[u8], i: usize) -> Option<&[u8; 16]> {
    b.get(i..)?.first_chunk::<16>()
}

/// Index of the first byte at or after `i` that ends the plain part of a JSON string (`"`,
/// `\` or a control character), or `b.len()`. Sixteen bytes at a time; the last chunk
/// overlaps the one before.
#[inline]
pub(crate) fn find_json_stop(b: &[u8], mut i: usize) -> usize {
    let n = b.len();
    if n < 16 {
        return find(b, i, json_string_stops, |c| {
            c < 0x20 || c == b'"' || c == b'\\'
        });
    }
    while i < n {
        let start = i.min(n - 16);
        let Some(chunk) = chunk16(b, start) else {
            break;
        };
        let hits = lanes::json_stops(chunk) >> (i - start);
        if hits != 0 {
            return i + hits.trailing_zeros() as usize;
        }
        i = start + 16;
    }
    n
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
        fn lane_masks_match_byte_tests(bytes in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'"'), Just(b'\\'), Just(b' '), Just(b'&'), Just(b'\''), Just(0x1f), Just(0x20)], 16)) {
            let chunk: &[u8; 16] = bytes.as_slice().try_into().unwrap();
            prop_assert_eq!(lanes::json_stops(chunk), bytewise::json_stops(chunk));
            prop_assert_eq!(lanes::html_stops(chunk), bytewise::html_stops(chunk));
            for (k, &c) in bytes.iter().enumerate() {
                prop_assert_eq!(bytewise::json_stops(chunk) >> k & 1 == 1, c < 0x20 || c == b'"' || c == b'\\');
            }
        }

        #[test]
        fn find_json_stop_finds_the_first_stop(bytes in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'"'), Just(b'\\'), Just(b'\n'), Just(0xc3u8)], 0..70), from in 0usize..70) {
            let from = from.min(bytes.len());
            let expected = bytes[from..].iter().position(|&c| c < 0x20 || c == b'"' || c == b'\\').map_or(bytes.len(), |p| from + p);
            prop_assert_eq!(find_json_stop(&bytes, from), expected);
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
