//! An ASL definition (and, after a NUL byte, an execution input) from the fuzz bytes.
//! `StateMachine::parse` must return a machine or a validation error; a valid machine then
//! runs on a virtual clock with a task handler that echoes or fails deterministically,
//! with a small payload limit and a wall-clock timeout.
#![no_main]

use std::sync::{Arc, Once};
use std::time::Duration;

use asl::{
    async_trait, ExecutionOptions, HistoryLevel, StateMachine, TaskContext, TaskFailure,
    TaskHandler, VirtualClock,
};
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// Echoes the input (wrapped as `{"Payload": ...}` for `lambda:invoke`), or fails with an
/// error name chosen from the input's length, so that Retry and Catch paths run too.
struct EchoOrFail;

#[async_trait]
impl TaskHandler for EchoOrFail {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        // Lets the timeout below fire even if the machine loops through tasks forever.
        tokio::task::yield_now().await;
        let size = input.to_string().len() + resource.len() + ctx.retry_count as usize;
        match size % 5 {
            0 => Err(TaskFailure::new("States.TaskFailed", "deterministic failure")),
            1 if ctx.retry_count < 2 => Err(TaskFailure::new("Lambda.ServiceException", "retry me")),
            2 => Err(TaskFailure::new("Custom.Error", "custom")),
            _ if resource.contains("lambda:invoke") => Ok(json!({ "Payload": input })),
            _ => Ok(input),
        }
    }
}

/// jsonata-rs panics on some expressions (`unimplemented!` for the parent operator `%`,
/// `panic!` in value accessors); the executor catches those with `catch_unwind` and reports an
/// error of that expression (`crates/asl/src/jsonata.rs`, regression test in
/// `crates/asl/tests/no_panic.rs`). libFuzzer's panic hook aborts before any `catch_unwind`
/// runs, so this hook lets a panic located in jsonata-rs unwind to the executor and hands
/// every other panic to libFuzzer's hook, which reports it as a crash.
fn let_jsonata_panics_unwind() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let libfuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_jsonata = info
                .location()
                .is_some_and(|l| l.file().contains("jsonata-rs"));
            if !in_jsonata {
                libfuzzer_hook(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    let_jsonata_panics_unwind();
    let (definition, input) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let Ok(definition) = std::str::from_utf8(definition) else {
        return;
    };
    let Ok(machine) = StateMachine::parse(definition) else {
        return;
    };
    let input: Value = serde_json::from_slice(input).unwrap_or_else(|_| json!({}));
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let mut opts = ExecutionOptions::new(Arc::new(EchoOrFail), Arc::new(VirtualClock::new(start)));
    opts.name = "fuzz".into();
    opts.history = HistoryLevel::Events;
    opts.payload_limit = Some(16 * 1024);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_time().build() else {
        return;
    };
    rt.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(2), machine.execute(input, opts)).await;
    });
});
