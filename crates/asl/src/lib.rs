//! A local executor for the Amazon States Language.
