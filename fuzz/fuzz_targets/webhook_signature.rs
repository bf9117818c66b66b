//! The `sanity-webhook-signature` header: the first line of the fuzz bytes is the header,
//! the rest the body. Parsing and verification must return Ok or an error, never panic;
//! a header made by `sign` for the same body must always verify.
#![no_main]

use initiator::signature::{parse_header, sign, verify, MIN_TIMESTAMP_MS};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-secret";
const NOW_MS: i64 = 1_740_000_000_000;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let header = String::from_utf8_lossy(header);
    let _ = parse_header(&header);
    let _ = verify(SECRET, Some(&header), body, NOW_MS, 3600);
    let _ = verify(SECRET, Some(&header), body, i64::MIN, u64::MAX);
    let _ = verify(SECRET, Some(&header), body, i64::MAX, 0);

    let t = MIN_TIMESTAMP_MS + i64::try_from(body.len()).unwrap_or(0);
    let signed = sign(SECRET, t, body);
    assert_eq!(verify(SECRET, Some(&signed), body, t, 0), Ok(()), "{signed}");
    if let Ok(parsed) = parse_header(&signed) {
        assert_eq!(parsed.timestamp_ms, t);
    } else {
        panic!("own header does not parse: {signed}");
    }
});
