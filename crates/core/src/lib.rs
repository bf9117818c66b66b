//! Shared model and services of crosspost.
//!
//! - [`article`]: the platform-neutral [`Article`] and the state machine input that carries it.
//! - [`error`]: [`TaskError`], whose [`TaskError::name`] the state machine matches in Retry/Catch.
//! - [`report`]: what a target reports back ([`TargetResult`]).

pub mod article;
pub mod error;
pub mod report;

pub use article::{Article, ArticleRef, CoverImage, ExecutionInput, Operation, Target};
pub use error::TaskError;
pub use report::{Outcome, TargetResult};
