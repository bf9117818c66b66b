//! The local pipeline: the real `asl/crosspost.asl.json` on the `asl` executor, with every
//! Lambda replaced by the same crate's handler called in-process.
//!
//! Shared by `crosspost run` and `crosspost serve`. Dry run (the default) answers every
//! platform request with the target's simulator and records it; `--live` sends them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asl::{
    Clock, Execution, ExecutionOptions, HistoryEventType, HistoryLevel, StateMachine, SystemClock,
    TaskContext, TaskFailure, TaskHandler, VirtualClock,
};
use crosspost_core::config::process_env;
use crosspost_core::{
    DryRunTransport, ExecutionInput, JournalLedger, Method, RecordedExchange, ReqwestTransport,
    Secrets, Services, Target, Timeouts, Transport,
};
use initiator::{Config, ExecutionStarter, Initiator, StartError, Started};
use serde_json::{json, Value};

/// The state machine definition, embedded so the binary runs from any directory.
pub const DEFINITION: &str = include_str!("../../../asl/crosspost.asl.json");

/// The resource of the optimised Lambda integration.
pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// A placeholder token used in a dry run for targets without one, so the request that would
/// be sent is still shown (its authorization header is redacted anyway).
pub const PLACEHOLDER_TOKEN: &str = "dry-run-placeholder";

/// The Hashnode publication id a dry run uses when none is configured.
pub const PLACEHOLDER_PUBLICATION: &str = "dry-run-publication";

/// The local function name that stands in for `${<target>_arn}`.
pub fn local_function_name(target: Target) -> String {
    format!("local:function:crosspost-{target}")
}

/// The definition with every `${<target>_arn}` replaced by its local function name.
pub fn local_definition() -> String {
    let mut def = DEFINITION.to_string();
    for t in Target::ALL {
        def = def.replace(&format!("${{{t}_arn}}"), &local_function_name(t));
    }
    def
}

/// Which target a `FunctionName` names (the last `:`-separated part, `crosspost-` optional).
pub fn target_of_function(name: &str) -> Option<Target> {
    let last = name.rsplit(':').next()?;
    last.strip_prefix("crosspost-").unwrap_or(last).parse().ok()
}

/// Why the pipeline could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the embedded state machine is invalid: {0}")]
    Definition(String),
}

/// Options of the local mode.
#[derive(Debug, Clone)]
pub struct Options {
    pub live: bool,
    pub data_dir: PathBuf,
    pub secrets_file: Option<PathBuf>,
}

/// Dry-run recorders, one per target, so each request is attributed to its target.
#[derive(Clone, Default)]
pub struct Recorders(BTreeMap<Target, DryRunTransport>);

impl Recorders {
    pub fn take(&self, target: Target) -> Vec<RecordedExchange> {
        self.0.get(&target).map(|r| r.take()).unwrap_or_default()
    }
}

/// The in-process "Lambdas".
pub struct LocalTasks {
    devto: devto::Deps,
    hashnode: hashnode::Deps,
    medium: medium::Deps,
    opensearch: opensearch::Deps,
}

impl LocalTasks {
    async fn run(&self, target: Target, input: ExecutionInput) -> Result<Value, TaskFailure> {
        let result = match target {
            Target::Devto => devto::handle(input, &self.devto).await,
            Target::Hashnode => hashnode::handle(input, &self.hashnode).await,
            Target::Medium => medium::handle(input, &self.medium).await,
            Target::Opensearch => opensearch::handle(input, &self.opensearch).await,
        };
        match result {
            Ok(r) => Ok(json!({
                "ExecutedVersion": "$LATEST",
                "Payload": r,
                "StatusCode": 200,
            })),
            Err(e) => Err(TaskFailure::new(
                e.name(),
                json!({"errorType": e.name(), "errorMessage": e.to_string()}).to_string(),
            )),
        }
    }
}

