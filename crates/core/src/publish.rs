//! The create-once / update-on-change protocol every target follows, on top of the [`Ledger`].
//!
//! 1. [`begin_publish`] reads the entry and decides:
//!    - none → it writes a `pending` claim with a conditional create and returns
//!      [`PublishPlan::Create`]; a concurrent execution that lost the race gets
//!      `TaskError::Conflict` (the state machine retries it; the retry sees the winner's entry);
//!    - `pending` written by the same revision (an earlier attempt of this execution that died
//!      or lost its response), or older than [`CLAIM_LEASE`] → the claim is taken over with a
//!      conditional replace, `Create` with `resumed: true`; a younger claim of another revision
//!      → `Conflict`;
//!    - published/unpublished, same content hash and published → [`PublishPlan::Unchanged`];
//!      otherwise [`PublishPlan::Update`]; an entry written by a newer revision (by
//!      `updatedAt`) → [`PublishPlan::Stale`] (never overwrite newer content with older).
//! 2. The target adopts or creates the post (always look the post up on the platform before
//!    creating: a create whose response was lost must not become a duplicate), then calls
//!    [`finish_create`]; or updates it and calls [`finish_update`]. When a create fails for a
//!    reason that proves nothing was created (a 4xx), [`release_claim`] removes the claim so the
//!    next revision is not blocked.
//! 3. Unpublish: [`finish_unpublish`] after the platform call.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::article::{Article, Target};
use crate::error::TaskError;
use crate::ledger::{EntryState, Ledger, LedgerEntry, LedgerError};

/// How long a `pending` claim of another revision blocks a create. Longer than any single
/// target invocation (the Lambda timeout), so a live claim is never taken over.
pub const CLAIM_LEASE: Duration = Duration::from_secs(15 * 60);

/// What to do for a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishPlan {
    /// No post is recorded: create it (after looking it up on the platform). The claim is held.
    Create(Claim),
    /// A post exists and what would be sent differs (or it was unpublished): update it.
    Update(LedgerEntry),
    /// The post exists with exactly this content.
    Unchanged(LedgerEntry),
    /// The entry was written by a newer revision of the document; leave it alone.
    Stale(LedgerEntry),
}

/// A held `pending` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub entry: LedgerEntry,
    /// True when an earlier attempt held this claim: it may have created the post already.
    pub resumed: bool,
}

