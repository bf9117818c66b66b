//! crosspost devto.
