//! A picture of one run: the state machine graph coloured by what happened in the execution,
//! the way the Step Functions console shows an execution.
//!
//! Written next to `report.json` as `run.mmd` (the asl crate's Mermaid chart plus `class`
//! lines) and `run.svg` (a standalone picture laid out here: no script, no network).
//!
//! What a colour means, from the execution history:
//! - succeeded: the state was entered and left normally;
//! - caught: a Task failed and one of its `Catch` rules took over;
//! - failed: a Fail state, a Task that failed without being caught, or a state on the path a
//!   `Catch` led to (the failure handling of that branch);
//! - skipped: a state of a Parallel branch that was entered but ran no Task, or only Tasks
//!   whose result says `"status": "skipped"` (the target was disabled or not configured);
//! - not run: never entered.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use asl::{Execution, HistoryEventType, MermaidNode, StateMachine};
use serde_json::Value;

/// What happened to one state in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeStatus {
    Succeeded,
    Caught,
    Failed,
    Skipped,
    NotRun,
}

impl NodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Succeeded => "succeeded",
            NodeStatus::Caught => "caught",
            NodeStatus::Failed => "failed",
            NodeStatus::Skipped => "skipped",
            NodeStatus::NotRun => "notrun",
        }
    }

    /// (fill, stroke, text) colours.
    fn colours(self) -> (&'static str, &'static str, &'static str) {
        match self {
            NodeStatus::Succeeded => ("#d4edda", "#2e7d32", "#1b3d1f"),
            NodeStatus::Caught => ("#ffe0b2", "#ef6c00", "#4a2500"),
            NodeStatus::Failed => ("#f8d7da", "#c62828", "#4a0d0d"),
            NodeStatus::Skipped => ("#e3e8ef", "#78909c", "#37474f"),
            NodeStatus::NotRun => ("#ffffff", "#bdbdbd", "#9e9e9e"),
        }
    }

    const ALL: [NodeStatus; 5] = [
        NodeStatus::Succeeded,
        NodeStatus::Caught,
        NodeStatus::Failed,
        NodeStatus::Skipped,
        NodeStatus::NotRun,
    ];
}

/// One state of the definition, as the picture needs it.
#[derive(Debug, Clone)]
struct StateInfo {
    ty: String,
    next: Option<String>,
    catch_next: Vec<String>,
    /// Every state this one can go to: branch starts, `Next`, choice rules, default, catches.
    succ: Vec<String>,
    /// For Parallel states: the state names of each branch.
    branches: Vec<BTreeSet<String>>,
}

fn collect_states(program: &Value, out: &mut BTreeMap<String, StateInfo>) {
    let Some(states) = program.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, st) in states {
        let mut branches = Vec::new();
        for b in st
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let names = b
                .get("States")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            branches.push(names);
            collect_states(b, out);
        }
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(p) = st.get(key) {
                collect_states(p, out);
            }
        }
        let mut succ: Vec<String> = Vec::new();
        let strs = |v: Option<&Value>, key: &str| -> Vec<String> {
            v.and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get(key).and_then(Value::as_str).map(String::from))
                .collect()
        };
        succ.extend(strs(st.get("Branches"), "StartAt"));
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(p) = st
                .get(key)
                .and_then(|p| p.get("StartAt"))
                .and_then(Value::as_str)
            {
                succ.push(p.to_string());
            }
        }
        succ.extend(strs(st.get("Choices"), "Next"));
        for key in ["Default", "Next"] {
            if let Some(n) = st.get(key).and_then(Value::as_str) {
                succ.push(n.to_string());
            }
        }
        succ.extend(strs(st.get("Catch"), "Next"));
        out.insert(
            name.clone(),
            StateInfo {
                succ,
                ty: st
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                next: st.get("Next").and_then(Value::as_str).map(String::from),
                catch_next: st
                    .get("Catch")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get("Next").and_then(Value::as_str).map(String::from))
                    .collect(),
                branches,
            },
        );
    }
}