#[asl::async_trait]
impl TaskHandler for LocalTasks {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        _ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        if resource != LAMBDA_INVOKE {
            return Err(TaskFailure::new(
                "States.TaskFailed",
                format!("the local mode only runs `{LAMBDA_INVOKE}` tasks, not `{resource}`"),
            ));
        }
        let function = input
            .get("FunctionName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(target) = target_of_function(function) else {
            return Err(TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("no local function named `{function}`"),
            ));
        };
        let payload = input.get("Payload").cloned().unwrap_or(Value::Null);
        let input: ExecutionInput = serde_json::from_value(payload).map_err(|e| {
            let msg = format!("the payload is not an execution input: {e}");
            TaskFailure::new(
                "InvalidArticle",
                json!({"errorType": "InvalidArticle", "errorMessage": msg}).to_string(),
            )
        })?;
        self.run(target, input).await
    }
}

/// Everything a local run needs, built once.
pub struct Pipeline {
    pub machine: StateMachine,
    pub tasks: Arc<LocalTasks>,
    pub recorders: Recorders,
    pub initiator_config: Config,
    pub snapshots_dir: PathBuf,
    pub live: bool,
    /// Targets that got a placeholder credential or setting in this dry run.
    pub placeholders: BTreeSet<Target>,
    pub webhook_secret: Option<String>,
    /// The query API, when `SANITY_PROJECT_ID` and `SANITY_DATASET` are set.
    pub sanity: Option<initiator::sanity::SanityClient>,
    /// Run on a virtual clock even in `--live` (`CROSSPOST_VIRTUAL_CLOCK=1`).
    pub virtual_clock: bool,
}

fn cfg_err(e: impl std::fmt::Display) -> PipelineError {
    PipelineError::Config(e.to_string())
}

