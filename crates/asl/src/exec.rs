//! The interpreter.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{FutureExt as _, StreamExt as _};
use serde_json::{Map, Value};

use crate::history::{HistoryEvent, HistoryEventType as Ev};
use crate::intrinsics;
use crate::jsonata::{self, Outcome};
use crate::jsonpath::{Path, Root};
use crate::model::{
    Catcher, Choice, Kind, MapSpec, NumberField, Op, Operand, PathField, Program, QueryLanguage,
    Retrier, Rule, State, Template, WaitFor,
};
use crate::value::{json_size, to_json, type_name};
use crate::{Execution, ExecutionOptions, HistoryLevel, StateMachine, Status, TaskContext};

/// The most iterations an inline Map state runs at once on AWS.
const INLINE_MAP_CONCURRENCY: usize = 40;

/// A failure travelling up: error name and cause, either may be absent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Failure {
    fn new(error: &str, cause: impl Into<String>) -> Self {
        Failure {
            error: Some(error.to_string()),
            cause: Some(cause.into()),
        }
    }
}

/// Parses an ISO-8601 / RFC 3339 timestamp with an offset (`2016-03-14T01:59:00Z`).
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if !s.contains('T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Seconds as a Duration, saturating (a definition may hold any number).
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

struct Hist {
    events: Vec<HistoryEvent>,
    last_id: u64,
}

struct Scope {
    vars: Mutex<Map<String, Value>>,
    parent: Option<Arc<Scope>>,
}

impl Scope {
    fn root() -> Arc<Scope> {
        Arc::new(Scope {
            vars: Mutex::new(Map::new()),
            parent: None,
        })
    }
    fn child(parent: &Arc<Scope>) -> Arc<Scope> {
        Arc::new(Scope {
            vars: Mutex::new(Map::new()),
            parent: Some(parent.clone()),
        })
    }
    fn get(&self, name: &str) -> Option<Value> {
        if let Some(v) = self
            .vars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Some(v.clone());
        }
        self.parent.as_ref().and_then(|p| p.get(name))
    }
    /// The variables whose `$name` occurs in `expr` (innermost scope first wins).
    fn used_by(&self, expr: &str) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut scope = Some(self);
        while let Some(sc) = scope {
            for (k, v) in sc.vars.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                if expr.contains(&format!("${k}")) && !out.iter().any(|(n, _)| n == k) {
                    out.push((k.clone(), v.clone()));
                }
            }
            scope = sc.parent.as_deref();
        }
        out
    }

    fn set_all(&self, vals: Map<String, Value>) {
        let mut vars = self.vars.lock().unwrap_or_else(|e| e.into_inner());
        for (k, v) in vals {
            vars.insert(k, v);
        }
    }
}

struct Run<'m> {
    sm: std::marker::PhantomData<&'m StateMachine>,
    opts: ExecutionOptions,
    hist: Mutex<Hist>,
    /// `$$.Execution` without `Input` (kept apart so it is not copied for every lookup).
    execution_ctx: Value,
    input: Value,
    state_machine_ctx: Value,
    deadline: Option<DateTime<Utc>>,
}

/// Everything an expression in one state may refer to.
#[derive(Clone, Copy)]
struct Env<'a> {
    run: &'a Run<'a>,
    state: &'a State,
    /// What `$` means for the field being evaluated.
    input: &'a Value,
    /// The state's input (`$states.input`).
    state_input: &'a Value,
    scope: &'a Arc<Scope>,
    entered: DateTime<Utc>,
    entered_id: u64,
    retry_count: u32,
    map_item: Option<(usize, &'a Value)>,
    result: Option<&'a Value>,
    error_output: Option<&'a Value>,
}

impl<'a> Env<'a> {
    fn with_input(mut self, input: &'a Value) -> Self {
        self.input = input;
        self
    }

