//! What each target reports, and the execution's report.

use serde::{Deserialize, Serialize};

use crate::article::Target;

/// What a target did with the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Unpublished,
    /// Not attempted, with a reason: opted out, no token configured, plan forbids API publishing.
    Skipped,
    /// The platform cannot do it (Medium cannot update or delete).
    Unsupported,
    /// Set by the state machine's Catch, never returned by a handler.
    Failed,
}

/// One target's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResult {
    pub target: Target,
    pub status: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why it was skipped or unsupported, or what failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TargetResult {
    pub fn new(target: Target, status: Outcome) -> Self {
        TargetResult {
            target,
            status,
            remote_id: None,
            url: None,
            reason: None,
        }
    }

    pub fn with_remote(mut self, remote_id: impl Into<String>, url: Option<String>) -> Self {
        self.remote_id = Some(remote_id.into());
        self.url = url;
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}
