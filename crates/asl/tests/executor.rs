//! Behaviour of the executor that the conformance suite cannot show: tasks, concurrency,
//! virtual time, retries, timeouts, payload limits, history and validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asl::{
    Clock, ExecutionOptions, HistoryEventType, HistoryLevel, StateMachine, Status, SystemClock,
    TaskContext, TaskFailure, TaskHandler, VirtualClock,
};
use serde_json::{json, Value};

/// A scripted handler: per resource, a list of outcomes used in turn (the last repeats).
/// It records every call and the highest number of calls in flight at once.
#[derive(Default)]
struct Script {
    outcomes: HashMap<String, Vec<Result<Value, TaskFailure>>>,
    calls: Mutex<Vec<(String, Value, u32)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    real_delay: Option<Duration>,
    advance: Option<(Arc<VirtualClock>, Duration)>,
}

impl Script {
    fn with(mut self, resource: &str, outcomes: Vec<Result<Value, TaskFailure>>) -> Self {
        self.outcomes.insert(resource.to_string(), outcomes);
        self
    }
}

#[asl::async_trait]
impl TaskHandler for Script {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.iter().filter(|(r, _, _)| r == resource).count();
            calls.push((resource.to_string(), input.clone(), ctx.retry_count));
            n
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(d) = self.real_delay {
            tokio::time::sleep(d).await;
        }
        if let Some((clock, d)) = &self.advance {
            clock.advance(*d);
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match self.outcomes.get(resource) {
            Some(list) => list[n.min(list.len() - 1)].clone(),
            None => Ok(json!({"echo": input})),
        }
    }
}

async fn run_with(
    def: Value,
    input: Value,
    tasks: Arc<dyn TaskHandler>,
    clock: Arc<dyn Clock>,
) -> asl::Execution {
    let sm = StateMachine::from_value(def).unwrap();
    let mut opts = ExecutionOptions::new(tasks, clock);
    opts.history = HistoryLevel::Full;
    sm.execute(input, opts).await
}

fn task_machine(task: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": task, "Done": {"Type": "Pass", "End": true}}})
}

#[tokio::test]
async fn one_hour_back_off_takes_no_real_time_on_a_virtual_clock() {
    let clock = Arc::new(VirtualClock::starting_now());
    let start = clock.now();
    let script = Arc::new(Script::default().with(
        "flaky",
        vec![
            Err(TaskFailure::new("RateLimited", "slow down")),
            Err(TaskFailure::new("RateLimited", "slow down")),
            Ok(json!({"ok": true})),
        ],
    ));
    let def = task_machine(json!({
        "Type": "Task", "Resource": "flaky", "End": true,
        "Retry": [{"ErrorEquals": ["RateLimited"], "IntervalSeconds": 3600, "MaxAttempts": 5, "BackoffRate": 2.0}]
    }));
    let def = json!({"StartAt": "T", "States": {"T": def["States"]["T"]}});
    let wall = Instant::now();
    let ex = run_with(def, json!({}), script.clone(), clock.clone()).await;
    assert!(
        wall.elapsed() < Duration::from_secs(1),
        "took {:?}",
        wall.elapsed()
    );
    assert_eq!(ex.status, Status::Succeeded);
    assert_eq!(ex.output, Some(json!({"ok": true})));
    // 3600 s, then 7200 s of virtual back-off.
    assert_eq!((clock.now() - start).num_seconds(), 3 * 3600);
    let retries: Vec<u32> = script.calls.lock().unwrap().iter().map(|c| c.2).collect();
    assert_eq!(retries, vec![0, 1, 2]);
}

#[tokio::test]
async fn max_delay_and_max_attempts_bound_the_retries() {
    let clock = Arc::new(VirtualClock::starting_now());
    let start = clock.now();
    let script = Arc::new(Script::default().with(
        "down",
        vec![Err(TaskFailure::new("PlatformUnavailable", "503"))],
    ));
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "down", "End": true,
        "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 10, "MaxAttempts": 3, "BackoffRate": 10, "MaxDelaySeconds": 60}]
    }}});
    let ex = run_with(def, json!({}), script.clone(), clock.clone()).await;
    assert_eq!(ex.status, Status::Failed);
    assert_eq!(ex.error.as_deref(), Some("PlatformUnavailable"));
    assert_eq!(ex.cause.as_deref(), Some("503"));
    assert_eq!(script.calls.lock().unwrap().len(), 4);
    // 10 + min(100, 60) + min(1000, 60)
    assert_eq!((clock.now() - start).num_seconds(), 130);
}