impl Pipeline {
    /// Builds the pipeline from the environment (`lookup`) and options.
    pub fn new(
        opts: &Options,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Pipeline, PipelineError> {
        let machine = StateMachine::parse(&local_definition())
            .map_err(|e| PipelineError::Definition(e.to_string()))?;
        let initiator_config = Config::from_lookup(lookup, false).map_err(cfg_err)?;
        let mut secrets = Secrets::local(opts.secrets_file.as_deref(), lookup).map_err(cfg_err)?;
        let webhook_secret = secrets.sanity_webhook_secret.clone();
        let sanity = match (
            &initiator_config.sanity_project_id,
            &initiator_config.sanity_dataset,
        ) {
            (Some(p), Some(d)) => Some(
                initiator::sanity::SanityClient::new(
                    p,
                    d,
                    &initiator_config.sanity_api_version,
                    initiator_config.sanity_api_url.as_deref(),
                    secrets.sanity_token.clone(),
                )
                .map_err(cfg_err)?,
            ),
            _ => None,
        };
        let mut devto_cfg = devto::Config::from_lookup(lookup).map_err(cfg_err)?;
        let mut hashnode_cfg = hashnode::Config::from_lookup(lookup).map_err(cfg_err)?;
        let mut medium_cfg = medium::Config::from_lookup(lookup).map_err(cfg_err)?;
        let mut opensearch_cfg = opensearch::Config::from_lookup(lookup).map_err(cfg_err)?;
        // Image URLs need the Sanity project even when the article does not carry it.
        for common in [
            &mut devto_cfg.common,
            &mut hashnode_cfg.common,
            &mut medium_cfg.common,
            &mut opensearch_cfg.common,
        ] {
            common.sanity_project_id = common
                .sanity_project_id
                .clone()
                .or(initiator_config.sanity_project_id.clone());
            common.sanity_dataset = common
                .sanity_dataset
                .clone()
                .or(initiator_config.sanity_dataset.clone());
        }

        // `CROSSPOST_HTTP_TIMEOUT_MS`: the request timeout of `--live` (tests use a short one).
        let mut timeouts = Timeouts::default();
        if let Some(ms) = lookup("CROSSPOST_HTTP_TIMEOUT_MS") {
            let ms: u64 = ms.trim().parse().map_err(|_| {
                PipelineError::Config(format!(
                    "CROSSPOST_HTTP_TIMEOUT_MS must be a number of milliseconds, not `{ms}`"
                ))
            })?;
            timeouts.request = Duration::from_millis(ms);
        }
        // `CROSSPOST_VIRTUAL_CLOCK=1`: retry back-off and waits take no real time, also in
        // `--live`, and `history.json` is written (the fault-injection tests read it).
        let virtual_clock = lookup("CROSSPOST_VIRTUAL_CLOCK").is_some_and(|v| v == "1");
        let mode = if opts.live { "live" } else { "dry-run" };
        let base = opts.data_dir.join(mode);
        let mut placeholders = BTreeSet::new();
        let mut recorders = Recorders::default();
        let transport_for =
            |t: Target, recorders: &mut Recorders| -> Result<Arc<dyn Transport>, PipelineError> {
                if opts.live {
                    Ok(Arc::new(ReqwestTransport::new(timeouts).map_err(cfg_err)?))
                } else {
                    let simulator: crosspost_core::Simulator = match t {
                        Target::Devto => Arc::new(devto::simulate),
                        Target::Hashnode => Arc::new(hashnode::simulate),
                        Target::Medium => Arc::new(medium::simulate),
                        Target::Opensearch => Arc::new(opensearch::simulate),
                    };
                    let rec = DryRunTransport::new(simulator);
                    recorders.0.insert(t, rec.clone());
                    Ok(Arc::new(rec))
                }
            };
        if !opts.live {
            // Show the request a user would send even before any token is configured.
            let fill = |slot: &mut Option<String>, t: Target, set: &mut BTreeSet<Target>| {
                if slot.is_none() {
                    *slot = Some(PLACEHOLDER_TOKEN.to_string());
                    set.insert(t);
                }
            };
            fill(&mut secrets.devto_api_key, Target::Devto, &mut placeholders);
            fill(
                &mut secrets.hashnode_token,
                Target::Hashnode,
                &mut placeholders,
            );
            fill(&mut secrets.medium_token, Target::Medium, &mut placeholders);
            if hashnode_cfg.publication_id.is_none() {
                hashnode_cfg.publication_id = Some(PLACEHOLDER_PUBLICATION.to_string());
                placeholders.insert(Target::Hashnode);
            }
            if opensearch_cfg.endpoint.is_none() {
                opensearch_cfg.endpoint = Some("https://opensearch.example.invalid".into());
                placeholders.insert(Target::Opensearch);
            }
        }
        let live = opts.live;
        let dry_run_ledger = JournalLedger::new(base.join("ledger.ndjson"));
        let services = |t: Target, recorders: &mut Recorders| -> Result<Services, PipelineError> {
            let services = Services::local(&base, secrets.clone(), transport_for(t, recorders)?);
            // The dry run's ledger records no real post: one append-only journal, shared by
            // the four targets (see crosspost_core::journal).
            Ok(if live {
                services
            } else {
                services.with_ledger(Arc::new(dry_run_ledger.clone()))
            })
        };
        let mut opensearch_deps = opensearch::Deps::new(
            services(Target::Opensearch, &mut recorders)?,
            opensearch_cfg,
        );
        if opts.live {
            if let Some(signer) = opensearch_signer(&opensearch_deps.config)? {
                opensearch_deps = opensearch_deps.with_signer(signer);
            }
        }
        let tasks = LocalTasks {
            devto: devto::Deps::new(services(Target::Devto, &mut recorders)?, devto_cfg),
            hashnode: hashnode::Deps::new(
                services(Target::Hashnode, &mut recorders)?,
                hashnode_cfg,
            ),
            medium: medium::Deps::new(services(Target::Medium, &mut recorders)?, medium_cfg),
            opensearch: opensearch_deps,
        };
        Ok(Pipeline {
            machine,
            tasks: Arc::new(tasks),
            recorders,
            initiator_config,
            snapshots_dir: base.join("snapshots"),
            live: opts.live,
            placeholders,
            webhook_secret,
            sanity,
            virtual_clock,
        })
    }

    /// Builds an [`Initiator`] whose snapshots land where the local handlers read them.
    pub fn initiator(&self, starter: Arc<dyn ExecutionStarter>) -> Initiator {
        Initiator::new(
            self.initiator_config.clone(),
            self.webhook_secret.clone(),
            self.sanity.clone(),
            Arc::new(crosspost_core::LocalSnapshotStore::new(&self.snapshots_dir)),
            starter,
        )
    }

    /// Runs one execution to the end.
    pub async fn execute(&self, name: &str, input: Value) -> Execution {
        let future_start = input
            .get("publishAt")
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .is_some_and(|t| t > chrono::Utc::now());
        // A dry run never waits for a scheduled post (nor for retry back-off).
        let clock: Arc<dyn Clock> = if self.virtual_clock || (!self.live && future_start) {
            Arc::new(VirtualClock::starting_now())
        } else {
            Arc::new(SystemClock)
        };
        let tasks: Arc<dyn TaskHandler> = self.tasks.clone();
        let mut opts = ExecutionOptions::new(tasks, clock);
        opts.name = name.to_string();
        opts.history = HistoryLevel::Full;
        opts.state_machine_name = "crosspost".into();
        self.machine.execute(input, opts).await
    }
}

/// SigV4 needs AWS credentials, which the local mode does not load (it stays free of the AWS
/// SDK): refuse clearly instead of sending unsigned requests.
fn opensearch_signer(
    cfg: &opensearch::Config,
) -> Result<Option<Arc<dyn opensearch::Signer>>, PipelineError> {
    if cfg.auth.service().is_some() && cfg.endpoint.is_some() {
        return Err(PipelineError::Config(
            "OPENSEARCH_AUTH=sigv4-* is not available in the local mode; use basic".into(),
        ));
    }
    Ok(None)
}

/// The report lines: from the `Report` state's output (success or failure alike).
pub fn report_of(execution: &Execution) -> Option<Value> {
    if let Some(out) = &execution.output {
        return Some(out.clone());
    }
    execution
        .history
        .iter()
        .rev()
        .find(|e| {
            e.event_type == HistoryEventType::PassStateExited
                && e.state_name.as_deref() == Some("Report")
        })
        .and_then(|e| e.details.as_ref())
        .and_then(|d| d.get("output"))
        .map(|o| match o {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| o.clone()),
            other => other.clone(),
        })
}

