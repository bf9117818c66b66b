//! Properties: redaction never leaks, classification is total, Retry-After never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use crosspost_core::classify::{check_status, parse_retry_after};
use crosspost_core::http::{PreparedRequest, Response, SECRET_HEADERS};
use crosspost_core::{Method, TaskError};
use proptest::prelude::*;

proptest! {
    #[test]
    fn redacted_requests_never_contain_secret_header_values(
        secret in "[A-Za-z0-9+/=_-]{8,64}",
        which in 0usize..SECRET_HEADERS.len(),
        upper in any::<bool>(),
    ) {
        let name = if upper { SECRET_HEADERS[which].to_ascii_uppercase() } else { SECRET_HEADERS[which].to_string() };
        let req = PreparedRequest::new(Method::Post, "https://example.com/x")
            .header("accept", "application/json")
            .header(name, format!("Bearer {secret}"))
            .json(serde_json::json!({"title": "t"}));
        let text = serde_json::to_string(&req.redacted()).unwrap();
        prop_assert!(!text.contains(&secret));
        prop_assert!(text.contains("application/json"));
    }

    #[test]
    fn every_status_has_a_class(status in 100u16..600, body in ".{0,400}") {
        let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        match check_status(&Response::new(status, body), now) {
            Ok(()) => prop_assert!((200..300).contains(&status)),
            Err(f) => {
                let e = f.into_task_error("x");
                prop_assert!(TaskError::NAMES.contains(&e.name()));
                let retryable = matches!(e.name(), "RateLimited" | "PlatformUnavailable" | "Conflict");
                prop_assert_eq!(retryable, status == 429 || status == 408 || status == 409 || !(200..500).contains(&status) || (300..400).contains(&status));
            }
        }
    }

    #[test]
    fn retry_after_never_panics(value in ".{0,64}") {
        let now = Utc::now();
        let _ = parse_retry_after(&value, now);
    }
}