#[tokio::test]
async fn catch_puts_the_error_at_result_path_and_goes_on() {
    let script = Arc::new(Script::default().with(
        "bad",
        vec![Err(TaskFailure::new("InvalidArticle", "no title"))],
    ));
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "bad", "Next": "Ok",
              "Catch": [{"ErrorEquals": ["Unauthorized"], "Next": "Wrong"},
                        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Report"}]},
        "Ok": {"Type": "Succeed"},
        "Wrong": {"Type": "Fail", "Error": "Wrong"},
        "Report": {"Type": "Pass", "End": true}
    }});
    let ex = run_with(
        def,
        json!({"id": 7}),
        script,
        Arc::new(VirtualClock::starting_now()),
    )
    .await;
    assert_eq!(ex.status, Status::Succeeded);
    assert_eq!(
        ex.output,
        Some(json!({"id": 7, "failure": {"Error": "InvalidArticle", "Cause": "no title"}}))
    );
}

#[tokio::test]
async fn map_runs_iterations_concurrently_up_to_max_concurrency() {
    for (max, items, expected) in [
        (1, 10, 1),
        (3, 10, 3),
        (0, 10, 10),
        (0, 100, 40),
        (500, 100, 40),
    ] {
        let script = Arc::new(Script {
            real_delay: Some(Duration::from_millis(20)),
            ..Script::default()
        });
        let def = json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "MaxConcurrency": max, "End": true,
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "work", "End": true}}}
        }}});
        let input: Vec<Value> = (0..items).map(|i| json!(i)).collect();
        let ex = run_with(
            def,
            Value::Array(input),
            script.clone(),
            Arc::new(SystemClock),
        )
        .await;
        assert_eq!(ex.status, Status::Succeeded);
        let out = ex.output.unwrap();
        assert_eq!(out.as_array().unwrap().len(), items);
        assert_eq!(out[4], json!({"echo": 4}), "results keep item order");
        assert_eq!(
            script.max_in_flight.load(Ordering::SeqCst),
            expected,
            "MaxConcurrency {max} over {items} items"
        );
    }
}

#[tokio::test]
async fn parallel_branches_run_at_the_same_time() {
    let script = Arc::new(Script {
        real_delay: Some(Duration::from_millis(30)),
        ..Script::default()
    });
    let branch = |r: &str| json!({"StartAt": "B", "States": {"B": {"Type": "Task", "Resource": r, "End": true}}});
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": true, "Branches": [branch("a"), branch("b"), branch("c"), branch("d")]
    }}});
    let wall = Instant::now();
    let ex = run_with(def, json!({"x": 1}), script.clone(), Arc::new(SystemClock)).await;
    assert_eq!(ex.status, Status::Succeeded);
    assert_eq!(script.max_in_flight.load(Ordering::SeqCst), 4);
    assert!(
        wall.elapsed() < Duration::from_millis(110),
        "took {:?}",
        wall.elapsed()
    );
    assert_eq!(ex.output.unwrap().as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn task_timeout_on_both_clocks() {
    // Real clock: the handler takes longer than the timeout.
    let slow = Arc::new(Script {
        real_delay: Some(Duration::from_millis(1500)),
        ..Script::default()
    });
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "slow", "TimeoutSeconds": 1, "End": true}}});
    let ex = run_with(def.clone(), json!({}), slow, Arc::new(SystemClock)).await;
    assert_eq!(
        (ex.status, ex.error.as_deref()),
        (Status::Failed, Some("States.Timeout"))
    );
    assert!(ex
        .history
        .iter()
        .any(|e| e.event_type == HistoryEventType::TaskTimedOut));

    // Virtual clock: the handler's work moves virtual time past the timeout.
    let clock = Arc::new(VirtualClock::starting_now());
    let slow = Arc::new(Script {
        advance: Some((clock.clone(), Duration::from_secs(5))),
        ..Script::default()
    });
    let ex = run_with(def.clone(), json!({}), slow, clock).await;
    assert_eq!(ex.error.as_deref(), Some("States.Timeout"));

    // Within the timeout it succeeds.
    let clock = Arc::new(VirtualClock::starting_now());
    let quick = Arc::new(Script::default());
    let ex = run_with(def, json!({}), quick, clock).await;
    assert_eq!(ex.status, Status::Succeeded);
}

