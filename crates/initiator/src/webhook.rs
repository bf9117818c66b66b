//! One webhook delivery, from raw bytes to a started execution.
//!
//! The order matters: size limit, then the signature over the raw body, and only then parsing.
//! Nothing is started unless every check passed. Everything here is independent of the HTTP
//! framework: the Lambda (`lambda_http`) and `crosspost serve` (axum) both call
//! [`Initiator::handle`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crosspost_core::snapshot::{snapshot_key, SnapshotStore};
use crosspost_core::{http::sha256_hex, ArticleRef, ExecutionInput, Operation, Target, TargetPlan};
use serde_json::{json, Map, Value};
use tracing::{info, warn};

use crate::config::Config;
use crate::name::execution_name;
use crate::normalize::{self, NormalizeError};
use crate::sanity::{SanityClient, SanityError};
use crate::signature::{self, SignatureError};
use crate::starter::{ExecutionStarter, StartError};

/// Why a delivery was refused or failed, with its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum InitiatorError {
    /// 401: missing, forged or stale signature.
    #[error("unauthorized: {0}")]
    Unauthorized(#[from] SignatureError),
    /// 413: the body is over the limit.
    #[error("body of {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// 400: the body is not a usable document.
    #[error("bad request: {0}")]
    BadRequest(#[from] NormalizeError),
    /// 400: a document the query API does not know.
    #[error("bad request: document `{0}` was not found in Sanity")]
    UnknownDocument(String),
    /// 502: the query API failed (Sanity retries the delivery).
    #[error("{0}")]
    Sanity(#[from] SanityError),
    /// 500: the snapshot could not be stored.
    #[error("could not store the article snapshot: {0}")]
    Snapshot(String),
    /// 500: the execution could not be started.
    #[error("{0}")]
    Start(#[from] StartError),
}

impl InitiatorError {
    /// The HTTP status. 4xx (except 429) tell Sanity not to retry; 5xx make it retry.
    pub fn status(&self) -> u16 {
        match self {
            InitiatorError::Unauthorized(_) => 401,
            InitiatorError::TooLarge { .. } => 413,
            InitiatorError::BadRequest(_) | InitiatorError::UnknownDocument(_) => 400,
            InitiatorError::Sanity(_) => 502,
            InitiatorError::Snapshot(_) | InitiatorError::Start(_) => 500,
        }
    }
}

/// A delivery: headers (any case) and the raw body.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Delivery<'_> {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

/// The execution a delivery asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub name: String,
    /// The exact input bytes: the same for every redelivery of one (document, revision).
    pub input_json: String,
    pub input: ExecutionInput,
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookResponse {
    pub status: u16,
    pub body: Value,
}

/// The initiator: configuration, the webhook secret and the clients, built once.
pub struct Initiator {
    pub config: Config,
    webhook_secret: Option<String>,
    sanity: Option<SanityClient>,
    snapshots: Arc<dyn SnapshotStore>,
    starter: Arc<dyn ExecutionStarter>,
}

impl std::fmt::Debug for Initiator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Initiator")
            .field("config", &self.config)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "set"),
            )
            .field("sanity", &self.sanity.is_some())
            .finish_non_exhaustive()
    }
}

impl Initiator {
    /// `webhook_secret: None` refuses every signed delivery (401): the webhook must have a
    /// secret. `sanity: None` means deliveries must carry everything (no query API).
    pub fn new(
        config: Config,
        webhook_secret: Option<String>,
        sanity: Option<SanityClient>,
        snapshots: Arc<dyn SnapshotStore>,
        starter: Arc<dyn ExecutionStarter>,
    ) -> Self {
        Initiator {
            config,
            webhook_secret,
            sanity,
            snapshots,
            starter,
        }
    }

    /// Handles one delivery end to end and answers it; `now_ms` is the receive time.
    pub async fn handle(&self, delivery: Delivery<'_>, now_ms: i64) -> WebhookResponse {
        match self.accept(delivery, now_ms).await {
            Ok((prepared, started)) => WebhookResponse {
                status: 202,
                body: json!({
                    "executionArn": started.execution_arn,
                    "executionName": prepared.name,
                    "duplicate": started.duplicate,
                }),
            },
            Err(e) => {
                warn!(status = e.status(), error = %e, "webhook refused");
                WebhookResponse {
                    status: e.status(),
                    body: json!({ "error": e.to_string() }),
                }
            }
        }
    }

    /// Checks the size and the signature, prepares the input and starts the execution.
    pub async fn accept(
        &self,
        delivery: Delivery<'_>,
        now_ms: i64,
    ) -> Result<(Prepared, crate::starter::Started), InitiatorError> {
        self.check_size(delivery)?;
        let secret = self
            .webhook_secret
            .as_deref()
            .ok_or(SignatureError::Mismatch)?;
        signature::verify(
            secret,
            delivery.header(signature::HEADER),
            delivery.body,
            now_ms,
            self.config.tolerance_seconds,
        )?;
        let prepared = self.prepare(delivery).await?;
        let started = self
            .starter
            .start(&prepared.name, &prepared.input_json)
            .await?;
        info!(
            execution = %prepared.name,
            post_id = %prepared.input.document_id,
            duplicate = started.duplicate,
            "execution started"
        );
        Ok((prepared, started))
    }

