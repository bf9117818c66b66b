//! Sanity webhook signatures.
//!
//! Header `sanity-webhook-signature: t=<unix ms>,v1=<sig>` where `sig` is
//! `base64url_nopad(HMAC-SHA256(secret, "<t>." + raw body))`. The check runs over the raw body
//! bytes, before anything parses them, and compares the MAC in constant time. Sanity's own
//! toolkit checks no age; we add a window on `t` (see [`verify`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header Sanity signs deliveries with.
pub const HEADER: &str = "sanity-webhook-signature";

/// Timestamps before 2021-01-01T00:00:00Z are not milliseconds (Sanity's toolkit rejects them).
pub const MIN_TIMESTAMP_MS: i64 = 1_609_459_200_000;

/// Why a signature was refused. Every variant maps to HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing `sanity-webhook-signature` header")]
    Missing,
    #[error("malformed `sanity-webhook-signature` header (expected `t=<unix ms>,v1=<signature>`)")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
    #[error(
        "signature timestamp is {age_seconds}s away from now (tolerance {tolerance_seconds}s)"
    )]
    Stale {
        age_seconds: i64,
        tolerance_seconds: u64,
    },
}

/// A parsed header: timestamp (ms) and the decoded MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSignature {
    pub timestamp_ms: i64,
    pub mac: Vec<u8>,
}

/// Parses `t=<digits>[, ]+v1=<sig>` (the toolkit's `^t=(\d+)[, ]+v1=([^, ]+)$`).
pub fn parse_header(header: &str) -> Result<ParsedSignature, SignatureError> {
    let rest = header.strip_prefix("t=").ok_or(SignatureError::Malformed)?;
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .ok_or(SignatureError::Malformed)?;
    let (digits, rest) = rest.split_at(digits_end);
    if digits.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if !rest.starts_with([',', ' ']) {
        return Err(SignatureError::Malformed);
    }
    let rest = rest.trim_start_matches([',', ' ']);
    let sig = rest.strip_prefix("v1=").ok_or(SignatureError::Malformed)?;
    if sig.is_empty() || sig.contains([',', ' ']) {
        return Err(SignatureError::Malformed);
    }
    let timestamp_ms: i64 = digits.parse().map_err(|_| SignatureError::Malformed)?;
    // A MAC that is not valid base64url cannot match; refuse it as a mismatch, not malformed,
    // so the answer does not tell a prober which part was wrong.
    let mac = URL_SAFE_NO_PAD
        .decode(sig.trim_end_matches('='))
        .map_err(|_| SignatureError::Mismatch)?;
    Ok(ParsedSignature { timestamp_ms, mac })
}

fn mac_of(secret: &[u8], timestamp_ms: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    mac.update(timestamp_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The header value Sanity would send for `body` at `timestamp_ms` (for tests and for
/// `crosspost` tools that sign sample deliveries).
pub fn sign(secret: &str, timestamp_ms: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp_ms},v1={}",
        URL_SAFE_NO_PAD.encode(mac_of(secret.as_bytes(), timestamp_ms, body))
    )
}

/// Checks the MAC only (no age window), like Sanity's toolkit.
pub fn verify_mac(secret: &str, header: &str, body: &[u8]) -> Result<i64, SignatureError> {
    let parsed = parse_header(header)?;
    if parsed.timestamp_ms < MIN_TIMESTAMP_MS {
        return Err(SignatureError::Malformed);
    }
    let expected = mac_of(secret.as_bytes(), parsed.timestamp_ms, body);
    if expected.len() == parsed.mac.len() && bool::from(expected.ct_eq(&parsed.mac)) {
        Ok(parsed.timestamp_ms)
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verifies a delivery: the header must be present and well formed, the MAC must match the raw
/// body, and `t` must lie within `tolerance_seconds` of `now_ms` (either side; Sanity retries
/// for up to 30 minutes, so the default window is an hour).
pub fn verify(
    secret: &str,
    header: Option<&str>,
    body: &[u8],
    now_ms: i64,
    tolerance_seconds: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let t = verify_mac(secret, header.trim(), body)?;
    let age_ms = now_ms.saturating_sub(t);
    let limit_ms = i64::try_from(tolerance_seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    if age_ms.abs() > limit_ms {
        return Err(SignatureError::Stale {
            age_seconds: age_ms / 1000,
            tolerance_seconds,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(header: &str, expected: Result<i64, SignatureError>) {
        assert_eq!(
            parse_header(header).map(|p| p.timestamp_ms),
            expected,
            "header {header:?}"
        );
    }

    #[test]
    fn header_shapes() {
        check_parse(
            "t=1633470609222,v1=7kTYPaw6SmCoN2VJzFL24oEjV-ac7lRwbljOkh7d13A",
            Ok(1633470609222),
        );
        check_parse(
            "t=1633470609222, v1=7kTYPaw6SmCoN2VJzFL24oEjV-ac7lRwbljOkh7d13A",
            Ok(1633470609222),
        );
        check_parse("t=1633470609222,v3=abc", Err(SignatureError::Malformed));
        check_parse("t=,v1=abc", Err(SignatureError::Malformed));
        check_parse("v1=abc,t=1", Err(SignatureError::Malformed));
        check_parse("t=1633470609222v1=abc", Err(SignatureError::Malformed));
        check_parse("t=1633470609222,v1=", Err(SignatureError::Malformed));
        check_parse("t=1633470609222,v1=a,b", Err(SignatureError::Malformed));
        check_parse("", Err(SignatureError::Malformed));
    }

    #[test]
    fn window_is_checked_both_ways() {
        let body = br#"{"_id":"a"}"#;
        let t = 1_700_000_000_000;
        let h = sign("s", t, body);
        assert_eq!(verify("s", Some(&h), body, t + 3_600_000, 3600), Ok(()));
        assert_eq!(
            verify("s", Some(&h), body, t + 3_601_000, 3600),
            Err(SignatureError::Stale {
                age_seconds: 3601,
                tolerance_seconds: 3600
            })
        );
        assert!(matches!(
            verify("s", Some(&h), body, t - 3_601_000, 3600),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            verify("s", None, body, t, 3600),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify("other", Some(&h), body, t, 3600),
            Err(SignatureError::Mismatch)
        );
    }
}
