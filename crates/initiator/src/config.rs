//! The initiator's configuration, read once at cold start.

use std::collections::BTreeSet;

use crosspost_core::config::{optional, optional_url, required, ConfigError};
use crosspost_core::Target;

/// Environment variable names (agreed with the Terraform module).
pub mod vars {
    pub const STATE_MACHINE_ARN: &str = "CROSSPOST_STATE_MACHINE_ARN";
    pub const TARGETS: &str = "CROSSPOST_TARGETS";
    pub const SIGNATURE_TOLERANCE_SECONDS: &str = "CROSSPOST_SIGNATURE_TOLERANCE_SECONDS";
    pub const MAX_BODY_BYTES: &str = "CROSSPOST_MAX_BODY_BYTES";
    pub const CANONICAL_PATTERN: &str = "CROSSPOST_CANONICAL_PATTERN";
    pub const SITE_URL: &str = "CROSSPOST_SITE_URL";
    pub const SANITY_PROJECT_ID: &str = "SANITY_PROJECT_ID";
    pub const SANITY_DATASET: &str = "SANITY_DATASET";
    pub const SANITY_API_URL: &str = "SANITY_API_URL";
    pub const SANITY_API_VERSION: &str = "SANITY_API_VERSION";
}

/// Defaults.
pub const DEFAULT_TOLERANCE_SECONDS: u64 = 3600;
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
pub const DEFAULT_CANONICAL_PATTERN: &str = "{site}/{slug}";
pub const DEFAULT_SANITY_API_VERSION: &str = "v2021-10-21";
/// Inputs larger than this carry the article as a snapshot reference (Step Functions allows
/// 256 KiB per state payload; the margin leaves room for the states' own additions).
pub const DEFAULT_CLAIM_CHECK_BYTES: usize = 200 * 1024;

/// How the initiator normalises posts and checks deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CROSSPOST_TARGETS` (comma list; default all four). Others are planned as disabled.
    pub targets: BTreeSet<Target>,
    /// `CROSSPOST_SIGNATURE_TOLERANCE_SECONDS` (default 3600).
    pub tolerance_seconds: u64,
    /// `CROSSPOST_MAX_BODY_BYTES` (default 2 MiB): larger bodies get 413.
    pub max_body_bytes: usize,
    /// `CROSSPOST_SITE_URL`, without a trailing slash.
    pub site_url: String,
    /// `CROSSPOST_CANONICAL_PATTERN` (default `{site}/{slug}`; `{site}`, `{slug}`, `{id}`).
    pub canonical_pattern: String,
    /// `SANITY_PROJECT_ID` / `SANITY_DATASET`: image URLs and the query API.
    pub sanity_project_id: Option<String>,
    pub sanity_dataset: Option<String>,
    /// `SANITY_API_URL`: the query API host (default `https://<project>.api.sanity.io`).
    pub sanity_api_url: Option<String>,
    /// `SANITY_API_VERSION` (default `v2021-10-21`).
    pub sanity_api_version: String,
    /// Inputs above this size use the snapshot store (claim check).
    pub claim_check_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            targets: Target::ALL.into_iter().collect(),
            tolerance_seconds: DEFAULT_TOLERANCE_SECONDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            site_url: "https://example.com".into(),
            canonical_pattern: DEFAULT_CANONICAL_PATTERN.into(),
            sanity_project_id: None,
            sanity_dataset: None,
            sanity_api_url: None,
            sanity_api_version: DEFAULT_SANITY_API_VERSION.into(),
            claim_check_bytes: DEFAULT_CLAIM_CHECK_BYTES,
        }
    }
}

fn number<T: std::str::FromStr>(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match optional(lookup, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("`{v}` is not a non-negative whole number"),
        }),
    }
}

/// Parses a comma list of target names.
pub fn parse_targets(s: &str) -> Result<BTreeSet<Target>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<Target>())
        .collect()
}

