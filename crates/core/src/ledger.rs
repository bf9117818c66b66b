//! The ledger: (document id, target) → remote id, URL, content hash and state.
//!
//! It is what makes publishing idempotent. Every write is conditional:
//! [`Ledger::create`] succeeds only when no entry exists (DynamoDB `attribute_not_exists`,
//! locally a hard link that fails when the file exists), and [`Ledger::replace`] /
//! [`Ledger::delete`] only when the stored `version` is the one the caller read. A lost
//! condition is [`LedgerError::Conflict`], which handlers report as `TaskError::Conflict`.
//!
//! Implementations: [`MemoryLedger`] (tests), [`LocalLedger`] (one JSON file per entry under
//! the local data folder), [`OverlayLedger`] (reads another ledger, keeps writes in memory: the
//! dry run), [`crate::JournalLedger`] (one append-only file: the local dry run's own ledger),
//! and `DynamoLedger` (feature `aws`, in [`crate::aws`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::article::Target;
use crate::error::TaskError;

/// What the ledger knows about one post on one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// An execution claimed the create and has not recorded the result yet (or died).
    Pending,
    /// The post is live on the platform.
    Published,
    /// The post was taken down (unpublished or removed).
    Unpublished,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Published => "published",
            EntryState::Unpublished => "unpublished",
        }
    }

    pub fn parse(s: &str) -> Option<EntryState> {
        match s {
            "pending" => Some(EntryState::Pending),
            "published" => Some(EntryState::Published),
            "unpublished" => Some(EntryState::Unpublished),
            _ => None,
        }
    }
}

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub document_id: String,
    pub target: Target,
    pub state: EntryState,
    /// The platform's id for the post (absent while pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// sha256 of the request body last sent (see `http::content_hash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// The article revision that wrote this entry (the claim owner while pending).
    pub revision: String,
    /// `updatedAt` of that revision, to refuse overwriting a newer revision with an older one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated_at: Option<String>,
    /// Incremented by every write; the condition of [`Ledger::replace`] and [`Ledger::delete`].
    pub version: u64,
    /// When the entry was written (RFC 3339, UTC).
    pub updated_at: String,
}

/// Why a ledger call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The condition did not hold: the entry exists (create) or changed (replace, delete).
    #[error("ledger condition failed: {0}")]
    Conflict(String),
    /// The store could not be read or written.
    #[error("ledger storage error: {0}")]
    Storage(String),
    /// A stored entry could not be read back.
    #[error("ledger entry is corrupt: {0}")]
    Corrupt(String),
}

impl From<LedgerError> for TaskError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Conflict(m) => TaskError::Conflict(m),
            other => TaskError::Internal(other.to_string()),
        }
    }
}

/// The idempotency store. All writes are conditional (see the module docs).
#[async_trait]
pub trait Ledger: Send + Sync {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError>;

    /// Writes a new entry; [`LedgerError::Conflict`] when one exists already.
    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError>;

    /// Overwrites the entry if the stored one has `expected_version`; otherwise (changed or
    /// absent) [`LedgerError::Conflict`].
    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError>;

    /// Removes the entry if the stored one has `expected_version`; otherwise
    /// [`LedgerError::Conflict`].
    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError>;
}

// ---------------------------------------------------------------------------------------------
// In memory
// ---------------------------------------------------------------------------------------------

/// A ledger in memory (tests, and the write side of [`OverlayLedger`]).
#[derive(Debug, Default, Clone)]
pub struct MemoryLedger {
    entries: Arc<Mutex<EntryMap>>,
}

impl MemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry, for tests and reports.
    pub fn entries(&self) -> Vec<LedgerEntry> {
        self.with(|m| m.values().cloned().collect())
    }

    fn with<R>(&self, f: impl FnOnce(&mut EntryMap) -> R) -> R {
        match self.entries.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        Ok(self.with(|m| m.get(&(document_id.to_string(), target)).cloned()))
    }

    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        self.with(|m| {
            check_absent(m, entry)?;
            m.insert((entry.document_id.clone(), entry.target), entry.clone());
            Ok(())
        })
    }

    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError> {
        self.with(|m| {
            check_version(m, &entry.document_id, entry.target, expected_version)?;
            m.insert((entry.document_id.clone(), entry.target), entry.clone());
            Ok(())
        })
    }

    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError> {
        self.with(|m| {
            check_version(m, document_id, target, expected_version)?;
            m.remove(&(document_id.to_string(), target));
            Ok(())
        })
    }
}

/// Entries by (document id, target), as the in-process ledgers keep them.
pub(crate) type EntryMap = BTreeMap<(String, Target), LedgerEntry>;

