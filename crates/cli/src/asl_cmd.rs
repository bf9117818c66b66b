//! `crosspost asl ...`: run, validate and draw Amazon States Language state machines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use asl::{
    format_history_table, to_mermaid, Clock, Execution, ExecutionOptions, HistoryLevel,
    StateMachine, Status, SystemClock, TaskContext, TaskFailure, TaskHandler, VirtualClock,
};
use clap::Subcommand;
use serde_json::Value;

/// Run, validate or draw a state machine.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Execute a definition and print {"status":...,"output"|"error","cause"} as one JSON line.
    Run {
        /// The state machine definition (ASL JSON).
        definition: PathBuf,
        /// The execution input (JSON file); `{}` when omitted.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Make Task states with this resource return the JSON in this file (repeatable).
        #[arg(long = "task", value_name = "RESOURCE=RESPONSE.json")]
        tasks: Vec<String>,
        /// Do not really wait: Wait states and retry back-off run on a virtual clock.
        #[arg(long)]
        fast_forward: bool,
        /// Print the execution history as a table on stderr.
        #[arg(long)]
        history: bool,
        /// The execution name.
        #[arg(long)]
        name: Option<String>,
        /// Do not enforce the 256 KiB payload limit.
        #[arg(long)]
        no_payload_limit: bool,
        /// Run with express-workflow semantics (express execution ARN, no RedriveCount).
        #[arg(long)]
        express: bool,
    },
    /// Check a definition; prints every problem with the state and field it concerns.
    Validate {
        /// The state machine definition (ASL JSON).
        definition: PathBuf,
    },
    /// Print a Mermaid flowchart of a definition.
    Graph {
        /// The state machine definition (ASL JSON).
        definition: PathBuf,
    },
}

/// Answers Task states from canned JSON responses given on the command line.
struct CannedTasks {
    responses: HashMap<String, Value>,
}

#[asl::async_trait]
impl TaskHandler for CannedTasks {
    async fn invoke(
        &self,
        resource: &str,
        _input: Value,
        _ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        self.responses.get(resource).cloned().ok_or_else(|| {
            TaskFailure::new(
                "States.TaskFailed",
                format!("no response was given for the resource '{resource}' (use --task {resource}=FILE.json)"),
            )
        })
    }
}

fn read_json(path: &Path, what: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{what} {} is not valid JSON: {e}", path.display()))
}