/// Per-state durations, in order of entry: (state, milliseconds).
pub fn state_timings(execution: &Execution) -> Vec<(String, f64)> {
    let mut entered: BTreeMap<String, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for e in &execution.history {
        let Some(state) = e.state_name.as_deref() else {
            continue;
        };
        let kind = e.event_type.as_str();
        if kind.ends_with("StateEntered") {
            entered.insert(state.to_string(), e.timestamp);
            if !order.iter().any(|s| s == state) {
                order.push(state.to_string());
            }
        } else if kind.ends_with("StateExited") {
            if let Some(start) = entered.get(state) {
                let ms = (e.timestamp - *start)
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .as_secs_f64()
                    * 1000.0;
                *out.entry(state.to_string()).or_default() += ms;
            }
        }
    }
    order
        .into_iter()
        .map(|s| {
            let ms = out.get(&s).copied().unwrap_or(0.0);
            (s, ms)
        })
        .collect()
}

/// Makes a slug safe as one folder name.
pub fn folder_name(slug: &str, fallback: &str) -> String {
    let s: String = slug
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('.').to_string();
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

fn request_json(r: &crosspost_core::PreparedRequest) -> Value {
    let mut headers = serde_json::Map::new();
    for (n, v) in &r.headers {
        headers.insert(n.clone(), Value::String(v.clone()));
    }
    json!({
        "method": r.method,
        "url": r.url,
        "headers": headers,
        "body": r.body,
    })
}

/// The rendered body inside a request, and its file extension.
pub fn rendered_body(target: Target, body: &Value) -> Option<(String, &'static str)> {
    let (ptr, ext) = match target {
        Target::Devto => ("/article/body_markdown", "md"),
        Target::Hashnode => ("/variables/input/contentMarkdown", "md"),
        Target::Medium => ("/content", "html"),
        Target::Opensearch => ("/body", "txt"),
    };
    body.pointer(ptr)
        .and_then(Value::as_str)
        .map(|s| (s.to_string(), ext))
}

/// Writes `<dir>/<target>.json` (the request that changes something, else the last one) with
/// every exchange, and the rendered body; returns the path of the JSON file, or `None` when
/// nothing was sent and an earlier run's file is kept.
pub fn write_target_files(
    dir: &Path,
    target: Target,
    exchanges: &[RecordedExchange],
    result: Option<&Value>,
) -> std::io::Result<Option<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{target}.json"));
    if exchanges.is_empty() && path.exists() {
        // Nothing was sent this time (unchanged, skipped): the last request stays on disk and
        // report.json says what happened.
        return Ok(None);
    }
    let main = exchanges
        .iter()
        .rev()
        .find(|x| x.request.method != Method::Get)
        .or_else(|| exchanges.last());
    let mut doc = match main {
        Some(x) => request_json(&x.request),
        None => json!({"method": null, "url": null, "headers": {}, "body": null}),
    };
    if let Value::Object(m) = &mut doc {
        m.insert("target".into(), json!(target));
        m.insert("result".into(), result.cloned().unwrap_or(Value::Null));
        m.insert(
            "exchanges".into(),
            Value::Array(
                exchanges
                    .iter()
                    .map(|x| {
                        json!({
                            "request": request_json(&x.request),
                            "simulatedResponse": {"status": x.response.status, "body": x.response.body},
                        })
                    })
                    .collect(),
            ),
        );
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap_or_default())?;
    if let Some((text, ext)) = main
        .and_then(|x| x.request.body.as_ref())
        .and_then(|b| rendered_body(target, b))
    {
        std::fs::write(dir.join(format!("{target}.{ext}")), text)?;
    }
    Ok(Some(path))
}

