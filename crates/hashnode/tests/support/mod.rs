#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod graphql;

/// The Hashnode schema from the repository's `contracts/` folder.
pub fn hashnode_schema() -> graphql::Schema {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contracts/hashnode-schema.graphql"
    );
    graphql::Schema::parse(&std::fs::read_to_string(path).unwrap())
}
