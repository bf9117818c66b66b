//! Execution history shaped like AWS's `GetExecutionHistory`.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The AWS event types this executor emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum HistoryEventType {
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
    ExecutionAborted,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    MapStateEntered,
    MapStateExited,
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
}

impl HistoryEventType {
    /// The AWS name, e.g. `TaskStateEntered`.
    pub fn as_str(self) -> &'static str {
        use HistoryEventType::*;
        match self {
            ExecutionStarted => "ExecutionStarted",
            ExecutionSucceeded => "ExecutionSucceeded",
            ExecutionFailed => "ExecutionFailed",
            ExecutionTimedOut => "ExecutionTimedOut",
            ExecutionAborted => "ExecutionAborted",
            PassStateEntered => "PassStateEntered",
            PassStateExited => "PassStateExited",
            TaskStateEntered => "TaskStateEntered",
            TaskStateExited => "TaskStateExited",
            ChoiceStateEntered => "ChoiceStateEntered",
            ChoiceStateExited => "ChoiceStateExited",
            WaitStateEntered => "WaitStateEntered",
            WaitStateExited => "WaitStateExited",
            SucceedStateEntered => "SucceedStateEntered",
            SucceedStateExited => "SucceedStateExited",
            FailStateEntered => "FailStateEntered",
            ParallelStateEntered => "ParallelStateEntered",
            ParallelStateExited => "ParallelStateExited",
            MapStateEntered => "MapStateEntered",
            MapStateExited => "MapStateExited",
            TaskScheduled => "TaskScheduled",
            TaskStarted => "TaskStarted",
            TaskSucceeded => "TaskSucceeded",
            TaskFailed => "TaskFailed",
            TaskTimedOut => "TaskTimedOut",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            MapStateStarted => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapIterationStarted => "MapIterationStarted",
            MapIterationSucceeded => "MapIterationSucceeded",
            MapIterationFailed => "MapIterationFailed",
        }
    }

    pub(crate) fn entered(state_type: &str) -> Self {
        use HistoryEventType::*;
        match state_type {
            "Pass" => PassStateEntered,
            "Task" => TaskStateEntered,
            "Choice" => ChoiceStateEntered,
            "Wait" => WaitStateEntered,
            "Succeed" => SucceedStateEntered,
            "Fail" => FailStateEntered,
            "Parallel" => ParallelStateEntered,
            _ => MapStateEntered,
        }
    }

    pub(crate) fn exited(state_type: &str) -> Option<Self> {
        use HistoryEventType::*;
        Some(match state_type {
            "Pass" => PassStateExited,
            "Task" => TaskStateExited,
            "Choice" => ChoiceStateExited,
            "Wait" => WaitStateExited,
            "Succeed" => SucceedStateExited,
            "Parallel" => ParallelStateExited,
            "Map" => MapStateExited,
            _ => return None,
        })
    }
}

impl fmt::Display for HistoryEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of an execution's history.
#[derive(Debug, Clone)]
pub struct HistoryEvent {
    /// 1, 2, 3, ... in the order events happened.
    pub id: u64,
    /// The event this one follows from (0 for the first).
    pub previous_event_id: u64,
    /// When it happened, on the execution's clock.
    pub timestamp: DateTime<Utc>,
    /// What happened.
    pub event_type: HistoryEventType,
    /// The state it concerns, if any.
    pub state_name: Option<Arc<str>>,
    /// The Task resource, for Task events.
    pub resource: Option<Arc<str>>,
    /// The Map iteration index, for MapIteration events.
    pub index: Option<usize>,
    /// Input, output, error and cause, when the history level is `Full` (errors always).
    pub details: Option<Value>,
}

/// Renders events as a plain-text table (ID, time, type, state, details).
pub fn format_history_table(events: &[HistoryEvent]) -> String {
    let rows: Vec<[String; 5]> = events
        .iter()
        .map(|e| {
            let mut step = e.state_name.as_deref().unwrap_or("").to_string();
            if let Some(i) = e.index {
                step = format!("{step}[{i}]");
            }
            let mut details = e.resource.as_deref().unwrap_or("").to_string();
            if let Some(d) = &e.details {
                let text = serde_json::to_string(d).unwrap_or_default();
                let text: String = if text.chars().count() > 100 {
                    text.chars().take(97).chain("...".chars()).collect()
                } else {
                    text
                };
                if !details.is_empty() {
                    details.push(' ');
                }
                details.push_str(&text);
            }
            [
                e.id.to_string(),
                e.timestamp.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                e.event_type.to_string(),
                step,
                details,
            ]
        })
        .collect();
    let header = ["ID", "Timestamp", "Type", "Step", "Details"];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str(" | ");
            }
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(widths[i].saturating_sub(c.chars().count())));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&header);
    out.push_str(&line(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    for r in &rows {
        out.push_str(&line(&r.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    out
}
