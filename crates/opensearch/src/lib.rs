//! crosspost opensearch.
