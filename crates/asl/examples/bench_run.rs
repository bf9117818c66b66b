//! Times one state-heavy execution: `cargo run --release -p asl --example bench_run -- DEFINITION INPUT`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use asl::{ExecutionOptions, HistoryLevel, NoTasks, StateMachine, VirtualClock};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let def = std::fs::read_to_string(&args[1]).unwrap();
    let input_text = std::fs::read_to_string(&args[2]).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for level in [HistoryLevel::None, HistoryLevel::Events] {
        let input: serde_json::Value = serde_json::from_str(&input_text).unwrap();
        let t = Instant::now();
        let sm = StateMachine::parse(&def).unwrap();
        let mut opts =
            ExecutionOptions::new(Arc::new(NoTasks), Arc::new(VirtualClock::starting_now()));
        opts.history = level;
        opts.payload_limit = None;
        let ex = rt.block_on(sm.execute(input, opts));
        println!(
            "{level:?}: {:?} {:?} in {:?}, {} events",
            ex.status,
            ex.error,
            t.elapsed(),
            ex.history.len()
        );
    }
}
