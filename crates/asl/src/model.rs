//! The parsed form of a state machine definition, and its validation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::intrinsics::{self, Call};
use crate::jsonata;
use crate::jsonpath::Path;
use crate::{Diagnostic, ValidationError};

/// The query language of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    /// `JSONPath` (the default): InputPath, Parameters, ResultSelector, ResultPath, OutputPath.
    JsonPath,
    /// `JSONata`: Arguments, Output and `{% ... %}` expressions.
    Jsonata,
}

/// A value computed at run time from the input, the context and variables.
#[derive(Debug, Clone)]
pub(crate) enum Template {
    Literal(Value),
    Object(Vec<(String, String, Template)>),
    Array(Vec<Template>),
    Path(Path),
    Call(Call),
    Jsonata(Arc<str>),
}

impl Template {
    fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }
}

/// An optional path that may also be explicitly `null`.
#[derive(Debug, Clone)]
pub(crate) enum PathField {
    Default,
    Null,
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter_full: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub error_equals: Vec<String>,
    pub next: Arc<str>,
    pub result_path: PathField,
    pub output: Option<Template>,
    pub assign: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringLessThanEquals", Op::StringLessThanEquals),
    ("StringGreaterThanEquals", Op::StringGreaterThanEquals),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("TimestampEquals", Op::TimestampEquals),
    ("TimestampLessThan", Op::TimestampLessThan),
    ("TimestampGreaterThan", Op::TimestampGreaterThan),
    ("TimestampLessThanEquals", Op::TimestampLessThanEquals),
    ("TimestampGreaterThanEquals", Op::TimestampGreaterThanEquals),
    ("IsNull", Op::IsNull),
    ("IsPresent", Op::IsPresent),
    ("IsNumeric", Op::IsNumeric),
    ("IsString", Op::IsString),
    ("IsBoolean", Op::IsBoolean),
    ("IsTimestamp", Op::IsTimestamp),
];

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Literal(Value),
    Path(Path),
}

#[derive(Debug, Clone)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        variable: Path,
        op: Op,
        operand: Operand,
    },
    Condition(Template),
}

#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub rule: Rule,
    pub next: Arc<str>,
    pub assign: Option<Template>,
    pub output: Option<Template>,
}

/// A number given literally, through a path, or as a JSONata expression.
#[derive(Debug, Clone)]
pub(crate) enum NumberField {
    Literal(f64),
    Path(Path),
    Expr(Template),
}

#[derive(Debug, Clone)]
pub(crate) enum WaitFor {
    Seconds(NumberField),
    Timestamp(Template),
    TimestampPath(Path),
}

#[derive(Debug, Clone)]
pub(crate) struct MapSpec {
    pub items_path: PathField,
    pub items: Option<Template>,
    pub item_selector: Option<Template>,
    pub processor: Arc<Program>,
    pub max_concurrency: Option<NumberField>,
    pub tolerated_count: Option<NumberField>,
    pub tolerated_percentage: Option<NumberField>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Pass {
        result: Option<Value>,
    },
    Task {
        resource: String,
        timeout: Option<NumberField>,
    },
    Choice {
        choices: Vec<Choice>,
        default: Option<Arc<str>>,
    },
    Wait(WaitFor),
    Succeed,
    Fail {
        error: Option<Template>,
        cause: Option<Template>,
    },
    Parallel {
        branches: Vec<Arc<Program>>,
    },
    Map(Box<MapSpec>),
}

impl Kind {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass { .. } => "Pass",
            Kind::Task { .. } => "Task",
            Kind::Choice { .. } => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Parallel { .. } => "Parallel",
            Kind::Map(_) => "Map",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub name: Arc<str>,
    pub kind: Kind,
    pub ql: QueryLanguage,
    pub next: Option<Arc<str>>,
    pub input_path: PathField,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: PathField,
    pub output_path: PathField,
    pub arguments: Option<Template>,
    pub output: Option<Template>,
    pub assign: Option<Template>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

/// A set of states with a start: the top level, a Parallel branch or a Map processor.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub start_at: Arc<str>,
    pub states: HashMap<Arc<str>, Arc<State>>,
    pub order: Vec<Arc<str>>,
    pub id_prefix: String,
}

pub(crate) struct Parsed {
    pub program: Arc<Program>,
    pub timeout_seconds: Option<f64>,
    pub ql: QueryLanguage,
}

struct Ctx {
    errors: Vec<Diagnostic>,
    branch_counter: usize,
}

impl Ctx {
    fn err(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Diagnostic {
            location: location.into(),
            message: message.into(),
        });
    }
}

pub(crate) fn parse_definition(def: &Value) -> Result<Parsed, ValidationError> {
    let mut cx = Ctx {
        errors: Vec::new(),
        branch_counter: 0,
    };
    let Some(obj) = def.as_object() else {
        return Err(ValidationError {
            diagnostics: vec![Diagnostic {
                location: "(root)".into(),
                message: "the definition must be a JSON object".into(),
            }],
        });
    };
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Comment" | "StartAt" | "States" | "Version" | "TimeoutSeconds" | "QueryLanguage"
        ) {
            cx.err(key.clone(), format!("unknown top-level field '{key}'"));
        }
    }
    let ql = match obj.get("QueryLanguage") {
        None => QueryLanguage::JsonPath,
        Some(v) => parse_ql(&mut cx, "QueryLanguage", v).unwrap_or(QueryLanguage::JsonPath),
    };
    if let Some(v) = obj.get("Version") {
        if v.as_str() != Some("1.0") {
            cx.err("Version", "Version must be \"1.0\"");
        }
    }
    let timeout_seconds = match obj.get("TimeoutSeconds") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Some(n as f64),
            _ => {
                cx.err(
                    "TimeoutSeconds",
                    "TimeoutSeconds must be a positive integer",
                );
                None
            }
        },
    };
    let program = parse_program(&mut cx, obj, "", ql, "");
    if cx.errors.is_empty() {
        Ok(Parsed {
            program: Arc::new(program),
            timeout_seconds,
            ql,
        })
    } else {
        Err(ValidationError {
            diagnostics: cx.errors,
        })
    }
}

