//! From a Sanity document (or a webhook projection of one) to the platform-neutral Article.
//!
//! Accepted document fields (all read leniently; what is wrong is named in the error):
//!
//! | field | meaning |
//! |---|---|
//! | `_id` (required), `_rev` | identity; a `drafts.` prefix is removed |
//! | `title` | required to publish |
//! | `slug` | `{"current": "..."}` or a string; required to publish |
//! | `body` | Portable Text array; required to publish |
//! | `description`, `excerpt`, `summary` | string or Portable Text (flattened to text) |
//! | `mainImage`, `coverImage` | image object (`asset._ref`, or a projected `asset.url`), or a URL string |
//! | `publishedAt` | RFC 3339; a future value makes the state machine wait |
//! | `categories`, `tags` | strings, or objects with `title` (a projected `categories[]->title` gives strings) |
//! | `series` | string or object with `title` |
//! | `canonicalUrl` | overrides the configured pattern |
//! | `optOut` | target names this post must not go to |
//! | `operation` | `create`/`update`/`delete` (a projected `delta::operation()`), when no header says it |

use chrono::{DateTime, SecondsFormat, Utc};
use crosspost_core::{Article, CoverImage, Operation, Target};
use portable_text::{Format, SanityConfig};
use serde_json::{Map, Value};

use crate::config::Config;

/// What is wrong with a document. Maps to HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("the body must be a JSON object (a Sanity document or webhook projection), found {0}")]
    NotAnObject(&'static str),
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("unknown operation `{0}` (expected create, update or delete)")]
    UnknownOperation(String),
}

/// Which document fields still need the query API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Missing {
    /// Title, slug or body are absent: fetch the whole document.
    pub document: bool,
    /// Categories are references (`_ref`), not titles.
    pub category_refs: Vec<String>,
}

/// The Sanity operation → crosspost operation.
pub fn operation_from(sanity_operation: &str) -> Result<Operation, NormalizeError> {
    match sanity_operation.trim().to_ascii_lowercase().as_str() {
        "create" | "update" => Ok(Operation::Publish),
        "delete" => Ok(Operation::Unpublish),
        other => Err(NormalizeError::UnknownOperation(other.to_string())),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses the raw body into a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, NormalizeError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| NormalizeError::NotJson(e.to_string()))?;
    match v {
        Value::Object(m) => Ok(m),
        other => Err(NormalizeError::NotAnObject(type_name(&other))),
    }
}

fn str_field<'a>(
    doc: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, NormalizeError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(NormalizeError::Invalid {
            field,
            problem: format!("must be a string, found {}", type_name(other)),
        }),
    }
}

/// The published document id (`drafts.` removed).
pub fn document_id(doc: &Map<String, Value>) -> Result<String, NormalizeError> {
    let id = str_field(doc, "_id")?.ok_or(NormalizeError::Missing("_id"))?;
    Ok(id.strip_prefix("drafts.").unwrap_or(id).to_string())
}

fn slug(doc: &Map<String, Value>) -> Result<Option<String>, NormalizeError> {
    let s = match doc.get("slug") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => match o.get("current") {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(other) => {
                return Err(NormalizeError::Invalid {
                    field: "slug",
                    problem: format!("`current` must be a string, found {}", type_name(other)),
                })
            }
        },
        Some(other) => {
            return Err(NormalizeError::Invalid {
                field: "slug",
                problem: format!(
                    "must be a string or {{\"current\": ...}}, found {}",
                    type_name(other)
                ),
            })
        }
    };
    let Some(s) = s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.contains(|c: char| c.is_whitespace() || c.is_control() || c == '/' || c == '\\')
        || s == "."
        || s == ".."
    {
        return Err(NormalizeError::Invalid {
            field: "slug",
            problem: format!("`{s}` must not contain spaces, control characters or slashes"),
        });
    }
    Ok(Some(s))
}

/// Flattens a description that may be a string or Portable Text.
fn text_of(v: &Value, field: &'static str) -> Result<Option<String>, NormalizeError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Value::Array(_) | Value::Object(_) => {
            let text = portable_text::render_value(v, Format::Text, &SanityConfig::default())
                .map_err(|e| NormalizeError::Invalid {
                    field,
                    problem: format!("is not text or Portable Text: {e}"),
                })?;
            Ok(Some(text.trim().to_string()).filter(|s| !s.is_empty()))
        }
        other => Err(NormalizeError::Invalid {
            field,
            problem: format!("must be text, found {}", type_name(other)),
        }),
    }
}

