//! Sanity conventions: image asset URLs, code-input blocks and embed blocks.

use std::borrow::Cow;

use serde::Deserialize;

use crate::model::Object;

/// Where Sanity image assets live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanityConfig {
    /// The Sanity project id.
    pub project_id: Option<String>,
    /// The dataset (e.g. `production`).
    pub dataset: Option<String>,
}

/// The CDN URL of an image asset reference
/// `image-<assetId>-<width>x<height>-<ext>`, or of a file asset reference
/// `file-<assetId>-<ext>`. None when the reference is malformed or the
/// project id or dataset is unknown.
pub fn image_url(asset_ref: &str, sanity: &SanityConfig) -> Option<String> {
    let project = sanity.project_id.as_deref().filter(|p| valid_segment(p))?;
    let dataset = sanity.dataset.as_deref().filter(|d| valid_segment(d))?;
    if let Some(rest) = asset_ref.strip_prefix("image-") {
        let (id, dims, ext) = split_image_ref(rest)?;
        return Some(format!(
            "https://cdn.sanity.io/images/{project}/{dataset}/{id}-{dims}.{ext}"
        ));
    }
    if let Some(rest) = asset_ref.strip_prefix("file-") {
        let (id, ext) = rest.rsplit_once('-')?;
        if !valid_segment(id) || !valid_segment(ext) {
            return None;
        }
        return Some(format!(
            "https://cdn.sanity.io/files/{project}/{dataset}/{id}.{ext}"
        ));
    }
    None
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Splits `<id>-<w>x<h>-<ext>` into its parts.
fn split_image_ref(rest: &str) -> Option<(&str, &str, &str)> {
    let (head, ext) = rest.rsplit_once('-')?;
    let (id, dims) = head.rsplit_once('-')?;
    let (w, h) = dims.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !valid_segment(id) || !digits(w) || !digits(h) || !valid_segment(ext) {
        return None;
    }
    Some((id, dims, ext))
}

fn image_dims(asset_ref: &str) -> Option<(f64, f64)> {
    let rest = asset_ref.strip_prefix("image-")?;
    let (_, dims, _) = split_image_ref(rest)?;
    let (w, h) = dims.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

#[derive(Deserialize)]
struct Asset {
    #[serde(rename = "_ref")]
    reference: Option<String>,
    #[serde(rename = "_id")]
    id: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Crop {
    #[serde(default)]
    top: f64,
    #[serde(default)]
    bottom: f64,
    #[serde(default)]
    left: f64,
    #[serde(default)]
    right: f64,
}

/// An image block, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// The URL to show.
    pub url: String,
    /// Alternative text (empty when missing).
    pub alt: String,
    /// Caption, when present.
    pub caption: Option<String>,
}

/// Resolves an `image` object: `asset._ref` (or a materialised `asset.url`,
/// or a plain `url`/`src` field) to a URL; the `crop` rectangle and an
/// optional `width` become CDN query parameters.
pub fn image(obj: &Object<'_>, sanity: &SanityConfig) -> Option<Image> {
    let asset: Option<Asset> = obj.field("asset");
    let reference = asset
        .as_ref()
        .and_then(|a| a.reference.clone().or_else(|| a.id.clone()));
    let mut url = match reference.as_deref().and_then(|r| image_url(r, sanity)) {
        Some(u) => u,
        None => asset
            .as_ref()
            .and_then(|a| a.url.clone())
            .or_else(|| obj.str("url").map(Cow::into_owned))
            .or_else(|| obj.str("src").map(Cow::into_owned))?,
    };
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return None;
    }
    let mut params: Vec<String> = Vec::new();
    if let (Some(r), Some(crop)) = (reference.as_deref(), obj.field::<Crop>("crop")) {
        if let Some((w, h)) = image_dims(r) {
            let (l, t) = ((crop.left * w).round(), (crop.top * h).round());
            let cw = ((1.0 - crop.left - crop.right) * w).round();
            let ch = ((1.0 - crop.top - crop.bottom) * h).round();
            let cropped =
                crop.left > 0.0 || crop.top > 0.0 || crop.right > 0.0 || crop.bottom > 0.0;
            if cropped && cw > 0.0 && ch > 0.0 {
                params.push(format!("rect={l},{t},{cw},{ch}"));
            }
        }
    }
    if let Some(w) = obj.f64("width") {
        if (1.0..=10_000.0).contains(&w) {
            params.push(format!("w={}", w.round()));
        }
    }
    if !params.is_empty() && url.starts_with("https://cdn.sanity.io/") {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&params.join("&"));
    }
    Some(Image {
        url,
        alt: obj.str("alt").map(Cow::into_owned).unwrap_or_default(),
        caption: obj
            .str("caption")
            .map(Cow::into_owned)
            .filter(|c| !c.trim().is_empty()),
    })
}

/// A code-input block (`_type: "code"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    /// The code.
    pub code: String,
    /// The language, sanitised to a safe fence/class token (may be empty).
    pub language: String,
    /// The file name, when present.
    pub filename: Option<String>,
    /// 1-based highlighted line numbers.
    pub highlighted_lines: Vec<u32>,
}

/// Reads a code-input block. None when `code` is not a string.
pub fn code(obj: &Object<'_>) -> Option<Code> {
    let code = obj.str("code")?.into_owned();
    let language = obj
        .str("language")
        .map(|l| {
            l.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#' | '.'))
                .collect()
        })
        .unwrap_or_default();
    Some(Code {
        code,
        language,
        filename: obj
            .str("filename")
            .map(Cow::into_owned)
            .filter(|f| !f.trim().is_empty()),
        highlighted_lines: obj
            .field::<Vec<u32>>("highlightedLines")
            .unwrap_or_default(),
    })
}

