//! The published Sanity signature vectors (tests/fixtures/sanity-webhook-vectors.json).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use initiator::signature::{parse_header, sign, verify, verify_mac, SignatureError};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("fixtures/sanity-webhook-vectors.json")).unwrap()
}

#[test]
fn every_vector_gets_the_toolkits_verdict() {
    let v = vectors();
    let cases = v["vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let secret = case["secret"].as_str().unwrap();
        let payload = case["payload"].as_str().unwrap();
        let header = case["header"].as_str().unwrap();
        let valid = case["valid"].as_bool().unwrap();
        let got = verify_mac(secret, header, payload.as_bytes());
        assert_eq!(got.is_ok(), valid, "vector {name}: {got:?}");
        if let Some(t) = case.get("timestamp_ms").and_then(Value::as_i64) {
            assert_eq!(sign(secret, t, payload.as_bytes()), header, "vector {name}");
        }
    }
}

#[test]
fn decode_vectors() {
    let v = vectors();
    for case in v["decode_vectors"].as_array().unwrap() {
        let header = case["header"].as_str().unwrap();
        match case.get("timestamp_ms").and_then(Value::as_i64) {
            Some(t) => {
                let parsed = parse_header(header).unwrap();
                assert_eq!(parsed.timestamp_ms, t);
                let hashed = case["hashed_payload"].as_str().unwrap();
                use base64::Engine;
                let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(hashed)
                    .unwrap();
                assert_eq!(parsed.mac, expected);
            }
            None => assert_eq!(parse_header(header), Err(SignatureError::Malformed)),
        }
    }
}

#[test]
fn vectors_are_stale_under_the_default_window() {
    // The vectors' timestamps are from 2021: a correct MAC, but far outside one hour.
    let v = vectors();
    let case = &v["vectors"][0];
    let now_ms = 1_700_000_000_000;
    let got = verify(
        case["secret"].as_str().unwrap(),
        case["header"].as_str(),
        case["payload"].as_str().unwrap().as_bytes(),
        now_ms,
        3600,
    );
    assert!(matches!(got, Err(SignatureError::Stale { .. })), "{got:?}");
    // Inside the window the same header is accepted.
    let t = 1_633_519_811_129;
    assert_eq!(
        verify(
            case["secret"].as_str().unwrap(),
            case["header"].as_str(),
            case["payload"].as_str().unwrap().as_bytes(),
            t + 60_000,
            3600,
        ),
        Ok(())
    );
}