#[tokio::test]
async fn wait_and_execution_timeout_use_the_clock() {
    let clock = Arc::new(VirtualClock::starting_now());
    let start = clock.now();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let ex = run_with(
        def,
        json!({"a": 1}),
        Arc::new(Script::default()),
        clock.clone(),
    )
    .await;
    assert_eq!(ex.status, Status::Succeeded);
    assert_eq!((clock.now() - start).num_seconds(), 86400);

    let clock = Arc::new(VirtualClock::starting_now());
    let def = json!({"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let ex = run_with(def, json!({}), Arc::new(Script::default()), clock).await;
    assert_eq!(ex.status, Status::TimedOut);
    assert_eq!(ex.error.as_deref(), Some("States.Timeout"));
    assert_eq!(
        ex.history.last().unwrap().event_type,
        HistoryEventType::ExecutionTimedOut
    );
}

#[tokio::test]
async fn payload_limit_fails_with_data_limit_exceeded_and_is_not_caught_by_states_all() {
    let script =
        Arc::new(Script::default().with("big", vec![Ok(json!({"blob": "x".repeat(300_000)}))]));
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "big", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
        "C": {"Type": "Pass", "End": true}
    }});
    let ex = run_with(
        def.clone(),
        json!({}),
        script.clone(),
        Arc::new(VirtualClock::starting_now()),
    )
    .await;
    assert_eq!(ex.error.as_deref(), Some("States.DataLimitExceeded"));

    let sm = StateMachine::from_value(def).unwrap();
    let mut opts = ExecutionOptions::new(script, Arc::new(VirtualClock::starting_now()));
    opts.payload_limit = None;
    assert_eq!(sm.execute(json!({}), opts).await.status, Status::Succeeded);
}

#[tokio::test]
async fn lambda_invoke_resource_is_passed_through_and_payload_selected() {
    let script = Arc::new(Script::default().with(
        "arn:aws:states:::lambda:invoke",
        vec![Ok(
            json!({"Payload": {"status": "created"}, "StatusCode": 200}),
        )],
    ));
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "Parameters": {"FunctionName": "devto", "Payload.$": "$"},
        "ResultSelector": {"result.$": "$.Payload"}, "ResultPath": "$.devto"
    }}});
    let ex = run_with(
        def,
        json!({"id": 1}),
        script.clone(),
        Arc::new(VirtualClock::starting_now()),
    )
    .await;
    assert_eq!(
        ex.output,
        Some(json!({"id": 1, "devto": {"result": {"status": "created"}}}))
    );
    let calls = script.calls.lock().unwrap();
    assert_eq!(
        calls[0].1,
        json!({"FunctionName": "devto", "Payload": {"id": 1}})
    );
}

#[tokio::test]
async fn jsonata_task_arguments_output_and_variables() {
    let script = Arc::new(Script::default().with("sum", vec![Ok(json!({"total": 5}))]));
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "sum", "Next": "P",
              "Arguments": {"values": "{% $states.input.xs %}"},
              "Assign": {"total": "{% $states.result.total %}"},
              "Output": "{% $states.result.total * 2 %}"},
        "P": {"Type": "Pass", "Output": {"doubled": "{% $states.input %}", "total": "{% $total %}"}, "End": true}
    }});
    let ex = run_with(
        def,
        json!({"xs": [2, 3]}),
        script.clone(),
        Arc::new(VirtualClock::starting_now()),
    )
    .await;
    assert_eq!(ex.output, Some(json!({"doubled": 10, "total": 5})));
    assert_eq!(script.calls.lock().unwrap()[0].1, json!({"values": [2, 3]}));
}