fn rfc3339(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn conflict(e: LedgerError, what: &str) -> TaskError {
    match e {
        LedgerError::Conflict(m) => TaskError::Conflict(format!("{what}: {m}")),
        other => TaskError::Internal(other.to_string()),
    }
}

/// Step 1 of a publish (see the module docs).
pub async fn begin_publish(
    ledger: &dyn Ledger,
    target: Target,
    article: &Article,
    content_hash: &str,
    now: DateTime<Utc>,
) -> Result<PublishPlan, TaskError> {
    let existing = ledger.get(&article.id, target).await?;
    let Some(entry) = existing else {
        let claim = LedgerEntry {
            document_id: article.id.clone(),
            target,
            state: EntryState::Pending,
            remote_id: None,
            url: None,
            content_hash: None,
            revision: article.revision.clone(),
            source_updated_at: article.updated_at.clone(),
            version: 1,
            updated_at: rfc3339(now),
        };
        ledger
            .create(&claim)
            .await
            .map_err(|e| conflict(e, "another execution is creating this post"))?;
        return Ok(PublishPlan::Create(Claim {
            entry: claim,
            resumed: false,
        }));
    };

    match entry.state {
        EntryState::Pending => {
            let same_revision = entry.revision == article.revision;
            let expired = parse_time(&entry.updated_at).is_none_or(|t| {
                now.signed_duration_since(t)
                    .to_std()
                    .is_ok_and(|age| age > CLAIM_LEASE)
            });
            if !same_revision && !expired {
                return Err(TaskError::Conflict(format!(
                    "revision {} is creating {} on {target} since {}; retry later",
                    entry.revision, article.id, entry.updated_at
                )));
            }
            let claim = LedgerEntry {
                revision: article.revision.clone(),
                source_updated_at: article.updated_at.clone(),
                version: entry.version + 1,
                updated_at: rfc3339(now),
                ..entry.clone()
            };
            ledger
                .replace(&claim, entry.version)
                .await
                .map_err(|e| conflict(e, "another execution took over the create"))?;
            Ok(PublishPlan::Create(Claim {
                entry: claim,
                resumed: true,
            }))
        }
        EntryState::Published | EntryState::Unpublished => {
            if entry.remote_id.is_none() {
                return Err(TaskError::Internal(format!(
                    "ledger entry for {} on {target} is {} but has no remote id",
                    article.id,
                    entry.state.as_str()
                )));
            }
            let newer = match (
                entry.source_updated_at.as_deref().and_then(parse_time),
                article.updated_at.as_deref().and_then(parse_time),
            ) {
                (Some(recorded), Some(mine)) => recorded > mine,
                _ => false,
            };
            if newer && entry.revision != article.revision {
                return Ok(PublishPlan::Stale(entry));
            }
            if entry.state == EntryState::Published
                && entry.content_hash.as_deref() == Some(content_hash)
            {
                Ok(PublishPlan::Unchanged(entry))
            } else {
                Ok(PublishPlan::Update(entry))
            }
        }
    }
}

/// Records the created (or adopted) post in place of the claim.
pub async fn finish_create(
    ledger: &dyn Ledger,
    claim: &Claim,
    remote_id: &str,
    url: Option<String>,
    content_hash: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry, TaskError> {
    let entry = LedgerEntry {
        state: EntryState::Published,
        remote_id: Some(remote_id.to_string()),
        url,
        content_hash: Some(content_hash.to_string()),
        version: claim.entry.version + 1,
        updated_at: rfc3339(now),
        ..claim.entry.clone()
    };
    ledger
        .replace(&entry, claim.entry.version)
        .await
        .map_err(|e| conflict(e, "the claim was taken over while creating"))?;
    Ok(entry)
}

/// Records an update of an existing post.
pub async fn finish_update(
    ledger: &dyn Ledger,
    previous: &LedgerEntry,
    article: &Article,
    url: Option<String>,
    content_hash: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry, TaskError> {
    let entry = LedgerEntry {
        state: EntryState::Published,
        url: url.or_else(|| previous.url.clone()),
        content_hash: Some(content_hash.to_string()),
        revision: article.revision.clone(),
        source_updated_at: article.updated_at.clone(),
        version: previous.version + 1,
        updated_at: rfc3339(now),
        ..previous.clone()
    };
    ledger
        .replace(&entry, previous.version)
        .await
        .map_err(|e| conflict(e, "another execution updated this post"))?;
    Ok(entry)
}

/// Records that the post was taken down.
pub async fn finish_unpublish(
    ledger: &dyn Ledger,
    previous: &LedgerEntry,
    revision: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry, TaskError> {
    let entry = LedgerEntry {
        state: EntryState::Unpublished,
        revision: revision.to_string(),
        version: previous.version + 1,
        updated_at: rfc3339(now),
        ..previous.clone()
    };
    ledger
        .replace(&entry, previous.version)
        .await
        .map_err(|e| conflict(e, "another execution changed this post"))?;
    Ok(entry)
}

/// Turns a recorded post back into a `pending` claim, for platforms where bringing a taken-down
/// post back means creating a new one (Hashnode removes posts). The conditional replace makes
/// sure only one execution re-creates it.
pub async fn reclaim(
    ledger: &dyn Ledger,
    previous: &LedgerEntry,
    article: &Article,
    now: DateTime<Utc>,
) -> Result<Claim, TaskError> {
    let entry = LedgerEntry {
        state: EntryState::Pending,
        remote_id: None,
        url: None,
        content_hash: None,
        revision: article.revision.clone(),
        source_updated_at: article.updated_at.clone(),
        version: previous.version + 1,
        updated_at: rfc3339(now),
        ..previous.clone()
    };
    ledger
        .replace(&entry, previous.version)
        .await
        .map_err(|e| conflict(e, "another execution is re-creating this post"))?;
    Ok(Claim {
        entry,
        resumed: false,
    })
}

/// Gives a claim back after a create that certainly created nothing (the platform refused it),
/// so a later revision can try again at once. Best effort: a lost condition is ignored.
pub async fn release_claim(ledger: &dyn Ledger, claim: &Claim) -> Result<(), TaskError> {
    match ledger
        .delete(
            &claim.entry.document_id,
            claim.entry.target,
            claim.entry.version,
        )
        .await
    {
        Ok(()) | Err(LedgerError::Conflict(_)) => Ok(()),
        Err(e) => Err(TaskError::Internal(e.to_string())),
    }
}