fn parse_ql(cx: &mut Ctx, loc: &str, v: &Value) -> Option<QueryLanguage> {
    match v.as_str() {
        Some("JSONPath") => Some(QueryLanguage::JsonPath),
        Some("JSONata") => Some(QueryLanguage::Jsonata),
        _ => {
            cx.err(loc, "QueryLanguage must be \"JSONPath\" or \"JSONata\"");
            None
        }
    }
}

fn parse_program(
    cx: &mut Ctx,
    obj: &Map<String, Value>,
    loc: &str,
    ql: QueryLanguage,
    id_prefix: &str,
) -> Program {
    let start_at: Arc<str> = match obj.get("StartAt").and_then(Value::as_str) {
        Some(s) => Arc::from(s),
        None => {
            cx.err(
                join(loc, "StartAt"),
                "StartAt is required and must be a string",
            );
            Arc::from("")
        }
    };
    let mut states = HashMap::new();
    let mut order = Vec::new();
    match obj.get("States").and_then(Value::as_object) {
        Some(m) if !m.is_empty() => {
            for (name, sv) in m {
                let sloc = join(loc, &format!("States.{name}"));
                if name.is_empty() || name.len() > 80 {
                    cx.err(&sloc, "a state name must have 1 to 80 characters");
                }
                if let Some(st) = parse_state(cx, name, sv, &sloc, ql, id_prefix) {
                    let n: Arc<str> = Arc::from(name.as_str());
                    order.push(n.clone());
                    states.insert(n, Arc::new(st));
                }
            }
        }
        _ => cx.err(
            join(loc, "States"),
            "States is required and must be a non-empty object",
        ),
    }
    let program = Program {
        start_at,
        states,
        order,
        id_prefix: id_prefix.to_string(),
    };
    check_graph(
        cx,
        &program,
        loc,
        obj.get("States").and_then(Value::as_object),
    );
    program
}

fn join(loc: &str, field: &str) -> String {
    if loc.is_empty() {
        field.to_string()
    } else {
        format!("{loc}.{field}")
    }
}

fn check_graph(cx: &mut Ctx, p: &Program, loc: &str, raw: Option<&Map<String, Value>>) {
    if raw.is_none() {
        return;
    }
    let raw_names: HashSet<&str> = raw
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if !p.start_at.is_empty() && !raw_names.contains(&*p.start_at) {
        cx.err(
            join(loc, "StartAt"),
            format!(
                "StartAt refers to a state that does not exist: '{}'",
                p.start_at
            ),
        );
    }
    let mut targets: Vec<(String, Arc<str>)> = Vec::new();
    for name in &p.order {
        let st = &p.states[name];
        let sloc = join(loc, &format!("States.{name}"));
        if let Some(n) = &st.next {
            targets.push((format!("{sloc}.Next"), n.clone()));
        }
        if let Kind::Choice { choices, default } = &st.kind {
            for (i, c) in choices.iter().enumerate() {
                targets.push((format!("{sloc}.Choices[{i}].Next"), c.next.clone()));
            }
            if let Some(d) = default {
                targets.push((format!("{sloc}.Default"), d.clone()));
            }
        }
        for (i, c) in st.catch.iter().enumerate() {
            targets.push((format!("{sloc}.Catch[{i}].Next"), c.next.clone()));
        }
    }
    for (l, t) in &targets {
        if !raw_names.contains(&**t) {
            cx.err(
                l.clone(),
                format!("refers to a state that does not exist: '{t}'"),
            );
        }
    }
    // reachability
    let mut seen: HashSet<Arc<str>> = HashSet::new();
    let mut stack = vec![p.start_at.clone()];
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(st) = p.states.get(&n) {
            stack.extend(successors(st));
        }
    }
    for name in &p.order {
        if !seen.contains(name) {
            cx.err(
                join(loc, &format!("States.{name}")),
                format!("the state '{name}' is not reachable from StartAt"),
            );
        }
    }
}

