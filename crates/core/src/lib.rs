//! Shared model and services of crosspost.
