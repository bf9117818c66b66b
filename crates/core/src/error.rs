//! Task errors and the names the state machine matches.
//!
//! A target handler returns `Err(TaskError)`; the Lambda runtime reports [`TaskError::name`] as
//! the function error's type, which becomes the Step Functions error name that `Retry` and
//! `Catch` match. The names are part of the contract with `asl/crosspost.asl.json`: renaming one
//! breaks the state machine.

use std::time::Duration;

/// Why a task failed, grouped by what the state machine should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The platform asked us to slow down (HTTP 429). Retried with a long back-off.
    #[error("rate limited by {platform}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        platform: String,
        retry_after: Option<Duration>,
    },
    /// The platform failed or did not answer (5xx, timeout, connection error). Retried.
    #[error("{platform} is unavailable: {detail}")]
    PlatformUnavailable { platform: String, detail: String },
    /// The token was refused (401/403). Not retried: a person must fix the token.
    #[error("{platform} refused the credentials: {detail}")]
    Unauthorized { platform: String, detail: String },
    /// The article cannot be published as it is (4xx validation errors, bad input).
    #[error("invalid article: {0}")]
    InvalidArticle(String),
    /// Another execution changed the same record at the same time (a lost conditional write).
    /// Retried once: the retry sees the winner's record and updates or reports unchanged.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The function is missing configuration it needs (an environment variable, a setting).
    #[error("misconfigured: {0}")]
    Misconfigured(String),
    /// A failure of our own infrastructure (ledger, snapshot store, secrets).
    #[error("internal error: {0}")]
    Internal(String),
}

impl TaskError {
    /// The stable error name matched by the state machine's Retry and Catch rules.
    pub fn name(&self) -> &'static str {
        match self {
            TaskError::RateLimited { .. } => "RateLimited",
            TaskError::PlatformUnavailable { .. } => "PlatformUnavailable",
            TaskError::Unauthorized { .. } => "Unauthorized",
            TaskError::InvalidArticle(_) => "InvalidArticle",
            TaskError::Conflict(_) => "Conflict",
            TaskError::Misconfigured(_) => "Misconfigured",
            TaskError::Internal(_) => "Internal",
        }
    }

    /// Every name, for consistency tests against the state machine definition.
    pub const NAMES: [&'static str; 7] = [
        "RateLimited",
        "PlatformUnavailable",
        "Unauthorized",
        "InvalidArticle",
        "Conflict",
        "Misconfigured",
        "Internal",
    ];
}

#[cfg(feature = "aws")]
impl From<TaskError> for lambda_runtime::Diagnostic {
    fn from(e: TaskError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.name().to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_listed() {
        let all = [
            TaskError::RateLimited {
                platform: "devto".into(),
                retry_after: Some(Duration::from_secs(30)),
            },
            TaskError::PlatformUnavailable {
                platform: "devto".into(),
                detail: "502".into(),
            },
            TaskError::Unauthorized {
                platform: "devto".into(),
                detail: "401".into(),
            },
            TaskError::InvalidArticle("x".into()),
            TaskError::Conflict("x".into()),
            TaskError::Misconfigured("x".into()),
            TaskError::Internal("x".into()),
        ];
        let names: Vec<_> = all.iter().map(TaskError::name).collect();
        assert_eq!(names, TaskError::NAMES);
        for n in names {
            assert!(!n.starts_with("States."));
        }
    }

    #[test]
    fn rate_limit_message_mentions_retry_after() {
        let e = TaskError::RateLimited {
            platform: "devto".into(),
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(e.to_string(), "rate limited by devto (retry after 30s)");
    }
}