pub(crate) fn successors(st: &State) -> Vec<Arc<str>> {
    let mut out = Vec::new();
    if let Some(n) = &st.next {
        out.push(n.clone());
    }
    if let Kind::Choice { choices, default } = &st.kind {
        out.extend(choices.iter().map(|c| c.next.clone()));
        out.extend(default.iter().cloned());
    }
    out.extend(st.catch.iter().map(|c| c.next.clone()));
    out
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage", "Assign"];
const JSONPATH_IO: &[&str] = &["InputPath", "OutputPath"];

fn allowed_fields(ty: &str, ql: QueryLanguage) -> Vec<&'static str> {
    let jp = ql == QueryLanguage::JsonPath;
    let mut f: Vec<&'static str> = COMMON.to_vec();
    let flow = ["Next", "End"];
    match ty {
        "Pass" => {
            f.extend(flow);
            if jp {
                f.extend(JSONPATH_IO);
                f.extend(["Parameters", "Result", "ResultPath"]);
            } else {
                f.push("Output");
            }
        }
        "Task" => {
            f.extend(flow);
            f.extend([
                "Resource",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
            ]);
            if jp {
                f.extend(JSONPATH_IO);
                f.extend([
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "TimeoutSecondsPath",
                    "HeartbeatSecondsPath",
                ]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Choice" => {
            f.extend(["Choices", "Default"]);
            if jp {
                f.extend(JSONPATH_IO);
            } else {
                f.push("Output");
            }
        }
        "Wait" => {
            f.extend(flow);
            f.extend(["Seconds", "Timestamp"]);
            if jp {
                f.extend(JSONPATH_IO);
                f.extend(["SecondsPath", "TimestampPath"]);
            } else {
                f.push("Output");
            }
        }
        "Succeed" => {
            if jp {
                f.extend(JSONPATH_IO);
            } else {
                f.push("Output");
            }
        }
        "Fail" => {
            f.extend(["Error", "Cause"]);
            if jp {
                f.extend(["ErrorPath", "CausePath"]);
            }
        }
        "Parallel" => {
            f.extend(flow);
            f.extend(["Branches", "Retry", "Catch"]);
            if jp {
                f.extend(JSONPATH_IO);
                f.extend(["Parameters", "ResultSelector", "ResultPath"]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Map" => {
            f.extend(flow);
            f.extend([
                "ItemProcessor",
                "Iterator",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "Retry",
                "Catch",
                "Items",
            ]);
            if jp {
                f.extend(JSONPATH_IO);
                f.extend([
                    "ItemsPath",
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "MaxConcurrencyPath",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentagePath",
                ]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        _ => {}
    }
    f
}

fn parse_state(
    cx: &mut Ctx,
    name: &str,
    v: &Value,
    loc: &str,
    parent_ql: QueryLanguage,
    id_prefix: &str,
) -> Option<State> {
    let Some(o) = v.as_object() else {
        cx.err(loc, "a state must be a JSON object");
        return None;
    };
    let ty = match o.get("Type").and_then(Value::as_str) {
        Some(t) => t,
        None => {
            cx.err(join(loc, "Type"), "Type is required");
            return None;
        }
    };
    if !matches!(
        ty,
        "Pass" | "Task" | "Choice" | "Wait" | "Succeed" | "Fail" | "Parallel" | "Map"
    ) {
        cx.err(join(loc, "Type"), format!("unknown state type '{ty}'"));
        return None;
    }
    let ql = match o.get("QueryLanguage") {
        Some(q) => parse_ql(cx, &join(loc, "QueryLanguage"), q).unwrap_or(parent_ql),
        None => parent_ql,
    };
    if parent_ql == QueryLanguage::Jsonata
        && ql == QueryLanguage::JsonPath
        && o.contains_key("QueryLanguage")
    {
        cx.err(
            join(loc, "QueryLanguage"),
            "a JSONPath state cannot be used when the state machine's QueryLanguage is JSONata",
        );
    }
    let allowed = allowed_fields(ty, ql);
    for key in o.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = if ql == QueryLanguage::Jsonata
                && matches!(
                    key.as_str(),
                    "InputPath"
                        | "OutputPath"
                        | "Parameters"
                        | "ResultSelector"
                        | "ResultPath"
                        | "ItemsPath"
                ) {
                " (not allowed in a JSONata state)"
            } else if ql == QueryLanguage::JsonPath
                && matches!(key.as_str(), "Arguments" | "Output")
            {
                " (only allowed in a JSONata state)"
            } else {
                ""
            };
            cx.err(
                join(loc, key),
                format!("the field '{key}' is not allowed in a {ty} state{hint}"),
            );
        }
    }
    // Next / End
    let terminal_type = matches!(ty, "Choice" | "Succeed" | "Fail");
    let next = o.get("Next").and_then(Value::as_str).map(Arc::from);
    if o.contains_key("Next") && next.is_none() {
        cx.err(join(loc, "Next"), "Next must be a string");
    }
    let end = match o.get("End") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            cx.err(join(loc, "End"), "End must be a boolean");
            false
        }
    };
    if !terminal_type {
        match (next.is_some(), end) {
            (true, true) => cx.err(loc, "a state cannot have both Next and End: true"),
            (false, false) => cx.err(loc, "a state needs either Next or End: true"),
            _ => {}
        }
    }
    let jp = ql == QueryLanguage::JsonPath;
    let input_path = path_field(cx, o, "InputPath", loc, false);
    let output_path = path_field(cx, o, "OutputPath", loc, false);
    let result_path = path_field(cx, o, "ResultPath", loc, true);
    let parameters = o
        .get("Parameters")
        .map(|v| template(cx, v, &join(loc, "Parameters"), ql, true));
    let result_selector = o
        .get("ResultSelector")
        .map(|v| template(cx, v, &join(loc, "ResultSelector"), ql, true));
    let arguments = o
        .get("Arguments")
        .map(|v| template(cx, v, &join(loc, "Arguments"), ql, true));
    let output = o
        .get("Output")
        .map(|v| template(cx, v, &join(loc, "Output"), ql, false));
    let assign = o
        .get("Assign")
        .map(|v| assign_template(cx, v, &join(loc, "Assign"), ql));
    let retry = o
        .get("Retry")
        .map(|v| parse_retry(cx, v, &join(loc, "Retry")))
        .unwrap_or_default();
    let catch = o
        .get("Catch")
        .map(|v| parse_catch(cx, v, &join(loc, "Catch"), ql))
        .unwrap_or_default();
    let kind = match ty {
        "Pass" => Kind::Pass {
            result: o.get("Result").cloned(),
        },
        "Task" => {
            let resource = match o.get("Resource").and_then(Value::as_str) {
                Some(r) => r.to_string(),
                None => {
                    cx.err(
                        join(loc, "Resource"),
                        "Resource is required and must be a string",
                    );
                    String::new()
                }
            };
            // HeartbeatSeconds is validated but has no effect locally (no activity workers).
            let _ = number_field(cx, o, "HeartbeatSeconds", "HeartbeatSecondsPath", loc, ql);
            Kind::Task {
                resource,
                timeout: number_field(cx, o, "TimeoutSeconds", "TimeoutSecondsPath", loc, ql),
            }
        }
        "Choice" => {
            let mut choices = Vec::new();
            match o.get("Choices").and_then(Value::as_array) {
                Some(a) if !a.is_empty() => {
                    for (i, c) in a.iter().enumerate() {
                        let cloc = format!("{loc}.Choices[{i}]");
                        if let Some(ch) = parse_choice(cx, c, &cloc, ql) {
                            choices.push(ch);
                        }
                    }
                }
                _ => cx.err(
                    join(loc, "Choices"),
                    "Choices is required and must be a non-empty array",
                ),
            }
            let default = o.get("Default").and_then(Value::as_str).map(Arc::from);
            if o.contains_key("Default") && default.is_none() {
                cx.err(join(loc, "Default"), "Default must be a string");
            }
            Kind::Choice { choices, default }
        }
        "Wait" => {
            let keys: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
                .into_iter()
                .filter(|k| o.contains_key(*k))
                .collect();
            if keys.len() != 1 {
                cx.err(
                    loc,
                    "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
                );
            }
            if o.contains_key("Timestamp") {
                let t = template(cx, &o["Timestamp"], &join(loc, "Timestamp"), ql, false);
                if let Template::Literal(v) = &t {
                    if v.as_str().and_then(crate::exec::parse_timestamp).is_none() {
                        cx.err(
                            join(loc, "Timestamp"),
                            "Timestamp must be an ISO-8601 date-time string",
                        );
                    }
                }
                Kind::Wait(WaitFor::Timestamp(t))
            } else if let Some(p) = o.get("TimestampPath") {
                match p.as_str().map(Path::parse) {
                    Some(Ok(p)) => Kind::Wait(WaitFor::TimestampPath(p)),
                    Some(Err(e)) => {
                        cx.err(join(loc, "TimestampPath"), e.to_string());
                        Kind::Succeed
                    }
                    None => {
                        cx.err(join(loc, "TimestampPath"), "TimestampPath must be a string");
                        Kind::Succeed
                    }
                }
            } else {
                match number_field(cx, o, "Seconds", "SecondsPath", loc, ql) {
                    Some(n) => Kind::Wait(WaitFor::Seconds(n)),
                    None => Kind::Wait(WaitFor::Seconds(NumberField::Literal(0.0))),
                }
            }
        }
        "Succeed" => Kind::Succeed,
        "Fail" => {
            let mut field = |lit: &str, path: &str| -> Option<Template> {
                match (o.get(lit), o.get(path)) {
                    (Some(_), Some(_)) => {
                        cx.err(
                            loc,
                            format!("a Fail state cannot have both {lit} and {path}"),
                        );
                        None
                    }
                    (Some(v), None) => {
                        if !v.is_string() {
                            cx.err(join(loc, lit), format!("{lit} must be a string"));
                        }
                        Some(template(cx, v, &join(loc, lit), ql, false))
                    }
                    (None, Some(v)) => match v.as_str() {
                        Some(s) if intrinsics::looks_like_call(s) => match intrinsics::parse(s) {
                            Ok(c) => Some(Template::Call(c)),
                            Err(e) => {
                                cx.err(join(loc, path), e);
                                None
                            }
                        },
                        Some(s) => match Path::parse(s) {
                            Ok(p) => Some(Template::Path(p)),
                            Err(e) => {
                                cx.err(join(loc, path), e.to_string());
                                None
                            }
                        },
                        None => {
                            cx.err(join(loc, path), format!("{path} must be a string"));
                            None
                        }
                    },
                    (None, None) => None,
                }
            };
            let error = field("Error", "ErrorPath");
            let cause = field("Cause", "CausePath");
            Kind::Fail { error, cause }
        }
        "Parallel" => {
            let mut branches = Vec::new();
            match o.get("Branches").and_then(Value::as_array) {
                Some(a) if !a.is_empty() => {
                    for (i, b) in a.iter().enumerate() {
                        let bloc = format!("{loc}.Branches[{i}]");
                        match b.as_object() {
                            Some(bo) => {
                                cx.branch_counter += 1;
                                let prefix = format!("{id_prefix}{}_b{i}_", sanitize(name));
                                branches.push(Arc::new(parse_program(cx, bo, &bloc, ql, &prefix)));
                                check_sub_fields(
                                    cx,
                                    bo,
                                    &bloc,
                                    &["StartAt", "States", "Comment", "QueryLanguage"],
                                );
                            }
                            None => cx.err(bloc, "a branch must be an object"),
                        }
                    }
                }
                _ => cx.err(
                    join(loc, "Branches"),
                    "Branches is required and must be a non-empty array",
                ),
            }
            Kind::Parallel { branches }
        }
        "Map" => {
            let (proc_key, proc) = match (o.get("ItemProcessor"), o.get("Iterator")) {
                (Some(p), None) => ("ItemProcessor", Some(p)),
                (None, Some(p)) => ("Iterator", Some(p)),
                (Some(_), Some(_)) => {
                    cx.err(
                        loc,
                        "a Map state cannot have both ItemProcessor and Iterator",
                    );
                    ("ItemProcessor", None)
                }
                (None, None) => {
                    cx.err(
                        loc,
                        "a Map state needs an ItemProcessor (or the older Iterator)",
                    );
                    ("ItemProcessor", None)
                }
            };
            let ploc = join(loc, proc_key);
            let processor = match proc.and_then(Value::as_object) {
                Some(po) => {
                    check_sub_fields(
                        cx,
                        po,
                        &ploc,
                        &[
                            "StartAt",
                            "States",
                            "Comment",
                            "QueryLanguage",
                            "ProcessorConfig",
                        ],
                    );
                    if let Some(pc) = po.get("ProcessorConfig") {
                        match pc.as_object() {
                            Some(pco) => {
                                for (k, v) in pco {
                                    match k.as_str() {
                                        "Mode"
                                            if matches!(
                                                v.as_str(),
                                                Some("INLINE" | "DISTRIBUTED")
                                            ) => {}
                                        "ExecutionType"
                                            if matches!(
                                                v.as_str(),
                                                Some("STANDARD" | "EXPRESS")
                                            ) => {}
                                        _ => cx.err(
                                            format!("{ploc}.ProcessorConfig.{k}"),
                                            format!(
                                                "unknown or invalid ProcessorConfig field '{k}'"
                                            ),
                                        ),
                                    }
                                }
                            }
                            None => cx.err(
                                format!("{ploc}.ProcessorConfig"),
                                "ProcessorConfig must be an object",
                            ),
                        }
                    }
                    let prefix = format!("{id_prefix}{}_", sanitize(name));
                    Arc::new(parse_program(cx, po, &ploc, ql, &prefix))
                }
                None => {
                    if proc.is_some() {
                        cx.err(&ploc, format!("{proc_key} must be an object"));
                    }
                    Arc::new(Program {
                        start_at: Arc::from(""),
                        states: HashMap::new(),
                        order: Vec::new(),
                        id_prefix: String::new(),
                    })
                }
            };
            let items_path = path_field(cx, o, "ItemsPath", loc, false);
            let items = o
                .get("Items")
                .map(|v| template(cx, v, &join(loc, "Items"), ql, false));
            if jp && items.is_some() {
                cx.err(
                    join(loc, "Items"),
                    "Items is only allowed in a JSONata state (use ItemsPath)",
                );
            }
            let item_selector = match (o.get("ItemSelector"), parameters.is_some() && jp) {
                (Some(_), true) => {
                    cx.err(
                        loc,
                        "a Map state cannot have both ItemSelector and Parameters",
                    );
                    None
                }
                (Some(v), false) => Some(template(cx, v, &join(loc, "ItemSelector"), ql, true)),
                (None, _) => None,
            };
            Kind::Map(Box::new(MapSpec {
                items_path,
                items,
                item_selector,
                processor,
                max_concurrency: number_field(
                    cx,
                    o,
                    "MaxConcurrency",
                    "MaxConcurrencyPath",
                    loc,
                    ql,
                ),
                tolerated_count: number_field(
                    cx,
                    o,
                    "ToleratedFailureCount",
                    "ToleratedFailureCountPath",
                    loc,
                    ql,
                ),
                tolerated_percentage: number_field(
                    cx,
                    o,
                    "ToleratedFailurePercentage",
                    "ToleratedFailurePercentagePath",
                    loc,
                    ql,
                ),
            }))
        }
        _ => return None,
    };
    if let PathField::Path(p) = &result_path {
        if !p.is_reference() {
            cx.err(
                join(loc, "ResultPath"),
                format!(
                    "ResultPath must be a reference path into the input (like $.a.b), not '{}'",
                    p.text()
                ),
            );
        }
    }
    Some(State {
        name: Arc::from(name),
        kind,
        ql,
        next,
        input_path,
        parameters,
        result_selector,
        result_path,
        output_path,
        arguments,
        output,
        assign,
        retry,
        catch,
    })
}

pub(crate) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn check_sub_fields(cx: &mut Ctx, o: &Map<String, Value>, loc: &str, allowed: &[&str]) {
    for k in o.keys() {
        if !allowed.contains(&k.as_str()) {
            cx.err(join(loc, k), format!("unknown field '{k}'"));
        }
    }
}

fn path_field(
    cx: &mut Ctx,
    o: &Map<String, Value>,
    key: &str,
    loc: &str,
    _reference: bool,
) -> PathField {
    match o.get(key) {
        None => PathField::Default,
        Some(Value::Null) => PathField::Null,
        Some(Value::String(s)) => match Path::parse(s) {
            Ok(p) => PathField::Path(p),
            Err(e) => {
                cx.err(join(loc, key), e.to_string());
                PathField::Default
            }
        },
        Some(_) => {
            cx.err(join(loc, key), format!("{key} must be a string or null"));
            PathField::Default
        }
    }
}

fn number_field(
    cx: &mut Ctx,
    o: &Map<String, Value>,
    key: &str,
    path_key: &str,
    loc: &str,
    ql: QueryLanguage,
) -> Option<NumberField> {
    match (o.get(key), o.get(path_key)) {
        (Some(_), Some(_)) => {
            cx.err(
                loc,
                format!("a state cannot have both {key} and {path_key}"),
            );
            None
        }
        (Some(v), None) => match v {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f >= 0.0 => Some(NumberField::Literal(f)),
                _ => {
                    cx.err(join(loc, key), format!("{key} must not be negative"));
                    None
                }
            },
            Value::String(s) if ql == QueryLanguage::Jsonata && jsonata::is_expression(s) => Some(
                NumberField::Expr(template(cx, v, &join(loc, key), ql, false)),
            ),
            _ => {
                cx.err(join(loc, key), format!("{key} must be a number"));
                None
            }
        },
        (None, Some(v)) => match v.as_str().map(Path::parse) {
            Some(Ok(p)) => Some(NumberField::Path(p)),
            Some(Err(e)) => {
                cx.err(join(loc, path_key), e.to_string());
                None
            }
            None => {
                cx.err(join(loc, path_key), format!("{path_key} must be a string"));
                None
            }
        },
        (None, None) => None,
    }
}

/// Compiles a payload template. For JSONPath, keys ending in `.$` hold paths or intrinsic
/// calls; for JSONata, any string `{% ... %}` is an expression.
fn template(cx: &mut Ctx, v: &Value, loc: &str, ql: QueryLanguage, _payload: bool) -> Template {
    match ql {
        QueryLanguage::JsonPath => jp_template(cx, v, loc),
        QueryLanguage::Jsonata => jsonata_template(cx, v, loc),
    }
}

fn jp_value_expr(cx: &mut Ctx, s: &str, loc: &str) -> Template {
    if intrinsics::looks_like_call(s) {
        match intrinsics::parse(s) {
            Ok(c) => Template::Call(c),
            Err(e) => {
                cx.err(loc, format!("invalid intrinsic function call '{s}': {e}"));
                Template::Literal(Value::Null)
            }
        }
    } else {
        match Path::parse(s) {
            Ok(p) => Template::Path(p),
            Err(e) => {
                cx.err(loc, e.to_string());
                Template::Literal(Value::Null)
            }
        }
    }
}

fn jp_template(cx: &mut Ctx, v: &Value, loc: &str) -> Template {
    match v {
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            let mut all_literal = true;
            for (k, x) in m {
                let floc = join(loc, k);
                let t = if let Some(base) = k.strip_suffix(".$") {
                    let t = match x.as_str() {
                        Some(s) => jp_value_expr(cx, s, &floc),
                        None => {
                            cx.err(&floc, format!("the value of '{k}' must be a string holding a path or an intrinsic function"));
                            Template::Literal(Value::Null)
                        }
                    };
                    fields.push((base.to_string(), k.clone(), t));
                    all_literal = false;
                    continue;
                } else {
                    jp_template(cx, x, &floc)
                };
                all_literal &= t.is_literal();
                fields.push((k.clone(), k.clone(), t));
            }
            if all_literal {
                Template::Literal(v.clone())
            } else {
                Template::Object(fields)
            }
        }
        Value::Array(a) => {
            let items: Vec<Template> = a
                .iter()
                .enumerate()
                .map(|(i, x)| jp_template(cx, x, &format!("{loc}[{i}]")))
                .collect();
            if items.iter().all(Template::is_literal) {
                Template::Literal(v.clone())
            } else {
                Template::Array(items)
            }
        }
        _ => Template::Literal(v.clone()),
    }
}

fn jsonata_template(cx: &mut Ctx, v: &Value, loc: &str) -> Template {
    match v {
        Value::String(s) if jsonata::is_expression(s) => {
            let expr = jsonata::strip(s);
            if let Err(e) = jsonata::check_syntax(expr) {
                cx.err(loc, format!("invalid JSONata expression '{expr}': {e}"));
            }
            Template::Jsonata(Arc::from(expr))
        }
        Value::Object(m) => {
            let fields: Vec<(String, String, Template)> = m
                .iter()
                .map(|(k, x)| (k.clone(), k.clone(), jsonata_template(cx, x, &join(loc, k))))
                .collect();
            if fields.iter().all(|(_, _, t)| t.is_literal()) {
                Template::Literal(v.clone())
            } else {
                Template::Object(fields)
            }
        }
        Value::Array(a) => {
            let items: Vec<Template> = a
                .iter()
                .enumerate()
                .map(|(i, x)| jsonata_template(cx, x, &format!("{loc}[{i}]")))
                .collect();
            if items.iter().all(Template::is_literal) {
                Template::Literal(v.clone())
            } else {
                Template::Array(items)
            }
        }
        _ => Template::Literal(v.clone()),
    }
}

fn assign_template(cx: &mut Ctx, v: &Value, loc: &str, ql: QueryLanguage) -> Template {
    if !v.is_object() {
        cx.err(loc, "Assign must be an object");
    }
    if let Some(m) = v.as_object() {
        for k in m.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            let ok = !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !ok {
                cx.err(
                    join(loc, k),
                    format!("'{name}' is not a valid variable name"),
                );
            }
            if name == "states" {
                cx.err(join(loc, k), "the variable name 'states' is reserved");
            }
        }
    }
    template(cx, v, loc, ql, true)
}