#[tokio::test]
async fn history_has_aws_event_types_in_order() {
    let script = Arc::new(Script::default());
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "r", "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.echo.items", "End": true,
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}
    }});
    let ex = run_with(
        def,
        json!({"items": [1]}),
        script,
        Arc::new(VirtualClock::starting_now()),
    )
    .await;
    use HistoryEventType::*;
    let types: Vec<HistoryEventType> = ex.history.iter().map(|e| e.event_type).collect();
    assert_eq!(
        types,
        vec![
            ExecutionStarted,
            TaskStateEntered,
            TaskScheduled,
            TaskStarted,
            TaskSucceeded,
            TaskStateExited,
            MapStateEntered,
            MapStateStarted,
            MapIterationStarted,
            PassStateEntered,
            PassStateExited,
            MapIterationSucceeded,
            MapStateSucceeded,
            MapStateExited,
            ExecutionSucceeded,
        ]
    );
    let ids: Vec<u64> = ex.history.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=15).collect::<Vec<u64>>());
    assert!(ex
        .history
        .windows(2)
        .all(|w| w[0].timestamp <= w[1].timestamp));
    let table = asl::format_history_table(&ex.history);
    assert!(table.lines().nth(2).unwrap().contains("ExecutionStarted"));
    assert!(table
        .lines()
        .any(|l| l.contains("MapIterationStarted") && l.contains("| M[0]")));
}

#[test]
fn validation_errors_name_state_and_field() {
    fn check(def: Value, expected: &str) {
        let err = StateMachine::from_value(def).unwrap_err();
        assert!(
            err.diagnostics
                .iter()
                .any(|d| d.to_string().contains(expected)),
            "expected {expected:?} in {err}"
        );
    }
    check(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true, "Retry": [{"ErrorEquals": []}]}}}),
        "States.A.Retry[0].ErrorEquals",
    );
    check(
        json!({"StartAt": "A", "States": {"A": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass"}}}}}}),
        "States.A.ItemProcessor.States.X: a state needs either Next or End",
    );
    check(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Parameters": {"a.$": "States.Format('{}')"}, "Assign": {"1bad": 1}}}}),
        "States.A.Assign.1bad",
    );
    check(
        json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.a", "IsNull": true, "Next": "A"}, "Next": "A"}]}}}),
        "States.A.Choices[0].Not.Next",
    );
    check(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$", "End": true}}}),
        "not allowed in a JSONata state",
    );
    check(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "Output": "{% $x %}"}}}),
        "States.A.Output",
    );
}

#[test]
fn mermaid_has_a_node_per_state_and_edges() {
    let sm = StateMachine::from_value(json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "Fan"}], "Default": "Stop"},
        "Fan": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "Devto", "States": {"Devto": {"Type": "Pass", "End": true}}}]},
        "Stop": {"Type": "Fail", "Error": "E"}
    }}))
    .unwrap();
    let chart = asl::to_mermaid(&sm);
    assert!(chart.starts_with("flowchart TD\n"));
    for needle in [
        "start --> s_Check",
        "s_Check -->|\"rule 1\"| s_Fan",
        "s_Check -->|\"default\"| s_Stop",
        "subgraph s_Fan_sub0",
        "s_Fan_b0_Devto[",
    ] {
        assert!(chart.contains(needle), "missing {needle:?} in\n{chart}");
    }
    let ids: Vec<String> = asl::mermaid_nodes(&sm).into_iter().map(|n| n.id).collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.contains(&"s_Fan_b0_Devto".to_string()));
}

#[tokio::test]
async fn huge_durations_saturate_instead_of_overflowing() {
    for (def, expected) in [
        (
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1e300, "End": true}}}),
            Status::Succeeded,
        ),
        (
            json!({"TimeoutSeconds": 99999999999999u64, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
            Status::Succeeded,
        ),
        (
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "TimeoutSeconds": 1e300, "End": true}}}),
            Status::Succeeded,
        ),
        (
            json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
                "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 1e300, "MaxAttempts": 2}]}}}),
            // the back-off is capped (at a year), then the second attempt succeeds
            Status::Succeeded,
        ),
    ] {
        let script = Arc::new(
            Script::default().with("r", vec![Err(TaskFailure::new("E", "c")), Ok(json!(1))]),
        );
        let ok_script = Arc::new(Script::default());
        let tasks: Arc<dyn TaskHandler> = if def.to_string().contains("Retry") {
            script
        } else {
            ok_script
        };
        let ex = run_with(
            def.clone(),
            json!({}),
            tasks,
            Arc::new(VirtualClock::starting_now()),
        )
        .await;
        assert_eq!(ex.status, expected, "{def}: {:?} {:?}", ex.error, ex.cause);
    }
}