/// The condition of [`Ledger::create`]: no entry for this post and target yet.
pub(crate) fn check_absent(m: &EntryMap, entry: &LedgerEntry) -> Result<(), LedgerError> {
    if m.contains_key(&(entry.document_id.clone(), entry.target)) {
        return Err(conflict_exists(&entry.document_id, entry.target));
    }
    Ok(())
}

/// The condition of [`Ledger::replace`] and [`Ledger::delete`]: the stored entry has
/// `expected_version`.
pub(crate) fn check_version(
    m: &EntryMap,
    document_id: &str,
    target: Target,
    expected_version: u64,
) -> Result<(), LedgerError> {
    match m.get(&(document_id.to_string(), target)) {
        Some(cur) if cur.version == expected_version => Ok(()),
        _ => Err(conflict_changed(document_id, target)),
    }
}

pub(crate) fn conflict_exists(document_id: &str, target: Target) -> LedgerError {
    LedgerError::Conflict(format!(
        "a ledger entry for {document_id} on {target} already exists (another execution got there first)"
    ))
}

pub(crate) fn conflict_changed(document_id: &str, target: Target) -> LedgerError {
    LedgerError::Conflict(format!(
        "the ledger entry for {document_id} on {target} changed since it was read (another execution wrote it)"
    ))
}

// ---------------------------------------------------------------------------------------------
// Overlay (dry run)
// ---------------------------------------------------------------------------------------------

/// Reads through to a base ledger but keeps every write in memory: a dry run sees the real
/// state (so it reports `updated` or `unchanged` truthfully) without recording fake remote ids.
#[derive(Clone)]
pub struct OverlayLedger {
    base: Arc<dyn Ledger>,
    overlay: MemoryLedger,
    deleted: Arc<Mutex<Vec<(String, Target)>>>,
}