fn description(doc: &Map<String, Value>) -> Result<Option<String>, NormalizeError> {
    for field in ["description", "excerpt", "summary"] {
        if let Some(v) = doc.get(field) {
            if let Some(t) = text_of(v, field)? {
                return Ok(Some(t));
            }
        }
    }
    Ok(None)
}

fn cover(
    doc: &Map<String, Value>,
    sanity: &SanityConfig,
) -> Result<Option<CoverImage>, NormalizeError> {
    for field in ["mainImage", "coverImage"] {
        let Some(v) = doc.get(field) else { continue };
        match v {
            Value::Null => continue,
            Value::String(url) if url.starts_with("https://") || url.starts_with("http://") => {
                return Ok(Some(CoverImage {
                    url: url.clone(),
                    alt: None,
                }))
            }
            Value::Object(o) => {
                let alt = o
                    .get("alt")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from);
                let asset = o.get("asset").and_then(Value::as_object);
                let url = asset
                    .and_then(|a| a.get("url"))
                    .and_then(Value::as_str)
                    .map(String::from)
                    .or_else(|| {
                        asset
                            .and_then(|a| a.get("_ref"))
                            .and_then(Value::as_str)
                            .and_then(|r| portable_text::image_url(r, sanity))
                    });
                match url {
                    Some(url) => return Ok(Some(CoverImage { url, alt })),
                    None => {
                        return Err(NormalizeError::Invalid {
                            field: if field == "mainImage" { "mainImage" } else { "coverImage" },
                            problem: "has no usable asset (need `asset._ref` of an image with SANITY_PROJECT_ID and SANITY_DATASET set, or `asset.url`)".into(),
                        })
                    }
                }
            }
            other => {
                return Err(NormalizeError::Invalid {
                    field: if field == "mainImage" {
                        "mainImage"
                    } else {
                        "coverImage"
                    },
                    problem: format!("must be an image object or URL, found {}", type_name(other)),
                })
            }
        }
    }
    Ok(None)
}

/// Tags from `categories` then `tags`; references are returned separately for the query API.
fn tags(doc: &Map<String, Value>) -> Result<(Vec<String>, Vec<String>), NormalizeError> {
    let mut out: Vec<String> = Vec::new();
    let mut refs = Vec::new();
    for field in ["categories", "tags"] {
        match doc.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let title = match item {
                        Value::String(s) => Some(s.as_str()),
                        Value::Object(o) => {
                            if let Some(t) = o.get("title").and_then(Value::as_str) {
                                Some(t)
                            } else if let Some(r) = o.get("_ref").and_then(Value::as_str) {
                                refs.push(r.to_string());
                                None
                            } else {
                                return Err(NormalizeError::Invalid {
                                    field: if field == "tags" {
                                        "tags"
                                    } else {
                                        "categories"
                                    },
                                    problem: format!("item {i} has neither `title` nor `_ref`"),
                                });
                            }
                        }
                        Value::Null => None,
                        other => {
                            return Err(NormalizeError::Invalid {
                                field: if field == "tags" {
                                    "tags"
                                } else {
                                    "categories"
                                },
                                problem: format!(
                                    "item {i} must be a string or object, found {}",
                                    type_name(other)
                                ),
                            })
                        }
                    };
                    if let Some(t) = title.map(str::trim).filter(|t| !t.is_empty()) {
                        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
                            out.push(t.to_string());
                        }
                    }
                }
            }
            Some(other) => {
                return Err(NormalizeError::Invalid {
                    field: if field == "tags" {
                        "tags"
                    } else {
                        "categories"
                    },
                    problem: format!("must be an array, found {}", type_name(other)),
                })
            }
        }
    }
    Ok((out, refs))
}

fn series(doc: &Map<String, Value>) -> Result<Option<String>, NormalizeError> {
    match doc.get("series") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(Value::Object(o)) => Ok(o
            .get("title")
            .or_else(|| o.get("name"))
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())),
        Some(other) => Err(NormalizeError::Invalid {
            field: "series",
            problem: format!(
                "must be a string or object with `title`, found {}",
                type_name(other)
            ),
        }),
    }
}

fn opt_out(doc: &Map<String, Value>) -> Result<Vec<Target>, NormalizeError> {
    match doc.get("optOut") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let t = item
                    .as_str()
                    .ok_or_else(|| NormalizeError::Invalid {
                        field: "optOut",
                        problem: format!("items must be target names, found {}", type_name(item)),
                    })?
                    .parse::<Target>()
                    .map_err(|problem| NormalizeError::Invalid {
                        field: "optOut",
                        problem,
                    })?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            out.sort();
            Ok(out)
        }
        Some(other) => Err(NormalizeError::Invalid {
            field: "optOut",
            problem: format!(
                "must be an array of target names, found {}",
                type_name(other)
            ),
        }),
    }
}