/// An [`ExecutionStarter`] that runs the execution in-process (the local mode's stand-in for
/// Step Functions). Names already started in this process are duplicates.
pub struct LocalStarter {
    pipeline: Arc<Pipeline>,
    seen: Mutex<BTreeSet<String>>,
    /// `false`: run to completion before answering (`run`); `true`: answer at once and run in
    /// the background (`serve`).
    background: bool,
    out_dir: PathBuf,
    /// One run at a time: the dry-run recorders are shared, so overlapping runs would mix
    /// their requests.
    run_lock: Arc<tokio::sync::Mutex<()>>,
}

impl LocalStarter {
    pub fn new(pipeline: Arc<Pipeline>, background: bool, out_dir: PathBuf) -> Self {
        LocalStarter {
            pipeline,
            seen: Mutex::new(BTreeSet::new()),
            background,
            out_dir,
            run_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

#[asl::async_trait]
impl ExecutionStarter for LocalStarter {
    async fn start(&self, name: &str, input: &str) -> Result<Started, StartError> {
        let arn = format!("arn:aws:states:local:000000000000:execution:crosspost:{name}");
        let fresh = match self.seen.lock() {
            Ok(mut s) => s.insert(name.to_string()),
            Err(p) => p.into_inner().insert(name.to_string()),
        };
        if !fresh {
            return Ok(Started {
                execution_arn: arn,
                duplicate: true,
            });
        }
        let value: Value = serde_json::from_str(input)
            .map_err(|e| StartError(format!("input is not JSON: {e}")))?;
        let pipeline = Arc::clone(&self.pipeline);
        let name = name.to_string();
        let out_dir = self.out_dir.clone();
        let lock = Arc::clone(&self.run_lock);
        let job = async move {
            let _one_at_a_time = lock.lock().await;
            let outcome = run_and_report(&pipeline, &name, value, &out_dir).await;
            match outcome {
                Ok(summary) => eprintln!("{summary}"),
                Err(e) => eprintln!("crosspost: {name}: could not write the output: {e}"),
            }
        };
        if self.background {
            tokio::spawn(job);
        } else {
            job.await;
        }
        Ok(Started {
            execution_arn: arn,
            duplicate: false,
        })
    }
}

/// The result of one local run, for the summary and the tests.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub execution: Execution,
    pub report: Option<Value>,
    pub post_dir: PathBuf,
}

/// Runs the execution, writes the output folder and returns the printable summary.
pub async fn run_and_report(
    pipeline: &Pipeline,
    name: &str,
    input: Value,
    out_dir: &Path,
) -> std::io::Result<String> {
    let outcome = run_to_dir(pipeline, name, input, out_dir).await?;
    Ok(summary(pipeline, name, &outcome))
}

/// Runs the execution and writes `<out>/<slug>/{<target>.json, <target>.<ext>, report.json}`.
pub async fn run_to_dir(
    pipeline: &Pipeline,
    name: &str,
    input: Value,
    out_dir: &Path,
) -> std::io::Result<RunOutcome> {
    let slug = input
        .get("slug")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let document_id = input
        .get("documentId")
        .and_then(Value::as_str)
        .unwrap_or("post")
        .to_string();
    // Recorders are per pipeline; take what earlier runs left (serve) before this one.
    for t in Target::ALL {
        pipeline.recorders.take(t);
    }
    let execution = pipeline.execute(name, input).await;
    let report = report_of(&execution);
    let post_dir = out_dir.join(folder_name(&slug, &folder_name(&document_id, "post")));
    std::fs::create_dir_all(&post_dir)?;
    for t in Target::ALL {
        let result = report
            .as_ref()
            .and_then(|r| r.get("results"))
            .and_then(Value::as_array)
            .and_then(|rs| rs.iter().find(|r| r.get("target") == Some(&json!(t))));
        let exchanges = pipeline.recorders.take(t);
        if !pipeline.live {
            write_target_files(&post_dir, t, &exchanges, result)?;
        }
    }
    let report_file = json!({
        "execution": name,
        "status": execution.status.as_str(),
        "error": execution.error,
        "cause": execution.cause,
        "output": execution.output,
        "report": report,
    });
    std::fs::write(
        post_dir.join("report.json"),
        serde_json::to_vec_pretty(&report_file).unwrap_or_default(),
    )?;
    if pipeline.virtual_clock {
        let events: Vec<Value> = execution
            .history
            .iter()
            .map(|e| {
                json!({
                    "type": e.event_type.as_str(),
                    "state": e.state_name.as_deref(),
                    "timestamp": e.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "error": e.details.as_ref().and_then(|d| d.get("error")),
                })
            })
            .collect();
        std::fs::write(
            post_dir.join("history.json"),
            serde_json::to_vec_pretty(&events).unwrap_or_default(),
        )?;
    }
    // The run as a picture: `run.mmd` and `run.svg`, coloured from the history.
    crate::visual::write_run_graph(&pipeline.machine, &execution, name, &post_dir)?;
    Ok(RunOutcome {
        execution,
        report,
        post_dir,
    })
}

/// `12.3 ms`, `4.2 s`, `3h 05m`, `812d 4h` (a dry run passes a scheduled Wait in no time).
pub fn fmt_duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        let mins = (ms / 60_000.0) as u64;
        let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
        if d > 0 {
            format!("{d}d {h}h")
        } else {
            format!("{h}h {m:02}m")
        }
    }
}

