//! Secrets: one JSON object with a fixed set of keys.
//!
//! In AWS it is one Secrets Manager secret (`CROSSPOST_SECRET_ARN`), fetched once per
//! container and cached (see `crate::aws::SecretsManagerProvider`). Locally the same keys come
//! from a JSON file with the secret's shape and/or environment variables; an environment
//! variable wins over the file. A missing token is not an error: the target reports
//! `skipped` ("no token configured").
//!
//! | JSON key | environment variable |
//! |---|---|
//! | `sanity_webhook_secret` | `SANITY_WEBHOOK_SECRET` |
//! | `sanity_token` | `SANITY_TOKEN` |
//! | `devto_api_key` | `DEVTO_API_KEY` |
//! | `hashnode_token` | `HASHNODE_TOKEN` |
//! | `medium_token` | `MEDIUM_TOKEN` |
//! | `opensearch_username` | `OPENSEARCH_USERNAME` |
//! | `opensearch_password` | `OPENSEARCH_PASSWORD` |

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::TaskError;

/// The secret's JSON keys and the matching environment variables.
pub const SECRET_KEYS: [(&str, &str); 7] = [
    ("sanity_webhook_secret", "SANITY_WEBHOOK_SECRET"),
    ("sanity_token", "SANITY_TOKEN"),
    ("devto_api_key", "DEVTO_API_KEY"),
    ("hashnode_token", "HASHNODE_TOKEN"),
    ("medium_token", "MEDIUM_TOKEN"),
    ("opensearch_username", "OPENSEARCH_USERNAME"),
    ("opensearch_password", "OPENSEARCH_PASSWORD"),
];

/// The values of the secret. `Debug` never prints a value, only whether it is set.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    #[serde(default)]
    pub sanity_webhook_secret: Option<String>,
    #[serde(default)]
    pub sanity_token: Option<String>,
    #[serde(default)]
    pub devto_api_key: Option<String>,
    #[serde(default)]
    pub hashnode_token: Option<String>,
    #[serde(default)]
    pub medium_token: Option<String>,
    #[serde(default)]
    pub opensearch_username: Option<String>,
    #[serde(default)]
    pub opensearch_password: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Secrets");
        for (key, _) in SECRET_KEYS {
            d.field(
                key,
                &if self.get(key).is_some() {
                    "set"
                } else {
                    "unset"
                },
            );
        }
        d.finish()
    }
}

impl Secrets {
    /// Parses the secret's JSON. Unknown keys are ignored; empty strings count as unset.
    pub fn from_json(json: &str) -> Result<Secrets, TaskError> {
        let s: Secrets = serde_json::from_str(json).map_err(|e| {
            // Only the position: serde's message may quote the offending value.
            TaskError::Misconfigured(format!(
                "the secret is not a JSON object of strings (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        Ok(s.normalised())
    }

    /// Reads a local JSON file with the secret's shape.
    pub fn from_file(path: &Path) -> Result<Secrets, TaskError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            TaskError::Misconfigured(format!("cannot read secrets file {}: {e}", path.display()))
        })?;
        Self::from_json(&text)
            .map_err(|e| TaskError::Misconfigured(format!("secrets file {}: {e}", path.display())))
    }

    /// Reads the environment variables of [`SECRET_KEYS`] through `lookup` (pass
    /// `|k| std::env::var(k).ok()` for the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Secrets {
        let mut s = Secrets::default();
        for (key, var) in SECRET_KEYS {
            if let Some(v) = lookup(var) {
                s.set(key, Some(v));
            }
        }
        s.normalised()
    }

    /// The local-mode secrets: the file (if given), then environment variables on top.
    pub fn local(
        file: Option<&Path>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Secrets, TaskError> {
        let mut base = match file {
            Some(p) => Self::from_file(p)?,
            None => Secrets::default(),
        };
        let env = Self::from_lookup(lookup);
        for (key, _) in SECRET_KEYS {
            if let Some(v) = env.get(key) {
                base.set(key, Some(v.to_string()));
            }
        }
        Ok(base)
    }

    /// A value by JSON key.
    pub fn get(&self, key: &str) -> Option<&str> {
        let v = match key {
            "sanity_webhook_secret" => &self.sanity_webhook_secret,
            "sanity_token" => &self.sanity_token,
            "devto_api_key" => &self.devto_api_key,
            "hashnode_token" => &self.hashnode_token,
            "medium_token" => &self.medium_token,
            "opensearch_username" => &self.opensearch_username,
            "opensearch_password" => &self.opensearch_password,
            _ => return None,
        };
        v.as_deref()
    }

    fn set(&mut self, key: &str, value: Option<String>) {
        let slot = match key {
            "sanity_webhook_secret" => &mut self.sanity_webhook_secret,
            "sanity_token" => &mut self.sanity_token,
            "devto_api_key" => &mut self.devto_api_key,
            "hashnode_token" => &mut self.hashnode_token,
            "medium_token" => &mut self.medium_token,
            "opensearch_username" => &mut self.opensearch_username,
            "opensearch_password" => &mut self.opensearch_password,
            _ => return,
        };
        *slot = value;
    }

    fn normalised(mut self) -> Secrets {
        for (key, _) in SECRET_KEYS {
            let v = self.get(key).map(str::trim).filter(|v| !v.is_empty());
            let v = v.map(str::to_string);
            self.set(key, v);
        }
        self
    }
}

/// Where a handler gets the secrets from.
#[async_trait]
pub trait SecretProvider: Send + Sync {
    async fn secrets(&self) -> Result<Arc<Secrets>, TaskError>;
}

/// Secrets known up front (local mode, tests).
#[derive(Debug, Clone, Default)]
pub struct StaticSecrets(pub Arc<Secrets>);

impl StaticSecrets {
    pub fn new(secrets: Secrets) -> Self {
        StaticSecrets(Arc::new(secrets))
    }
}

#[async_trait]
impl SecretProvider for StaticSecrets {
    async fn secrets(&self) -> Result<Arc<Secrets>, TaskError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn debug_never_prints_values() {
        let s =
            Secrets::from_json(r#"{"devto_api_key":"very-secret-1","medium_token":""}"#).unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("very-secret-1"));
        assert!(d.contains("devto_api_key: \"set\""));
        assert!(d.contains("medium_token: \"unset\""), "{d}");
    }

    #[test]
    fn env_wins_over_file_and_blank_is_unset() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.json");
        std::fs::write(
            &file,
            r#"{"devto_api_key":"from-file","hashnode_token":"h-file","extra":"ignored"}"#,
        )
        .unwrap();
        let env: HashMap<&str, &str> = [("DEVTO_API_KEY", "from-env"), ("MEDIUM_TOKEN", "  ")]
            .into_iter()
            .collect();
        let s = Secrets::local(Some(&file), |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.devto_api_key.as_deref(), Some("from-env"));
        assert_eq!(s.hashnode_token.as_deref(), Some("h-file"));
        assert_eq!(s.medium_token, None);
        assert_eq!(s.opensearch_password, None);
    }

    #[test]
    fn malformed_secret_is_misconfigured_without_echoing_it() {
        let err = Secrets::from_json(r#"{"devto_api_key": 12345678}"#).unwrap_err();
        assert_eq!(err.name(), "Misconfigured");
        assert!(!err.to_string().contains("12345678"), "{err}");
    }
}
