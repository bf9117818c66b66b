//! Snapshot stores: put/get by key, sha256 checked on load, ArticleRef resolution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use crosspost_core::{LocalSnapshotStore, MemorySnapshotStore};
use support::snapshot_cases::check_store;

#[tokio::test]
async fn memory_store() {
    let s = MemorySnapshotStore::new();
    let s2 = s.clone();
    check_store(&s, move |k, b| {
        s2.tamper(&k, &b);
        async {}
    })
    .await;
}

#[tokio::test]
async fn local_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = LocalSnapshotStore::new(dir.path());
    let root = dir.path().to_path_buf();
    check_store(&s, move |k, b| {
        std::fs::write(root.join(k), b).unwrap();
        async {}
    })
    .await;
    assert!(dir.path().join("articles/p1/r1.json").is_file());
}

#[test]
fn sha256_matches_an_independent_digest() {
    // "abc" → the FIPS 180-2 test vector.
    assert_eq!(
        crosspost_core::http::sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