    fn runtime(&self, msg: impl std::fmt::Display) -> Failure {
        Failure::new(
            "States.Runtime",
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{}). {msg}",
                self.state.name, self.entered_id
            ),
        )
    }

    fn query_error(&self, msg: impl std::fmt::Display) -> Failure {
        Failure::new(
            "States.QueryEvaluationError",
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{}). {msg}",
                self.state.name, self.entered_id
            ),
        )
    }

    fn state_ctx(&self) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::String(self.state.name.to_string()));
        m.insert("EnteredTime".into(), Value::String(fmt_time(self.entered)));
        if matches!(self.state.kind, Kind::Task { .. }) {
            m.insert("RetryCount".into(), Value::from(self.retry_count));
        }
        Value::Object(m)
    }

    fn map_ctx(&self) -> Option<Value> {
        self.map_item.map(|(i, v)| {
            obj(vec![(
                "Item",
                obj(vec![("Index", Value::from(i)), ("Value", v.clone())]),
            )])
        })
    }

    /// The context object with `Execution.Input` left out (cheap to build).
    fn context_object_without_input(&self) -> Value {
        let mut m = Map::new();
        m.insert("Execution".into(), self.run.execution_ctx.clone());
        m.insert("StateMachine".into(), self.run.state_machine_ctx.clone());
        m.insert("State".into(), self.state_ctx());
        Value::Object(m)
    }

    fn context_object(&self) -> Value {
        let mut m = Map::new();
        m.insert("Execution".into(), self.run.execution_with_input());
        m.insert("StateMachine".into(), self.run.state_machine_ctx.clone());
        m.insert("State".into(), self.state_ctx());
        if let Some(mc) = self.map_ctx() {
            m.insert("Map".into(), mc);
        }
        Value::Object(m)
    }

    /// Resolves a path; `None` when it selects nothing.
    fn resolve(&self, p: &Path) -> Option<Cow<'a, Value>> {
        match p.root() {
            Root::Input => p.select(self.input),
            Root::Variable(name) => {
                let v = self.scope.get(name)?;
                p.select(&v).map(|c| Cow::Owned(c.into_owned()))
            }
            Root::Context => match p.first_field() {
                Some("Execution") if p.field_at(1) == Some("Input") => p
                    .select_from(&self.run.input, 2)
                    .map(|c| Cow::Owned(c.into_owned())),
                Some("Execution") => {
                    let e = self.run.execution_with_input();
                    p.select_from(&e, 1).map(|c| Cow::Owned(c.into_owned()))
                }
                Some("StateMachine") => p
                    .select_from(&self.run.state_machine_ctx, 1)
                    .map(|c| Cow::Owned(c.into_owned())),
                Some("State") => {
                    let s = self.state_ctx();
                    p.select_from(&s, 1).map(|c| Cow::Owned(c.into_owned()))
                }
                Some("Map") => {
                    let s = self.map_ctx()?;
                    p.select_from(&s, 1).map(|c| Cow::Owned(c.into_owned()))
                }
                _ => {
                    let c = self.context_object();
                    p.select(&c).map(|c| Cow::Owned(c.into_owned()))
                }
            },
        }
    }

    fn jsonata(&self, expr: &str, field: &str) -> Result<Value, Failure> {
        match self.jsonata_raw(expr)? {
            Outcome::Value(v) => Ok(v),
            Outcome::Undefined => Err(self.query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."
            ))),
            Outcome::Unsupported => Err(self.query_error(format!(
                "The JSONata expression '{expr}' specified for the field '{field}' returned an unsupported result type."
            ))),
        }
    }

    fn jsonata_raw(&self, expr: &str) -> Result<Outcome, Failure> {
        // Only what the expression can refer to is handed to the evaluator.
        let context = expr.contains("context").then(|| self.context_object());
        let mut states: Vec<(&str, &Value)> = vec![("input", self.state_input)];
        if let Some(c) = &context {
            states.push(("context", c));
        }
        if let Some(r) = self.result {
            states.push(("result", r));
        }
        if let Some(e) = self.error_output {
            states.push(("errorOutput", e));
        }
        let vars = self.scope.used_by(expr);
        jsonata::evaluate(expr, &states, vars.iter().map(|(k, v)| (k.as_str(), v))).map_err(|e| {
            self.query_error(format!(
                "An error occurred while evaluating the JSONata expression '{expr}': {e}"
            ))
        })
    }

    fn eval(&self, t: &Template, field: &str) -> Result<Value, Failure> {
        match t {
            Template::Literal(v) => Ok(v.clone()),
            Template::Object(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (key, orig, sub) in fields {
                    let v = match sub {
                        Template::Path(p) => match self.resolve(p) {
                            Some(v) => v.into_owned(),
                            None => {
                                return Err(self.runtime(format!(
                                    "The JSONPath '{}' specified for the field '{orig}' could not be found in the input '{}'",
                                    p.text(),
                                    to_json(self.input)
                                )))
                            }
                        },
                        _ => self.eval(sub, &format!("{field}/{key}"))?,
                    };
                    m.insert(key.clone(), v);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, x)| self.eval(x, &format!("{field}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Path(p) => self.resolve(p).map(Cow::into_owned).ok_or_else(|| {
                self.runtime(format!(
                    "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                    p.text(),
                    to_json(self.input)
                ))
            }),
            Template::Call(c) => intrinsics::eval(c, &|p: &Path| self.resolve(p)).map_err(|e| {
                Failure::new(
                    e.error,
                    format!(
                        "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
                        self.state.name, self.entered_id, e.cause
                    ),
                )
            }),
            Template::Jsonata(expr) => self.jsonata(expr, field),
        }
    }

    /// InputPath / OutputPath semantics: default `$`, `null` gives `{}`. Borrowed input stays
    /// borrowed when the path selects inside it.
    fn apply_path<'x>(&self, pf: &PathField, v: Cow<'x, Value>) -> Result<Cow<'x, Value>, Failure> {
        match pf {
            PathField::Default => Ok(v),
            PathField::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
            PathField::Path(p) if p.text() == "$" => Ok(v),
            PathField::Path(p) => {
                let found: Option<Cow<'x, Value>> = match (p.root(), v) {
                    (Root::Input, Cow::Borrowed(r)) => p.select(r),
                    (Root::Input, Cow::Owned(o)) => {
                        p.select(&o).map(|c| Cow::Owned(c.into_owned()))
                    }
                    _ => self.resolve(p).map(|c| Cow::Owned(c.into_owned())),
                };
                found.ok_or_else(|| {
                    self.runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.text(),
                        p.bracket_form()
                    ))
                })
            }
        }
    }

    fn apply_result_path(
        &self,
        pf: &PathField,
        raw: &Value,
        result: Value,
    ) -> Result<Value, Failure> {
        match pf {
            PathField::Default => Ok(result),
            PathField::Null => Ok(raw.clone()),
            PathField::Path(p) => {
                let mut raw = raw.clone();
                p.set(&mut raw, result).map_err(|e| self.runtime(e))?;
                Ok(raw)
            }
        }
    }

    /// Evaluates an Assign block and returns the new variables (not yet stored).
    fn assign(&self, t: &Template) -> Result<Map<String, Value>, Failure> {
        match self.eval(t, "Assign")? {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }

    fn number(&self, f: &NumberField, field: &str, path_field: &str) -> Result<f64, Failure> {
        match f {
            NumberField::Literal(n) => Ok(*n),
            NumberField::Path(p) => {
                let v = self.resolve(p).map(Cow::into_owned).ok_or_else(|| {
                    self.runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.text(),
                        p.bracket_form()
                    ))
                })?;
                match &v {
                    Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() == 0.0) => {
                        Ok(n.as_f64().unwrap_or(0.0))
                    }
                    Value::String(s) if s.parse::<i64>().is_ok() => Ok(s.parse::<i64>().map(|x| x as f64).unwrap_or(0.0)),
                    other => {
                        let shown = match other {
                            Value::String(s) => s.clone(),
                            o => to_json(o),
                        };
                        Err(self.runtime(format!(
                            "The {path_field} field refers to value \"{shown}\" which is not a valid integer: {}",
                            p.text()
                        )))
                    }
                }
            }
            NumberField::Expr(t) => match self.eval(t, field)? {
                Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0)),
                other => Err(self.query_error(format!(
                    "The JSONata expression specified for the field '{field}' returned an unexpected result type. Expected 'number', but was '{}' for value: {}",
                    type_name(&other),
                    to_json(&other)
                ))),
            },
        }
    }
}

/// The outcome of one state: its output and where to go next (`None`: end).
struct Step {
    output: Value,
    next: Option<Arc<str>>,
    fill: Fill,
}

/// Work left for `run_state`, which owns the raw input and can move it instead of copying.
enum Fill {
    /// `output` is final.
    Done,
    /// The output is the raw input unchanged.
    Input,
    /// The output is the raw input with this result written at the state's ResultPath.
    ResultAt(Value),
}

fn error_output(f: &Failure) -> Value {
    let mut m = Map::new();
    m.insert(
        "Error".into(),
        f.error.clone().map(Value::String).unwrap_or(Value::Null),
    );
    m.insert(
        "Cause".into(),
        f.cause.clone().map(Value::String).unwrap_or(Value::Null),
    );
    if f.error.is_none() {
        m.remove("Error");
    }
    if f.cause.is_none() {
        m.remove("Cause");
    }
    Value::Object(m)
}

fn error_matches(names: &[String], error: Option<&str>) -> bool {
    names.iter().any(|n| match n.as_str() {
        "States.ALL" => !matches!(error, Some("States.Runtime" | "States.DataLimitExceeded")),
        "States.TaskFailed" => match error {
            Some(e) => e == "States.TaskFailed" || !e.starts_with("States."),
            None => false,
        },
        name => error == Some(name),
    })
}

