//! `crosspost preview FILE`: one self-contained HTML page showing, side by side, what each
//! platform will display for the post.
//!
//! The bodies come from a dry run of the real pipeline (a fresh, temporary ledger, so every
//! target prepares its create request): the Markdown that Dev.to and Hashnode would receive is
//! turned into HTML with pulldown-cmark, Medium's HTML is shown as sent. Above each column:
//! the request's title, tags, canonical URL and cover image. The page has inline CSS and no
//! script.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crosspost_core::{Method, Target};
use initiator::Delivery;
use serde_json::Value;

use crate::pipeline::{self, Options, Pipeline};
use crate::run::read_delivery;

#[derive(clap::Args)]
pub struct Args {
    /// A Sanity webhook body (document or projection), or `{"headers": {...}, "body": ...}`.
    pub file: PathBuf,
    /// The page is written to `<out>/<slug>/preview.html`.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
}

/// What one platform would show.
#[derive(Debug, Clone)]
pub struct Column {
    pub target: Target,
    /// `created`, `skipped`, `failed`, ... from the run's report.
    pub status: String,
    pub title: Option<String>,
    pub tags: Vec<String>,
    pub canonical_url: Option<String>,
    pub cover_image: Option<String>,
    /// The HTML to show (rendered from Markdown, or as sent).
    pub html: Option<String>,
    /// `markdown` or `html`: what the platform receives.
    pub format: &'static str,
}

fn str_at(body: &Value, ptrs: &[&str]) -> Option<String> {
    ptrs.iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_str))
        .map(String::from)
}

