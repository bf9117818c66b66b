#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub mod moto;
pub mod openapi;

use serde_json::Value;

/// The Forem contract from the repository's `contracts/` folder, with the one documented
/// deviation applied: `Article.tags` is an array of strings (the server drops a string; see
/// contracts/SOURCES.json, caveats of forem-api-v1.json).
pub fn forem() -> openapi::OpenApi {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contracts/forem-api-v1.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut api = openapi::OpenApi::new(doc);
    let tags = api
        .doc_mut()
        .pointer_mut("/components/schemas/Article/properties/article/properties/tags")
        .expect("the contract declares Article.article.tags");
    *tags = serde_json::json!({"type": "array", "items": {"type": "string"}});
    api
}