pub(crate) async fn run(sm: &StateMachine, input: Value, opts: ExecutionOptions) -> Execution {
    let clock = opts.clock.clone();
    let start = clock.now();
    let sm_arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{}",
        opts.region, opts.account, opts.state_machine_name
    );
    let express = opts.execution_type == crate::ExecutionType::Express;
    let exec_arn = if express {
        format!(
            "arn:aws:states:{}:{}:express:{}:{}:{}",
            opts.region,
            opts.account,
            opts.state_machine_name,
            opts.name,
            uuid::Uuid::new_v4()
        )
    } else {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            opts.region, opts.account, opts.state_machine_name, opts.name
        )
    };
    let mut fields = vec![
        ("Id", Value::String(exec_arn)),
        ("StartTime", Value::String(fmt_time(start))),
        ("Name", Value::String(opts.name.clone())),
        (
            "RoleArn",
            Value::String(format!(
                "arn:aws:iam::{}:role/StepFunctionsLocalRole",
                opts.account
            )),
        ),
    ];
    if !express {
        fields.push(("RedriveCount", Value::from(0)));
    }
    let execution_ctx = obj(fields);
    let state_machine_ctx = serde_json::json!({"Id": sm_arn, "Name": opts.state_machine_name});
    let deadline = sm
        .timeout_seconds
        .map(|s| crate::clock::later(start, seconds(s)));
    let details = (opts.history == HistoryLevel::Full).then(|| obj(vec![("input", input.clone())]));
    let too_big = opts
        .payload_limit
        .is_some_and(|limit| json_size(&input) > limit);
    // The input is kept for `$$.Execution.Input` only when the definition can refer to it;
    // otherwise it moves into the first state, saving a copy.
    let (context_input, program_input) = if sm.uses_context {
        (input, None)
    } else {
        (Value::Null, Some(input))
    };
    let run = Run {
        sm: std::marker::PhantomData,
        opts,
        hist: Mutex::new(Hist {
            events: Vec::new(),
            last_id: 0,
        }),
        execution_ctx,
        input: context_input,
        state_machine_ctx,
        deadline,
    };
    run.event(Ev::ExecutionStarted, None, None, None, details);
    let scope = Scope::root();
    let result = if too_big {
        Err(Failure::new(
            "States.DataLimitExceeded",
            "The execution input exceeds the maximum number of bytes service limit.",
        ))
    } else {
        let first_input = match program_input {
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(&run.input),
        };
        let fut = run.run_program(&sm.program, first_input, &scope);
        match (deadline, run.opts.clock.is_virtual()) {
            (Some(d), false) => {
                let wait = (d - start).to_std().unwrap_or(Duration::ZERO);
                let timer = run.opts.clock.sleep(wait);
                futures::select_biased! {
                    r = fut.fuse() => r,
                    _ = timer.fuse() => Err(Failure::new("States.Timeout", "The execution timed out.")),
                }
            }
            _ => fut.await,
        }
    };
    let (status, output, error, cause) = match result {
        Ok(out) => (Status::Succeeded, Some(out), None, None),
        Err(f)
            if f.error.as_deref() == Some("States.Timeout")
                && f.cause.as_deref() == Some("The execution timed out.") =>
        {
            (Status::TimedOut, None, f.error, f.cause)
        }
        Err(f) => (Status::Failed, None, f.error, f.cause),
    };
    let (ev, details) = match status {
        Status::Succeeded => (
            Ev::ExecutionSucceeded,
            (run.opts.history == HistoryLevel::Full)
                .then(|| obj(vec![("output", output.clone().unwrap_or(Value::Null))])),
        ),
        Status::TimedOut => (
            Ev::ExecutionTimedOut,
            Some(serde_json::json!({"error": error, "cause": cause})),
        ),
        _ => (
            Ev::ExecutionFailed,
            Some(serde_json::json!({"error": error, "cause": cause})),
        ),
    };
    run.event(ev, None, None, None, details);
    let history = std::mem::take(&mut run.hist.lock().unwrap_or_else(|e| e.into_inner()).events);
    Execution {
        status,
        output,
        error,
        cause,
        history,
    }
}

impl<'m> Run<'m> {
    fn execution_with_input(&self) -> Value {
        let mut e = self.execution_ctx.clone();
        if let Value::Object(m) = &mut e {
            m.insert("Input".into(), self.input.clone());
        }
        e
    }

    fn event(
        &self,
        ty: Ev,
        state: Option<&Arc<str>>,
        resource: Option<&str>,
        index: Option<usize>,
        details: Option<Value>,
    ) -> u64 {
        let mut h = self.hist.lock().unwrap_or_else(|e| e.into_inner());
        let id = h.last_id + 1;
        let prev = h.last_id;
        h.last_id = id;
        if self.opts.history != HistoryLevel::None {
            let timestamp = self.opts.clock.now();
            h.events.push(HistoryEvent {
                id,
                previous_event_id: prev,
                timestamp,
                event_type: ty,
                state_name: state.cloned(),
                resource: resource.map(Arc::from),
                index,
                details,
            });
        }
        id
    }

    fn full(&self) -> bool {
        self.opts.history == HistoryLevel::Full
    }

    fn check_deadline(&self) -> Result<(), Failure> {
        if let Some(d) = self.deadline {
            if self.opts.clock.now() >= d {
                return Err(Failure::new("States.Timeout", "The execution timed out."));
            }
        }
        Ok(())
    }

    /// Sleeps, but not past the execution deadline (then fails with a timeout).
    async fn sleep(&self, d: Duration) -> Result<(), Failure> {
        if let Some(deadline) = self.deadline {
            let left = (deadline - self.opts.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO);
            if d >= left {
                self.opts.clock.sleep(left).await;
                return Err(Failure::new("States.Timeout", "The execution timed out."));
            }
        }
        self.opts.clock.sleep(d).await;
        Ok(())
    }