    /// Refuses bodies over the limit (by `content-length` when present, then by length).
    pub fn check_size(&self, delivery: Delivery<'_>) -> Result<(), InitiatorError> {
        let limit = self.config.max_body_bytes;
        let declared = delivery
            .header("content-length")
            .and_then(|v| v.trim().parse::<usize>().ok());
        let size = declared.unwrap_or(0).max(delivery.body.len());
        if size > limit {
            return Err(InitiatorError::TooLarge { size, limit });
        }
        Ok(())
    }

    /// Everything after the signature: parse, complete from the query API if needed,
    /// normalise, plan the targets, claim-check a large article, name the execution.
    pub async fn prepare(&self, delivery: Delivery<'_>) -> Result<Prepared, InitiatorError> {
        let mut doc = normalize::parse_object(delivery.body)?;
        let operation = match delivery.header("sanity-operation") {
            Some(op) => normalize::operation_from(op)?,
            None => match doc.get("operation").and_then(Value::as_str) {
                Some(op) => normalize::operation_from(op)?,
                None => Operation::Publish,
            },
        };
        let id = normalize::document_id(&doc)?;
        if operation == Operation::Publish {
            let missing = normalize::missing(&doc)?;
            let need_document = missing.document && self.sanity.is_some();
            if need_document || !missing.category_refs.is_empty() {
                let what = if need_document {
                    "a projection without title, slug or body"
                } else {
                    "category references"
                };
                let client = self
                    .sanity
                    .as_ref()
                    .ok_or(SanityError::NotConfigured(what))?;
                let fetched = client
                    .document(&id)
                    .await?
                    .ok_or_else(|| InitiatorError::UnknownDocument(id.clone()))?;
                merge_fetched(&mut doc, fetched, need_document);
            }
        }
        let revision = revision(&doc, delivery);
        // Sanity names its project and dataset in every delivery; configuration wins.
        let mut config = self.config.clone();
        if config.sanity_project_id.is_none() {
            config.sanity_project_id = delivery.header("sanity-project-id").map(String::from);
        }
        if config.sanity_dataset.is_none() {
            config.sanity_dataset = delivery.header("sanity-dataset").map(String::from);
        }
        let normalised = normalize::normalise(&doc, operation, &revision, &[], &config)?;
        let article = normalised.article;
        let targets = plan(&self.config, &article.opt_out);
        let mut input = ExecutionInput {
            publish_at: normalised.publish_at,
            ..ExecutionInput::inline(article, operation, targets)
        };
        let mut input_json = to_json(&input)?;
        if input_json.len() > self.config.claim_check_bytes {
            if let ArticleRef::Inline(article) = &input.article {
                let bytes = serde_json::to_vec(article.as_ref())
                    .map_err(|e| InitiatorError::Snapshot(e.to_string()))?;
                let key = snapshot_key(&article.id, &article.revision);
                let snapshot = self
                    .snapshots
                    .put(&key, &bytes)
                    .await
                    .map_err(|e| InitiatorError::Snapshot(e.to_string()))?;
                input.article = ArticleRef::Snapshot { snapshot };
                input_json = to_json(&input)?;
            }
        }
        Ok(Prepared {
            name: execution_name(operation, &input.document_id, &revision),
            input_json,
            input,
        })
    }
}

fn to_json(input: &ExecutionInput) -> Result<String, InitiatorError> {
    serde_json::to_string(input).map_err(|e| InitiatorError::Snapshot(e.to_string()))
}

/// The document's `_rev`, or a stand-in that is stable across redeliveries.
fn revision(doc: &Map<String, Value>, delivery: Delivery<'_>) -> String {
    doc.get("_rev")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
        .map(String::from)
        .or_else(|| delivery.header("sanity-transaction-id").map(String::from))
        .or_else(|| delivery.header("idempotency-key").map(String::from))
        .unwrap_or_else(|| format!("body-{}", &sha256_hex(delivery.body)[..20]))
}

/// Fills a projection from the fetched document: everything when the projection lacked the
/// content, otherwise only the resolved category titles.
fn merge_fetched(doc: &mut Map<String, Value>, fetched: Map<String, Value>, whole: bool) {
    if whole {
        for (k, v) in fetched {
            doc.entry(k).or_insert(v);
        }
    } else if let Some(c) = fetched.get("categories") {
        doc.insert("categories".into(), c.clone());
    }
}

/// Which targets run: configured and not opted out. Every target gets a line (the state
/// machine reads `targets.<t>.enabled` and `.reason`).
pub fn plan(config: &Config, opt_out: &[Target]) -> BTreeMap<Target, TargetPlan> {
    Target::ALL
        .into_iter()
        .map(|t| {
            let plan = if !config.targets.contains(&t) {
                TargetPlan {
                    enabled: false,
                    reason: Some("not enabled in CROSSPOST_TARGETS".into()),
                }
            } else if opt_out.contains(&t) {
                TargetPlan {
                    enabled: false,
                    reason: Some("opted out in Sanity (optOut)".into()),
                }
            } else {
                TargetPlan {
                    enabled: true,
                    reason: None,
                }
            };
            (t, plan)
        })
        .collect()
}
