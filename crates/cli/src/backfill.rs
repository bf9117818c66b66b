//! `crosspost backfill EXPORT`: every post of a Sanity dataset export through the pipeline.
//!
//! EXPORT is the `.tar.gz` that `sanity dataset export` writes (`<dir>/data.ndjson` plus the
//! assets) or a bare `data.ndjson`. Documents of the chosen `_type` (drafts excluded) go one
//! by one through the same initiator normalisation, state machine and handlers as
//! `crosspost run`. The ledgers under `--data-dir` make a second run cheap: what was already
//! published reports `unchanged`, so an interrupted backfill is resumed by running it again.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crosspost_core::Target;
use initiator::Delivery;
use serde_json::{json, Value};

use crate::pipeline::{self, Options, Pipeline};

#[derive(clap::Args)]
pub struct Args {
    /// A `sanity dataset export` archive (`.tar.gz`) or a bare `data.ndjson`.
    pub export: PathBuf,
    /// The document `_type` to syndicate.
    #[arg(long = "type", default_value = "post")]
    pub doc_type: String,
    /// Where each post's requests, rendered bodies and report are written (`<out>/<slug>/`),
    /// and `backfill.json` (the final table).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Send the requests for real, with the tokens from the environment (paced per platform).
    #[arg(long)]
    pub live: bool,
    /// Local state: ledgers (`live/`, `dry-run/`) and article snapshots.
    #[arg(long, default_value = ".crosspost")]
    pub data_dir: PathBuf,
    /// A JSON file with the secret's keys (`devto_api_key`, ...); environment variables win.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
}

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: no `data.ndjson` in the archive")]
    NoData { path: String },
    #[error("{path}: line {line}: not a JSON object: {message}")]
    BadLine {
        path: String,
        line: usize,
        message: String,
    },
}

/// The minimum time between two live runs that write to a platform, from its documented rate
/// limits (`../shared/docs/platforms.md`): Dev.to allows 9 published-article creations per
/// 30 s, Hashnode 500 mutations per minute; Medium documents none, so one per second is kept
/// as a courtesy; OpenSearch is the user's own cluster.
pub fn min_interval(target: Target) -> Duration {
    match target {
        Target::Devto => Duration::from_millis(30_000 / 9 + 1),
        Target::Hashnode => Duration::from_millis(60_000 / 500),
        Target::Medium => Duration::from_secs(1),
        Target::Opensearch => Duration::ZERO,
    }
}

/// Reads the documents of an export, in order. A gzip file is taken as the export archive and
/// its `data.ndjson` is read; anything else as NDJSON. Blank lines are allowed.
pub fn read_export(path: &Path) -> Result<Vec<Value>, ExportError> {
    let shown = path.display().to_string();
    let io = |source| ExportError::Io {
        path: shown.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(io)?;
    drop(file);
    let file = std::fs::File::open(path).map_err(io)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        for entry in archive.entries().map_err(io)? {
            let entry = entry.map_err(io)?;
            let is_data = entry
                .path()
                .map(|p| p.file_name().is_some_and(|f| f == "data.ndjson"))
                .unwrap_or(false);
            if is_data {
                let name = format!("{shown}!data.ndjson");
                return parse_ndjson(BufReader::new(entry), &name);
            }
        }
        Err(ExportError::NoData { path: shown })
    } else {
        parse_ndjson(BufReader::new(file), &shown)
    }
}