    fn run_program<'a>(
        &'a self,
        prog: &'a Program,
        input: Cow<'a, Value>,
        scope: &'a Arc<Scope>,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            let mut cur = prog.start_at.clone();
            let mut input = input;
            loop {
                self.check_deadline()?;
                let Some(st) = prog.states.get(&cur) else {
                    return Err(Failure::new(
                        "States.Runtime",
                        format!("the state '{cur}' does not exist"),
                    ));
                };
                let step = self.run_state(st, input, scope).await?;
                match step.next {
                    Some(n) => {
                        input = Cow::Owned(step.output);
                        cur = n;
                    }
                    None => return Ok(step.output),
                }
            }
        }
        .boxed()
    }

    async fn run_state(
        &self,
        st: &State,
        input: Cow<'_, Value>,
        scope: &Arc<Scope>,
    ) -> Result<Step, Failure> {
        let input_cow = input;
        let input: &Value = &input_cow;
        let ty = st.kind.type_name();
        let entered = self.opts.clock.now();
        let details = self.full().then(|| obj(vec![("input", input.clone())]));
        let entered_id = self.event(Ev::entered(ty), Some(&st.name), None, None, details);
        let mut retry_counts = vec![0u32; st.retry.len()];
        let mut attempt = 0u32;
        loop {
            let env = Env {
                run: self,
                state: st,
                input,
                state_input: input,
                scope,
                entered,
                entered_id,
                retry_count: attempt,
                map_item: None,
                result: None,
                error_output: None,
            };
            let res = self.attempt(env, input).await;
            if let Ok(step) = &res {
                if !matches!(step.fill, Fill::Done) {
                    // Only states without Retry/Catch ask for this, so the raw input is no
                    // longer needed and can be moved into the output.
                    let Ok(step) = res else { continue };
                    let output = match step.fill {
                        Fill::ResultAt(result) => {
                            let mut raw = input_cow.into_owned();
                            if let PathField::Path(p) = &st.result_path {
                                p.set(&mut raw, result).map_err(|e| {
                                    Failure::new(
                                        "States.Runtime",
                                        format!(
                                            "An error occurred while executing the state '{}' (entered at the event id #{entered_id}). {e}",
                                            st.name
                                        ),
                                    )
                                })?;
                            }
                            raw
                        }
                        _ => input_cow.into_owned(),
                    };
                    let step = self.check_size(
                        st,
                        Step {
                            output,
                            next: step.next,
                            fill: Fill::Done,
                        },
                    )?;
                    if let Some(ev) = Ev::exited(ty) {
                        let details = self
                            .full()
                            .then(|| obj(vec![("output", step.output.clone())]));
                        self.event(ev, Some(&st.name), None, None, details);
                    }
                    return Ok(step);
                }
            }
            let res = res.and_then(|step| self.check_size(st, step));
            match res {
                Ok(step) => {
                    if let Some(ev) = Ev::exited(ty) {
                        let details = self
                            .full()
                            .then(|| obj(vec![("output", step.output.clone())]));
                        self.event(ev, Some(&st.name), None, None, details);
                    }
                    return Ok(step);
                }
                Err(f) => {
                    if f.error.as_deref() == Some("States.Timeout")
                        && f.cause.as_deref() == Some("The execution timed out.")
                    {
                        return Err(f);
                    }
                    // Retry
                    if let Some(delay) = next_retry(&st.retry, &mut retry_counts, &f) {
                        self.sleep(delay).await?;
                        attempt += 1;
                        continue;
                    }
                    // Catch
                    if let Some(c) = st
                        .catch
                        .iter()
                        .find(|c| error_matches(&c.error_equals, f.error.as_deref()))
                    {
                        return self.catch(env, c, &f, input.clone(), ty);
                    }
                    return Err(f);
                }
            }
        }
    }

    fn check_size(&self, st: &State, step: Step) -> Result<Step, Failure> {
        if let Some(limit) = self.opts.payload_limit {
            if json_size(&step.output) > limit {
                return Err(Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                        st.name
                    ),
                ));
            }
        }
        Ok(step)
    }

    fn catch(
        &self,
        env: Env<'_>,
        c: &Catcher,
        f: &Failure,
        raw: Value,
        ty: &str,
    ) -> Result<Step, Failure> {
        let eo = error_output(f);
        let env = Env {
            error_output: Some(&eo),
            ..env
        };
        let (output, vars) = match env.state.ql {
            QueryLanguage::JsonPath => {
                let vars = match &c.assign {
                    Some(a) => Some(env.with_input(&eo).assign(a)?),
                    None => None,
                };
                (
                    env.apply_result_path(&c.result_path, &raw, eo.clone())?,
                    vars,
                )
            }
            QueryLanguage::Jsonata => {
                let out = match &c.output {
                    Some(t) => env.eval(t, "Output")?,
                    None => eo.clone(),
                };
                let vars = match &c.assign {
                    Some(a) => Some(env.assign(a)?),
                    None => None,
                };
                (out, vars)
            }
        };
        if let Some(v) = vars {
            env.scope.set_all(v);
        }
        if let Some(ev) = Ev::exited(ty) {
            let details = self.full().then(|| obj(vec![("output", output.clone())]));
            self.event(ev, Some(&env.state.name), None, None, details);
        }
        Ok(Step {
            output,
            next: Some(c.next.clone()),
            fill: Fill::Done,
        })
    }

    /// Runs the state once (no retry/catch): data flow in, the work, data flow out.
    async fn attempt(&self, env: Env<'_>, raw: &Value) -> Result<Step, Failure> {
        let st = env.state;
        match st.ql {
            QueryLanguage::JsonPath => self.attempt_jsonpath(env, raw).await,
            QueryLanguage::Jsonata => self.attempt_jsonata(env, raw).await,
        }
    }

    async fn attempt_jsonpath(&self, env: Env<'_>, raw: &Value) -> Result<Step, Failure> {
        let st = env.state;
        let effective = env.apply_path(&st.input_path, Cow::Borrowed(raw))?;
        // Fail and Choice use the effective input directly.
        match &st.kind {
            Kind::Fail { error, cause } => {
                let e = env.with_input(&effective);
                let err = match error {
                    Some(t) => Some(text_of(
                        e.eval(t, "ErrorPath")
                            .map_err(|f| fail_path_error(&e, t, "ErrorPath", f))?,
                    )),
                    None => None,
                };
                let cau = match cause {
                    Some(t) => Some(text_of(
                        e.eval(t, "CausePath")
                            .map_err(|f| fail_path_error(&e, t, "CausePath", f))?,
                    )),
                    None => None,
                };
                return Err(Failure {
                    error: err,
                    cause: cau,
                });
            }
            Kind::Choice { choices, default } => {
                let e = env.with_input(&effective);
                let (next, assign) = match self.choose(&e, choices)? {
                    Some(c) => (c.next.clone(), c.assign.as_ref()),
                    None => match default {
                        Some(d) => (d.clone(), st.assign.as_ref()),
                        None => {
                            return Err(Failure::new(
                                "States.NoChoiceMatched",
                                format!(
                                    "An error occurred while executing the state '{}' (entered at the event id #{}). Invalid path '$': The choice state's condition path references an undefined value.",
                                    st.name, env.entered_id
                                ),
                            ))
                        }
                    },
                };
                let vars = match assign {
                    Some(a) => Some(e.assign(a)?),
                    None => None,
                };
                if let Some(v) = vars {
                    env.scope.set_all(v);
                }
                if matches!(
                    (&st.input_path, &st.output_path),
                    (PathField::Default, PathField::Default)
                ) {
                    return Ok(Step {
                        output: Value::Null,
                        next: Some(next),
                        fill: Fill::Input,
                    });
                }
                let output = env.apply_path(&st.output_path, effective)?.into_owned();
                return Ok(Step {
                    output,
                    next: Some(next),
                    fill: Fill::Done,
                });
            }
            _ => {}
        }
        let movable = st.retry.is_empty() && st.catch.is_empty();
        if movable
            && st.parameters.is_none()
            && st.result_selector.is_none()
            && matches!(
                (&st.input_path, &st.output_path, &st.result_path),
                (PathField::Default, PathField::Default, PathField::Default)
            )
            && matches!(
                st.kind,
                Kind::Pass { result: None } | Kind::Wait(_) | Kind::Succeed
            )
        {
            if let Kind::Wait(w) = &st.kind {
                self.wait(env, w).await?;
            }
            if let Some(a) = &st.assign {
                let vars = env.assign(a)?;
                env.scope.set_all(vars);
            }
            return Ok(Step {
                output: Value::Null,
                next: st.next.clone(),
                fill: Fill::Input,
            });
        }
        let params: Option<Value> = match &st.parameters {
            Some(t) if !matches!(st.kind, Kind::Map(_)) => {
                Some(env.with_input(&effective).eval(t, "Parameters")?)
            }
            _ => None,
        };
        let owned_params =
            |params: Option<Value>| params.unwrap_or_else(|| effective.as_ref().clone());
        let (result, uses_result_path) = match &st.kind {
            Kind::Pass { result } => (
                match result {
                    Some(r) => r.clone(),
                    None => owned_params(params),
                },
                true,
            ),
            Kind::Task {
                resource, timeout, ..
            } => (
                self.task(
                    env.with_input(&effective),
                    resource,
                    timeout,
                    owned_params(params),
                )
                .await?,
                true,
            ),
            Kind::Wait(w) => {
                self.wait(env.with_input(&effective), w).await?;
                (owned_params(params), false)
            }
            Kind::Parallel { branches } => {
                let input = params.as_ref().unwrap_or(&effective);
                (self.parallel(env, branches, input).await?, true)
            }
            Kind::Map(spec) => (self.map(env.with_input(&effective), spec).await?, true),
            Kind::Succeed | Kind::Fail { .. } | Kind::Choice { .. } => {
                (owned_params(params), false)
            }
        };
        let result = match &st.result_selector {
            Some(t) => env.with_input(&result).eval(t, "ResultSelector")?,
            None => result,
        };
        let vars = match &st.assign {
            Some(a) => Some(env.with_input(&result).assign(a)?),
            None => None,
        };
        if movable
            && uses_result_path
            && matches!(st.result_path, PathField::Path(_))
            && matches!(st.output_path, PathField::Default)
        {
            if let Some(v) = vars {
                env.scope.set_all(v);
            }
            return Ok(Step {
                output: Value::Null,
                next: st.next.clone(),
                fill: Fill::ResultAt(result),
            });
        }
        let combined = if uses_result_path {
            env.apply_result_path(&st.result_path, raw, result)?
        } else {
            result
        };
        let output = env
            .apply_path(&st.output_path, Cow::Owned(combined))?
            .into_owned();
        if let Some(v) = vars {
            env.scope.set_all(v);
        }
        Ok(Step {
            output,
            next: st.next.clone(),
            fill: Fill::Done,
        })
    }

    async fn attempt_jsonata(&self, env: Env<'_>, raw: &Value) -> Result<Step, Failure> {
        let st = env.state;
        let (result, next) = match &st.kind {
            Kind::Fail { error, cause } => {
                let err = match error {
                    Some(t) => Some(text_of(env.eval(t, "Error")?)),
                    None => None,
                };
                let cau = match cause {
                    Some(t) => Some(text_of(env.eval(t, "Cause")?)),
                    None => None,
                };
                return Err(Failure {
                    error: err,
                    cause: cau,
                });
            }
            Kind::Choice { choices, default } => {
                let (next, assign, output) = match self.choose(&env, choices)? {
                    Some(c) => (c.next.clone(), c.assign.as_ref(), c.output.as_ref().or(st.output.as_ref())),
                    None => match default {
                        Some(d) => (d.clone(), st.assign.as_ref(), st.output.as_ref()),
                        None => {
                            return Err(Failure::new(
                                "States.NoChoiceMatched",
                                format!(
                                    "An error occurred while executing the state '{}' (entered at the event id #{}). No Choice rule matched and there is no Default.",
                                    st.name, env.entered_id
                                ),
                            ))
                        }
                    },
                };
                let out = match output {
                    Some(t) => env.eval(t, "Output")?,
                    None => raw.clone(),
                };
                if let Some(a) = assign {
                    let vars = env.assign(a)?;
                    env.scope.set_all(vars);
                }
                return Ok(Step {
                    output: out,
                    next: Some(next),
                    fill: Fill::Done,
                });
            }
            Kind::Pass { .. } | Kind::Succeed => (None, st.next.clone()),
            Kind::Wait(w) => {
                self.wait(env, w).await?;
                (None, st.next.clone())
            }
            Kind::Task {
                resource, timeout, ..
            } => {
                let args = match &st.arguments {
                    Some(t) => env.eval(t, "Arguments")?,
                    None => raw.clone(),
                };
                (
                    Some(self.task(env, resource, timeout, args).await?),
                    st.next.clone(),
                )
            }
            Kind::Parallel { branches } => {
                let args = match &st.arguments {
                    Some(t) => Cow::Owned(env.eval(t, "Arguments")?),
                    None => Cow::Borrowed(raw),
                };
                (
                    Some(self.parallel(env, branches, &args).await?),
                    st.next.clone(),
                )
            }
            Kind::Map(spec) => (Some(self.map(env, spec).await?), st.next.clone()),
        };
        let env = Env {
            result: result.as_ref(),
            ..env
        };
        let output = match &st.output {
            Some(t) => env.eval(t, "Output")?,
            None => result.clone().unwrap_or_else(|| raw.clone()),
        };
        if let Some(a) = &st.assign {
            let vars = env.assign(a)?;
            env.scope.set_all(vars);
        }
        Ok(Step {
            output,
            next,
            fill: Fill::Done,
        })
    }

    fn choose<'c>(
        &self,
        env: &Env<'_>,
        choices: &'c [Choice],
    ) -> Result<Option<&'c Choice>, Failure> {
        for c in choices {
            if self.rule(env, &c.rule)? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    fn rule(&self, env: &Env<'_>, r: &Rule) -> Result<bool, Failure> {
        Ok(match r {
            Rule::And(rs) => {
                for x in rs {
                    if !self.rule(env, x)? {
                        return Ok(false);
                    }
                }
                true
            }
            Rule::Or(rs) => {
                for x in rs {
                    if self.rule(env, x)? {
                        return Ok(true);
                    }
                }
                false
            }
            Rule::Not(x) => !self.rule(env, x)?,
            Rule::Condition(t) => match env.eval(t, "Condition")? {
                Value::Bool(b) => b,
                other => {
                    return Err(env.query_error(format!(
                        "The Condition field returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                        type_name(&other),
                        to_json(&other)
                    )))
                }
            },
            Rule::Compare {
                variable,
                op,
                operand,
            } => {
                let v = env.resolve(variable);
                if *op == Op::IsPresent {
                    let want = matches!(operand, Operand::Literal(Value::Bool(true)));
                    return Ok(v.is_some() == want);
                }
                let Some(v) = v else {
                    return Err(env.runtime(format!(
                        "Invalid path '{}': The choice state's condition path references an invalid value.",
                        variable.text()
                    )));
                };
                let rhs: Cow<'_, Value> = match operand {
                    Operand::Literal(l) => Cow::Borrowed(l),
                    Operand::Path(p) => match env.resolve(p) {
                        Some(x) => x,
                        None => {
                            return Err(env.runtime(format!(
                                "Invalid path '{}': The choice state's condition path references an invalid value.",
                                p.text()
                            )))
                        }
                    },
                };
                compare(*op, &v, &rhs)
            }
        })
    }

    async fn task(
        &self,
        env: Env<'_>,
        resource: &str,
        timeout: &Option<NumberField>,
        args: Value,
    ) -> Result<Value, Failure> {
        let timeout = match timeout {
            Some(t) => Some(env.number(t, "TimeoutSeconds", "TimeoutSecondsPath")?),
            None => None,
        };
        let name = &env.state.name;
        let details = self.full().then(|| obj(vec![("parameters", args.clone())]));
        self.event(Ev::TaskScheduled, Some(name), Some(resource), None, details);
        self.event(Ev::TaskStarted, Some(name), Some(resource), None, None);
        let ctx = TaskContext {
            execution_name: self.opts.name.clone(),
            state_name: name.to_string(),
            retry_count: env.retry_count,
            context_object: env.context_object_without_input(),
        };
        let started = self.opts.clock.now();
        let call = self.opts.tasks.invoke(resource, args, &ctx);
        let res = match timeout {
            Some(secs) if !self.opts.clock.is_virtual() => {
                let timer = self.opts.clock.sleep(seconds(secs));
                futures::select_biased! {
                    r = call.fuse() => Some(r),
                    _ = timer.fuse() => None,
                }
            }
            Some(secs) => {
                let r = call.await;
                let elapsed = (self.opts.clock.now() - started)
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                if elapsed > seconds(secs) {
                    None
                } else {
                    Some(r)
                }
            }
            None => Some(call.await),
        };
        match res {
            None => {
                let f = Failure {
                    error: Some("States.Timeout".into()),
                    cause: None,
                };
                self.event(
                    Ev::TaskTimedOut,
                    Some(name),
                    Some(resource),
                    None,
                    Some(serde_json::json!({"error": "States.Timeout"})),
                );
                Err(f)
            }
            Some(Ok(v)) => {
                let details = self.full().then(|| obj(vec![("output", v.clone())]));
                self.event(Ev::TaskSucceeded, Some(name), Some(resource), None, details);
                Ok(v)
            }
            Some(Err(e)) => {
                self.event(
                    Ev::TaskFailed,
                    Some(name),
                    Some(resource),
                    None,
                    Some(serde_json::json!({"error": e.error, "cause": e.cause})),
                );
                Err(Failure {
                    error: Some(e.error),
                    cause: e.cause,
                })
            }
        }
    }

    async fn wait(&self, env: Env<'_>, w: &WaitFor) -> Result<(), Failure> {
        let now = self.opts.clock.now();
        let dur = match w {
            WaitFor::Seconds(NumberField::Literal(s)) => seconds(*s),
            WaitFor::Seconds(NumberField::Path(p)) => {
                let v = env.resolve(p).map(Cow::into_owned).ok_or_else(|| {
                    env.runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.text(),
                        p.bracket_form()
                    ))
                })?;
                let n = match v.as_i64() {
                    Some(n) => n,
                    None => {
                        return Err(env.runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.text(),
                            to_json(&v)
                        )))
                    }
                };
                if n < 0 {
                    return Err(env.runtime(format!(
                        "The SecondsPath parameter references a negative value: {} == {n}",
                        p.text()
                    )));
                }
                Duration::from_secs(n as u64)
            }
            WaitFor::Seconds(NumberField::Expr(t)) => {
                let v = env.eval(t, "Seconds")?;
                match v.as_i64() {
                    Some(n) if n >= 0 => Duration::from_secs(n as u64),
                    _ => {
                        return Err(env.query_error(format!(
                            "The JSONata expression specified for the field 'Seconds' returned an unexpected result type. Expected 'integer', but was '{}' for value: {}",
                            type_name(&v),
                            to_json(&v)
                        )))
                    }
                }
            }
            WaitFor::Timestamp(t) => {
                let v = env.eval(t, "Timestamp")?;
                let ts = v.as_str().and_then(parse_timestamp).ok_or_else(|| {
                    env.runtime(format!(
                        "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: {}",
                        to_json(&v)
                    ))
                })?;
                (ts - now).to_std().unwrap_or(Duration::ZERO)
            }
            WaitFor::TimestampPath(p) => {
                let v = env.resolve(p).map(Cow::into_owned).ok_or_else(|| {
                    env.runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.text(),
                        p.bracket_form()
                    ))
                })?;
                let ts = v.as_str().and_then(parse_timestamp).ok_or_else(|| {
                    let shown = match &v {
                        Value::String(s) => s.clone(),
                        o => to_json(o),
                    };
                    env.runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {shown}",
                        p.text()
                    ))
                })?;
                (ts - now).to_std().unwrap_or(Duration::ZERO)
            }
        };
        if !dur.is_zero() {
            self.sleep(dur).await?;
        }
        Ok(())
    }

    async fn parallel(
        &self,
        env: Env<'_>,
        branches: &[Arc<Program>],
        input: &Value,
    ) -> Result<Value, Failure> {
        let name = &env.state.name;
        self.event(Ev::ParallelStateStarted, Some(name), None, None, None);
        let mut futs: futures::stream::FuturesUnordered<
            BoxFuture<'_, (usize, Result<Value, Failure>)>,
        > = futures::stream::FuturesUnordered::new();
        for (i, b) in branches.iter().enumerate() {
            futs.push(self.branch(env.scope, i, b, input));
        }
        let mut results: Vec<Value> = vec![Value::Null; branches.len()];
        while let Some((i, r)) = futs.next().await {
            match r {
                Ok(v) => results[i] = v,
                Err(f) => {
                    self.event(
                        Ev::ParallelStateFailed,
                        Some(name),
                        None,
                        None,
                        Some(serde_json::json!({"error": f.error, "cause": f.cause})),
                    );
                    return Err(f);
                }
            }
        }
        self.event(Ev::ParallelStateSucceeded, Some(name), None, None, None);
        Ok(Value::Array(results))
    }

    async fn map(&self, env: Env<'_>, spec: &MapSpec) -> Result<Value, Failure> {
        let st = env.state;
        let name = &st.name;
        // The items.
        let items_owned: Cow<'_, Value> = match st.ql {
            QueryLanguage::JsonPath => match &spec.items_path {
                PathField::Default | PathField::Null => Cow::Borrowed(env.input),
                PathField::Path(p) => env.resolve(p).ok_or_else(|| {
                    env.runtime(format!(
                        "Invalid path '{}' : No results for path: {}",
                        p.text(),
                        p.bracket_form()
                    ))
                })?,
            },
            QueryLanguage::Jsonata => match &spec.items {
                Some(Template::Jsonata(expr)) => match env.jsonata_raw(expr)? {
                    Outcome::Value(v) if v.is_array() => Cow::Owned(v),
                    Outcome::Value(v) => {
                        return Err(env.query_error(format!(
                            "The JSONata expression '{expr}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                            type_name(&v),
                            to_json(&v)
                        )))
                    }
                    Outcome::Undefined => {
                        return Err(env.query_error(format!(
                            "The JSONata expression '{expr}' specified for the field 'Items' returned nothing (undefined)."
                        )))
                    }
                    Outcome::Unsupported => {
                        return Err(env.query_error(format!(
                            "The JSONata expression '{expr}' specified for the field 'Items' returned an unsupported result type."
                        )))
                    }
                },
                Some(t) => Cow::Owned(env.eval(t, "Items")?),
                None => Cow::Borrowed(env.state_input),
            },
        };
        let Value::Array(items) = &*items_owned else {
            let msg = format!(
                "Map state input must be an array but was: {}",
                to_json(&items_owned)
            );
            return Err(match st.ql {
                QueryLanguage::JsonPath => env.runtime(msg),
                QueryLanguage::Jsonata => env.query_error(msg),
            });
        };
        let max_conc = match &spec.max_concurrency {
            Some(f) => env.number(f, "MaxConcurrency", "MaxConcurrencyPath")?,
            None => 0.0,
        };
        let tol_count = match &spec.tolerated_count {
            Some(f) => {
                let n = env.number(f, "ToleratedFailureCount", "ToleratedFailureCountPath")?;
                if n < 0.0 {
                    return Err(env.runtime("ToleratedFailureCount cannot be negative."));
                }
                Some(n as usize)
            }
            None => None,
        };
        let tol_pct = match &spec.tolerated_percentage {
            Some(f) => {
                let n = env.number(
                    f,
                    "ToleratedFailurePercentage",
                    "ToleratedFailurePercentagePath",
                )?;
                if !(0.0..=100.0).contains(&n) {
                    return Err(
                        env.runtime("ToleratedFailurePercentage must be between 0 and 100.")
                    );
                }
                Some(n)
            }
            None => None,
        };
        let selector = match st.ql {
            QueryLanguage::JsonPath => spec.item_selector.as_ref().or(st.parameters.as_ref()),
            QueryLanguage::Jsonata => spec.item_selector.as_ref(),
        };
        self.event(Ev::MapStateStarted, Some(name), None, None, None);
        let total = items.len();
        // An inline Map on AWS runs at most 40 iterations at once, also when MaxConcurrency
        // is 0 (no limit) or larger.
        let limit = if max_conc >= 1.0 {
            (max_conc as usize).min(INLINE_MAP_CONCURRENCY)
        } else {
            INLINE_MAP_CONCURRENCY
        };
        let processor = &*spec.processor;
        let tolerant = tol_count.is_some() || tol_pct.is_some();
        let mut iterations: Vec<BoxFuture<'_, (usize, Result<Value, Failure>)>> =
            Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            iterations.push(self.map_iteration(env, i, item, selector, processor));
        }
        let mut stream =
            futures::stream::iter(iterations).buffer_unordered(limit.min(total.max(1)));
        let mut results: Vec<Value> = vec![Value::Null; total];
        let mut failures = 0usize;
        while let Some((i, r)) = stream.next().await {
            match r {
                Ok(v) => results[i] = v,
                Err(f) => {
                    let is_runtime = matches!(
                        f.error.as_deref(),
                        Some("States.Runtime" | "States.Timeout")
                    );
                    failures += 1;
                    let pct = failures as f64 * 100.0 / total as f64;
                    let exceeded = !tolerant
                        || is_runtime
                        || tol_count.is_some_and(|c| failures > c)
                        || tol_pct.is_some_and(|p| pct > p);
                    if exceeded {
                        let f = if tolerant && !is_runtime {
                            Failure::new(
                                "States.ExceedToleratedFailureThreshold",
                                "The specified tolerated failure threshold was exceeded",
                            )
                        } else {
                            f
                        };
                        self.event(
                            Ev::MapStateFailed,
                            Some(name),
                            None,
                            None,
                            Some(serde_json::json!({"error": f.error, "cause": f.cause})),
                        );
                        return Err(f);
                    }
                    results[i] = error_output(&f);
                }
            }
        }
        self.event(Ev::MapStateSucceeded, Some(name), None, None, None);
        Ok(Value::Array(results))
    }
}

