//! `crosspost`: the local mode of crosspost.
//!
//! Each subcommand lives in its own module with its own `Args` and `main`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod asl_cmd;
mod backfill;
mod pipeline;
mod preview;
mod render;
mod run;
mod serve;
mod visual;

/// Syndicate Sanity posts to Dev.to, Hashnode, Medium and OpenSearch — locally or on AWS.
#[derive(Parser)]
#[command(name = "crosspost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline on one post (a Sanity webhook body or document); dry-run by default.
    Run(run::Args),
    /// Accept signed Sanity webhooks on POST /webhook and run the pipeline for each.
    Serve(serve::Args),
    /// Render Portable Text to HTML, Markdown, plain text or a platform profile.
    Render(render::Args),
    /// Run, validate or draw Amazon States Language state machines locally.
    Asl(asl_cmd::Args),
    /// Run every post of a Sanity dataset export through the pipeline; dry-run by default.
    Backfill(backfill::Args),
    /// Write one HTML page showing side by side what each platform will display.
    Preview(preview::Args),
}

// Rendering allocates many short-lived strings and vectors per document, from several
// threads; mimalloc does that about a fifth faster than the system allocator here
// (`scripts/bench render`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Logs go to stderr (stdout carries results: rendered text, one JSON line, summaries).
    // RUST_LOG picks the level, e.g. `RUST_LOG=debug`; the default shows warnings only.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Render(args) => render::main(args),
        Command::Asl(args) => asl_cmd::main(args),
        Command::Backfill(args) => backfill::main(args),
        Command::Preview(args) => preview::main(args),
    }
}
