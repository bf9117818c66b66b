//! crosspost hashnode.
