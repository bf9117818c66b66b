//! The clients a target handler borrows, built once per container (or once per local run).

use std::path::Path;
use std::sync::Arc;

use crate::article::{Article, ExecutionInput, Target};
use crate::error::TaskError;
use crate::http::Transport;
use crate::ledger::{Ledger, LocalLedger};
use crate::report::{Outcome, TargetResult};
use crate::secrets::{SecretProvider, Secrets, StaticSecrets};
use crate::snapshot::{resolve_article, LocalSnapshotStore, SnapshotStore};

/// Everything a target handler needs besides its own settings. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub transport: Arc<dyn Transport>,
    pub ledger: Arc<dyn Ledger>,
    pub snapshots: Arc<dyn SnapshotStore>,
    pub secrets: Arc<dyn SecretProvider>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("live", &self.transport.is_live())
            .finish_non_exhaustive()
    }
}

impl Services {
    /// The local mode's services: ledger in `<data_dir>/ledger`, snapshots in
    /// `<data_dir>/snapshots`, the given secrets and transport (a `DryRunTransport` for a dry
    /// run, usually with an `OverlayLedger` over the local one: see [`Services::with_ledger`]).
    pub fn local(data_dir: &Path, secrets: Secrets, transport: Arc<dyn Transport>) -> Self {
        Services {
            transport,
            ledger: Arc::new(LocalLedger::new(data_dir.join("ledger"))),
            snapshots: Arc::new(LocalSnapshotStore::new(data_dir.join("snapshots"))),
            secrets: Arc::new(StaticSecrets::new(secrets)),
        }
    }

    /// The same services with another ledger.
    pub fn with_ledger(mut self, ledger: Arc<dyn Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    /// The same services with another transport.
    pub fn with_transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = transport;
        self
    }
}

/// The first step of every target handler: is this target to run, and on which article?
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    Run(Box<Article>),
    /// Report this and stop (disabled in the plan, or opted out).
    Skip(TargetResult),
}

/// Checks the execution plan, loads the article (snapshot or inline) and checks its opt-outs
/// and identity. Errors: a snapshot that is missing or corrupt (`InvalidArticle`), a storage
/// failure (`Internal`).
pub async fn open(
    services: &Services,
    input: &ExecutionInput,
    target: Target,
) -> Result<Gate, TaskError> {
    if let Some(plan) = input.targets.get(&target) {
        if !plan.enabled {
            let reason = plan
                .reason
                .clone()
                .unwrap_or_else(|| "disabled for this execution".to_string());
            return Ok(Gate::Skip(
                TargetResult::new(target, Outcome::Skipped).with_reason(reason),
            ));
        }
    }
    let article = resolve_article(services.snapshots.as_ref(), &input.article).await?;
    if article.id != input.document_id {
        return Err(TaskError::InvalidArticle(format!(
            "the article's id `{}` differs from the execution's documentId `{}`",
            article.id, input.document_id
        )));
    }
    if article.opt_out.contains(&target) {
        return Ok(Gate::Skip(
            TargetResult::new(target, Outcome::Skipped).with_reason("opted out"),
        ));
    }
    Ok(Gate::Run(Box::new(article)))
}

/// The report line of a target without a token.
pub fn no_token(target: Target) -> TargetResult {
    TargetResult::new(target, Outcome::Skipped).with_reason("no token configured")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{DryRunTransport, Response};
    use crate::ledger::MemoryLedger;
    use crate::snapshot::MemorySnapshotStore;
    use crate::{ArticleRef, Operation, TargetPlan};

    fn services(snapshots: MemorySnapshotStore) -> Services {
        Services {
            transport: Arc::new(DryRunTransport::new(Arc::new(
                |_: &crate::PreparedRequest| Response::new(500, ""),
            ))),
            ledger: Arc::new(MemoryLedger::new()),
            snapshots: Arc::new(snapshots),
            secrets: Arc::new(StaticSecrets::default()),
        }
    }

    fn article(id: &str, opt_out: &[Target]) -> Article {
        let mut a: Article = serde_json::from_value(serde_json::json!({
            "id": id, "revision": "r", "slug": "s", "title": "T", "body": [],
            "canonicalUrl": "https://example.com/s"
        }))
        .unwrap();
        a.opt_out = opt_out.to_vec();
        a
    }

    fn event(a: ArticleRef, plan: Option<TargetPlan>) -> ExecutionInput {
        ExecutionInput {
            operation: Operation::Publish,
            document_id: "p1".into(),
            slug: "s".into(),
            article: a,
            publish_at: None,
            targets: plan.map(|p| (Target::Devto, p)).into_iter().collect(),
        }
    }

    /// Expected: "run", "skip:<reason>" or the error name.
    async fn check(s: &Services, input: ExecutionInput, expected: &str) {
        let got = match open(s, &input, Target::Devto).await {
            Ok(Gate::Run(_)) => "run".to_string(),
            Ok(Gate::Skip(r)) => format!("skip:{}", r.reason.unwrap_or_default()),
            Err(e) => e.name().to_string(),
        };
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn the_gate_checks_plan_opt_out_identity_and_snapshot() {
        let store = MemorySnapshotStore::new();
        let bytes = serde_json::to_vec(&article("p1", &[])).unwrap();
        let snap = crate::snapshot::SnapshotStore::put(&store, "articles/p1/r.json", &bytes)
            .await
            .unwrap();
        let s = services(store);
        let inline = |a: Article| ArticleRef::Inline(Box::new(a));
        let on = Some(TargetPlan {
            enabled: true,
            reason: None,
        });
        check(&s, event(inline(article("p1", &[])), on.clone()), "run").await;
        check(&s, event(inline(article("p1", &[])), None), "run").await;
        check(
            &s,
            event(
                inline(article("p1", &[])),
                Some(TargetPlan {
                    enabled: false,
                    reason: Some("not configured".into()),
                }),
            ),
            "skip:not configured",
        )
        .await;
        check(
            &s,
            event(
                inline(article("p1", &[])),
                Some(TargetPlan {
                    enabled: false,
                    reason: None,
                }),
            ),
            "skip:disabled for this execution",
        )
        .await;
        check(
            &s,
            event(inline(article("p1", &[Target::Devto])), on.clone()),
            "skip:opted out",
        )
        .await;
        check(
            &s,
            event(inline(article("p1", &[Target::Medium])), on.clone()),
            "run",
        )
        .await;
        check(
            &s,
            event(inline(article("p2", &[])), on.clone()),
            "InvalidArticle",
        )
        .await;
        check(
            &s,
            event(
                ArticleRef::Snapshot {
                    snapshot: snap.clone(),
                },
                on.clone(),
            ),
            "run",
        )
        .await;
        let mut bad = snap;
        bad.sha256 = "00".repeat(32);
        check(
            &s,
            event(ArticleRef::Snapshot { snapshot: bad }, on),
            "InvalidArticle",
        )
        .await;
    }
}
