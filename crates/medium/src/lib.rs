//! crosspost medium.
