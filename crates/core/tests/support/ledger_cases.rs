//! Ledger behaviour every implementation must have; run against memory, local files and
//! DynamoDB (moto).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use crosspost_core::ledger::{EntryState, Ledger, LedgerEntry, LedgerError};
use crosspost_core::publish::{self, PublishPlan};
use crosspost_core::{Article, Target};

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn article(id: &str, revision: &str, updated_at: &str) -> Article {
    serde_json::from_value(serde_json::json!({
        "id": id, "revision": revision, "slug": "s", "title": "T", "body": [],
        "canonicalUrl": "https://example.com/s", "updatedAt": updated_at
    }))
    .unwrap()
}

fn entry(id: &str, version: u64) -> LedgerEntry {
    LedgerEntry {
        document_id: id.into(),
        target: Target::Devto,
        state: EntryState::Pending,
        remote_id: None,
        url: None,
        content_hash: None,
        revision: "r1".into(),
        source_updated_at: None,
        version,
        updated_at: "2026-03-01T10:00:00Z".into(),
    }
}

/// Raw conditional-write semantics.
pub async fn conditional_writes(ledger: &dyn Ledger, id: &str) {
    assert_eq!(ledger.get(id, Target::Devto).await.unwrap(), None);
    ledger.create(&entry(id, 1)).await.unwrap();
    assert!(matches!(
        ledger.create(&entry(id, 1)).await,
        Err(LedgerError::Conflict(_))
    ));
    // Other targets are independent keys.
    assert_eq!(ledger.get(id, Target::Medium).await.unwrap(), None);
    let mut e2 = entry(id, 2);
    e2.state = EntryState::Published;
    e2.remote_id = Some("42".into());
    e2.url = Some("https://dev.to/x/42".into());
    e2.content_hash = Some("h1".into());
    // Wrong expected version loses.
    assert!(matches!(
        ledger.replace(&e2, 7).await,
        Err(LedgerError::Conflict(_))
    ));
    ledger.replace(&e2, 1).await.unwrap();
    assert_eq!(
        ledger.get(id, Target::Devto).await.unwrap(),
        Some(e2.clone())
    );
    assert!(matches!(
        ledger.delete(id, Target::Devto, 1).await,
        Err(LedgerError::Conflict(_))
    ));
    ledger.delete(id, Target::Devto, 2).await.unwrap();
    assert_eq!(ledger.get(id, Target::Devto).await.unwrap(), None);
    // Replace of an absent entry is a conflict, not an insert.
    assert!(matches!(
        ledger.replace(&e2, 2).await,
        Err(LedgerError::Conflict(_))
    ));
}

/// create once → unchanged → updated on change → stale older revision.
pub async fn publish_lifecycle(ledger: &dyn Ledger, id: &str) {
    let a1 = article(id, "r1", "2026-03-01T09:00:00Z");
    let plan = publish::begin_publish(ledger, Target::Devto, &a1, "h1", t0())
        .await
        .unwrap();
    let PublishPlan::Create(claim) = plan else {
        panic!("expected create, got {plan:?}")
    };
    assert!(!claim.resumed);
    let created = publish::finish_create(
        ledger,
        &claim,
        "42",
        Some("https://dev.to/u/s".into()),
        "h1",
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(created.state, EntryState::Published);

    // Same content again: unchanged.
    let plan = publish::begin_publish(ledger, Target::Devto, &a1, "h1", t0())
        .await
        .unwrap();
    assert!(matches!(plan, PublishPlan::Unchanged(ref e) if e.remote_id.as_deref() == Some("42")));

    // An edit: update.
    let a2 = article(id, "r2", "2026-03-01T09:30:00Z");
    let plan = publish::begin_publish(ledger, Target::Devto, &a2, "h2", t0())
        .await
        .unwrap();
    let PublishPlan::Update(prev) = plan else {
        panic!("expected update, got {plan:?}")
    };
    let updated = publish::finish_update(ledger, &prev, &a2, None, "h2", t0())
        .await
        .unwrap();
    assert_eq!(updated.content_hash.as_deref(), Some("h2"));
    assert_eq!(updated.url.as_deref(), Some("https://dev.to/u/s"));
    assert_eq!(updated.version, prev.version + 1);

    // A late, older revision must not overwrite the newer one.
    let plan = publish::begin_publish(ledger, Target::Devto, &a1, "h1", t0())
        .await
        .unwrap();
    assert!(matches!(plan, PublishPlan::Stale(_)), "{plan:?}");

    // Unpublish, then republish with the same content: an update (state changed).
    let un = publish::finish_unpublish(ledger, &updated, "r3", t0())
        .await
        .unwrap();
    assert_eq!(un.state, EntryState::Unpublished);
    let a3 = article(id, "r3", "2026-03-01T09:45:00Z");
    let plan = publish::begin_publish(ledger, Target::Devto, &a3, "h2", t0())
        .await
        .unwrap();
    assert!(matches!(plan, PublishPlan::Update(_)), "{plan:?}");
}

/// Pending claims: another revision is told to retry; the same revision (a retried attempt)
/// resumes; an expired claim is taken over; a released claim frees the slot.
pub async fn claims(ledger: &dyn Ledger, id: &str) {
    let a1 = article(id, "r1", "2026-03-01T09:00:00Z");
    let a2 = article(id, "r2", "2026-03-01T09:10:00Z");
    let PublishPlan::Create(c1) = publish::begin_publish(ledger, Target::Devto, &a1, "h", t0())
        .await
        .unwrap()
    else {
        panic!("expected create")
    };
    let err = publish::begin_publish(ledger, Target::Devto, &a2, "h", t0() + Duration::minutes(1))
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Conflict");
    // The same revision retried: resumes the claim.
    let PublishPlan::Create(c1b) =
        publish::begin_publish(ledger, Target::Devto, &a1, "h", t0() + Duration::minutes(2))
            .await
            .unwrap()
    else {
        panic!("expected resumed create")
    };
    assert!(c1b.resumed);
    // The first attempt's claim is now stale: recording through it conflicts.
    let err = publish::finish_create(ledger, &c1, "1", None, "h", t0())
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Conflict");
    // After the lease, another revision takes over.
    let PublishPlan::Create(c2) = publish::begin_publish(
        ledger,
        Target::Devto,
        &a2,
        "h",
        t0() + Duration::minutes(40),
    )
    .await
    .unwrap() else {
        panic!("expected take-over")
    };
    assert!(c2.resumed);
    publish::release_claim(ledger, &c2).await.unwrap();
    assert_eq!(ledger.get(id, Target::Devto).await.unwrap(), None);
}

/// Many concurrent first publishes of one document: exactly one gets the claim, the others
/// get Conflict.
pub async fn concurrent_creates(ledger: Arc<dyn Ledger>, id: &str) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let ledger = ledger.clone();
        let a = article(id, &format!("r{i}"), "2026-03-01T09:00:00Z");
        tasks.push(tokio::spawn(async move {
            publish::begin_publish(ledger.as_ref(), Target::Hashnode, &a, "h", t0()).await
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(PublishPlan::Create(_)) => wins += 1,
            Err(e) if e.name() == "Conflict" => conflicts += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((wins, conflicts), (1, 7));
}