fn parse_error_equals(cx: &mut Ctx, o: &Map<String, Value>, loc: &str) -> Vec<String> {
    match o.get("ErrorEquals").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => {
            let names: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            if names.len() != a.len() {
                cx.err(join(loc, "ErrorEquals"), "ErrorEquals must hold strings");
            }
            if names.iter().any(|n| n == "States.ALL") && names.len() > 1 {
                cx.err(
                    join(loc, "ErrorEquals"),
                    "States.ALL must appear alone in ErrorEquals",
                );
            }
            names
        }
        _ => {
            cx.err(
                join(loc, "ErrorEquals"),
                "ErrorEquals is required and must be a non-empty array",
            );
            Vec::new()
        }
    }
}

fn parse_retry(cx: &mut Ctx, v: &Value, loc: &str) -> Vec<Retrier> {
    let Some(a) = v.as_array() else {
        cx.err(loc, "Retry must be an array");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, r) in a.iter().enumerate() {
        let rloc = format!("{loc}[{i}]");
        let Some(o) = r.as_object() else {
            cx.err(rloc, "a retrier must be an object");
            continue;
        };
        check_sub_fields(
            cx,
            o,
            &rloc,
            &[
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            ],
        );
        let error_equals = parse_error_equals(cx, o, &rloc);
        if error_equals.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
            cx.err(&rloc, "a retrier with States.ALL must be the last one");
        }
        let mut num = |key: &str, default: f64, min: f64| -> f64 {
            match o.get(key) {
                None => default,
                Some(x) => match x.as_f64() {
                    Some(f) if f >= min => f,
                    _ => {
                        cx.err(
                            format!("{rloc}.{key}"),
                            format!("{key} must be a number >= {min}"),
                        );
                        default
                    }
                },
            }
        };
        let interval_seconds = num("IntervalSeconds", 1.0, 1.0);
        let max_attempts = num("MaxAttempts", 3.0, 0.0) as u32;
        let backoff_rate = num("BackoffRate", 2.0, 1.0);
        let max_delay_seconds = o
            .get("MaxDelaySeconds")
            .map(|_| num("MaxDelaySeconds", 0.0, 1.0));
        let jitter_full = match o.get("JitterStrategy").map(|j| j.as_str()) {
            None | Some(Some("NONE")) => false,
            Some(Some("FULL")) => true,
            _ => {
                cx.err(
                    format!("{rloc}.JitterStrategy"),
                    "JitterStrategy must be FULL or NONE",
                );
                false
            }
        };
        out.push(Retrier {
            error_equals,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter_full,
        });
    }
    out
}