impl Config {
    /// Reads the environment through `lookup`. `CROSSPOST_SITE_URL` is required when
    /// `require_site` (the Lambda); the local mode falls back to `https://example.com`.
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
        require_site: bool,
    ) -> Result<Config, ConfigError> {
        let d = Config::default();
        let targets = match optional(lookup, vars::TARGETS) {
            None => d.targets,
            Some(v) => parse_targets(&v).map_err(|reason| ConfigError::Invalid {
                name: vars::TARGETS,
                reason,
            })?,
        };
        let site_url = if require_site {
            required(lookup, vars::SITE_URL)?;
            optional_url(lookup, vars::SITE_URL)?.unwrap_or_default()
        } else {
            optional_url(lookup, vars::SITE_URL)?.unwrap_or(d.site_url)
        };
        let canonical_pattern =
            optional(lookup, vars::CANONICAL_PATTERN).unwrap_or(d.canonical_pattern);
        if !canonical_pattern.contains("{slug}") && !canonical_pattern.contains("{id}") {
            return Err(ConfigError::Invalid {
                name: vars::CANONICAL_PATTERN,
                reason: "must contain {slug} or {id}".into(),
            });
        }
        Ok(Config {
            targets,
            tolerance_seconds: number(
                lookup,
                vars::SIGNATURE_TOLERANCE_SECONDS,
                d.tolerance_seconds,
            )?,
            max_body_bytes: number(lookup, vars::MAX_BODY_BYTES, d.max_body_bytes)?,
            site_url,
            canonical_pattern,
            sanity_project_id: optional(lookup, vars::SANITY_PROJECT_ID),
            sanity_dataset: optional(lookup, vars::SANITY_DATASET),
            sanity_api_url: optional_url(lookup, vars::SANITY_API_URL)?,
            sanity_api_version: optional(lookup, vars::SANITY_API_VERSION)
                .unwrap_or(d.sanity_api_version),
            claim_check_bytes: d.claim_check_bytes,
        })
    }

    /// The canonical URL of a post.
    pub fn canonical_url(&self, slug: &str, id: &str) -> String {
        self.canonical_pattern
            .replace("{site}", &self.site_url)
            .replace("{slug}", slug)
            .replace("{id}", id)
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
    fn defaults_and_overrides() {
        let c = Config::from_lookup(&env(&[("CROSSPOST_SITE_URL", "https://blog.dev/")]), true)
            .unwrap();
        assert_eq!(c.tolerance_seconds, 3600);
        assert_eq!(c.targets.len(), 4);
        assert_eq!(c.canonical_url("hello", "p1"), "https://blog.dev/hello");

        let c = Config::from_lookup(
            &env(&[
                ("CROSSPOST_SITE_URL", "https://blog.dev"),
                ("CROSSPOST_TARGETS", "devto, medium"),
                ("CROSSPOST_SIGNATURE_TOLERANCE_SECONDS", "300"),
                ("CROSSPOST_CANONICAL_PATTERN", "{site}/posts/{slug}/"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(c.tolerance_seconds, 300);
        assert_eq!(
            c.targets,
            [Target::Devto, Target::Medium].into_iter().collect()
        );
        assert_eq!(
            c.canonical_url("hello", "p1"),
            "https://blog.dev/posts/hello/"
        );
    }

    #[test]
    fn errors_name_the_variable() {
        assert_eq!(
            Config::from_lookup(&env(&[]), true),
            Err(ConfigError::Missing("CROSSPOST_SITE_URL"))
        );
        let e = Config::from_lookup(&env(&[("CROSSPOST_TARGETS", "devto,myspace")]), false)
            .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                name: "CROSSPOST_TARGETS",
                ..
            }
        ));
        let e = Config::from_lookup(
            &env(&[("CROSSPOST_SIGNATURE_TOLERANCE_SECONDS", "-1")]),
            false,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Invalid {
                name: "CROSSPOST_SIGNATURE_TOLERANCE_SECONDS",
                ..
            }
        ));
    }
}