/// Embed providers we recognise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Embed {
    /// A YouTube video.
    YouTube {
        /// The video id.
        id: String,
        /// The URL as given.
        url: String,
    },
    /// A GitHub gist.
    Gist {
        /// The URL.
        url: String,
    },
    /// A CodePen pen.
    CodePen {
        /// The URL.
        url: String,
    },
    /// A tweet (twitter.com or x.com status).
    Tweet {
        /// The status id.
        id: String,
        /// The URL.
        url: String,
    },
    /// Any other http(s) URL.
    Other {
        /// The URL.
        url: String,
    },
}

impl Embed {
    /// The URL of the embedded content.
    pub fn url(&self) -> &str {
        match self {
            Embed::YouTube { url, .. }
            | Embed::Gist { url }
            | Embed::CodePen { url }
            | Embed::Tweet { url, .. }
            | Embed::Other { url } => url,
        }
    }
}

/// Object types treated as embeds: `embed`, `youtube`, `gist`, `codepen`,
/// `tweet`, `twitter`, each with a `url` field (`href` also accepted).
pub const EMBED_TYPES: [&str; 6] = ["embed", "youtube", "gist", "codepen", "tweet", "twitter"];

/// Reads an embed block. None for other types or when the URL is not http(s).
pub fn embed(obj: &Object<'_>) -> Option<Embed> {
    let ty = obj.type_name()?;
    if !EMBED_TYPES.contains(&&*ty) {
        return None;
    }
    let url = obj
        .str("url")
        .or_else(|| obj.str("href"))?
        .trim()
        .to_owned();
    classify_url(&url)
}

/// Recognises the provider of an embed URL.
pub fn classify_url(url: &str) -> Option<Embed> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    if url.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '%' | '[' | ']'
            )
    }) {
        return None;
    }
    let (host, path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let host = host.strip_prefix("m.").unwrap_or(host);
    let id_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let url_s = url.to_owned();
    match host {
        "youtube.com" => {
            let id = path
                .strip_prefix("/watch?")
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("v=")))
                .or_else(|| path.strip_prefix("/embed/"))
                .or_else(|| path.strip_prefix("/shorts/"))
                .map(|s| s.split(['?', '&', '/', '#']).next().unwrap_or(""));
            match id {
                Some(id) if id_ok(id) => Some(Embed::YouTube {
                    id: id.to_owned(),
                    url: url_s,
                }),
                _ => Some(Embed::Other { url: url_s }),
            }
        }
        "youtu.be" => {
            let id = path
                .trim_start_matches('/')
                .split(['?', '&', '/', '#'])
                .next()
                .unwrap_or("");
            if id_ok(id) {
                Some(Embed::YouTube {
                    id: id.to_owned(),
                    url: url_s,
                })
            } else {
                Some(Embed::Other { url: url_s })
            }
        }
        "gist.github.com" => Some(Embed::Gist { url: url_s }),
        "codepen.io" if path.contains("/pen/") => Some(Embed::CodePen { url: url_s }),
        "twitter.com" | "x.com" => {
            let id = path
                .split("/status/")
                .nth(1)
                .map(|s| s.split(['?', '/', '#']).next().unwrap_or(""));
            match id {
                Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(Embed::Tweet {
                        id: id.to_owned(),
                        url: url_s,
                    })
                }
                _ => Some(Embed::Other { url: url_s }),
            }
        }
        _ => Some(Embed::Other { url: url_s }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SanityConfig {
        SanityConfig {
            project_id: Some("abc123".into()),
            dataset: Some("production".into()),
        }
    }

    #[test]
    fn image_urls() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "image-Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000-jpg",
                Some("https://cdn.sanity.io/images/abc123/production/Tb9Ew8CXIwaY6R1kjMvI0uRR-2000x3000.jpg"),
            ),
            ("file-abc-pdf", Some("https://cdn.sanity.io/files/abc123/production/abc.pdf")),
            ("image-abc-200-png", None),
            ("image-abc-20x-png", None),
            ("image-a/b-2x3-png", None),
            ("nonsense", None),
        ];
        for (r, expected) in cases {
            assert_eq!(image_url(r, &cfg()).as_deref(), *expected, "ref {r}");
        }
        assert_eq!(
            image_url("image-abc-2x3-png", &SanityConfig::default()),
            None
        );
    }

    #[test]
    fn embed_providers() {
        let cases: &[(&str, Embed)] = &[
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1",
                Embed::YouTube {
                    id: "dQw4w9WgXcQ".into(),
                    url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1".into(),
                },
            ),
            (
                "https://youtu.be/dQw4w9WgXcQ",
                Embed::YouTube {
                    id: "dQw4w9WgXcQ".into(),
                    url: "https://youtu.be/dQw4w9WgXcQ".into(),
                },
            ),
            (
                "https://gist.github.com/u/123",
                Embed::Gist {
                    url: "https://gist.github.com/u/123".into(),
                },
            ),
            (
                "https://codepen.io/u/pen/xyz",
                Embed::CodePen {
                    url: "https://codepen.io/u/pen/xyz".into(),
                },
            ),
            (
                "https://x.com/u/status/123?s=2",
                Embed::Tweet {
                    id: "123".into(),
                    url: "https://x.com/u/status/123?s=2".into(),
                },
            ),
            (
                "https://example.com/a",
                Embed::Other {
                    url: "https://example.com/a".into(),
                },
            ),
        ];
        for (u, e) in cases {
            assert_eq!(classify_url(u).as_ref(), Some(e), "url {u}");
        }
        assert_eq!(classify_url("javascript:alert(1)"), None);
        assert_eq!(classify_url("https://example.com/{% raw %}"), None);
    }
}