impl OverlayLedger {
    pub fn new(base: Arc<dyn Ledger>) -> Self {
        OverlayLedger {
            base,
            overlay: MemoryLedger::new(),
            deleted: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The entries the dry run would have written.
    pub fn writes(&self) -> Vec<LedgerEntry> {
        self.overlay.entries()
    }

    fn is_deleted(&self, document_id: &str, target: Target) -> bool {
        let check =
            |v: &Vec<(String, Target)>| v.iter().any(|(d, t)| d == document_id && *t == target);
        match self.deleted.lock() {
            Ok(g) => check(&g),
            Err(p) => check(&p.into_inner()),
        }
    }

    fn set_deleted(&self, document_id: &str, target: Target, deleted: bool) {
        let apply = |v: &mut Vec<(String, Target)>| {
            v.retain(|(d, t)| !(d == document_id && *t == target));
            if deleted {
                v.push((document_id.to_string(), target));
            }
        };
        match self.deleted.lock() {
            Ok(mut g) => apply(&mut g),
            Err(p) => apply(&mut p.into_inner()),
        }
    }
}

#[async_trait]
impl Ledger for OverlayLedger {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        if let Some(e) = self.overlay.get(document_id, target).await? {
            return Ok(Some(e));
        }
        if self.is_deleted(document_id, target) {
            return Ok(None);
        }
        self.base.get(document_id, target).await
    }

    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        if self.get(&entry.document_id, entry.target).await?.is_some() {
            return Err(conflict_exists(&entry.document_id, entry.target));
        }
        self.set_deleted(&entry.document_id, entry.target, false);
        self.overlay.create(entry).await
    }

    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError> {
        match self.get(&entry.document_id, entry.target).await? {
            Some(cur) if cur.version == expected_version => {
                self.overlay.with(|m| {
                    m.insert((entry.document_id.clone(), entry.target), entry.clone());
                });
                Ok(())
            }
            _ => Err(conflict_changed(&entry.document_id, entry.target)),
        }
    }

    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError> {
        match self.get(document_id, target).await? {
            Some(cur) if cur.version == expected_version => {
                self.overlay
                    .with(|m| m.remove(&(document_id.to_string(), target)));
                self.set_deleted(document_id, target, true);
                Ok(())
            }
            _ => Err(conflict_changed(document_id, target)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Local files
// ---------------------------------------------------------------------------------------------

/// How long a local lock file may live before it is considered abandoned.
const STALE_LOCK: Duration = Duration::from_secs(30);
/// How long a writer waits for a local lock.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The embedded ledger of the local mode: `<dir>/<target>/<document id>.json`, one file per
/// entry. Files are written to a temporary name and then renamed (replace) or hard-linked
/// (create: the link fails when the file exists, so exactly one concurrent creator wins, and a
/// reader never sees a half-written file). Replace and delete hold `<file>.lock`, created with
/// `create_new`, while they compare versions; a lock older than 30 s is treated as abandoned.
#[derive(Debug, Clone)]
pub struct LocalLedger {
    dir: PathBuf,
    durable: bool,
}

impl LocalLedger {
    /// A ledger in `dir` (created on first write). Every write is flushed to disk (`fsync`)
    /// before it is renamed into place, so a crash never loses a record of a real post.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalLedger {
            dir: dir.into(),
            durable: true,
        }
    }

    /// The same ledger without `fsync`: for the dry run's ledger, which records no real post.
    /// Writes stay atomic (temporary file, then rename or link); only durability across a
    /// power cut is given up, which makes a dry-run backfill several times faster.
    pub fn without_fsync(mut self) -> Self {
        self.durable = false;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of one entry. The document id is encoded so that any id maps to one plain file
    /// name inside the target folder (no separators, no leading dot).
    pub fn entry_path(&self, document_id: &str, target: Target) -> PathBuf {
        self.dir
            .join(target.as_str())
            .join(format!("{}.json", encode_file_name(document_id)))
    }

    fn read(&self, path: &Path) -> Result<Option<LedgerEntry>, LedgerError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| LedgerError::Corrupt(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage(path, e)),
        }
    }

    fn write_temp(&self, path: &Path, entry: &LedgerEntry) -> Result<PathBuf, LedgerError> {
        let parent = path
            .parent()
            .ok_or_else(|| LedgerError::Storage(format!("{} has no folder", path.display())))?;
        std::fs::create_dir_all(parent).map_err(|e| storage(parent, e))?;
        let bytes = serde_json::to_vec_pretty(entry)
            .map_err(|e| LedgerError::Storage(format!("cannot serialise entry: {e}")))?;
        let tmp = parent.join(format!(
            ".{}.{}.{}.tmp",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id(),
            unique_suffix()
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| storage(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| storage(&tmp, e))?;
        if self.durable {
            f.sync_all().map_err(|e| storage(&tmp, e))?;
        }
        Ok(tmp)
    }

    async fn lock(&self, path: &Path) -> Result<LockGuard, LedgerError> {
        let lock_path = path.with_extension("json.lock");
        if let Some(parent) = lock_path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| storage(parent, e))?;
        }
        let started = std::time::Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock_path)
            {
                Ok(_) => return Ok(LockGuard { path: lock_path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock_path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > STALE_LOCK);
                    if stale {
                        let _ = std::fs::remove_file(&lock_path);
                        continue;
                    }
                    if started.elapsed() > LOCK_WAIT {
                        return Err(LedgerError::Storage(format!(
                            "{} is locked by another writer",
                            path.display()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => return Err(storage(&lock_path, e)),
            }
        }
    }
}

struct LockGuard {
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn storage(path: &Path, e: std::io::Error) -> LedgerError {
    LedgerError::Storage(format!("{}: {e}", path.display()))
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    (COUNTER.fetch_add(1, Ordering::Relaxed) << 32) ^ nanos
}

/// Encodes an id as a file name: ASCII letters, digits, `-` and `_` stay; everything else
/// (including `.`, so no name can be `.` or `..` or hidden) becomes `~XX` hex.
pub fn encode_file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push('~');
    }
    out
}

#[async_trait]
impl Ledger for LocalLedger {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        self.read(&self.entry_path(document_id, target))
    }

    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        let path = self.entry_path(&entry.document_id, entry.target);
        let tmp = self.write_temp(&path, entry)?;
        let linked = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(conflict_exists(&entry.document_id, entry.target))
            }
            Err(e) => Err(storage(&path, e)),
        }
    }

    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError> {
        let path = self.entry_path(&entry.document_id, entry.target);
        let _lock = self.lock(&path).await?;
        match self.read(&path)? {
            Some(cur) if cur.version == expected_version => {
                let tmp = self.write_temp(&path, entry)?;
                std::fs::rename(&tmp, &path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    storage(&path, e)
                })
            }
            _ => Err(conflict_changed(&entry.document_id, entry.target)),
        }
    }

    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError> {
        let path = self.entry_path(document_id, target);
        let _lock = self.lock(&path).await?;
        match self.read(&path)? {
            Some(cur) if cur.version == expected_version => {
                std::fs::remove_file(&path).map_err(|e| storage(&path, e))
            }
            _ => Err(conflict_changed(document_id, target)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_and_distinct() {
        let cases = [
            ("post-1", "post-1"),
            ("drafts.post", "drafts~2Epost"),
            ("..", "~2E~2E"),
            ("a/b", "a~2Fb"),
            ("", "~"),
            ("é", "~C3~A9"),
        ];
        for (id, expected) in cases {
            assert_eq!(encode_file_name(id), expected, "{id:?}");
        }
    }
}
