//! Mermaid flowcharts of a state machine.

use std::fmt::Write as _;

use crate::model::{sanitize, Kind, Program};
use crate::StateMachine;

/// A node of the flowchart: the Mermaid id a caller can style (`style <id> fill:#afa`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MermaidNode {
    /// The Mermaid node id, e.g. `s_Publish` or `s_Fanout_b0_Devto`.
    pub id: String,
    /// The state's name.
    pub state_name: String,
    /// Names from the top level down, e.g. `["Fanout", "Devto"]` for a state in a branch.
    pub path: Vec<String>,
}

fn node_id(p: &Program, name: &str) -> String {
    format!("s_{}{}", p.id_prefix, sanitize(name))
}

fn label(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn walk(
    p: &Program,
    path: &[String],
    out: &mut String,
    nodes: &mut Vec<MermaidNode>,
    depth: usize,
) {
    let ind = "  ".repeat(depth);
    for name in &p.order {
        let st = &p.states[name];
        let id = node_id(p, name);
        let mut full = path.to_vec();
        full.push(name.to_string());
        nodes.push(MermaidNode {
            id: id.clone(),
            state_name: name.to_string(),
            path: full.clone(),
        });
        let ty = st.kind.type_name();
        let text = label(&format!("{name}<br/><i>{ty}</i>"));
        let _ = match &st.kind {
            Kind::Choice { .. } => writeln!(out, "{ind}{id}{{\"{text}\"}}"),
            Kind::Succeed => writeln!(out, "{ind}{id}([\"{text}\"])"),
            Kind::Fail { .. } => writeln!(out, "{ind}{id}[[\"{text}\"]]"),
            _ => writeln!(out, "{ind}{id}[\"{text}\"]"),
        };
        let subs: Vec<(String, &Program)> = match &st.kind {
            Kind::Parallel { branches } => branches
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("{name} branch {}", i + 1), &**b))
                .collect(),
            Kind::Map(m) => vec![(format!("{name} iteration"), &*m.processor)],
            _ => Vec::new(),
        };
        for (i, (title, sub)) in subs.into_iter().enumerate() {
            let sid = format!("{id}_sub{i}");
            let _ = writeln!(out, "{ind}subgraph {sid}[\"{}\"]", label(&title));
            walk(sub, &full, out, nodes, depth + 1);
            let _ = writeln!(out, "{ind}end");
            let _ = writeln!(out, "{ind}{id} -.-> {}", node_id(sub, &sub.start_at));
        }
    }
    for name in &p.order {
        let st = &p.states[name];
        let id = node_id(p, name);
        if let Some(n) = &st.next {
            let _ = writeln!(out, "{ind}{id} --> {}", node_id(p, n));
        }
        if let Kind::Choice { choices, default } = &st.kind {
            for (i, c) in choices.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{ind}{id} -->|\"rule {}\"| {}",
                    i + 1,
                    node_id(p, &c.next)
                );
            }
            if let Some(d) = default {
                let _ = writeln!(out, "{ind}{id} -->|\"default\"| {}", node_id(p, d));
            }
        }
        for c in &st.catch {
            let _ = writeln!(
                out,
                "{ind}{id} -.->|\"catch {}\"| {}",
                label(&c.error_equals.join(", ")),
                node_id(p, &c.next)
            );
        }
    }
}

/// A Mermaid `flowchart TD` of the machine; nested Parallel branches and Map processors
/// become subgraphs. Node ids are listed by [`mermaid_nodes`].
pub fn to_mermaid(sm: &StateMachine) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut nodes = Vec::new();
    out.push_str("  start((\"start\"))\n");
    let _ = writeln!(
        out,
        "  start --> {}",
        node_id(&sm.program, &sm.program.start_at)
    );
    walk(&sm.program, &[], &mut out, &mut nodes, 1);
    out
}

/// The nodes of [`to_mermaid`]'s chart, so a caller can colour states of a run.
pub fn mermaid_nodes(sm: &StateMachine) -> Vec<MermaidNode> {
    let mut out = String::new();
    let mut nodes = Vec::new();
    walk(&sm.program, &[], &mut out, &mut nodes, 1);
    nodes
}