/// What happened to each state (by name) in `execution` of the machine `definition`.
pub fn state_statuses(definition: &Value, execution: &Execution) -> BTreeMap<String, NodeStatus> {
    let mut info = BTreeMap::new();
    collect_states(definition, &mut info);
    let mut entered = BTreeSet::new();
    let mut task_failed = BTreeSet::new();
    let mut task_ok = BTreeSet::new();
    let mut task_skipped = BTreeSet::new();
    let mut failed_containers = BTreeSet::new();
    for e in &execution.history {
        let Some(name) = e.state_name.as_deref() else {
            continue;
        };
        let kind = e.event_type.as_str();
        if kind.ends_with("StateEntered") {
            entered.insert(name.to_string());
        }
        match e.event_type {
            HistoryEventType::TaskFailed | HistoryEventType::TaskTimedOut => {
                task_failed.insert(name.to_string());
            }
            HistoryEventType::TaskSucceeded => {
                task_ok.insert(name.to_string());
                // A handler that answered "skipped" (target not configured, opted out).
                let output = e.details.as_ref().and_then(|d| d.get("output"));
                let output = match output {
                    Some(Value::String(s)) => serde_json::from_str(s).ok(),
                    other => other.cloned(),
                };
                let status = output.as_ref().and_then(|o| {
                    o.pointer("/Payload/status")
                        .or_else(|| o.get("status"))
                        .and_then(Value::as_str)
                });
                if status == Some("skipped") {
                    task_skipped.insert(name.to_string());
                }
            }
            HistoryEventType::ParallelStateFailed | HistoryEventType::MapStateFailed => {
                failed_containers.insert(name.to_string());
            }
            _ => {}
        }
    }
    let mut out: BTreeMap<String, NodeStatus> = BTreeMap::new();
    for name in info.keys() {
        let s = if entered.contains(name) {
            NodeStatus::Succeeded
        } else {
            NodeStatus::NotRun
        };
        out.insert(name.clone(), s);
    }
    // States on the failure path a Catch led to.
    for (name, st) in &info {
        if !task_failed.contains(name) || task_ok.contains(name) {
            continue;
        }
        let caught_by: Vec<&String> = st
            .catch_next
            .iter()
            .filter(|n| entered.contains(*n))
            .collect();
        if caught_by.is_empty() {
            out.insert(name.clone(), NodeStatus::Failed);
            continue;
        }
        out.insert(name.clone(), NodeStatus::Caught);
        for start in caught_by {
            let mut cur = Some(start.clone());
            let mut seen = BTreeSet::new();
            while let Some(n) = cur {
                if !entered.contains(&n) || !seen.insert(n.clone()) {
                    break;
                }
                out.insert(n.clone(), NodeStatus::Failed);
                cur = info.get(&n).and_then(|s| s.next.clone());
            }
        }
    }
    for (name, st) in &info {
        if (st.ty == "Fail" && entered.contains(name)) || failed_containers.contains(name) {
            out.insert(name.clone(), NodeStatus::Failed);
        }
        // A branch that was entered but ran no Task: the target was skipped.
        for branch in &st.branches {
            let ran_task = branch.iter().any(|n| {
                info.get(n).is_some_and(|s| s.ty == "Task")
                    && entered.contains(n)
                    && !task_skipped.contains(n)
            });
            if ran_task {
                continue;
            }
            for n in branch {
                if out.get(n) == Some(&NodeStatus::Succeeded) {
                    out.insert(n.clone(), NodeStatus::Skipped);
                }
            }
        }
    }
    out
}

