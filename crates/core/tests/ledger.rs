//! Ledger and publish-protocol behaviour against the in-memory, local-file and overlay ledgers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use crosspost_core::ledger::{Ledger, LocalLedger, MemoryLedger, OverlayLedger};
use crosspost_core::JournalLedger;
use crosspost_core::Target;
use support::ledger_cases as cases;

#[tokio::test]
async fn memory_ledger() {
    let l = MemoryLedger::new();
    cases::conditional_writes(&l, "m1").await;
    cases::publish_lifecycle(&l, "m2").await;
    cases::claims(&l, "m3").await;
    cases::concurrent_creates(Arc::new(l), "m4").await;
}

#[tokio::test]
async fn local_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let l = LocalLedger::new(dir.path());
    cases::conditional_writes(&l, "drafts.l1").await;
    cases::publish_lifecycle(&l, "l2").await;
    cases::claims(&l, "l3").await;
    cases::concurrent_creates(Arc::new(l.clone()), "l4").await;
    // One plain JSON file per entry, no temporary or lock files left behind.
    let files: Vec<String> = walk(dir.path());
    assert!(files.contains(&"devto/l2.json".to_string()), "{files:?}");
    assert!(files.contains(&"hashnode/l4.json".to_string()), "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.ends_with(".json") && !f.contains("/.")),
        "{files:?}"
    );
}

/// `rounds` races of `contenders` claims on one new post, each through its own ledger instance
/// from `open` (separate instances behave like separate processes); exactly one claim wins.
async fn race_claims<L: Ledger + 'static>(open: impl Fn() -> L, rounds: usize, contenders: usize) {
    for round in 0..rounds {
        let id = format!("race-{round}");
        let start = Arc::new(tokio::sync::Barrier::new(contenders));
        let mut tasks = Vec::new();
        for i in 0..contenders {
            let l = open();
            let a = cases::article(&id, &format!("r{i}"), "2026-03-01T09:00:00Z");
            let start = Arc::clone(&start);
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                crosspost_core::publish::begin_publish(&l, Target::Devto, &a, "h", cases::t0())
                    .await
            }));
        }
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => assert_eq!(e.name(), "Conflict"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_ledger_concurrent_creates_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    race_claims(|| LocalLedger::new(dir.path()), 5, 6).await;
}

#[tokio::test]
async fn journal_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/ledger.ndjson");
    let l = JournalLedger::new(&path);
    cases::conditional_writes(&l, "drafts.j1").await;
    cases::publish_lifecycle(&l, "j2").await;
    cases::claims(&l, "j3").await;
    cases::concurrent_creates(Arc::new(l.clone()), "j4").await;
    // One file, one JSON record per line; a fresh instance (another process) replays it to
    // the same entries.
    assert_eq!(walk(dir.path()), ["state/ledger.ndjson"]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["op"] == "put" || v["op"] == "delete", "{line}");
    }
    let again = JournalLedger::new(&path);
    assert_eq!(again.entries().unwrap(), l.entries().unwrap());
    assert!(!again.entries().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn journal_ledger_concurrent_creates_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.ndjson");
    // Each instance has its own descriptor, so the file lock is what orders them.
    race_claims(|| JournalLedger::new(&path), 40, 8).await;
    assert_eq!(JournalLedger::new(&path).entries().unwrap().len(), 40);
}

#[tokio::test]
async fn journal_ledger_skips_a_torn_last_line_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.ndjson");
    let first = JournalLedger::new(&path);
    cases::publish_lifecycle(&first, "kept").await;
    let kept = first.get("kept", Target::Devto).await.unwrap();
    assert!(kept.is_some());
    // A writer died in the middle of its line.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, br#"{"op":"put","entry":{"documentId":"torn","#).unwrap();
    drop(f);

    let second = JournalLedger::new(&path);
    assert_eq!(second.get("kept", Target::Devto).await.unwrap(), kept);
    assert_eq!(second.get("torn", Target::Devto).await.unwrap(), None);
    cases::conditional_writes(&second, "after").await;
    // The torn line was ended, so the records after it are whole lines that replay.
    let third = JournalLedger::new(&path);
    assert_eq!(third.entries().unwrap(), second.entries().unwrap());
    assert_eq!(third.get("kept", Target::Devto).await.unwrap(), kept);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.contains("\"torn\"")).count(),
        1,
        "{text}"
    );
}

#[tokio::test]
async fn journal_ledger_reports_an_unusable_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "x").unwrap();
    // The journal's folder would have to be inside a plain file.
    let l = JournalLedger::new(dir.path().join("file/ledger.ndjson"));
    let err = l.get("p", Target::Devto).await.unwrap_err().to_string();
    assert!(err.contains("file"), "{err}");
}

#[tokio::test]
async fn overlay_reads_base_and_keeps_writes_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    let base = LocalLedger::new(dir.path());
    cases::publish_lifecycle(&base, "shared").await;
    let before = base.get("shared", Target::Devto).await.unwrap();

    let overlay = OverlayLedger::new(Arc::new(base.clone()));
    cases::conditional_writes(&overlay, "o1").await;
    cases::publish_lifecycle(&overlay, "o2").await;
    // The overlay sees the base's entry ...
    assert_eq!(overlay.get("shared", Target::Devto).await.unwrap(), before);
    // ... and its own writes never reach the base.
    assert_eq!(base.get("o2", Target::Devto).await.unwrap(), None);
    assert!(!overlay.writes().is_empty());
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}
