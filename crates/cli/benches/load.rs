//! Load on `crosspost serve` (dry run, loopback): signed deliveries of distinct posts, each
//! delivered several times, over many keep-alive connections. Prints throughput and latency
//! percentiles; fails if a post was not processed exactly once. Run by `scripts/bench load`
//! (`cargo bench -p crosspost --bench load`), which builds the release binary it starts.
//!
//! Environment: `LOAD_POSTS` (200), `LOAD_COPIES` (10 deliveries per post), `LOAD_CONCURRENCY`
//! (50 connections).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support"]
mod support {
    pub mod command;
    pub mod load;
    pub mod serve;
}

use support::{load, serve as serving};

use std::collections::BTreeSet;
use std::time::Duration;

fn setting(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not `{v}`")),
        Err(_) => default,
    }
}

fn main() {
    let plan = load::Plan {
        posts: setting("LOAD_POSTS", 200),
        copies: setting("LOAD_COPIES", 10),
        concurrency: setting("LOAD_CONCURRENCY", 50),
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = serving::start(tmp.path(), &[], &[], Some(&tmp.path().join("serve.log")));
    let outcome = load::drive(&server, plan, Duration::from_secs(600));
    std::thread::sleep(Duration::from_millis(200));

    let refused = outcome.answers.iter().filter(|a| a.status != 202).count();
    let started = outcome
        .answers
        .iter()
        .filter(|a| a.body["duplicate"] == false)
        .count();
    let finished = server.finished_executions();
    let distinct: BTreeSet<&String> = finished.iter().collect();
    println!("{}", outcome.summary(plan));
    println!(
        "answers not 202: {refused}; executions started: {started}; runs finished: {} ({} distinct); most in flight: {}",
        finished.len(),
        distinct.len(),
        outcome.max_in_flight
    );
    if refused > 0
        || started != plan.posts
        || finished.len() != plan.posts
        || distinct.len() != plan.posts
    {
        eprintln!("load: a post was not processed exactly once");
        std::process::exit(1);
    }
}
