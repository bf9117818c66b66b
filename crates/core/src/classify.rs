//! HTTP response classification: which answers are retryable, and under which error name.
//!
//! | answer | failure | task error name |
//! |---|---|---|
//! | 2xx | — | — |
//! | 429 | [`Failure::RateLimited`] (with `Retry-After`, seconds or HTTP-date) | `RateLimited` |
//! | 408, 5xx, timeout, connection error | [`Failure::Unavailable`] | `PlatformUnavailable` |
//! | 401, 403 | [`Failure::Unauthorized`] | `Unauthorized` |
//! | 409 | [`Failure::Conflict`] | `Conflict` |
//! | other 4xx | [`Failure::Rejected`] | `InvalidArticle` |
//! | 1xx/3xx (not followed) | [`Failure::Unavailable`] | `PlatformUnavailable` |
//!
//! A target inspects a [`Failure`] before turning it into a [`TaskError`] when a status means
//! something special for it (Dev.to's 422 "canonical url has already been taken" → adopt;
//! OpenSearch's 404 on delete → already gone).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::TaskError;
use crate::http::{Response, TransportError};

/// Longest excerpt of a response body kept in an error message.
const DETAIL_LIMIT: usize = 300;

/// A request that did not succeed, before it is attributed to a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    RateLimited {
        retry_after: Option<Duration>,
    },
    Unavailable {
        detail: String,
    },
    Unauthorized {
        status: u16,
        detail: String,
    },
    Conflict {
        status: u16,
        detail: String,
    },
    Rejected {
        status: u16,
        detail: String,
    },
    /// A success status with a body we cannot read.
    BadResponse {
        status: u16,
        detail: String,
    },
    /// The request could not even be built (bad URL from configuration).
    Misconfigured {
        detail: String,
    },
}

impl Failure {
    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::RateLimited { .. } => Some(429),
            Failure::Unauthorized { status, .. }
            | Failure::Conflict { status, .. }
            | Failure::Rejected { status, .. }
            | Failure::BadResponse { status, .. } => Some(*status),
            Failure::Unavailable { .. } | Failure::Misconfigured { .. } => None,
        }
    }

    /// The failure's text (platform message or transport error).
    pub fn detail(&self) -> String {
        match self {
            Failure::RateLimited { retry_after } => match retry_after {
                Some(d) => format!("rate limited, retry after {}s", d.as_secs()),
                None => "rate limited".to_string(),
            },
            Failure::Unavailable { detail }
            | Failure::Unauthorized { detail, .. }
            | Failure::Conflict { detail, .. }
            | Failure::Rejected { detail, .. }
            | Failure::BadResponse { detail, .. }
            | Failure::Misconfigured { detail } => detail.clone(),
        }
    }

    /// The task error the state machine sees.
    pub fn into_task_error(self, platform: &str) -> TaskError {
        let platform = platform.to_string();
        match self {
            Failure::RateLimited { retry_after } => TaskError::RateLimited {
                platform,
                retry_after,
            },
            Failure::Unavailable { detail } => TaskError::PlatformUnavailable { platform, detail },
            Failure::BadResponse { status, detail } => TaskError::PlatformUnavailable {
                platform,
                detail: format!("HTTP {status}: {detail}"),
            },
            Failure::Unauthorized { status, detail } => TaskError::Unauthorized {
                platform,
                detail: format!("HTTP {status}: {detail}"),
            },
            Failure::Conflict { status, detail } => {
                TaskError::Conflict(format!("{platform} answered HTTP {status}: {detail}"))
            }
            Failure::Rejected { status, detail } => {
                TaskError::InvalidArticle(format!("{platform} answered HTTP {status}: {detail}"))
            }
            Failure::Misconfigured { detail } => {
                TaskError::Misconfigured(format!("{platform}: {detail}"))
            }
        }
    }
}

/// Classifies an answer by status: `Ok(())` for 2xx, otherwise the [`Failure`]. `now` is used
/// to turn an HTTP-date `Retry-After` into a delay.
pub fn check_status(response: &Response, now: DateTime<Utc>) -> Result<(), Failure> {
    let status = response.status;
    let detail = || excerpt(&response.body);
    match status {
        200..=299 => Ok(()),
        429 => Err(Failure::RateLimited {
            retry_after: response
                .header_value("retry-after")
                .and_then(|v| parse_retry_after(v, now)),
        }),
        401 | 403 => Err(Failure::Unauthorized {
            status,
            detail: detail(),
        }),
        409 => Err(Failure::Conflict {
            status,
            detail: detail(),
        }),
        408 => Err(Failure::Unavailable {
            detail: format!("HTTP 408: {}", detail()),
        }),
        400..=499 => Err(Failure::Rejected {
            status,
            detail: detail(),
        }),
        _ => Err(Failure::Unavailable {
            detail: format!("HTTP {status}: {}", detail()),
        }),
    }
}