/// The Mermaid chart of the machine with every state coloured by its status in this run.
pub fn run_mermaid(machine: &StateMachine, statuses: &BTreeMap<String, NodeStatus>) -> String {
    let mut out = asl::to_mermaid(machine);
    for s in NodeStatus::ALL {
        let (fill, stroke, text) = s.colours();
        let dash = if s == NodeStatus::NotRun {
            ",stroke-dasharray:4 3"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{stroke},color:{text}{dash}",
            s.as_str()
        );
    }
    for node in asl::mermaid_nodes(machine) {
        let s = statuses
            .get(&node.state_name)
            .copied()
            .unwrap_or(NodeStatus::NotRun);
        let _ = writeln!(out, "  class {} {}", node.id, s.as_str());
    }
    let start = if statuses.values().any(|s| *s != NodeStatus::NotRun) {
        NodeStatus::Succeeded
    } else {
        NodeStatus::NotRun
    };
    let _ = writeln!(out, "  class start {}", start.as_str());
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const BOX_W: f64 = 190.0;
const BOX_H: f64 = 44.0;
const GAP_Y: f64 = 22.0;
const GAP_X: f64 = 16.0;
const PAD: f64 = 14.0;
const TITLE_H: f64 = 22.0;

/// A laid-out block: a list of states, some of which contain side-by-side branches.
enum Item {
    State(MermaidNode),
    Parallel(MermaidNode, Vec<Vec<Item>>),
}

fn width(items: &[Item]) -> f64 {
    items
        .iter()
        .map(|i| match i {
            Item::State(_) => BOX_W,
            Item::Parallel(_, bs) => {
                bs.iter().map(|b| width(b)).sum::<f64>()
                    + GAP_X * (bs.len().saturating_sub(1)) as f64
                    + 2.0 * PAD
            }
        })
        .fold(BOX_W, f64::max)
}

fn height(items: &[Item]) -> f64 {
    items
        .iter()
        .map(|i| match i {
            Item::State(_) => BOX_H,
            Item::Parallel(_, bs) => {
                BOX_H + TITLE_H + bs.iter().map(|b| height(b)).fold(0.0, f64::max) + 2.0 * PAD
            }
        })
        .sum::<f64>()
        + GAP_Y * (items.len().saturating_sub(1)) as f64
}

/// The order in which a reader meets the states: breadth first from `StartAt`.
fn ranks(definition: &Value, info: &BTreeMap<String, StateInfo>) -> BTreeMap<String, usize> {
    let mut rank = BTreeMap::new();
    let mut queue = std::collections::VecDeque::new();
    if let Some(start) = definition.get("StartAt").and_then(Value::as_str) {
        queue.push_back(start.to_string());
    }
    while let Some(n) = queue.pop_front() {
        if rank.contains_key(&n) {
            continue;
        }
        rank.insert(n.clone(), rank.len());
        for s in info.get(&n).map(|i| i.succ.as_slice()).unwrap_or_default() {
            queue.push_back(s.clone());
        }
    }
    rank
}

fn item_name(it: &Item) -> &str {
    match it {
        Item::State(n) | Item::Parallel(n, _) => &n.state_name,
    }
}

fn sort_items(items: &mut [Item], rank: &BTreeMap<String, usize>) {
    items.sort_by_key(|it| rank.get(item_name(it)).copied().unwrap_or(usize::MAX));
    for it in items.iter_mut() {
        if let Item::Parallel(_, cols) = it {
            for c in cols.iter_mut() {
                sort_items(c, rank);
            }
        }
    }
}

/// Groups the flat node list (in definition order) into blocks, using each node's path and
/// the Parallel states' branch membership.
fn group(
    nodes: &[MermaidNode],
    depth: usize,
    info: &BTreeMap<String, StateInfo>,
    i: &mut usize,
) -> Vec<Item> {
    let mut items = Vec::new();
    while *i < nodes.len() && nodes[*i].path.len() == depth + 1 {
        let node = nodes[*i].clone();
        *i += 1;
        let branches = info
            .get(&node.state_name)
            .map(|s| s.branches.clone())
            .unwrap_or_default();
        let nested = *i < nodes.len() && nodes[*i].path.len() > depth + 1;
        if !nested {
            items.push(Item::State(node));
            continue;
        }
        let inner = group(nodes, depth + 1, info, i);
        if branches.is_empty() {
            items.push(Item::Parallel(node, vec![inner]));
            continue;
        }
        let mut cols: Vec<Vec<Item>> = branches.iter().map(|_| Vec::new()).collect();
        for it in inner {
            let name = match &it {
                Item::State(n) | Item::Parallel(n, _) => n.state_name.clone(),
            };
            let col = branches.iter().position(|b| b.contains(&name)).unwrap_or(0);
            if let Some(c) = cols.get_mut(col) {
                c.push(it);
            }
        }
        items.push(Item::Parallel(node, cols));
    }
    items
}

struct Svg<'a> {
    out: String,
    statuses: &'a BTreeMap<String, NodeStatus>,
    info: &'a BTreeMap<String, StateInfo>,
}

