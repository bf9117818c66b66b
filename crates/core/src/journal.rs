//! [`JournalLedger`]: the dry run's ledger, one append-only file.
//!
//! A dry run records no real post, yet its ledger must make a second run skip what is done
//! (a resumed backfill) and obey the same conditional writes as the real one. One file per
//! entry ([`crate::LocalLedger`]) costs a file creation, a rename and a lock file per write;
//! on this project's machines creating a file costs far more than appending a line, and a
//! dry-run backfill spent half its time there. The journal is one `ndjson` file: each write
//! appends one line (`{"op":"put","entry":…}` or `{"op":"delete",…}`), the state is the replay
//! of the lines.
//!
//! - **Conditions across processes:** every operation holds an exclusive `flock` on the file
//!   while it reads the lines other processes appended since its last look, checks the
//!   condition and appends; two `crosspost` processes on one data folder see one ledger.
//! - **Atomic lines:** a line is written with one `write` call in append mode. A process that
//!   dies mid-write leaves a torn last line; the next writer ends it with a newline and every
//!   reader skips it with a warning. That write never returned success, so skipping it is
//!   exactly its meaning.
//! - **No `fsync`:** as for the dry run's previous ledger, a power cut may lose the last
//!   writes of a dry run; nothing real depends on them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::article::Target;
use crate::ledger::{check_absent, check_version, EntryMap, Ledger, LedgerEntry, LedgerError};

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Record {
    Put {
        entry: LedgerEntry,
    },
    Delete {
        #[serde(rename = "documentId")]
        document_id: String,
        target: Target,
    },
}

type Entries = EntryMap;

#[derive(Default)]
struct State {
    file: Option<File>,
    /// Bytes of the file already replayed into `entries`.
    read_to: u64,
    /// A last line without its newline (a torn write, or one being written before we locked).
    partial: Vec<u8>,
    entries: Entries,
}

/// The dry run's ledger: an append-only journal file (see the module docs).
#[derive(Clone)]
pub struct JournalLedger {
    path: PathBuf,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for JournalLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalLedger")
            .field("path", &self.path)
            .finish()
    }
}

fn storage(path: &Path, e: std::io::Error) -> LedgerError {
    LedgerError::Storage(format!("{}: {e}", path.display()))
}

impl JournalLedger {
    /// A ledger in the journal file `path` (created, with its folder, on first use).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JournalLedger {
            path: path.into(),
            state: Arc::new(Mutex::new(State::default())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, as of now (for reports and tests).
    pub fn entries(&self) -> Result<Vec<LedgerEntry>, LedgerError> {
        self.locked(|entries| Ok((entries.values().cloned().collect(), None)))
    }

    /// Runs `f` on the current entries under the file lock; the record it returns is appended
    /// and applied before the lock is released.
    fn locked<R>(
        &self,
        f: impl FnOnce(&Entries) -> Result<(R, Option<Record>), LedgerError>,
    ) -> Result<R, LedgerError> {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let state = &mut *guard;
        if state.file.is_none() {
            if let Some(parent) = self.path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| storage(parent, e))?;
            }
            let file = std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&self.path)
                .map_err(|e| storage(&self.path, e))?;
            state.file = Some(file);
        }
        let Some(file) = state.file.as_mut() else {
            return Err(LedgerError::Storage(format!(
                "{}: not open",
                self.path.display()
            )));
        };
        file.lock().map_err(|e| storage(&self.path, e))?;
        let result = (|| {
            catch_up(
                &self.path,
                file,
                &mut state.read_to,
                &mut state.partial,
                &mut state.entries,
            )?;
            let (value, record) = f(&state.entries)?;
            if let Some(record) = record {
                let mut line = Vec::with_capacity(512);
                if !state.partial.is_empty() {
                    // End the torn line so that this record starts a line of its own.
                    line.push(b'\n');
                    tracing::warn!(
                        path = %self.path.display(),
                        "skipping an incomplete ledger line (a write that never finished)"
                    );
                    state.partial.clear();
                }
                serde_json::to_writer(&mut line, &record)
                    .map_err(|e| LedgerError::Storage(format!("cannot serialise entry: {e}")))?;
                line.push(b'\n');
                file.write_all(&line).map_err(|e| storage(&self.path, e))?;
                state.read_to += line.len() as u64;
                apply(&mut state.entries, record);
            }
            Ok(value)
        })();
        let _ = file.unlock();
        result
    }
}

/// Replays the lines appended since `read_to`.
fn catch_up(
    path: &Path,
    file: &mut File,
    read_to: &mut u64,
    partial: &mut Vec<u8>,
    entries: &mut Entries,
) -> Result<(), LedgerError> {
    let end = file.metadata().map_err(|e| storage(path, e))?.len();
    if end < *read_to {
        // The file was truncated or replaced by hand: replay it from the start.
        *read_to = 0;
        partial.clear();
        entries.clear();
    }
    if end == *read_to {
        return Ok(());
    }
    file.seek(SeekFrom::Start(*read_to))
        .map_err(|e| storage(path, e))?;
    let mut fresh = Vec::with_capacity((end - *read_to) as usize);
    file.read_to_end(&mut fresh).map_err(|e| storage(path, e))?;
    *read_to += fresh.len() as u64;
    let mut bytes = std::mem::take(partial);
    bytes.extend_from_slice(&fresh);
    let complete = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    };
    *partial = bytes.split_off(complete);
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => apply(entries, record),
            Err(e) => tracing::warn!(
                path = %path.display(),
                error = %e,
                "skipping a ledger line that is not a record"
            ),
        }
    }
    Ok(())
}

fn apply(entries: &mut Entries, record: Record) {
    match record {
        Record::Put { entry } => {
            entries.insert((entry.document_id.clone(), entry.target), entry);
        }
        Record::Delete {
            document_id,
            target,
        } => {
            entries.remove(&(document_id, target));
        }
    }
}

#[async_trait]
impl Ledger for JournalLedger {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        self.locked(|entries| {
            Ok((
                entries.get(&(document_id.to_string(), target)).cloned(),
                None,
            ))
        })
    }

    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        self.locked(|entries| {
            check_absent(entries, entry)?;
            Ok((
                (),
                Some(Record::Put {
                    entry: entry.clone(),
                }),
            ))
        })
    }

    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError> {
        self.locked(|entries| {
            check_version(entries, &entry.document_id, entry.target, expected_version)?;
            Ok((
                (),
                Some(Record::Put {
                    entry: entry.clone(),
                }),
            ))
        })
    }

    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError> {
        self.locked(|entries| {
            check_version(entries, document_id, target, expected_version)?;
            let record = Record::Delete {
                document_id: document_id.to_string(),
                target,
            };
            Ok(((), Some(record)))
        })
    }
}
