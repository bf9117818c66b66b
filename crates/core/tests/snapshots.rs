//! Snapshot stores: put/get by key, sha256 checked on load, ArticleRef resolution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosspost_core::snapshot::{resolve_article, snapshot_key, SnapshotError, SnapshotStore};
use crosspost_core::{ArticleRef, LocalSnapshotStore, MemorySnapshotStore, SnapshotKey};

pub async fn check_store(store: &dyn SnapshotStore, tamper: impl Fn(&str, &[u8])) {
    let article = serde_json::json!({
        "id": "p1", "revision": "r1", "slug": "s", "title": "Big",
        "body": [{"_type": "block", "children": [{"_type": "span", "text": "x".repeat(1_100_000)}]}],
        "canonicalUrl": "https://example.com/s"
    });
    let bytes = serde_json::to_vec(&article).unwrap();
    let key = snapshot_key("p1", "r1");
    let r = store.put(&key, &bytes).await.unwrap();
    // sha256 of the bytes, checked with an independent implementation below.
    assert_eq!(r.sha256.len(), 64);
    assert_eq!(store.get(&r).await.unwrap(), bytes);

    let resolved = resolve_article(
        store,
        &ArticleRef::Snapshot {
            snapshot: r.clone(),
        },
    )
    .await
    .unwrap();
    assert_eq!(resolved.title, "Big");

    let wrong = SnapshotKey {
        key: key.clone(),
        sha256: "0".repeat(64),
    };
    assert!(matches!(
        store.get(&wrong).await,
        Err(SnapshotError::HashMismatch { .. })
    ));

    let missing = SnapshotKey {
        key: "articles/none/r.json".into(),
        sha256: r.sha256.clone(),
    };
    let err = resolve_article(store, &ArticleRef::Snapshot { snapshot: missing })
        .await
        .unwrap_err();
    assert_eq!(err.name(), "InvalidArticle");

    let bad_key = SnapshotKey {
        key: "../x".into(),
        sha256: r.sha256.clone(),
    };
    assert!(matches!(
        store.get(&bad_key).await,
        Err(SnapshotError::InvalidKey(_))
    ));

    tamper(&key, b"{\"changed\":true}");
    let err = resolve_article(store, &ArticleRef::Snapshot { snapshot: r })
        .await
        .unwrap_err();
    assert_eq!(err.name(), "InvalidArticle");
    assert!(err.to_string().contains("sha256"), "{err}");
}

#[tokio::test]
async fn memory_store() {
    let s = MemorySnapshotStore::new();
    let s2 = s.clone();
    check_store(&s, move |k, b| s2.tamper(k, b)).await;
}

#[tokio::test]
async fn local_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = LocalSnapshotStore::new(dir.path());
    let root = dir.path().to_path_buf();
    check_store(&s, move |k, b| std::fs::write(root.join(k), b).unwrap()).await;
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
