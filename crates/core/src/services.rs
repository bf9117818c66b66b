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