impl<'m> Run<'m> {
    fn branch<'a>(
        &'a self,
        parent: &'a Arc<Scope>,
        i: usize,
        program: &'a Program,
        input: &'a Value,
    ) -> BoxFuture<'a, (usize, Result<Value, Failure>)> {
        async move {
            let scope = Scope::child(parent);
            (
                i,
                self.run_program(program, Cow::Borrowed(input), &scope)
                    .await,
            )
        }
        .boxed()
    }

    fn map_iteration<'a>(
        &'a self,
        env: Env<'a>,
        i: usize,
        item: &'a Value,
        selector: Option<&'a Template>,
        processor: &'a Program,
    ) -> BoxFuture<'a, (usize, Result<Value, Failure>)> {
        let name = &env.state.name;
        async move {
            let item_input = match selector {
                Some(t) => {
                    let e = Env {
                        map_item: Some((i, item)),
                        ..env
                    };
                    match e.eval(t, "ItemSelector") {
                        Ok(v) => Cow::Owned(v),
                        Err(f) => return (i, Err(f)),
                    }
                }
                None => Cow::Borrowed(item),
            };
            self.event(Ev::MapIterationStarted, Some(name), None, Some(i), None);
            let scope = Scope::child(env.scope);
            let r = self.run_program(processor, item_input, &scope).await;
            match &r {
                Ok(_) => self.event(Ev::MapIterationSucceeded, Some(name), None, Some(i), None),
                Err(f) => self.event(
                    Ev::MapIterationFailed,
                    Some(name),
                    None,
                    Some(i),
                    Some(serde_json::json!({"error": f.error, "cause": f.cause})),
                ),
            };
            (i, r)
        }
        .boxed()
    }
}