/// A human summary: per-state timings and per-target results.
pub fn summary(pipeline: &Pipeline, name: &str, outcome: &RunOutcome) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mode = if pipeline.live { "live" } else { "dry run" };
    let _ = writeln!(
        s,
        "crosspost {mode}: execution {name} {}",
        outcome.execution.status.as_str()
    );
    let _ = writeln!(s, "\nstate timings:");
    for (state, ms) in state_timings(&outcome.execution) {
        let _ = writeln!(s, "  {state:<28} {:>12}", fmt_duration(ms));
    }
    if !pipeline.live
        && outcome
            .execution
            .history
            .iter()
            .any(|e| e.event_type == HistoryEventType::WaitStateEntered)
    {
        let _ = writeln!(
            s,
            "  (the post is scheduled: a dry run does not wait for publishAt; --live does)"
        );
    }
    let _ = writeln!(s, "\nresults:");
    let results = outcome
        .report
        .as_ref()
        .and_then(|r| r.get("results"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in &results {
        let target = r.get("target").and_then(Value::as_str).unwrap_or("?");
        let status = r.get("status").and_then(Value::as_str).unwrap_or("?");
        let detail = if status == "failed" {
            let error = r.get("error").and_then(Value::as_str).unwrap_or("");
            let message = r
                .get("cause")
                .and_then(Value::as_str)
                .and_then(|c| serde_json::from_str::<Value>(c).ok())
                .and_then(|c| {
                    c.get("errorMessage")
                        .and_then(Value::as_str)
                        .map(String::from)
                })
                .or_else(|| r.get("cause").and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            format!("{error}: {message}")
        } else {
            r.get("url")
                .or_else(|| r.get("reason"))
                .or_else(|| r.get("remoteId"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let note = match target.parse::<Target>() {
            Ok(t) if !pipeline.live && pipeline.placeholders.contains(&t) => {
                "  (not configured: dry run with a placeholder token/setting)"
            }
            _ => "",
        };
        let _ = writeln!(s, "  {target:<11} {status:<12} {detail}{note}");
    }
    if results.is_empty() {
        if let (Some(e), c) = (&outcome.execution.error, &outcome.execution.cause) {
            let _ = writeln!(s, "  {e}: {}", c.as_deref().unwrap_or(""));
        }
    }
    let _ = writeln!(s, "\noutput: {}", outcome.post_dir.display());
    if !pipeline.live {
        let _ = writeln!(
            s,
            "nothing was sent (dry run; add --live to send with the tokens from the environment)"
        );
    }
    s
}

/// The process environment, for binaries.
pub fn env_lookup(name: &str) -> Option<String> {
    process_env(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_becomes_a_local_function_that_routes_back() {
        let def = local_definition();
        assert!(!def.contains("${"), "a placeholder is left");
        for t in Target::ALL {
            let name = local_function_name(t);
            assert!(def.contains(&name), "{name}");
            assert_eq!(target_of_function(&name), Some(t));
        }
        assert_eq!(
            target_of_function("arn:aws:lambda:eu-west-1:1:function:crosspost-medium"),
            Some(Target::Medium)
        );
        assert_eq!(
            target_of_function("arn:aws:lambda:x:1:function:other"),
            None
        );
    }

    #[test]
    fn durations_and_folders() {
        assert_eq!(fmt_duration(12.34), "12.3 ms");
        assert_eq!(fmt_duration(4_200.0), "4.2 s");
        assert_eq!(fmt_duration(3.0 * 3_600_000.0 + 5.0 * 60_000.0), "3h 05m");
        assert_eq!(fmt_duration(2.0 * 86_400_000.0 + 3_600_000.0), "2d 1h");
        assert_eq!(folder_name("hello-world", "x"), "hello-world");
        assert_eq!(folder_name("../etc", "x"), "-etc");
        assert_eq!(folder_name("..", "x"), "x");
    }
}
