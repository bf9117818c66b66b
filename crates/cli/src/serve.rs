//! `crosspost serve`: a local webhook endpoint. Signed Sanity deliveries on `POST /webhook` go
//! through the initiator's own checks (size, signature, normalisation) and then run the local
//! pipeline in the background; the answer is 202 with the execution name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use initiator::{Delivery, Initiator};

use crate::pipeline::{self, LocalStarter, Options, Pipeline};

#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Where each run's requests, rendered bodies and report are written.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Send the requests for real, with the tokens from the environment.
    #[arg(long)]
    pub live: bool,
    /// Local state: ledgers and article snapshots.
    #[arg(long, default_value = ".crosspost")]
    pub data_dir: PathBuf,
    /// A JSON file with the secret's keys; environment variables win.
    #[arg(long)]
    pub secrets: Option<PathBuf>,
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
    runtime.block_on(serve(args))
}

async fn webhook(
    State(initiator): State<Arc<Initiator>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let answer = initiator
        .handle(
            Delivery {
                headers: &headers,
                body: &body,
            },
            now_ms,
        )
        .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(answer.body))
}

/// The router (public for tests): `POST /webhook`, bodies over the limit get 413 before they
/// are read whole.
pub fn router(initiator: Arc<Initiator>) -> Router {
    let limit = initiator.config.max_body_bytes;
    Router::new()
        .route("/webhook", post(webhook))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(initiator)
}

async fn serve(args: Args) -> ExitCode {
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
    if pipeline.webhook_secret.is_none() {
        eprintln!(
            "crosspost: SANITY_WEBHOOK_SECRET is not set; signed webhooks cannot be verified"
        );
        return ExitCode::from(2);
    }
    let starter = Arc::new(LocalStarter::new(
        Arc::clone(&pipeline),
        true,
        args.out.clone(),
    ));
    let initiator = Arc::new(pipeline.initiator(starter));
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("crosspost: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mode = if args.live { "live" } else { "dry run" };
    eprintln!(
        "crosspost serve ({mode}): POST http://{}/webhook",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    match axum::serve(listener, router(initiator)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crosspost: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
