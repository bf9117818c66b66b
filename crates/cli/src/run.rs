//! `crosspost run FILE`: one post through the whole pipeline on this machine.
//!
//! FILE is a Sanity webhook body (the document or a projection of it), or a captured delivery
//! `{"headers": {...}, "body": <object or raw string>}`. The signature is not checked (the
//! file is local); everything after it is the initiator's own code path.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use initiator::Delivery;
use serde_json::Value;

use crate::pipeline::{self, Options, Pipeline};

#[derive(clap::Args)]
pub struct Args {
    /// A Sanity webhook body (document or projection), or `{"headers": {...}, "body": ...}`.
    pub file: PathBuf,
    /// Where the requests, rendered bodies and report are written (`<out>/<slug>/`).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Send the requests for real, with the tokens from the environment.
    #[arg(long)]
    pub live: bool,
    /// Local state: ledgers (`live/`, `dry-run/`) and article snapshots.
    #[arg(long, default_value = ".crosspost")]
    pub data_dir: PathBuf,
    /// A JSON file with the secret's keys (`devto_api_key`, ...); environment variables win.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
}

/// Delivery headers and the raw body bytes.
pub type FileDelivery = (Vec<(String, String)>, Vec<u8>);

/// Splits a file into delivery headers and raw body bytes.
pub fn read_delivery(path: &Path) -> Result<FileDelivery, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let envelope = value
        .as_object()
        .filter(|o| o.contains_key("headers") && o.contains_key("body") && !o.contains_key("_id"));
    let Some(o) = envelope else {
        return Ok((Vec::new(), bytes));
    };
    let headers = match o.get("headers") {
        Some(Value::Object(h)) => h
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
        _ => return Err(format!("{}: `headers` must be an object", path.display())),
    };
    let body = match o.get("body") {
        Some(Value::String(raw)) => raw.clone().into_bytes(),
        Some(other) => serde_json::to_vec(other).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    Ok((headers, body))
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
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let (headers, body) = match read_delivery(&args.file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("crosspost: {e}");
            return ExitCode::from(2);
        }
    };
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
    let initiator = pipeline.initiator(Arc::new(initiator_noop()));
    let delivery = Delivery {
        headers: &headers,
        body: &body,
    };
    let prepared = match initiator.prepare(delivery).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("crosspost: {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    let input: Value = match serde_json::from_str(&prepared.input_json) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("crosspost: internal error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match pipeline::run_to_dir(&pipeline, &prepared.name, input, &args.out).await {
        Ok(outcome) => {
            println!("{}", pipeline::summary(&pipeline, &prepared.name, &outcome));
            if outcome.execution.status == asl::Status::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("crosspost: cannot write to {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

/// `run` calls the pipeline itself after `prepare`; the initiator's starter is never used.
fn initiator_noop() -> NoStart {
    NoStart
}

struct NoStart;

#[asl::async_trait]
impl initiator::ExecutionStarter for NoStart {
    async fn start(
        &self,
        _name: &str,
        _input: &str,
    ) -> Result<initiator::Started, initiator::StartError> {
        Err(initiator::StartError("not used by `crosspost run`".into()))
    }
}