impl Svg<'_> {
    fn node_box(&mut self, n: &MermaidNode, x: f64, y: f64, w: f64) {
        let s = self
            .statuses
            .get(&n.state_name)
            .copied()
            .unwrap_or(NodeStatus::NotRun);
        let (fill, stroke, text) = s.colours();
        let ty = self
            .info
            .get(&n.state_name)
            .map(|i| i.ty.as_str())
            .unwrap_or("");
        let dash = if s == NodeStatus::NotRun {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            r#"<g class="state {cls}" data-state="{name}" data-status="{cls}"><title>{name}: {cls}</title><rect x="{x}" y="{y}" width="{w}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"{dash}/><text x="{tx}" y="{ty1}" text-anchor="middle" fill="{text}" font-size="13">{name}</text><text x="{tx}" y="{ty2}" text-anchor="middle" fill="{text}" font-size="10" font-style="italic">{tyname} · {cls}</text></g>"#,
            cls = s.as_str(),
            name = esc(&n.state_name),
            tx = x + w / 2.0,
            ty1 = y + 19.0,
            ty2 = y + 35.0,
            tyname = esc(ty),
        );
    }

    fn arrow(&mut self, x: f64, y1: f64, y2: f64) {
        let _ = writeln!(
            self.out,
            r##"<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#607d8b" stroke-width="1.5" marker-end="url(#arrow)"/>"##
        );
    }

    /// Draws `items` centred in a column of width `w` starting at (x, y).
    fn column(&mut self, items: &[Item], x: f64, y: f64, w: f64) {
        let mut y = y;
        let cx = x + w / 2.0;
        for (k, it) in items.iter().enumerate() {
            let linked = k > 0
                && self
                    .info
                    .get(item_name(&items[k - 1]))
                    .is_some_and(|i| i.succ.iter().any(|s| s == item_name(it)));
            if linked {
                self.arrow(cx, y - GAP_Y, y - 2.0);
            }
            match it {
                Item::State(n) => {
                    self.node_box(n, cx - BOX_W / 2.0, y, BOX_W);
                    y += BOX_H + GAP_Y;
                }
                Item::Parallel(n, cols) => {
                    let pw = width(std::slice::from_ref(it));
                    let ph = height(std::slice::from_ref(it));
                    let px = cx - pw / 2.0;
                    let _ = writeln!(
                        self.out,
                        r##"<rect x="{px}" y="{y}" width="{pw}" height="{ph}" rx="10" fill="none" stroke="#90a4ae" stroke-dasharray="6 4"/>"##
                    );
                    self.node_box(n, cx - BOX_W / 2.0, y, BOX_W);
                    let mut bx = px + PAD;
                    let by = y + BOX_H + TITLE_H;
                    for (b, col) in cols.iter().enumerate() {
                        let bw = width(col);
                        let _ = writeln!(
                            self.out,
                            r##"<text x="{}" y="{}" text-anchor="middle" fill="#607d8b" font-size="10">branch {}</text>"##,
                            bx + bw / 2.0,
                            by - 6.0,
                            b + 1
                        );
                        self.column(col, bx, by, bw);
                        bx += bw + GAP_X;
                    }
                    y += ph + GAP_Y;
                }
            }
        }
    }
}

/// A standalone SVG of the run: states top to bottom in definition order, Parallel branches
/// side by side, each state coloured by its status, and a legend.
pub fn run_svg(
    definition: &Value,
    machine: &StateMachine,
    statuses: &BTreeMap<String, NodeStatus>,
    title: &str,
) -> String {
    let mut info = BTreeMap::new();
    collect_states(definition, &mut info);
    let nodes = asl::mermaid_nodes(machine);
    let mut i = 0;
    let mut items = group(&nodes, 0, &info, &mut i);
    sort_items(&mut items, &ranks(definition, &info));
    let w = width(&items) + 2.0 * PAD;
    let legend_h = 30.0;
    let title_h = 28.0;
    let h = height(&items) + 2.0 * PAD + legend_h + title_h;
    let w = w.max(5.0 * 120.0 + 2.0 * PAD);
    let mut svg = Svg {
        out: String::new(),
        statuses,
        info: &info,
    };
    let _ = writeln!(
        svg.out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#607d8b"/></marker></defs>
<rect width="100%" height="100%" fill="#fafafa"/>
<text x="{PAD}" y="20" font-size="14" font-weight="bold" fill="#263238">{}</text>"##,
        esc(title)
    );
    for (k, s) in NodeStatus::ALL.iter().enumerate() {
        let (fill, stroke, _) = s.colours();
        let x = PAD + k as f64 * 120.0;
        let _ = writeln!(
            svg.out,
            r##"<rect x="{x}" y="{}" width="16" height="16" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="2"/><text x="{}" y="{}" font-size="12" fill="#37474f">{}</text>"##,
            title_h + 2.0,
            x + 22.0,
            title_h + 15.0,
            s.as_str()
        );
    }
    let inner_w = width(&items);
    svg.column(
        &items,
        (w - inner_w) / 2.0,
        title_h + legend_h + PAD,
        inner_w,
    );
    svg.out.push_str("</svg>\n");
    svg.out
}

/// Writes `<dir>/run.mmd` and `<dir>/run.svg` for this execution of the local definition.
pub fn write_run_graph(
    machine: &StateMachine,
    execution: &Execution,
    name: &str,
    dir: &Path,
) -> std::io::Result<()> {
    let definition: Value =
        serde_json::from_str(&crate::pipeline::local_definition()).unwrap_or(Value::Null);
    let statuses = state_statuses(&definition, execution);
    std::fs::write(dir.join("run.mmd"), run_mermaid(machine, &statuses))?;
    let title = format!("{name} — {}", execution.status.as_str());
    std::fs::write(
        dir.join("run.svg"),
        run_svg(&definition, machine, &statuses, &title),
    )?;
    Ok(())
}