/// The retry delay for this failure, or `None` when no retrier applies or attempts are used up.
fn next_retry(retriers: &[Retrier], counts: &mut [u32], f: &Failure) -> Option<Duration> {
    let (i, r) = retriers
        .iter()
        .enumerate()
        .find(|(_, r)| error_matches(&r.error_equals, f.error.as_deref()))?;
    if counts[i] >= r.max_attempts {
        return None;
    }
    let mut delay = r.interval_seconds * r.backoff_rate.powi(counts[i] as i32);
    if let Some(m) = r.max_delay_seconds {
        delay = delay.min(m);
    }
    if r.jitter_full {
        use rand::Rng as _;
        delay = rand::thread_rng().gen_range(0.0..=delay);
    }
    counts[i] += 1;
    Some(Duration::from_secs_f64(delay.clamp(0.0, 31_536_000.0)))
}

fn text_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => to_json(&other),
    }
}

/// The message AWS gives when ErrorPath/CausePath select nothing.
fn fail_path_error(env: &Env<'_>, t: &Template, field: &str, f: Failure) -> Failure {
    match t {
        Template::Path(p) => env.runtime(format!(
            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
            p.text(),
            to_json(env.input)
        )),
        _ => f,
    }
}

fn compare(op: Op, v: &Value, rhs: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = |o: Option<Ordering>, want: &[Ordering]| o.is_some_and(|o| want.contains(&o));
    let num = || match (v, rhs) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        _ => None,
    };
    let string = || match (v, rhs) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let ts = || match (v, rhs) {
        (Value::String(a), Value::String(b)) => parse_timestamp(a)
            .zip(parse_timestamp(b))
            .map(|(a, b)| a.cmp(&b)),
        _ => None,
    };
    use Ordering::*;
    match op {
        Op::StringEquals => ord(string(), &[Equal]),
        Op::StringLessThan => ord(string(), &[Less]),
        Op::StringGreaterThan => ord(string(), &[Greater]),
        Op::StringLessThanEquals => ord(string(), &[Less, Equal]),
        Op::StringGreaterThanEquals => ord(string(), &[Greater, Equal]),
        Op::StringMatches => match (v, rhs) {
            (Value::String(s), Value::String(p)) => wildcard_match(p, s),
            _ => false,
        },
        Op::NumericEquals => ord(num(), &[Equal]),
        Op::NumericLessThan => ord(num(), &[Less]),
        Op::NumericGreaterThan => ord(num(), &[Greater]),
        Op::NumericLessThanEquals => ord(num(), &[Less, Equal]),
        Op::NumericGreaterThanEquals => ord(num(), &[Greater, Equal]),
        Op::BooleanEquals => matches!((v, rhs), (Value::Bool(a), Value::Bool(b)) if a == b),
        Op::TimestampEquals => ord(ts(), &[Equal]),
        Op::TimestampLessThan => ord(ts(), &[Less]),
        Op::TimestampGreaterThan => ord(ts(), &[Greater]),
        Op::TimestampLessThanEquals => ord(ts(), &[Less, Equal]),
        Op::TimestampGreaterThanEquals => ord(ts(), &[Greater, Equal]),
        Op::IsNull => v.is_null() == (rhs == &Value::Bool(true)),
        Op::IsPresent => rhs == &Value::Bool(true),
        Op::IsNumeric => v.is_number() == (rhs == &Value::Bool(true)),
        Op::IsString => v.is_string() == (rhs == &Value::Bool(true)),
        Op::IsBoolean => v.is_boolean() == (rhs == &Value::Bool(true)),
        Op::IsTimestamp => {
            v.as_str().and_then(parse_timestamp).is_some() == (rhs == &Value::Bool(true))
        }
    }
}

