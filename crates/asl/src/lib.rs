//! A local executor for the Amazon States Language (AWS Step Functions).
//!
//! [`StateMachine::parse`] reads and validates a definition (JSONPath and JSONata query
//! languages); [`StateMachine::execute`] runs it with Task states delegated to a
//! [`TaskHandler`] the caller implements and all waiting done on a [`Clock`] the caller
//! chooses ([`VirtualClock`] makes hour-long back-offs instant). Every run yields an
//! AWS-shaped [`HistoryEvent`] list. See the crate README for what is supported.

mod clock;
mod exec;
mod history;
mod intrinsics;
mod jsonata;
mod jsonpath;
mod mermaid;
mod model;
mod value;

use std::sync::Arc;

use serde_json::Value;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use history::{format_history_table, HistoryEvent, HistoryEventType};
pub use mermaid::{mermaid_nodes, to_mermaid, MermaidNode};
pub use model::QueryLanguage;

/// Re-exported so implementors of [`TaskHandler`] need no direct dependency.
pub use async_trait::async_trait;
pub use value::json_eq;

/// One problem found while validating a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where: `States.<name>.<field>` (nested: `States.M.ItemProcessor.States.<name>...`).
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The definition is not JSON.
    #[error("the definition is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The definition is JSON but not a valid state machine.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Every problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid state machine definition: {}", .diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("; "))]
pub struct ValidationError {
    /// The problems, sorted by location within each level.
    pub diagnostics: Vec<Diagnostic>,
}

/// A task's failure: an error name (matched by Retry/Catch `ErrorEquals`) and a cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The error name, e.g. `RateLimited` or `Lambda.ServiceException`.
    pub error: String,
    /// Free text, often the JSON of the function's error object.
    pub cause: Option<String>,
}

impl TaskFailure {
    /// A failure with an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        TaskFailure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// What a [`TaskHandler`] learns about the Task state it runs for.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The execution name.
    pub execution_name: String,
    /// The Task state's name.
    pub state_name: String,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub retry_count: u32,
    /// The context object (`$$`) as the state sees it, without `Execution.Input` (which
    /// would be a copy of the whole execution input for every task).
    pub context_object: Value,
}

/// Runs Task states. The resource string is passed as written in the definition (for
/// example `arn:aws:states:::lambda:invoke`); the handler decides what it means and must
/// return what AWS would (for `lambda:invoke`, wrap the function's result as
/// `{"Payload": ...}`).
#[async_trait::async_trait]
pub trait TaskHandler: Send + Sync {
    /// Runs one task attempt.
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure>;
}

/// A handler that fails every task with `States.TaskFailed` (for machines with no Task).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTasks;

#[async_trait::async_trait]
impl TaskHandler for NoTasks {
    async fn invoke(
        &self,
        resource: &str,
        _input: Value,
        _ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        Err(TaskFailure::new(
            "States.TaskFailed",
            format!("no task handler is configured for the resource '{resource}'"),
        ))
    }
}

/// How much history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryLevel {
    /// No events (the run is a little faster).
    None,
    /// Every event, without input/output payloads.
    #[default]
    Events,
    /// Every event with its input, output, error and cause.
    Full,
}

/// Standard or Express workflow semantics (they differ in the context object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionType {
    /// A standard workflow: `$$.Execution` has `RedriveCount`.
    #[default]
    Standard,
    /// An express workflow: express execution ARNs, no `RedriveCount`.
    Express,
}

/// Options of one execution.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// The execution name (`$$.Execution.Name`).
    pub name: String,
    /// Runs Task states.
    pub tasks: Arc<dyn TaskHandler>,
    /// Time source for timestamps, Wait states, retry back-off and timeouts.
    pub clock: Arc<dyn Clock>,
    /// How much history to record.
    pub history: HistoryLevel,
    /// The payload size limit in bytes (AWS: 262,144); `None` disables the check.
    pub payload_limit: Option<usize>,
    /// The name used in the ARNs of `$$.StateMachine` and `$$.Execution`.
    pub state_machine_name: String,
    /// The account, region and role used in the context object's ARNs.
    pub region: String,
    /// The account id used in ARNs.
    pub account: String,
    /// Standard or Express.
    pub execution_type: ExecutionType,
}

impl ExecutionOptions {
    /// Defaults: a generated name, no task handler, the system clock, event history,
    /// the AWS payload limit.
    pub fn new(tasks: Arc<dyn TaskHandler>, clock: Arc<dyn Clock>) -> Self {
        ExecutionOptions {
            name: uuid::Uuid::new_v4().to_string(),
            tasks,
            clock,
            history: HistoryLevel::Events,
            payload_limit: Some(262_144),
            state_machine_name: "local".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            execution_type: ExecutionType::Standard,
        }
    }
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        ExecutionOptions::new(Arc::new(NoTasks), Arc::new(SystemClock))
    }
}

/// The final status of an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Reached a Succeed state or an End.
    Succeeded,
    /// A state failed and nothing caught it.
    Failed,
    /// The machine's TimeoutSeconds passed.
    TimedOut,
    /// Stopped from outside.
    Aborted,
}

impl Status {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// The result of an execution.
#[derive(Debug, Clone)]
pub struct Execution {
    /// How it ended.
    pub status: Status,
    /// The output (when it succeeded).
    pub output: Option<Value>,
    /// The error name (when it failed; `None` if the failing state gave none).
    pub error: Option<String>,
    /// The cause (when it failed and one was given).
    pub cause: Option<String>,
    /// The events, in order.
    pub history: Vec<HistoryEvent>,
}

impl Execution {
    /// `{"status":"SUCCEEDED","output":...}` or `{"status":"FAILED","error":...,"cause":...}`.
    pub fn result_json(&self) -> Value {
        match self.status {
            Status::Succeeded => serde_json::json!({
                "status": "SUCCEEDED",
                "output": self.output.clone().unwrap_or(Value::Null),
            }),
            s => serde_json::json!({
                "status": s.as_str(),
                "error": self.error,
                "cause": self.cause,
            }),
        }
    }
}

/// A parsed and validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) program: Arc<model::Program>,
    pub(crate) timeout_seconds: Option<f64>,
    pub(crate) query_language: QueryLanguage,
    pub(crate) definition: Value,
    /// Whether anything may read the context object (`$$`, `$states.context`).
    pub(crate) uses_context: bool,
}

impl StateMachine {
    /// Parses and validates a definition given as JSON text.
    pub fn parse(definition: &str) -> Result<StateMachine, Error> {
        let v: Value = serde_json::from_str(definition)?;
        Ok(StateMachine::from_value(v)?)
    }

    /// Parses and validates a definition given as a JSON value.
    pub fn from_value(definition: Value) -> Result<StateMachine, ValidationError> {
        let parsed = model::parse_definition(&definition)?;
        let text = definition.to_string();
        let uses_context = text.contains("$$") || text.contains("context");
        Ok(StateMachine {
            uses_context,
            program: parsed.program,
            timeout_seconds: parsed.timeout_seconds,
            query_language: parsed.ql,
            definition,
        })
    }

    /// The definition as given.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// The top-level query language.
    pub fn query_language(&self) -> QueryLanguage {
        self.query_language
    }

    /// The top-level state names, sorted by name.
    pub fn state_names(&self) -> Vec<String> {
        self.program.order.iter().map(|s| s.to_string()).collect()
    }

    /// Runs the machine on `input`.
    pub async fn execute(&self, input: Value, opts: ExecutionOptions) -> Execution {
        exec::run(self, input, opts).await
    }
}