fn parse_catch(cx: &mut Ctx, v: &Value, loc: &str, ql: QueryLanguage) -> Vec<Catcher> {
    let Some(a) = v.as_array() else {
        cx.err(loc, "Catch must be an array");
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, c) in a.iter().enumerate() {
        let cloc = format!("{loc}[{i}]");
        let Some(o) = c.as_object() else {
            cx.err(cloc, "a catcher must be an object");
            continue;
        };
        let allowed: &[&str] = if ql == QueryLanguage::JsonPath {
            &["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]
        } else {
            &["ErrorEquals", "Next", "Output", "Assign", "Comment"]
        };
        check_sub_fields(cx, o, &cloc, allowed);
        let error_equals = parse_error_equals(cx, o, &cloc);
        if error_equals.iter().any(|e| e == "States.ALL") && i + 1 != a.len() {
            cx.err(&cloc, "a catcher with States.ALL must be the last one");
        }
        let next = match o.get("Next").and_then(Value::as_str) {
            Some(n) => Arc::from(n),
            None => {
                cx.err(format!("{cloc}.Next"), "Next is required in a catcher");
                Arc::from("")
            }
        };
        let result_path = path_field(cx, o, "ResultPath", &cloc, true);
        let output = o
            .get("Output")
            .map(|v| template(cx, v, &format!("{cloc}.Output"), ql, false));
        let assign = o
            .get("Assign")
            .map(|v| assign_template(cx, v, &format!("{cloc}.Assign"), ql));
        out.push(Catcher {
            error_equals,
            next,
            result_path,
            output,
            assign,
        });
    }
    out
}

fn parse_choice(cx: &mut Ctx, v: &Value, loc: &str, ql: QueryLanguage) -> Option<Choice> {
    let Some(o) = v.as_object() else {
        cx.err(loc, "a choice rule must be an object");
        return None;
    };
    let next = match o.get("Next").and_then(Value::as_str) {
        Some(n) => Arc::from(n),
        None => {
            cx.err(join(loc, "Next"), "a top-level choice rule needs Next");
            Arc::from("")
        }
    };
    let assign = o
        .get("Assign")
        .map(|v| assign_template(cx, v, &join(loc, "Assign"), ql));
    let output = o
        .get("Output")
        .map(|v| template(cx, v, &join(loc, "Output"), ql, false));
    if ql == QueryLanguage::JsonPath && output.is_some() {
        cx.err(
            join(loc, "Output"),
            "Output is only allowed in a JSONata state",
        );
    }
    let rule = parse_rule(cx, o, loc, ql, true)?;
    Some(Choice {
        rule,
        next,
        assign,
        output,
    })
}

fn parse_rule(
    cx: &mut Ctx,
    o: &Map<String, Value>,
    loc: &str,
    ql: QueryLanguage,
    top: bool,
) -> Option<Rule> {
    if ql == QueryLanguage::Jsonata {
        for k in o.keys() {
            let ok = matches!(k.as_str(), "Condition" | "Comment")
                || (top && matches!(k.as_str(), "Next" | "Assign" | "Output"));
            if !ok {
                cx.err(
                    join(loc, k),
                    format!("the field '{k}' is not allowed in a JSONata choice rule"),
                );
            }
        }
        return match o.get("Condition") {
            Some(c @ Value::Bool(_)) => Some(Rule::Condition(Template::Literal(c.clone()))),
            Some(c @ Value::String(s)) if jsonata::is_expression(s) => Some(Rule::Condition(
                template(cx, c, &join(loc, "Condition"), ql, false),
            )),
            Some(_) => {
                cx.err(
                    join(loc, "Condition"),
                    "Condition must be a boolean or a JSONata expression {% ... %}",
                );
                None
            }
            None => {
                cx.err(loc, "a JSONata choice rule needs a Condition");
                None
            }
        };
    }
    let mut ops: Vec<&str> = Vec::new();
    for k in o.keys() {
        let known = matches!(k.as_str(), "And" | "Or" | "Not")
            || OPS.iter().any(|(n, _)| *n == k || format!("{n}Path") == *k);
        if known {
            ops.push(k);
        } else if k == "Variable" || k == "Comment" || (top && (k == "Next" || k == "Assign")) {
        } else if k == "Next" {
            cx.err(
                join(loc, k),
                "Next is only allowed on a top-level choice rule",
            );
        } else {
            cx.err(
                join(loc, k),
                format!("unknown field '{k}' in a choice rule"),
            );
        }
    }
    if ops.len() != 1 {
        cx.err(
            loc,
            if ops.is_empty() {
                "a choice rule needs exactly one comparison operator (or And, Or, Not)".to_string()
            } else {
                format!(
                    "a choice rule has more than one operator: {}",
                    ops.join(", ")
                )
            },
        );
        return None;
    }
    let key = ops[0];
    let val = &o[key];
    match key {
        "And" | "Or" => {
            if o.contains_key("Variable") {
                cx.err(
                    join(loc, "Variable"),
                    format!("Variable is not allowed beside {key}"),
                );
            }
            let Some(a) = val.as_array().filter(|a| !a.is_empty()) else {
                cx.err(
                    join(loc, key),
                    format!("{key} must be a non-empty array of rules"),
                );
                return None;
            };
            let mut rules = Vec::new();
            for (i, r) in a.iter().enumerate() {
                let rloc = format!("{loc}.{key}[{i}]");
                match r.as_object() {
                    Some(ro) => rules.extend(parse_rule(cx, ro, &rloc, ql, false)),
                    None => cx.err(rloc, "a rule must be an object"),
                }
            }
            Some(if key == "And" {
                Rule::And(rules)
            } else {
                Rule::Or(rules)
            })
        }
        "Not" => {
            if o.contains_key("Variable") {
                cx.err(join(loc, "Variable"), "Variable is not allowed beside Not");
            }
            let Some(ro) = val.as_object() else {
                cx.err(join(loc, "Not"), "Not must be a single rule object");
                return None;
            };
            parse_rule(cx, ro, &join(loc, "Not"), ql, false).map(|r| Rule::Not(Box::new(r)))
        }
        _ => {
            let variable = match o.get("Variable").and_then(Value::as_str).map(Path::parse) {
                Some(Ok(p)) => p,
                Some(Err(e)) => {
                    cx.err(join(loc, "Variable"), e.to_string());
                    return None;
                }
                None => {
                    cx.err(
                        join(loc, "Variable"),
                        format!("{key} needs a Variable (a path string)"),
                    );
                    return None;
                }
            };
            let (base, is_path) = match key.strip_suffix("Path") {
                Some(b) if OPS.iter().any(|(n, _)| *n == b) => (b, true),
                _ => (key, false),
            };
            let op = OPS.iter().find(|(n, _)| *n == base).map(|(_, o)| *o)?;
            let operand = if is_path {
                match val.as_str().map(Path::parse) {
                    Some(Ok(p)) => Operand::Path(p),
                    Some(Err(e)) => {
                        cx.err(join(loc, key), e.to_string());
                        return None;
                    }
                    None => {
                        cx.err(join(loc, key), format!("{key} must be a path string"));
                        return None;
                    }
                }
            } else {
                let ok = match op {
                    Op::StringEquals
                    | Op::StringLessThan
                    | Op::StringGreaterThan
                    | Op::StringLessThanEquals
                    | Op::StringGreaterThanEquals
                    | Op::StringMatches => val.is_string(),
                    Op::NumericEquals
                    | Op::NumericLessThan
                    | Op::NumericGreaterThan
                    | Op::NumericLessThanEquals
                    | Op::NumericGreaterThanEquals => val.is_number(),
                    Op::TimestampEquals
                    | Op::TimestampLessThan
                    | Op::TimestampGreaterThan
                    | Op::TimestampLessThanEquals
                    | Op::TimestampGreaterThanEquals => val
                        .as_str()
                        .and_then(crate::exec::parse_timestamp)
                        .is_some(),
                    _ => val.is_boolean(),
                };
                if !ok {
                    cx.err(
                        join(loc, key),
                        format!("{key} has a value of the wrong type: {val}"),
                    );
                    return None;
                }
                Operand::Literal(val.clone())
            };
            Some(Rule::Compare {
                variable,
                op,
                operand,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(def: Value) -> Vec<String> {
        match parse_definition(&def) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.location, d.message))
                .collect(),
        }
    }

    fn check(def: Value, expected_fragment: &str) {
        let errs = errors(def);
        assert!(
            errs.iter().any(|e| e.contains(expected_fragment)),
            "expected an error containing {expected_fragment:?}, got {errs:?}"
        );
    }

    #[test]
    fn validation_names_state_and_field() {
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
            "States.A: a state needs either Next or End",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Bogus": 1}}}),
            "States.A.Bogus",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}),
            "States.A.Next: refers to a state that does not exist: 'B'",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}}),
            "States.B: the state 'B' is not reachable",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "a.b", "End": true}}}),
            "States.A.InputPath",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Nope()"}, "End": true}}}),
            "States.A.Parameters.x.$",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "Next": "A"}]}}}),
            "States.A.Choices[0]: a choice rule needs exactly one",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": "1", "Next": "A"}]}}}),
            "States.A.Choices[0].NumericEquals",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": 1, "End": true}}}),
            "only allowed in a JSONata state",
        );
        check(json!({"StartAt": "A", "States": {}}), "States is required");
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Task", "End": true}}}),
            "States.A.Resource",
        );
        check(
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "ResultPath": "$[*]"}}}),
            "States.A.ResultPath",
        );
    }

    #[test]
    fn valid_definitions_pass() {
        assert!(
            errors(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}))
                .is_empty()
        );
        assert!(errors(json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}}})).is_empty());
    }
}
