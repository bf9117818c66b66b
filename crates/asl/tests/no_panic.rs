//! Nothing that comes from outside may panic the executor: arbitrary path text, intrinsic
//! calls, JSONata expressions, definitions and inputs give errors, never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use asl::{ExecutionOptions, NoTasks, StateMachine, VirtualClock};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z$.@\\[\\]*:?()'= 0-9{}%]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z.$]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn run(def: Value, input: Value) {
    if let Ok(sm) = StateMachine::from_value(def) {
        let opts = ExecutionOptions::new(Arc::new(NoTasks), Arc::new(VirtualClock::starting_now()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = rt.block_on(sm.execute(input, opts));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_parameters_path_or_call(expr in "(\\$|States\\.|\\$\\$)[A-Za-z0-9$.@\\[\\]*:?()'=, -]{0,24}", input in arb_json()) {
        let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": expr}, "End": true}}});
        run(def, input);
    }

    #[test]
    fn any_jsonata_expression(expr in "[A-Za-z0-9$.@\\[\\]*:?()'=, +\\-/{}%<>&|]{0,24}", input in arb_json()) {
        let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}});
        run(def, input);
    }

    #[test]
    fn any_definition(def in arb_json(), input in arb_json()) {
        run(def, input);
    }

    #[test]
    fn any_state(state in arb_json(), input in arb_json()) {
        let def = json!({"StartAt": "A", "States": {"A": state}});
        run(def, input);
    }

    /// Valid-looking states with odd field values: the executor must fail cleanly.
    #[test]
    fn odd_field_values(
        ty in prop::sample::select(vec!["Pass", "Wait", "Choice", "Map", "Parallel", "Fail", "Succeed"]),
        fields in prop::collection::vec((prop::sample::select(vec![
            "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "ResultSelector",
            "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "ItemsPath", "MaxConcurrency",
            "MaxConcurrencyPath", "ToleratedFailureCountPath", "ErrorPath", "CausePath", "Assign",
        ]), arb_json()), 0..4),
        input in arb_json(),
    ) {
        let mut state = serde_json::Map::new();
        state.insert("Type".into(), json!(ty));
        match ty {
            "Choice" => {
                state.insert("Choices".into(), json!([{"Variable": "$.a", "IsPresent": true, "Next": "B"}]));
                state.insert("Default".into(), json!("B"));
            }
            "Map" => {
                state.insert("ItemProcessor".into(), json!({"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}));
                state.insert("Next".into(), json!("B"));
            }
            "Parallel" => {
                state.insert("Branches".into(), json!([{"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}]));
                state.insert("Next".into(), json!("B"));
            }
            "Fail" | "Succeed" => {}
            _ => {
                state.insert("Next".into(), json!("B"));
            }
        }
        for (k, v) in fields {
            state.insert(k.to_string(), v);
        }
        let def = json!({"StartAt": "A", "States": {"A": Value::Object(state), "B": {"Type": "Succeed"}}});
        run(def, input);
    }
}

/// Found by the `asl_execute` fuzz target: the JSONata parent operator `%` makes jsonata-rs
/// panic (`unimplemented!`). The definition must be refused with the state and field named.
#[test]
fn the_jsonata_parent_operator_is_a_validation_error() {
    let def = json!({"StartAt": "State_0", "States": {"State_0": {
        "QueryLanguage": "JSONata", "Type": "Pass",
        "Output": "{% $states.input.a + %.b %}", "End": true
    }}});
    let err = StateMachine::from_value(def).unwrap_err().to_string();
    assert!(err.contains("State_0") && err.contains("Output"), "{err}");
}

fn jsonata_pass(expr: &str) -> Value {
    json!({"StartAt": "S", "States": {"S": {
        "QueryLanguage": "JSONata", "Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true
    }}})
}

/// Found by the `asl_execute` fuzz target: jsonata-rs recurses once per operator, so deep
/// nesting or a long chain overflowed the stack and aborted the process. Over the limit, the
/// definition is refused, naming the state and field.
#[test]
fn oversized_jsonata_expressions_are_refused_not_a_stack_overflow() {
    for expr in [
        format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000)),
        format!("1{}", "+1".repeat(5_000)),
        format!("{}1", "true ? ".repeat(5_000)),
        format!("{}1", "-".repeat(100_000)),
    ] {
        let err = StateMachine::from_value(jsonata_pass(&expr))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("S") && err.contains("Output") && err.contains("at most 500"),
            "{err}"
        );
    }
}

/// Within the limit, the same shapes run, on a runtime worker thread (2 MB of stack) of an
/// unoptimised build, where they overflowed before: parsing and evaluation get a stack of their
/// own.
#[test]
fn nested_jsonata_within_the_limit_runs_on_a_small_stack() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let nested = (0..240).fold(json!(1), |inner, _| json!([inner]));
    let cases = [
        (format!("{}1{}", "[".repeat(240), "]".repeat(240)), nested),
        (format!("1{}", "+1".repeat(240)), json!(241)),
        (format!("{}1", "true ? ".repeat(240)), json!(1)),
    ];
    for (expr, expected) in cases {
        let sm = StateMachine::from_value(jsonata_pass(&expr)).unwrap();
        let exec = rt.block_on(async move {
            tokio::spawn(async move {
                let opts = ExecutionOptions::new(
                    Arc::new(NoTasks),
                    Arc::new(VirtualClock::starting_now()),
                );
                sm.execute(json!({}), opts).await
            })
            .await
            .unwrap()
        });
        assert_eq!(exec.output, Some(expected), "{:?}", exec.error);
    }
}

/// A recursive function deeper than the evaluation limit fails the state with
/// States.QueryEvaluationError instead of overflowing.
#[test]
fn runaway_jsonata_recursion_is_an_evaluation_error() {
    let def = jsonata_pass("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))");
    let sm = StateMachine::from_value(def).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = ExecutionOptions::new(Arc::new(NoTasks), Arc::new(VirtualClock::starting_now()));
    let exec = rt.block_on(sm.execute(json!({}), opts));
    assert_eq!(exec.error.as_deref(), Some("States.QueryEvaluationError"));
}
