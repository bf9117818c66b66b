//! Article snapshots (the claim check for large articles).
//!
//! The initiator stores the normalised Article as JSON and passes an
//! [`ArticleRef::Snapshot`] `{key, sha256}`; every target loads it with [`resolve_article`],
//! which checks the sha256 of the bytes it read. Implementations: [`LocalSnapshotStore`]
//! (files under the local data folder), [`MemorySnapshotStore`] (tests) and `S3SnapshotStore`
//! (feature `aws`, in [`crate::aws`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::article::{Article, ArticleRef, SnapshotKey};
use crate::error::TaskError;
use crate::http::sha256_hex;
use crate::ledger::encode_file_name;

/// Why a snapshot could not be stored or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot `{0}` not found")]
    NotFound(String),
    #[error("snapshot `{key}` is corrupt: expected sha256 {expected}, got {actual}")]
    HashMismatch {
        key: String,
        expected: String,
        actual: String,
    },
    #[error("invalid snapshot key `{0}` (use letters, digits, `-`, `_`, `.` and `/`-separated segments)")]
    InvalidKey(String),
    #[error("snapshot storage error: {0}")]
    Storage(String),
}

impl From<SnapshotError> for TaskError {
    fn from(e: SnapshotError) -> Self {
        match e {
            // A missing or corrupt snapshot cannot get better by retrying.
            SnapshotError::NotFound(_)
            | SnapshotError::HashMismatch { .. }
            | SnapshotError::InvalidKey(_) => TaskError::InvalidArticle(e.to_string()),
            SnapshotError::Storage(_) => TaskError::Internal(e.to_string()),
        }
    }
}

/// Stores article snapshots by key.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Stores `bytes` under `key` and returns the reference to put in the execution input.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<SnapshotKey, SnapshotError>;

    /// Loads the bytes of a snapshot without checking them (see [`SnapshotStore::get`]).
    async fn get_raw(&self, key: &str) -> Result<Vec<u8>, SnapshotError>;

    /// Loads a snapshot and checks its sha256.
    async fn get(&self, snapshot: &SnapshotKey) -> Result<Vec<u8>, SnapshotError> {
        let bytes = self.get_raw(&snapshot.key).await?;
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(&snapshot.sha256) {
            return Err(SnapshotError::HashMismatch {
                key: snapshot.key.clone(),
                expected: snapshot.sha256.clone(),
                actual,
            });
        }
        Ok(bytes)
    }
}

/// The conventional key of an article snapshot: `articles/<document id>/<revision>.json`, with
/// both parts encoded to safe characters. Same document and revision → same key (and, since
/// the article is derived deterministically, the same bytes and sha256).
pub fn snapshot_key(document_id: &str, revision: &str) -> String {
    format!(
        "articles/{}/{}.json",
        encode_file_name(document_id),
        encode_file_name(revision)
    )
}

/// Checks a key: non-empty `/`-separated segments of `[A-Za-z0-9._~-]`, none of them `.` or
/// `..`, so a key can never leave the store's folder.
pub fn validate_key(key: &str) -> Result<(), SnapshotError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~'))
        });
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::InvalidKey(key.to_string()))
    }
}

/// Turns an execution input's article into an [`Article`]: inline as is, a snapshot loaded
/// from the store (sha256 checked) and parsed.
pub async fn resolve_article(
    store: &dyn SnapshotStore,
    article: &ArticleRef,
) -> Result<Article, TaskError> {
    match article {
        ArticleRef::Inline(a) => Ok((**a).clone()),
        ArticleRef::Snapshot { snapshot } => {
            let bytes = store.get(snapshot).await?;
            serde_json::from_slice(&bytes).map_err(|e| {
                TaskError::InvalidArticle(format!(
                    "snapshot `{}` is not an article: {e}",
                    snapshot.key
                ))
            })
        }
    }
}

/// Snapshots as files under a folder (`<dir>/<key>`), written via a temporary file and rename.
#[derive(Debug, Clone)]
pub struct LocalSnapshotStore {
    dir: PathBuf,
}

impl LocalSnapshotStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalSnapshotStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> Result<PathBuf, SnapshotError> {
        validate_key(key)?;
        Ok(key.split('/').fold(self.dir.clone(), |p, seg| p.join(seg)))
    }
}

#[async_trait]
impl SnapshotStore for LocalSnapshotStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<SnapshotKey, SnapshotError> {
        let path = self.path(key)?;
        let parent = path
            .parent()
            .ok_or_else(|| SnapshotError::InvalidKey(key.to_string()))?;
        let io = |e: std::io::Error| SnapshotError::Storage(format!("{}: {e}", path.display()));
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
        let tmp = parent.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)?;
        Ok(SnapshotKey {
            key: key.to_string(),
            sha256: sha256_hex(bytes),
        })
    }

    async fn get_raw(&self, key: &str) -> Result<Vec<u8>, SnapshotError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(SnapshotError::NotFound(key.to_string()))
            }
            Err(e) => Err(SnapshotError::Storage(format!("{}: {e}", path.display()))),
        }
    }
}

/// Snapshots in memory (tests).
#[derive(Debug, Clone, Default)]
pub struct MemorySnapshotStore {
    items: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl MemorySnapshotStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Overwrites stored bytes without updating any reference (to test corruption).
    pub fn tamper(&self, key: &str, bytes: &[u8]) {
        match self.items.lock() {
            Ok(mut g) => g.insert(key.to_string(), bytes.to_vec()),
            Err(p) => p.into_inner().insert(key.to_string(), bytes.to_vec()),
        };
    }
}

#[async_trait]
impl SnapshotStore for MemorySnapshotStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<SnapshotKey, SnapshotError> {
        validate_key(key)?;
        self.tamper(key, bytes);
        Ok(SnapshotKey {
            key: key.to_string(),
            sha256: sha256_hex(bytes),
        })
    }

    async fn get_raw(&self, key: &str) -> Result<Vec<u8>, SnapshotError> {
        validate_key(key)?;
        let found = match self.items.lock() {
            Ok(g) => g.get(key).cloned(),
            Err(p) => p.into_inner().get(key).cloned(),
        };
        found.ok_or_else(|| SnapshotError::NotFound(key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_store() {
        let cases = [
            ("articles/p1/r1.json", true),
            ("a", true),
            ("a/b~2Ec.json", true),
            ("", false),
            ("/abs", false),
            ("a//b", false),
            ("../etc/passwd", false),
            ("a/./b", false),
            ("a/b/", false),
            ("a b", false),
            ("a\\b", false),
        ];
        for (key, ok) in cases {
            assert_eq!(validate_key(key).is_ok(), ok, "{key:?}");
        }
    }

    #[test]
    fn snapshot_keys_are_deterministic_and_valid() {
        let k = snapshot_key("drafts.post/1", "rev-9");
        assert_eq!(k, "articles/drafts~2Epost~2F1/rev-9.json");
        assert!(validate_key(&k).is_ok());
    }
}