/// A request that got no answer: timeouts and connection errors are retryable.
pub fn transport_failure(e: TransportError) -> Failure {
    match e {
        TransportError::Build(detail) => Failure::Misconfigured { detail },
        other => Failure::Unavailable {
            detail: other.to_string(),
        },
    }
}

/// `Retry-After` as a delay: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). A date
/// in the past means "now" (zero). Unparsable values are ignored (`None`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| parse_obsolete_http_date(value))?;
    let delta = when.signed_duration_since(now);
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The two obsolete HTTP-date forms recipients must accept: RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
fn parse_obsolete_http_date(value: &str) -> Option<DateTime<Utc>> {
    use chrono::NaiveDateTime;
    if let Ok(n) = NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT") {
        return Some(n.and_utc());
    }
    let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
    NaiveDateTime::parse_from_str(&collapsed, "%a %b %e %H:%M:%S %Y")
        .ok()
        .map(|n| n.and_utc())
}

/// The start of a body, on one line, for error messages.
pub fn excerpt(body: &str) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= DETAIL_LIMIT {
        trimmed.to_string()
    } else {
        let cut: String = trimmed.chars().take(DETAIL_LIMIT).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Expected task error name (or "ok") and, for rate limits, the delay.
    fn check(status: u16, retry_after: Option<&str>, expected: &str, delay: Option<u64>) {
        let mut r = Response::new(status, r#"{"error":"x"}"#);
        if let Some(v) = retry_after {
            r = r.with_header("Retry-After", v);
        }
        match check_status(&r, now()) {
            Ok(()) => assert_eq!(expected, "ok", "status {status}"),
            Err(f) => {
                if let Failure::RateLimited { retry_after } = &f {
                    assert_eq!(retry_after.map(|d| d.as_secs()), delay, "status {status}");
                }
                assert_eq!(
                    f.into_task_error("devto").name(),
                    expected,
                    "status {status}"
                );
            }
        }
    }

    #[test]
    fn classification_table() {
        check(200, None, "ok", None);
        check(201, None, "ok", None);
        check(204, None, "ok", None);
        check(429, Some("30"), "RateLimited", Some(30));
        check(429, Some(" 300 "), "RateLimited", Some(300));
        check(
            429,
            Some("Thu, 01 Jan 2026 00:01:00 GMT"),
            "RateLimited",
            Some(60),
        );
        check(
            429,
            Some("Wed, 31 Dec 2025 23:00:00 GMT"),
            "RateLimited",
            Some(0),
        );
        check(429, Some("soon"), "RateLimited", None);
        check(429, None, "RateLimited", None);
        check(500, None, "PlatformUnavailable", None);
        check(502, None, "PlatformUnavailable", None);
        check(503, Some("10"), "PlatformUnavailable", None);
        check(504, None, "PlatformUnavailable", None);
        check(408, None, "PlatformUnavailable", None);
        check(301, None, "PlatformUnavailable", None);
        check(401, None, "Unauthorized", None);
        check(403, None, "Unauthorized", None);
        check(409, None, "Conflict", None);
        check(400, None, "InvalidArticle", None);
        check(404, None, "InvalidArticle", None);
        check(413, None, "InvalidArticle", None);
        check(422, None, "InvalidArticle", None);
    }

    #[test]
    fn retry_after_forms() {
        let cases: [(&str, Option<u64>); 7] = [
            ("0", Some(0)),
            ("120", Some(120)),
            ("Thu, 01 Jan 2026 00:00:45 GMT", Some(45)),
            ("Thursday, 01-Jan-26 00:02:00 GMT", Some(120)),
            ("Thu Jan  1 00:00:05 2026", Some(5)),
            ("-5", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_retry_after(value, now()).map(|d| d.as_secs()),
                expected,
                "{value:?}"
            );
        }
    }

    #[test]
    fn transport_errors_are_retryable_except_bad_requests() {
        let cases = [
            (TransportError::Timeout("t".into()), "PlatformUnavailable"),
            (TransportError::Connect("c".into()), "PlatformUnavailable"),
            (TransportError::Other("o".into()), "PlatformUnavailable"),
            (TransportError::Build("bad url".into()), "Misconfigured"),
        ];
        for (e, name) in cases {
            assert_eq!(transport_failure(e).into_task_error("x").name(), name);
        }
    }

    #[test]
    fn excerpt_is_bounded_and_single_line() {
        let long = "a\nb".repeat(500);
        let e = excerpt(&long);
        assert!(!e.contains('\n'));
        assert_eq!(e.chars().count(), DETAIL_LIMIT + 1);
    }
}
