//! `crosspost asl ...`: run, validate and draw Amazon States Language state machines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use asl::{
    format_history_table, to_mermaid, Clock, ExecutionOptions, HistoryLevel, StateMachine,
    SystemClock, TaskContext, TaskFailure, TaskHandler, VirtualClock,
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
        } => run(
            definition,
            input,
            tasks,
            fast_forward,
            history,
            name,
            no_payload_limit,
        ),
    }
}

fn run(
    definition: PathBuf,
    input: Option<PathBuf>,
    tasks: Vec<String>,
    fast_forward: bool,
    history: bool,
    name: Option<String>,
    no_payload_limit: bool,
) -> ExitCode {
    let sm = match load(&definition) {
        Ok(sm) => sm,
        Err(e) => {
            eprintln!("{}: invalid definition\n{e}", definition.display());
            println!(
                "{}",
                serde_json::json!({"status": "INVALID_DEFINITION", "error": "States.InvalidDefinition", "cause": e})
            );
            return ExitCode::from(2);
        }
    };
    let input = match input {
        Some(p) => match read_json(&p, "input") {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => Value::Object(Default::default()),
    };
    let mut responses = HashMap::new();
    for t in &tasks {
        let Some((resource, file)) = t.rsplit_once('=') else {
            eprintln!("--task expects RESOURCE=RESPONSE.json, got '{t}'");
            return ExitCode::from(2);
        };
        match read_json(Path::new(file), "task response") {
            Ok(v) => {
                responses.insert(resource.to_string(), v);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    }
    let clock: Arc<dyn Clock> = if fast_forward {
        Arc::new(VirtualClock::starting_now())
    } else {
        Arc::new(SystemClock)
    };
    let mut opts = ExecutionOptions::new(Arc::new(CannedTasks { responses }), clock);
    if let Some(n) = name {
        opts.name = n;
    }
    opts.history = if history {
        HistoryLevel::Full
    } else {
        HistoryLevel::None
    };
    if no_payload_limit {
        opts.payload_limit = None;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let execution = runtime.block_on(sm.execute(input, opts));
    if history {
        eprint!("{}", format_history_table(&execution.history));
    }
    println!("{}", execution.result_json());
    if execution.status == asl::Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