fn load(path: &Path) -> Result<StateMachine, String> {
    let def = read_json(path, "definition")?;
    StateMachine::from_value(def).map_err(|e| {
        e.diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Entry point of `crosspost asl`.
pub fn main(args: Args) -> ExitCode {
    match args.command {
        Command::Validate { definition } => match load(&definition) {
            Ok(sm) => {
                println!(
                    "{}: valid ({} states)",
                    definition.display(),
                    sm.state_names().len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: invalid definition\n{e}", definition.display());
                ExitCode::FAILURE
            }
        },
        Command::Graph { definition } => match load(&definition) {
            Ok(sm) => {
                print!("{}", to_mermaid(&sm));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: invalid definition\n{e}", definition.display());
                ExitCode::FAILURE
            }
        },
        Command::Run {
            definition,
            input,
            tasks,
            fast_forward,
            history,
            name,
            no_payload_limit,
            express,
        } => {
            let result = execute(RunOptions {
                definition: &definition,
                input: input.as_deref(),
                tasks: &tasks,
                fast_forward,
                history,
                name,
                no_payload_limit,
                express,
            });
            report(result, history)
        }
    }
}

/// One line of JSON with `status` first: `{"status":"SUCCEEDED","output":...}` or
/// `{"status":"FAILED","error":...,"cause":...}`.
fn result_line(execution: &Execution) -> String {
    let text = |v: &Option<String>| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    match execution.status {
        Status::Succeeded => format!(
            "{{\"status\":\"SUCCEEDED\",\"output\":{}}}",
            serde_json::to_string(execution.output.as_ref().unwrap_or(&Value::Null))
                .unwrap_or_else(|_| "null".into())
        ),
        s => format!(
            "{{\"status\":\"{}\",\"error\":{},\"cause\":{}}}",
            s.as_str(),
            text(&execution.error),
            text(&execution.cause)
        ),
    }
}

struct RunOptions<'a> {
    definition: &'a Path,
    input: Option<&'a Path>,
    tasks: &'a [String],
    fast_forward: bool,
    history: bool,
    name: Option<String>,
    no_payload_limit: bool,
    express: bool,
}

/// A failure before the execution started: exit status, message for stderr, line for stdout.
struct Setup(u8, String, Option<String>);

fn execute(o: RunOptions<'_>) -> Result<Execution, Setup> {
    let sm = load(o.definition).map_err(|e| {
        let line = serde_json::json!({"status": "INVALID_DEFINITION", "error": "States.InvalidDefinition", "cause": e});
        Setup(2, format!("{}: invalid definition\n{e}", o.definition.display()), Some(line.to_string()))
    })?;
    let input = match o.input {
        Some(p) => read_json(p, "input").map_err(|e| Setup(2, e, None))?,
        None => Value::Object(Default::default()),
    };
    let mut responses = HashMap::new();
    for t in o.tasks {
        let (resource, file) = t.rsplit_once('=').ok_or_else(|| {
            Setup(
                2,
                format!("--task expects RESOURCE=RESPONSE.json, got '{t}'"),
                None,
            )
        })?;
        let v = read_json(Path::new(file), "task response").map_err(|e| Setup(2, e, None))?;
        responses.insert(resource.to_string(), v);
    }
    let clock: Arc<dyn Clock> = if o.fast_forward {
        Arc::new(VirtualClock::starting_now())
    } else {
        Arc::new(SystemClock)
    };
    let mut opts = ExecutionOptions::new(Arc::new(CannedTasks { responses }), clock);
    if let Some(n) = o.name {
        opts.name = n;
    }
    opts.history = if o.history {
        HistoryLevel::Full
    } else {
        HistoryLevel::None
    };
    if o.express {
        opts.execution_type = asl::ExecutionType::Express;
    }
    if o.no_payload_limit {
        opts.payload_limit = None;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Setup(1, format!("cannot start the async runtime: {e}"), None))?;
    Ok(runtime.block_on(sm.execute(input, opts)))
}

fn report(result: Result<Execution, Setup>, history: bool) -> ExitCode {
    match result {
        Ok(execution) => {
            if history {
                eprint!("{}", format_history_table(&execution.history));
            }
            println!("{}", result_line(&execution));
            if execution.status == Status::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(Setup(code, message, line)) => {
            eprintln!("{message}");
            if let Some(l) = line {
                println!("{l}");
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, v: Value) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p
    }

    fn check(definition: Value, input: Value, tasks: &[(&str, Value)], expected: Value) {
        let dir = tempfile::tempdir().unwrap();
        let def = write(dir.path(), "def.json", definition);
        let inp = write(dir.path(), "in.json", input);
        let task_args: Vec<String> = tasks
            .iter()
            .enumerate()
            .map(|(i, (r, v))| {
                format!(
                    "{r}={}",
                    write(dir.path(), &format!("t{i}.json"), v.clone()).display()
                )
            })
            .collect();
        let execution = match execute(RunOptions {
            definition: &def,
            input: Some(&inp),
            tasks: &task_args,
            fast_forward: true,
            history: false,
            name: None,
            no_payload_limit: false,
            express: false,
        }) {
            Ok(e) => e,
            Err(Setup(code, msg, _)) => panic!("setup failed ({code}): {msg}"),
        };
        let line = result_line(&execution);
        assert!(line.starts_with("{\"status\":"), "{line}");
        let got: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn run_prints_one_result_object() {
        let task = serde_json::json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload", "End": true}}});
        check(
            task.clone(),
            serde_json::json!({}),
            &[(
                "arn:aws:states:::lambda:invoke",
                serde_json::json!({"Payload": {"id": 7}}),
            )],
            serde_json::json!({"status": "SUCCEEDED", "output": {"id": 7}}),
        );
        check(
            task,
            serde_json::json!({}),
            &[],
            serde_json::json!({"status": "FAILED", "error": "States.TaskFailed",
                "cause": "no response was given for the resource 'arn:aws:states:::lambda:invoke' (use --task arn:aws:states:::lambda:invoke=FILE.json)"}),
        );
        check(
            serde_json::json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "F"},
                "F": {"Type": "Fail", "Error": "Late"}}}),
            serde_json::json!({}),
            &[],
            serde_json::json!({"status": "FAILED", "error": "Late", "cause": null}),
        );
    }

    #[test]
    fn invalid_definitions_exit_with_2() {
        let dir = tempfile::tempdir().unwrap();
        let def = write(
            dir.path(),
            "def.json",
            serde_json::json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}),
        );
        let err = execute(RunOptions {
            definition: &def,
            input: None,
            tasks: &[],
            fast_forward: true,
            history: false,
            name: None,
            no_payload_limit: false,
            express: false,
        });
        match err {
            Err(Setup(code, msg, Some(line))) => {
                assert_eq!(code, 2);
                assert!(
                    msg.contains("States.A: a state needs either Next or End"),
                    "{msg}"
                );
                assert!(line.contains("INVALID_DEFINITION"));
            }
            _ => panic!("expected a setup failure"),
        }
    }
}