fn tags_at(body: &Value, ptr: &str) -> Vec<String> {
    body.pointer(ptr)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    t.as_str()
                        .or_else(|| t.get("name").and_then(Value::as_str))
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Markdown to HTML, as a CommonMark renderer with the common extensions would show it.
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{html, Options as MdOptions, Parser};
    let opts = MdOptions::ENABLE_TABLES
        | MdOptions::ENABLE_STRIKETHROUGH
        | MdOptions::ENABLE_FOOTNOTES
        | MdOptions::ENABLE_TASKLISTS;
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

/// The column of `target` from the request it would send (`None`: nothing would be sent).
pub fn column(target: Target, status: &str, body: Option<&Value>) -> Column {
    let mut c = Column {
        target,
        status: status.to_string(),
        title: None,
        tags: Vec::new(),
        canonical_url: None,
        cover_image: None,
        html: None,
        format: "markdown",
    };
    let Some(b) = body else {
        return c;
    };
    match target {
        Target::Devto => {
            c.title = str_at(b, &["/article/title"]);
            c.tags = tags_at(b, "/article/tags");
            c.canonical_url = str_at(b, &["/article/canonical_url"]);
            c.cover_image = str_at(b, &["/article/main_image"]);
        }
        Target::Hashnode => {
            c.title = str_at(b, &["/variables/input/title"]);
            c.tags = tags_at(b, "/variables/input/tags");
            c.canonical_url = str_at(b, &["/variables/input/originalArticleURL"]);
            c.cover_image = str_at(b, &["/variables/input/coverImageOptions/coverImageURL"]);
        }
        Target::Medium => {
            c.format = "html";
            c.title = str_at(b, &["/title"]);
            c.tags = tags_at(b, "/tags");
            c.canonical_url = str_at(b, &["/canonicalUrl"]);
        }
        Target::Opensearch => {
            c.format = "text";
            c.title = str_at(b, &["/title"]);
        }
    }
    c.html = pipeline::rendered_body(target, b).map(|(text, ext)| match ext {
        "md" => markdown_to_html(&text),
        "html" => text,
        _ => format!("<pre>{}</pre>", esc(&text)),
    });
    c
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#eef1f4;color:#1f2933}
header{padding:14px 20px;background:#263238;color:#fff}
header h1{margin:0;font-size:18px}
header p{margin:4px 0 0;font-size:12px;opacity:.8}
main{display:flex;gap:14px;padding:14px;align-items:flex-start}
.platform{flex:1 1 0;min-width:0;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);overflow:hidden}
.platform>h2{margin:0;padding:10px 14px;font-size:15px;color:#fff}
.devto>h2{background:#0a0a0a}.hashnode>h2{background:#2962ff}.medium>h2{background:#1a8917}
.status{float:right;font-weight:normal;font-size:12px;opacity:.85}
.meta{margin:0;padding:10px 14px;font-size:12px;background:#f7f9fb;border-bottom:1px solid #e0e4e8}
.meta dt{font-weight:bold;color:#52606d}.meta dd{margin:0 0 6px;word-break:break-all}
.meta .tag{display:inline-block;background:#e3e8ef;border-radius:10px;padding:1px 8px;margin:0 4px 2px 0}
.meta img{max-width:100%;max-height:120px;border-radius:4px;display:block}
.body{padding:6px 16px 16px;font-size:15px;line-height:1.6}
.body img{max-width:100%}
.body pre{background:#1e2430;color:#e6edf3;padding:10px;border-radius:6px;overflow:auto;font-size:13px}
.body code{font-family:ui-monospace,"SFMono-Regular",Menlo,monospace}
.body blockquote{margin:0;padding-left:12px;border-left:4px solid #cbd2d9;color:#52606d}
.empty{padding:16px;color:#7b8794;font-style:italic}
"#;

/// The whole page.
pub fn page(title: &str, columns: &[Column]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str(&format!(
        "<title>Preview: {}</title><style>{CSS}</style></head><body>\n",
        esc(title)
    ));
    s.push_str(&format!(
        "<header><h1>Preview: {}</h1><p>What each platform would receive, from a dry run of the pipeline. Markdown targets are shown rendered; Medium's HTML as sent.</p></header>\n<main>\n",
        esc(title)
    ));
    for c in columns {
        let t = c.target.to_string();
        s.push_str(&format!(
            "<section class=\"platform {t}\" data-target=\"{t}\"><h2>{} <span class=\"status\">{} · {}</span></h2>\n<dl class=\"meta\">",
            esc(display_name(c.target)),
            esc(&c.status),
            c.format
        ));
        let dash = || "—".to_string();
        s.push_str(&format!(
            "<dt>title</dt><dd class=\"m-title\">{}</dd>",
            c.title.as_deref().map(esc).unwrap_or_else(dash)
        ));
        let tags: String = c
            .tags
            .iter()
            .map(|t| format!("<span class=\"tag\">{}</span>", esc(t)))
            .collect();
        s.push_str(&format!(
            "<dt>tags</dt><dd class=\"m-tags\">{}</dd>",
            if tags.is_empty() { dash() } else { tags }
        ));
        s.push_str(&format!(
            "<dt>canonical URL</dt><dd class=\"m-canonical\">{}</dd>",
            c.canonical_url.as_deref().map(esc).unwrap_or_else(dash)
        ));
        match &c.cover_image {
            Some(u) => s.push_str(&format!(
                "<dt>cover image</dt><dd class=\"m-cover\"><img src=\"{0}\" alt=\"cover image\"><span>{0}</span></dd>",
                esc(u)
            )),
            None => s.push_str("<dt>cover image</dt><dd class=\"m-cover\">—</dd>"),
        }
        s.push_str("</dl>\n");
        match &c.html {
            Some(h) => {
                s.push_str("<article class=\"body\">\n");
                s.push_str(h);
                s.push_str("\n</article>");
            }
            None => s.push_str(&format!(
                "<p class=\"empty\">Nothing would be sent ({}).</p>",
                esc(&c.status)
            )),
        }
        s.push_str("</section>\n");
    }
    s.push_str("</main></body></html>\n");
    s
}

fn display_name(t: Target) -> &'static str {
    match t {
        Target::Devto => "Dev.to",
        Target::Hashnode => "Hashnode",
        Target::Medium => "Medium",
        Target::Opensearch => "OpenSearch",
    }
}

/// The targets shown: those that display the post to readers.
pub const SHOWN: [Target; 3] = [Target::Devto, Target::Hashnode, Target::Medium];

pub fn main(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("crosspost: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(preview(&args)) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("crosspost: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the dry run and writes the page; returns its path.
pub async fn preview(args: &Args) -> Result<PathBuf, String> {
    let (headers, body) = read_delivery(&args.file)?;
    // A fresh ledger: every target prepares the request it would send for this post.
    let scratch = std::env::temp_dir().join(format!(
        "crosspost-preview-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let result = preview_with(args, &headers, &body, &scratch).await;
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

async fn preview_with(
    args: &Args,
    headers: &[(String, String)],
    body: &[u8],
    scratch: &Path,
) -> Result<PathBuf, String> {
    let opts = Options {
        live: false,
        data_dir: scratch.join("data"),
        secrets_file: None,
    };
    let pipeline =
        Arc::new(Pipeline::new(&opts, &pipeline::env_lookup).map_err(|e| e.to_string())?);
    let initiator = pipeline.initiator(Arc::new(NoStart));
    let prepared = initiator
        .prepare(Delivery { headers, body })
        .await
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    let input: Value = serde_json::from_str(&prepared.input_json).map_err(|e| e.to_string())?;
    let slug = input
        .get("slug")
        .and_then(Value::as_str)
        .unwrap_or("post")
        .to_string();
    for t in Target::ALL {
        pipeline.recorders.take(t);
    }
    let execution = pipeline.execute(&prepared.name, input).await;
    let report = pipeline::report_of(&execution);
    let mut columns = Vec::new();
    for t in SHOWN {
        let exchanges = pipeline.recorders.take(t);
        let main = exchanges
            .iter()
            .rev()
            .find(|x| x.request.method != Method::Get)
            .and_then(|x| x.request.body.as_ref());
        let status = report
            .as_ref()
            .and_then(|r| r.get("results"))
            .and_then(Value::as_array)
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r.get("target").and_then(Value::as_str) == Some(&t.to_string()))
            })
            .and_then(|r| r.get("status").and_then(Value::as_str))
            .unwrap_or("not run")
            .to_string();
        columns.push(column(t, &status, main));
    }
    let title = columns
        .iter()
        .find_map(|c| c.title.clone())
        .unwrap_or_else(|| slug.clone());
    let dir = args.out.join(pipeline::folder_name(&slug, "post"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("preview.html");
    std::fs::write(&path, page(&title, &columns))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

struct NoStart;

#[asl::async_trait]
impl initiator::ExecutionStarter for NoStart {
    async fn start(
        &self,
        _name: &str,
        _input: &str,
    ) -> Result<initiator::Started, initiator::StartError> {
        Err(initiator::StartError(
            "not used by `crosspost preview`".into(),
        ))
    }
}