/// Parses NDJSON; `name` is used in error messages.
pub fn parse_ndjson(reader: impl BufRead, name: &str) -> Result<Vec<Value>, ExportError> {
    let mut docs = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| ExportError::Io {
            path: name.to_string(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| ExportError::BadLine {
            path: name.to_string(),
            line: i + 1,
            message,
        };
        match serde_json::from_str::<Value>(&line) {
            Ok(v @ Value::Object(_)) => docs.push(v),
            Ok(other) => return Err(bad(format!("found {}", kind(&other)))),
            Err(e) => return Err(bad(e.to_string())),
        }
    }
    Ok(docs)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The published documents of `doc_type` (ids starting with `drafts.` are drafts).
pub fn select(docs: Vec<Value>, doc_type: &str) -> Vec<Value> {
    docs.into_iter()
        .filter(|d| d.get("_type").and_then(Value::as_str) == Some(doc_type))
        .filter(|d| {
            !d.get("_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .starts_with("drafts.")
        })
        .collect()
}

/// One line of the final table.
#[derive(Debug, Clone)]
pub struct Row {
    pub post: String,
    pub execution: String,
    /// target → status (`created`, `updated`, `unchanged`, `skipped`, `failed`, ...).
    pub results: BTreeMap<String, String>,
    /// Set when the post could not be run at all (invalid document).
    pub error: Option<String>,
}

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
    runtime.block_on(backfill(args))
}

async fn backfill(args: Args) -> ExitCode {
    let started = Instant::now();
    let docs = match read_export(&args.export) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("crosspost: {e}");
            return ExitCode::from(2);
        }
    };
    let total_docs = docs.len();
    let posts = select(docs, &args.doc_type);
    let opts = Options {
        live: args.live,
        data_dir: args.data_dir.clone(),
        secrets_file: args.secrets.clone(),
    };
    let pipeline = match Pipeline::new(&opts, &pipeline::env_lookup) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("crosspost: {e}");
            return ExitCode::from(2);
        }
    };
    let initiator = pipeline.initiator(Arc::new(NoStart));
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(posts.len() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {wide_msg}")
    {
        bar.set_style(style);
    }
    let mut last_write: BTreeMap<Target, Instant> = BTreeMap::new();
    let mut rows = Vec::with_capacity(posts.len());
    for doc in &posts {
        let id = doc
            .get("_id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let post = doc
            .pointer("/slug/current")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_string();
        bar.set_message(post.clone());
        if args.live {
            // Wait until every platform's minimum interval since its last write has passed.
            let wait = last_write
                .iter()
                .map(|(t, at)| (*at + min_interval(*t)).saturating_duration_since(Instant::now()))
                .max()
                .unwrap_or(Duration::ZERO);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let row = run_one(&pipeline, &initiator, doc, &args.out, &post).await;
        match row {
            Ok(row) => {
                for (t, status) in &row.results {
                    if matches!(
                        status.as_str(),
                        "created" | "updated" | "deleted" | "unpublished"
                    ) {
                        if let Ok(t) = t.parse::<Target>() {
                            last_write.insert(t, Instant::now());
                        }
                    }
                }
                rows.push(row);
            }
            Err(e) => {
                eprintln!("crosspost: cannot write to {}: {e}", args.out.display());
                bar.finish_and_clear();
                return ExitCode::FAILURE;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    print!("{}", table(&rows));
    let failed = rows
        .iter()
        .filter(|r| r.error.is_some() || r.results.values().any(|s| s == "failed"))
        .count();
    let mode = if args.live { "live" } else { "dry run" };
    println!(
        "\n{} `{}` documents of {} ({} skipped: other types or drafts), {} with a failure, {:.1} s ({mode})",
        rows.len(),
        args.doc_type,
        total_docs,
        total_docs - rows.len(),
        failed,
        started.elapsed().as_secs_f64()
    );
    let doc = json!({
        "mode": mode,
        "documents": total_docs,
        "posts": rows.iter().map(|r| json!({
            "post": r.post,
            "execution": r.execution,
            "results": r.results,
            "error": r.error,
        })).collect::<Vec<_>>(),
    });
    let path = args.out.join("backfill.json");
    if let Err(e) = std::fs::create_dir_all(&args.out)
        .and_then(|()| std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap_or_default()))
    {
        eprintln!("crosspost: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn run_one(
    pipeline: &Pipeline,
    initiator: &initiator::Initiator,
    doc: &Value,
    out: &Path,
    post: &str,
) -> std::io::Result<Row> {
    let body = serde_json::to_vec(doc).unwrap_or_default();
    let headers: Vec<(String, String)> = Vec::new();
    let prepared = match initiator
        .prepare(Delivery {
            headers: &headers,
            body: &body,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => {
            return Ok(Row {
                post: post.to_string(),
                execution: String::new(),
                results: BTreeMap::new(),
                error: Some(e.to_string()),
            })
        }
    };
    let input: Value = serde_json::from_str(&prepared.input_json).unwrap_or(Value::Null);
    let outcome = pipeline::run_to_dir(pipeline, &prepared.name, input, out).await?;
    let mut results = BTreeMap::new();
    for r in outcome
        .report
        .as_ref()
        .and_then(|r| r.get("results"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = r.get("target").and_then(Value::as_str).unwrap_or("?");
        let s = r.get("status").and_then(Value::as_str).unwrap_or("?");
        results.insert(t.to_string(), s.to_string());
    }
    let error = if results.is_empty() {
        Some(format!(
            "{}: {}",
            outcome.execution.error.as_deref().unwrap_or("no report"),
            outcome.execution.cause.as_deref().unwrap_or("")
        ))
    } else {
        None
    };
    Ok(Row {
        post: post.to_string(),
        execution: prepared.name,
        results,
        error,
    })
}

/// The final table: one line per post, one column per target.
pub fn table(rows: &[Row]) -> String {
    use std::fmt::Write;
    let w = rows.iter().map(|r| r.post.len()).max().unwrap_or(4).max(4);
    let mut s = String::new();
    let _ = write!(s, "{:<w$}", "post");
    for t in Target::ALL {
        let _ = write!(s, "  {:<11}", t.to_string());
    }
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    s.push('\n');
    for r in rows {
        let _ = write!(s, "{:<w$}", r.post);
        if let Some(e) = &r.error {
            let _ = write!(s, "  error: {e}");
        } else {
            for t in Target::ALL {
                let v = r.results.get(&t.to_string()).map_or("-", String::as_str);
                let _ = write!(s, "  {v:<11}");
            }
        }
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
        s.push('\n');
    }
    s
}

/// `backfill` calls the pipeline itself after `prepare`; the initiator's starter is unused.
struct NoStart;

#[asl::async_trait]
impl initiator::ExecutionStarter for NoStart {
    async fn start(
        &self,
        _name: &str,
        _input: &str,
    ) -> Result<initiator::Started, initiator::StartError> {
        Err(initiator::StartError(
            "not used by `crosspost backfill`".into(),
        ))
    }
}
