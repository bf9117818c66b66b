//! Shared model and services of crosspost.
//!
//! - [`article`]: the platform-neutral [`Article`] and the state machine input that carries it.
//! - [`error`]: [`TaskError`], whose [`TaskError::name`] the state machine matches in Retry/Catch.
//! - [`report`]: what a target reports back ([`TargetResult`]).
//! - [`http`]: [`PreparedRequest`] (a request as a value), the [`Transport`] that sends it
//!   (network or dry run) and the content hash.
//! - [`classify`]: which HTTP answers are retryable, and under which error name.
//! - [`ledger`] and [`publish`]: the idempotency store and the create-once protocol;
//!   [`journal`]: the dry run's ledger, one append-only file.
//! - [`snapshot`]: the article claim check.
//! - [`secrets`] and [`config`]: the secret's keys and the environment.
//! - [`services`]: the bundle of clients a handler borrows.
//! - `aws` (feature `aws`): DynamoDB, S3 and Secrets Manager implementations.
//!
//! This crate never decides what a platform request looks like (the target crates do), and
//! without the `aws` feature it compiles no AWS SDK.

pub mod article;
pub mod classify;
pub mod config;
pub mod error;
pub mod http;
pub mod journal;
pub mod ledger;
pub mod publish;
pub mod report;
pub mod secrets;
pub mod services;
pub mod snapshot;

#[cfg(feature = "aws")]
pub mod aws;

pub use article::{
    Article, ArticleRef, CoverImage, ExecutionInput, Operation, SnapshotKey, Target, TargetPlan,
};
pub use classify::Failure;
pub use error::TaskError;
pub use http::{
    content_hash, DryRunTransport, Method, PreparedRequest, RecordedExchange, ReqwestTransport,
    Response, Simulator, Timeouts, Transport, TransportError,
};
pub use journal::JournalLedger;
pub use ledger::{
    EntryState, Ledger, LedgerEntry, LedgerError, LocalLedger, MemoryLedger, OverlayLedger,
};
pub use report::{Outcome, TargetResult};
pub use secrets::{SecretProvider, Secrets, StaticSecrets};
pub use services::{Gate, Services};
pub use snapshot::{LocalSnapshotStore, MemorySnapshotStore, SnapshotError, SnapshotStore};
