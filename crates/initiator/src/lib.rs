//! The crosspost initiator: a signed Sanity webhook in, a started state machine execution out.
//!
//! - [`signature`]: `sanity-webhook-signature` verification over the raw body (constant time,
//!   with a timestamp window).
//! - [`normalize`]: Sanity document or webhook projection → [`crosspost_core::Article`].
//! - [`name`]: execution names from (operation, document id, revision).
//! - [`sanity`]: the query API, for projections that lack the content or category titles.
//! - [`starter`]: the [`ExecutionStarter`] seam (Step Functions with feature `aws`; the local
//!   mode supplies an in-process one).
//! - [`webhook`]: [`Initiator::handle`], the whole delivery, independent of the HTTP framework.
//!
//! This crate never parses a body before its signature has been checked, never starts an
//! execution for a refused delivery, and never reads the clock into the execution input.

pub mod config;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod name;
pub mod normalize;
pub mod sanity;
pub mod signature;
pub mod starter;
pub mod webhook;

pub use config::Config;
pub use starter::{ExecutionStarter, StartError, Started};
pub use webhook::{Delivery, Initiator, InitiatorError, Prepared, WebhookResponse};
