//! crosspost initiator.