/// `StringMatches`: `*` matches any run of characters, `\*` a literal star, `\\` a backslash.
fn wildcard_match(pattern: &str, s: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                if let Some(n) = it.next() {
                    toks.push(Tok::Ch(n));
                }
            }
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    let (mut p, mut i) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while i < s.len() {
        if p < toks.len() && toks[p] == Tok::Ch(s[i]) {
            p += 1;
            i += 1;
        } else if p < toks.len() && toks[p] == Tok::Star {
            star = Some(p);
            mark = i;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while p < toks.len() && toks[p] == Tok::Star {
        p += 1;
    }
    p == toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcard() {
        for (p, s, want) in [
            ("*.log", "a.log", true),
            ("*.log", "a.txt", false),
            ("a*b*c", "axxbyyc", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("", "", true),
        ] {
            assert_eq!(wildcard_match(p, s), want, "{p} ~ {s}");
        }
    }

    #[test]
    fn comparisons_of_wrong_types_are_false() {
        assert!(!compare(Op::NumericEquals, &json!("1"), &json!(1)));
        assert!(compare(Op::NumericEquals, &json!(1), &json!(1.0)));
        assert!(!compare(Op::BooleanEquals, &json!(0), &json!(false)));
        assert!(compare(
            Op::TimestampLessThan,
            &json!("2012-10-09T19:00:55Z"),
            &json!("2012-10-09T19:00:56Z")
        ));
        assert!(!compare(
            Op::TimestampEquals,
            &json!("2012-10-09T19:00:55"),
            &json!("2012-10-09T19:00:55Z")
        ));
    }

    #[test]
    fn retry_delays_back_off_and_cap() {
        let r = Retrier {
            error_equals: vec!["E".into()],
            interval_seconds: 2.0,
            max_attempts: 3,
            backoff_rate: 3.0,
            max_delay_seconds: Some(10.0),
            jitter_full: false,
        };
        let f = Failure::new("E", "c");
        let mut counts = [0];
        let got: Vec<Option<Duration>> = (0..4)
            .map(|_| next_retry(std::slice::from_ref(&r), &mut counts, &f))
            .collect();
        assert_eq!(
            got,
            vec![
                Some(Duration::from_secs(2)),
                Some(Duration::from_secs(6)),
                Some(Duration::from_secs(10)),
                None
            ]
        );
    }

    #[test]
    fn error_matching() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(error_matches(&names(&["States.ALL"]), Some("X")));
        assert!(!error_matches(
            &names(&["States.ALL"]),
            Some("States.Runtime")
        ));
        assert!(error_matches(
            &names(&["States.TaskFailed"]),
            Some("Lambda.ServiceException")
        ));
        assert!(!error_matches(
            &names(&["States.TaskFailed"]),
            Some("States.Timeout")
        ));
        assert!(!error_matches(&names(&["State.ALL"]), None));
    }
}