/// Parses an RFC 3339 timestamp and writes it in the one form ASL timestamp comparisons accept
/// (UTC, `Z`, whole seconds unless there are fractions).
pub fn normalise_timestamp(field: &'static str, s: &str) -> Result<String, NormalizeError> {
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(s.trim())
        .map_err(|e| NormalizeError::Invalid {
            field,
            problem: format!("`{s}` is not an RFC 3339 timestamp ({e})"),
        })?
        .with_timezone(&Utc);
    Ok(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// What the document lacks that the query API can supply (see [`Missing`]).
pub fn missing(doc: &Map<String, Value>) -> Result<Missing, NormalizeError> {
    let document = str_field(doc, "title")?.is_none()
        || slug(doc)?.is_none()
        || !matches!(doc.get("body"), Some(Value::Array(_)));
    let (_, category_refs) = tags(doc)?;
    Ok(Missing {
        document,
        category_refs,
    })
}

/// The normalised post and when it should go live.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    pub article: Article,
    pub publish_at: Option<String>,
}

/// Builds the Article. `revision` is the document's `_rev` or, failing that, the caller's
/// stand-in (transaction id). For [`Operation::Unpublish`] only the id is required: a deleted
/// document may arrive as a bare projection.
pub fn normalise(
    doc: &Map<String, Value>,
    operation: Operation,
    revision: &str,
    extra_tags: &[String],
    config: &Config,
) -> Result<Normalised, NormalizeError> {
    let id = document_id(doc)?;
    let publishing = operation == Operation::Publish;
    let title = match str_field(doc, "title")? {
        Some(t) => t.trim().to_string(),
        None if publishing => return Err(NormalizeError::Missing("title")),
        None => String::new(),
    };
    let slug = match slug(doc)? {
        Some(s) => s,
        None if publishing => return Err(NormalizeError::Missing("slug")),
        None => String::new(),
    };
    let body = match doc.get("body") {
        Some(Value::Array(a)) => Value::Array(a.clone()),
        None | Some(Value::Null) if !publishing => Value::Array(Vec::new()),
        None | Some(Value::Null) => return Err(NormalizeError::Missing("body")),
        Some(other) => {
            return Err(NormalizeError::Invalid {
                field: "body",
                problem: format!("must be a Portable Text array, found {}", type_name(other)),
            })
        }
    };
    let sanity = SanityConfig {
        project_id: config.sanity_project_id.clone(),
        dataset: config.sanity_dataset.clone(),
    };
    let (mut tags, _refs) = tags(doc)?;
    for t in extra_tags {
        if !tags.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            tags.push(t.clone());
        }
    }
    let published_at = str_field(doc, "publishedAt")?
        .map(|s| normalise_timestamp("publishedAt", s))
        .transpose()?;
    let updated_at = str_field(doc, "_updatedAt")?
        .map(|s| normalise_timestamp("_updatedAt", s))
        .transpose()?;
    let canonical_url = match str_field(doc, "canonicalUrl")? {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => u.to_string(),
        Some(u) => {
            return Err(NormalizeError::Invalid {
                field: "canonicalUrl",
                problem: format!("`{u}` is not an http(s) URL"),
            })
        }
        None => config.canonical_url(&slug, &id),
    };
    let article = Article {
        id,
        revision: revision.to_string(),
        slug,
        title,
        description: description(doc)?,
        body,
        canonical_url,
        tags,
        cover_image: cover(doc, &sanity)?,
        published_at: published_at.clone(),
        updated_at,
        series: series(doc)?,
        opt_out: opt_out(doc)?,
        sanity_project_id: config.sanity_project_id.clone(),
        sanity_dataset: config.sanity_dataset.clone(),
    };
    Ok(Normalised {
        publish_at: if publishing { published_at } else { None },
        article,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn config() -> Config {
        Config {
            site_url: "https://blog.dev".into(),
            sanity_project_id: Some("abc123".into()),
            sanity_dataset: Some("production".into()),
            ..Config::default()
        }
    }

    fn full() -> Value {
        json!({
            "_id": "drafts.post-1", "_rev": "r1", "_updatedAt": "2024-05-01T10:00:00+02:00",
            "title": " Hello ", "slug": {"current": "hello"},
            "excerpt": [{"_type": "block", "children": [{"_type": "span", "text": "Short"}]}],
            "body": [],
            "mainImage": {"asset": {"_ref": "image-Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000-jpg"}, "alt": "A cat"},
            "publishedAt": "2024-05-01T08:00:00.000Z",
            "categories": ["Rust", {"title": "AWS"}, "rust"],
            "tags": ["serverless"],
            "series": {"title": "Crossposting"},
            "optOut": ["medium"]
        })
    }

    #[test]
    fn a_full_document() {
        let n = normalise(&doc(full()), Operation::Publish, "r1", &[], &config()).unwrap();
        let a = n.article;
        assert_eq!(a.id, "post-1");
        assert_eq!(a.title, "Hello");
        assert_eq!(a.slug, "hello");
        assert_eq!(a.description.as_deref(), Some("Short"));
        assert_eq!(a.canonical_url, "https://blog.dev/hello");
        assert_eq!(a.tags, vec!["Rust", "AWS", "serverless"]);
        assert_eq!(
            a.cover_image,
            Some(CoverImage {
                url: "https://cdn.sanity.io/images/abc123/production/Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000.jpg".into(),
                alt: Some("A cat".into())
            })
        );
        assert_eq!(a.published_at.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert_eq!(a.updated_at.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert_eq!(a.series.as_deref(), Some("Crossposting"));
        assert_eq!(a.opt_out, vec![Target::Medium]);
        assert_eq!(n.publish_at.as_deref(), Some("2024-05-01T08:00:00Z"));
    }

    fn check_err(patch: Value, op: Operation, expected: &str) {
        let mut d = doc(full());
        for (k, v) in doc(patch) {
            if v.is_null() {
                d.remove(&k);
            } else {
                d.insert(k, v);
            }
        }
        let e = normalise(&d, op, "r1", &[], &config()).unwrap_err();
        assert_eq!(e.to_string(), expected);
    }

    #[test]
    fn errors_name_the_field() {
        let p = Operation::Publish;
        check_err(json!({"title": null}), p, "missing field `title`");
        check_err(json!({"_id": null}), p, "missing field `_id`");
        check_err(json!({"slug": null}), p, "missing field `slug`");
        check_err(json!({"body": null}), p, "missing field `body`");
        check_err(
            json!({"title": 3}),
            p,
            "field `title` must be a string, found a number",
        );
        check_err(
            json!({"body": "text"}),
            p,
            "field `body` must be a Portable Text array, found a string",
        );
        check_err(
            json!({"slug": "a b"}),
            p,
            "field `slug` `a b` must not contain spaces, control characters or slashes",
        );
        check_err(
            json!({"publishedAt": "yesterday"}),
            p,
            "field `publishedAt` `yesterday` is not an RFC 3339 timestamp (premature end of input)",
        );
        check_err(json!({"optOut": ["myspace"]}), p, "field `optOut` unknown target `myspace` (expected devto, hashnode, medium or opensearch)");
        check_err(
            json!({"categories": "rust"}),
            p,
            "field `categories` must be an array, found a string",
        );
        check_err(
            json!({"canonicalUrl": "blog.dev/x"}),
            p,
            "field `canonicalUrl` `blog.dev/x` is not an http(s) URL",
        );
    }

    #[test]
    fn unpublish_needs_only_the_id() {
        let d = doc(json!({"_id": "post-1"}));
        let n = normalise(&d, Operation::Unpublish, "tx1", &[], &config()).unwrap();
        assert_eq!(n.article.id, "post-1");
        assert_eq!(n.publish_at, None);
    }

    #[test]
    fn operations() {
        assert_eq!(operation_from("create"), Ok(Operation::Publish));
        assert_eq!(operation_from("Update"), Ok(Operation::Publish));
        assert_eq!(operation_from("delete"), Ok(Operation::Unpublish));
        assert!(operation_from("patch").is_err());
    }

    #[test]
    fn references_need_the_query_api() {
        let d = doc(json!({"_id": "p", "title": "T", "slug": "s", "body": [],
            "categories": [{"_ref": "cat-1", "_type": "reference"}]}));
        assert_eq!(
            missing(&d).unwrap(),
            Missing {
                document: false,
                category_refs: vec!["cat-1".into()]
            }
        );
        let d = doc(json!({"_id": "p", "_rev": "r", "operation": "update"}));
        assert!(missing(&d).unwrap().document);
    }
}
