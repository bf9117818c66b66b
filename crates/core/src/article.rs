//! The Article model that travels through the state machine.
//!
//! JSON field names are camelCase: the state machine reads some of them (for example
//! `publishAt`), and they are what a user sees in the execution input.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A syndication target. The string form is the crate, binary and Lambda function name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Devto,
    Hashnode,
    Medium,
    Opensearch,
}

impl Target {
    /// Every target, in report order.
    pub const ALL: [Target; 4] = [
        Target::Devto,
        Target::Hashnode,
        Target::Medium,
        Target::Opensearch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Devto => "devto",
            Target::Hashnode => "hashnode",
            Target::Medium => "medium",
            Target::Opensearch => "opensearch",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown target `{s}` (expected devto, hashnode, medium or opensearch)")
            })
    }
}

/// What the execution does with the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Create or update the post everywhere (Sanity `create` and `update`).
    Publish,
    /// Take the post down where the platform allows it (Sanity `delete`).
    Unpublish,
}

/// A cover image, already resolved to a public URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverImage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// A platform-neutral blog post, normalised from a Sanity document by the initiator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    /// Sanity document id (published id, without a `drafts.` prefix).
    pub id: String,
    /// Sanity `_rev` of the document this article was made from.
    pub revision: String,
    pub slug: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The body as Portable Text (an array of blocks).
    pub body: serde_json::Value,
    /// The post's URL on the author's own site: every platform points its canonical link here.
    pub canonical_url: String,
    /// Tags, from Sanity categories, in the author's order (each target applies its own limits).
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<CoverImage>,
    /// RFC 3339 timestamp, as written in Sanity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// RFC 3339 timestamp of the change (`_updatedAt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<String>,
    /// Targets the author opted this post out of.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opt_out: Vec<Target>,
    /// Sanity project id and dataset, needed to turn image asset references into CDN URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanity_project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanity_dataset: Option<String>,
}

impl Article {
    /// Where the article's image assets live, for the Portable Text renderers.
    pub fn sanity_config(&self) -> portable_text::SanityConfig {
        portable_text::SanityConfig {
            project_id: self.sanity_project_id.clone(),
            dataset: self.sanity_dataset.clone(),
        }
    }

    /// [`Article::sanity_config`], falling back to the function's `SANITY_PROJECT_ID` /
    /// `SANITY_DATASET` for what the article does not name.
    pub fn sanity_config_or(
        &self,
        fallback: &crate::config::CommonConfig,
    ) -> portable_text::SanityConfig {
        portable_text::SanityConfig {
            project_id: self
                .sanity_project_id
                .clone()
                .or_else(|| fallback.sanity_project_id.clone()),
            dataset: self
                .sanity_dataset
                .clone()
                .or_else(|| fallback.sanity_dataset.clone()),
        }
    }
}

/// The article in the execution input: inline when small, otherwise a claim check on a stored
/// snapshot (Step Functions limits a state's payload to 256 KiB).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ArticleRef {
    /// A stored snapshot: `key` in the snapshot store, `sha256` of its bytes (checked on load).
    Snapshot {
        snapshot: SnapshotKey,
    },
    Inline(Box<Article>),
}

/// Where a snapshot lives and what its bytes hash to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotKey {
    pub key: String,
    pub sha256: String,
}

/// The state machine input. For one webhook delivery it is byte-for-byte the same on every
/// redelivery (no clock readings), so Step Functions treats a repeated start as the same
/// execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionInput {
    pub operation: Operation,
    /// Sanity document id, also inside the article; kept here so logs and reports can name the
    /// post without loading a snapshot.
    pub document_id: String,
    pub slug: String,
    pub article: ArticleRef,
    /// When the post should go live; the state machine waits until then if it is in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    /// Per target: whether its branch runs, and if not, why (opted out, disabled).
    pub targets: std::collections::BTreeMap<Target, TargetPlan>,
}

/// Whether one target's branch runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetPlan {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TargetPlan {
    /// A branch that runs.
    pub fn enabled() -> Self {
        TargetPlan {
            enabled: true,
            reason: None,
        }
    }
}

impl ExecutionInput {
    /// The input for `article` carried inline, with no scheduled publish time; the document id
    /// and slug are the article's own.
    pub fn inline(
        article: Article,
        operation: Operation,
        targets: std::collections::BTreeMap<Target, TargetPlan>,
    ) -> Self {
        ExecutionInput {
            operation,
            document_id: article.id.clone(),
            slug: article.slug.clone(),
            article: ArticleRef::Inline(Box::new(article)),
            publish_at: None,
            targets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.as_str().parse::<Target>(), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!("myspace".parse::<Target>().is_err());
    }

    #[test]
    fn article_ref_distinguishes_inline_and_snapshot() {
        let snap: ArticleRef =
            serde_json::from_str(r#"{"snapshot":{"key":"a/b.json","sha256":"00"}}"#).unwrap();
        assert!(matches!(snap, ArticleRef::Snapshot { .. }));
        let inline: ArticleRef = serde_json::from_str(
            r#"{"id":"p1","revision":"r1","slug":"s","title":"T","body":[],"canonicalUrl":"https://example.com/s"}"#,
        )
        .unwrap();
        assert!(matches!(inline, ArticleRef::Inline(_)));
    }
}
