//! Environment configuration shared by every function, read once at cold start.
//!
//! Each reader takes a `lookup` function instead of touching the process environment, so tests
//! pass a map; binaries pass [`process_env`].

use crate::error::TaskError;

/// Environment variable names (agreed with the Terraform module; do not rename).
pub mod vars {
    pub const SECRET_ARN: &str = "CROSSPOST_SECRET_ARN";
    pub const LEDGER_TABLE: &str = "CROSSPOST_LEDGER_TABLE";
    pub const SNAPSHOT_BUCKET: &str = "CROSSPOST_SNAPSHOT_BUCKET";
    pub const SITE_URL: &str = "CROSSPOST_SITE_URL";
    pub const SANITY_PROJECT_ID: &str = "SANITY_PROJECT_ID";
    pub const SANITY_DATASET: &str = "SANITY_DATASET";
}

/// A missing or malformed environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl From<ConfigError> for TaskError {
    fn from(e: ConfigError) -> Self {
        TaskError::Misconfigured(e.to_string())
    }
}

/// Reads the process environment (the `lookup` for binaries).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A set, non-blank variable.
pub fn optional(lookup: &dyn Fn(&str) -> Option<String>, name: &'static str) -> Option<String> {
    lookup(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A variable that must be set.
pub fn required(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    optional(lookup, name).ok_or(ConfigError::Missing(name))
}

/// A variable that, when set, must be an `http(s)://` URL; returned without a trailing slash.
pub fn optional_url(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match optional(lookup, name) {
        None => Ok(None),
        Some(v) => {
            let lower = v.to_ascii_lowercase();
            if !(lower.starts_with("https://") || lower.starts_with("http://"))
                || v.contains(char::is_whitespace)
            {
                return Err(ConfigError::Invalid {
                    name,
                    reason: format!("`{v}` is not an http(s) URL"),
                });
            }
            Ok(Some(v.trim_end_matches('/').to_string()))
        }
    }
}

/// Settings every target shares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommonConfig {
    /// `CROSSPOST_SITE_URL`: the author's site (informational; canonical URLs come with the
    /// article).
    pub site_url: Option<String>,
    /// `SANITY_PROJECT_ID` / `SANITY_DATASET`: fallback when the article does not name them.
    pub sanity_project_id: Option<String>,
    pub sanity_dataset: Option<String>,
}

impl CommonConfig {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(CommonConfig {
            site_url: optional_url(lookup, vars::SITE_URL)?,
            sanity_project_id: optional(lookup, vars::SANITY_PROJECT_ID),
            sanity_dataset: optional(lookup, vars::SANITY_DATASET),
        })
    }
}

/// Where the AWS-backed services live (Lambda only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub secret_arn: String,
    pub ledger_table: String,
    pub snapshot_bucket: String,
}

impl AwsResources {
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(AwsResources {
            secret_arn: required(lookup, vars::SECRET_ARN)?,
            ledger_table: required(lookup, vars::LEDGER_TABLE)?,
            snapshot_bucket: required(lookup, vars::SNAPSHOT_BUCKET)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn aws_resources_name_the_missing_variable() {
        let e = AwsResources::from_lookup(&env(&[
            ("CROSSPOST_SECRET_ARN", "arn:x"),
            ("CROSSPOST_LEDGER_TABLE", " "),
        ]))
        .unwrap_err();
        assert_eq!(e, ConfigError::Missing("CROSSPOST_LEDGER_TABLE"));
    }

    #[test]
    fn site_url_must_be_http() {
        let ok =
            CommonConfig::from_lookup(&env(&[("CROSSPOST_SITE_URL", "https://a.dev/")])).unwrap();
        assert_eq!(ok.site_url.as_deref(), Some("https://a.dev"));
        let bad = CommonConfig::from_lookup(&env(&[("CROSSPOST_SITE_URL", "a.dev")]));
        assert!(matches!(
            bad,
            Err(ConfigError::Invalid {
                name: "CROSSPOST_SITE_URL",
                ..
            })
        ));
    }
}
