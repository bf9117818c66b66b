//! Differential test: `crosspost render` against the official JavaScript renderers.
//!
//! Generates a few thousand seeded random Portable Text documents (see `support/ptgen.rs`),
//! renders them with `tools/js/render.mjs` (`@portabletext/to-html` 6.0.0 and
//! `@portabletext/markdown` 2.2.0, default options) and with `crosspost render --ndjson`, and
//! compares the HTML and the Markdown document by document.
//!
//! A difference fails the test unless a deviation class listed in
//! `tests/differential-deviations.json` accounts for it. Each class names the section of
//! `crates/portable-text/README.md` that documents it (the test checks the README holds that
//! text) and a normaliser: a precise rewrite applied to both outputs. The difference is allowed
//! only when the two outputs are equal after the rewrite.
//!
//! Needs Node.js; installs `tools/js` with `npm ci` when its `node_modules` is missing.
//! `DIFFERENTIAL_SEED` and `DIFFERENTIAL_DOCS` override the seed and the corpus size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/ptgen.rs"]
mod ptgen;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ptgen::{Generator, J};
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x5EED_C805_7001;
const DEFAULT_DOCS: usize = 3000;
/// How many failing documents per format are minimised and shown.
const SHOWN_FAILURES: usize = 3;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A number from the environment (decimal, or hexadecimal with `0x`), else `default`.
fn env_or(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        }
        .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Html,
    Markdown,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "markdown",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Renderers

fn ensure_js_tools(js_dir: &Path) {
    if js_dir.join("node_modules/@portabletext/to-html").is_dir()
        && js_dir.join("node_modules/@portabletext/markdown").is_dir()
    {
        return;
    }
    eprintln!("differential: installing tools/js with npm ci");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(js_dir)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `npm ci` in {}: {e} (is Node.js installed?)",
                js_dir.display()
            )
        });
    assert!(
        status.success(),
        "`npm ci` in {} failed: {status}",
        js_dir.display()
    );
}

/// Per document, the reference output and ours (`Err` holds whatever came back instead of a
/// JSON string).
struct Outputs {
    reference: Vec<String>,
    ours: Vec<Result<String, String>>,
}

/// Feeds `input` to `cmd` on standard input and reads one JSON string per output line.
fn run_lines(mut cmd: Command, what: &str, input: &str) -> Vec<Result<String, String>> {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        // A renderer that exits early closes the pipe; its status is reported below.
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        stderr.chars().take(2000).collect::<String>()
    );
    let stdout =
        String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{what} wrote invalid UTF-8: {e}"));
    stdout
        .lines()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => Err(other.to_string()),
            Err(e) => Err(format!("not JSON ({e}): {line}")),
        })
        .collect()
}

/// Renders every line of `ndjson` with both renderers for `format`, in parallel.
fn render_all(format: Format, ndjson: &str, docs: usize) -> Outputs {
    let root = repo_root();
    let js_dir = root.join("tools/js");
    let (reference, ours) = std::thread::scope(|scope| {
        let reference = scope.spawn(|| {
            let mut cmd = Command::new("node");
            cmd.arg(js_dir.join("render.mjs"))
                .args(["--to", format.name()]);
            run_lines(
                cmd,
                &format!(
                    "reference renderer (node render.mjs --to {})",
                    format.name()
                ),
                ndjson,
            )
        });
        let ours = scope.spawn(|| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
            cmd.args(["render", "--to", format.name(), "--ndjson"]);
            run_lines(
                cmd,
                &format!("crosspost render --to {} --ndjson", format.name()),
                ndjson,
            )
        });
        (reference.join().unwrap(), ours.join().unwrap())
    });
    assert_eq!(
        reference.len(),
        docs,
        "the reference renderer returned {} lines for {docs} documents",
        reference.len()
    );
    assert_eq!(
        ours.len(),
        docs,
        "crosspost render --ndjson returned {} lines for {docs} documents",
        ours.len()
    );
    let reference = reference
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|e| panic!("the reference renderer failed on generated document {i}: {e}; fix the generator"))
        })
        .collect();
    Outputs { reference, ours }
}

// ---------------------------------------------------------------------------------------------
// Deviation classes

/// One documented, allowed deviation class (an entry of differential-deviations.json).
#[derive(Debug)]
struct Deviation {
    id: String,
    format: Format,
    /// Text that `crates/portable-text/README.md` must contain: where the class is documented.
    readme: String,
    normaliser: Normaliser,
}

#[derive(Debug)]
enum Normaliser {
    /// Replace each `from` by its `to`, in order, in both outputs.
    Replace(Vec<(String, String)>),
    /// Drop a backslash that escapes one of `chars` in both outputs: for classes where one
    /// renderer escapes a punctuation character that CommonMark reads the same either way.
    DropEscapes(Vec<char>),
    /// Re-serialise the JSON inside the Markdown fallback for unknown types (```` ```json:object ````
    /// fences and `` json:object`…` `` inline code) canonically: sorted keys, numbers by value.
    CanonicalJsonFallback,
}

impl Normaliser {
    fn parse(id: &str, v: &Value) -> Normaliser {
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{id}: normaliser needs a kind"));
        match kind {
            "replace" => {
                let pairs = v
                    .get("pairs")
                    .and_then(Value::as_array)
                    .unwrap_or_else(|| panic!("{id}: replace needs pairs"));
                Normaliser::Replace(
                    pairs
                        .iter()
                        .map(|p| {
                            let from = p
                                .get(0)
                                .and_then(Value::as_str)
                                .unwrap_or_else(|| panic!("{id}: bad pair {p}"));
                            let to = p
                                .get(1)
                                .and_then(Value::as_str)
                                .unwrap_or_else(|| panic!("{id}: bad pair {p}"));
                            assert!(!from.is_empty(), "{id}: empty `from`");
                            (from.to_string(), to.to_string())
                        })
                        .collect(),
                )
            }
            "drop-escapes" => {
                let chars = v
                    .get("chars")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| panic!("{id}: drop-escapes needs chars"));
                assert!(
                    chars.chars().all(|c| c.is_ascii_punctuation() && c != '\\'),
                    "{id}: drop-escapes takes ASCII punctuation other than the backslash"
                );
                Normaliser::DropEscapes(chars.chars().collect())
            }
            "canonical-json-fallback" => Normaliser::CanonicalJsonFallback,
            other => panic!("{id}: unknown normaliser kind {other:?}"),
        }
    }

    fn apply(&self, text: &str) -> String {
        match self {
            Normaliser::Replace(pairs) => {
                let mut out = text.to_string();
                for (from, to) in pairs {
                    out = out.replace(from.as_str(), to);
                }
                out
            }
            Normaliser::DropEscapes(chars) => {
                let mut out = String::with_capacity(text.len());
                let mut it = text.chars().peekable();
                while let Some(c) = it.next() {
                    if c == '\\' {
                        if let Some(&next) = it.peek() {
                            if next == '\\' {
                                // An escaped backslash stays as it is.
                                out.push_str("\\\\");
                                it.next();
                                continue;
                            }
                            if chars.contains(&next) {
                                continue;
                            }
                        }
                    }
                    out.push(c);
                }
                out
            }
            Normaliser::CanonicalJsonFallback => canonical_json_fallback(text),
        }
    }
}

fn canonical_json(text: &str) -> Option<String> {
    fn canon(v: &Value) -> Value {
        match v {
            Value::Number(n) => n
                .as_f64()
                .and_then(|f| {
                    if f.fract() == 0.0 && f.abs() < 1e15 {
                        Some(Value::from(f as i64))
                    } else {
                        serde_json::Number::from_f64(f).map(Value::Number)
                    }
                })
                .unwrap_or_else(|| v.clone()),
            Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
            // serde_json's map is ordered by key here (no preserve_order feature).
            Value::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), canon(v))).collect())
            }
            other => other.clone(),
        }
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .map(|v| canon(&v).to_string())
}

fn canonical_json_fallback(text: &str) -> String {
    const FENCE: &str = "```json:object\n";
    const INLINE: &str = "json:object`";
    let mut out = String::new();
    let mut rest = text;
    loop {
        let fence = rest.find(FENCE);
        let inline = rest.find(INLINE);
        match (fence, inline) {
            (Some(f), i) if i.is_none_or(|i| f <= i) => {
                let body_start = f + FENCE.len();
                match rest[body_start..].find("\n```") {
                    Some(end) => {
                        let body = &rest[body_start..body_start + end];
                        out.push_str(&rest[..body_start]);
                        out.push_str(&canonical_json(body).unwrap_or_else(|| body.to_string()));
                        rest = &rest[body_start + end..];
                    }
                    None => break,
                }
            }
            (_, Some(i)) => {
                // Inline: json:object followed by a code span of N backticks.
                let after = &rest[i + INLINE.len() - 1..];
                let ticks = after.chars().take_while(|&c| c == '`').count();
                let open = "`".repeat(ticks);
                let inner_start = i + INLINE.len() - 1 + ticks;
                match rest[inner_start..].find(open.as_str()) {
                    Some(end) => {
                        let inner = &rest[inner_start..inner_start + end];
                        let trimmed = inner.trim_matches(' ');
                        out.push_str(&rest[..inner_start]);
                        match canonical_json(trimmed) {
                            Some(c) => out.push_str(&c),
                            None => out.push_str(inner),
                        }
                        rest = &rest[inner_start + end..];
                    }
                    None => break,
                }
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

fn load_deviations(root: &Path) -> Vec<Deviation> {
    let path = root.join("crates/cli/tests/differential-deviations.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let list = doc
        .get("deviations")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{}: needs a `deviations` array", path.display()));
    let readme_path = root.join("crates/portable-text/README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
    let mut out = Vec::new();
    for entry in list {
        let field = |name: &str| {
            entry
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("deviation {entry}: needs a string `{name}`"))
                .to_string()
        };
        let id = field("id");
        let format = match field("format").as_str() {
            "html" => Format::Html,
            "markdown" => Format::Markdown,
            other => panic!("deviation {id}: format must be html or markdown, not {other:?}"),
        };
        let readme_text = field("readme");
        assert!(
            !readme_text.trim().is_empty(),
            "deviation {id}: `readme` must quote the README"
        );
        assert!(!field("reason").is_empty(), "deviation {id}: give a reason");
        assert!(
            readme.contains(&readme_text),
            "deviation {id} is not documented: crates/portable-text/README.md has no {readme_text:?}"
        );
        let normaliser = Normaliser::parse(
            &id,
            entry
                .get("normaliser")
                .unwrap_or_else(|| panic!("deviation {id}: needs a normaliser")),
        );
        out.push(Deviation {
            id,
            format,
            readme: readme_text,
            normaliser,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Comparison

#[derive(Debug, PartialEq)]
enum Verdict {
    Identical,
    /// Allowed by these deviation classes.
    Allowed(Vec<String>),
    Failed,
}

fn judge(reference: &str, ours: &Result<String, String>, deviations: &[&Deviation]) -> Verdict {
    let Ok(ours) = ours else {
        return Verdict::Failed;
    };
    if reference == ours {
        return Verdict::Identical;
    }
    for d in deviations {
        if d.normaliser.apply(reference) == d.normaliser.apply(ours) {
            return Verdict::Allowed(vec![d.id.clone()]);
        }
    }
    if deviations.len() > 1 {
        let (mut r, mut o) = (reference.to_string(), ours.clone());
        for d in deviations {
            r = d.normaliser.apply(&r);
            o = d.normaliser.apply(&o);
        }
        if r == o {
            return Verdict::Allowed(deviations.iter().map(|d| d.id.clone()).collect());
        }
    }
    Verdict::Failed
}

/// Smaller variants of a document: one block, child, mark or half of a text removed.
fn shrink_candidates(doc: &J) -> Vec<J> {
    let mut out = Vec::new();
    match doc {
        J::Arr(blocks) => {
            if blocks.len() > 1 {
                for i in 0..blocks.len() {
                    let mut b = blocks.clone();
                    b.remove(i);
                    out.push(J::Arr(b));
                }
            }
            for (i, block) in blocks.iter().enumerate() {
                for smaller in shrink_block(block) {
                    let mut b = blocks.clone();
                    b[i] = smaller;
                    out.push(J::Arr(b));
                }
            }
        }
        block => out.extend(shrink_block(block)),
    }
    out
}

fn field<'a>(fields: &'a [(String, J)], name: &str) -> Option<(usize, &'a J)> {
    fields
        .iter()
        .enumerate()
        .find(|(_, (k, _))| k == name)
        .map(|(i, (_, v))| (i, v))
}

fn shrink_block(block: &J) -> Vec<J> {
    let J::Obj(fields) = block else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let without = |names: &[&str]| {
        J::Obj(
            fields
                .iter()
                .filter(|(k, _)| !names.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    };
    for names in [&["listItem", "level"][..], &["level"], &["style"]] {
        if names.iter().any(|n| field(fields, n).is_some()) {
            out.push(without(names));
        }
    }
    let with = |name: &str, value: J| {
        let mut f = fields.clone();
        if let Some((i, _)) = field(fields, name) {
            f[i].1 = value;
        }
        J::Obj(f)
    };
    if let Some((_, J::Arr(defs))) = field(fields, "markDefs") {
        for i in 0..defs.len() {
            let mut d = defs.clone();
            d.remove(i);
            out.push(with("markDefs", J::Arr(d)));
        }
    }
    if let Some((_, J::Arr(children))) = field(fields, "children") {
        if children.len() > 1 {
            for i in 0..children.len() {
                let mut c = children.clone();
                c.remove(i);
                out.push(with("children", J::Arr(c)));
            }
        }
        for (i, child) in children.iter().enumerate() {
            let J::Obj(span) = child else { continue };
            if let Some((ti, J::Str(text))) = field(span, "text") {
                let chars: Vec<char> = text.chars().collect();
                if chars.len() > 1 {
                    let mid = chars.len() / 2;
                    let n = chars.len();
                    for half in [&chars[..mid], &chars[mid..], &chars[1..], &chars[..n - 1]] {
                        let mut s = span.clone();
                        s[ti].1 = J::Str(half.iter().collect());
                        let mut c = children.clone();
                        c[i] = J::Obj(s);
                        out.push(with("children", J::Arr(c)));
                    }
                }
            }
            if let Some((mi, J::Arr(marks))) = field(span, "marks") {
                for m in 0..marks.len() {
                    let mut s = span.clone();
                    let mut ms = marks.clone();
                    ms.remove(m);
                    s[mi].1 = J::Arr(ms);
                    let mut c = children.clone();
                    c[i] = J::Obj(s);
                    out.push(with("children", J::Arr(c)));
                }
            }
        }
    }
    out
}

/// Greedily shrinks failing documents while they still fail; one batch render per round.
fn minimise(
    format: Format,
    docs: Vec<J>,
    deviations: &[&Deviation],
) -> Vec<(J, String, Result<String, String>)> {
    let mut current = docs;
    for _round in 0..20 {
        let candidates: Vec<Vec<J>> = current.iter().map(shrink_candidates).collect();
        let flat: Vec<&J> = candidates.iter().flatten().collect();
        if flat.is_empty() {
            break;
        }
        let ndjson: String = flat.iter().map(|d| d.to_json() + "\n").collect();
        let outputs = render_all(format, &ndjson, flat.len());
        let mut offset = 0;
        let mut progressed = false;
        for (doc, cands) in current.iter_mut().zip(&candidates) {
            let mut best: Option<(usize, usize)> = None;
            for (j, cand) in cands.iter().enumerate() {
                let k = offset + j;
                if judge(&outputs.reference[k], &outputs.ours[k], deviations) == Verdict::Failed {
                    let size = cand.to_json().len();
                    if best.is_none_or(|(s, _)| size < s) {
                        best = Some((size, j));
                    }
                }
            }
            if let Some((_, j)) = best {
                *doc = cands[j].clone();
                progressed = true;
            }
            offset += cands.len();
        }
        if !progressed {
            break;
        }
    }
    let ndjson: String = current.iter().map(|d| d.to_json() + "\n").collect();
    let outputs = render_all(format, &ndjson, current.len());
    current
        .into_iter()
        .zip(outputs.reference)
        .zip(outputs.ours)
        .map(|((d, r), o)| (d, r, o))
        .collect()
}

fn describe_diff(reference: &str, ours: &Result<String, String>) -> String {
    let ours = match ours {
        Ok(s) => s,
        Err(e) => {
            return format!("    crosspost returned no string: {e}\n    reference: {reference:?}\n")
        }
    };
    let at = reference
        .char_indices()
        .zip(ours.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or_else(|| reference.len().min(ours.len()));
    let window = |s: &str| {
        let start = s[..at.min(s.len())]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(i, _)| i);
        s[start..].chars().take(100).collect::<String>()
    };
    let mut out = format!(
        "    first difference at byte {at}\n    reference: {:?}\n    crosspost: {:?}\n",
        window(reference),
        window(ours)
    );
    if reference.chars().count() > 100 || ours.chars().count() > 100 {
        out.push_str(&format!(
            "    (whole reference: {reference:?})\n    (whole crosspost: {ours:?})\n"
        ));
    }
    out
}

#[test]
fn crosspost_render_matches_the_reference_renderers() {
    let root = repo_root();
    ensure_js_tools(&root.join("tools/js"));
    let deviations = load_deviations(&root);

    let seed: u64 = env_or("DIFFERENTIAL_SEED", DEFAULT_SEED);
    let count = env_or("DIFFERENTIAL_DOCS", DEFAULT_DOCS as u64) as usize;
    let mut generator = Generator::new(seed).repeating_marks();
    let docs: Vec<J> = (0..count).map(|_| generator.document()).collect();
    let ndjson: String = docs.iter().map(|d| d.to_json() + "\n").collect();

    let mut report = String::new();
    let mut failed_total = 0;
    writeln!(report, "differential: seed {seed:#x}, {count} documents").unwrap();
    for format in [Format::Html, Format::Markdown] {
        let allowed: Vec<&Deviation> = deviations.iter().filter(|d| d.format == format).collect();
        let outputs = render_all(format, &ndjson, count);
        let mut identical = 0;
        let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
        let mut failures = Vec::new();
        for (i, (reference, ours)) in outputs.reference.iter().zip(&outputs.ours).enumerate() {
            match judge(reference, ours, &allowed) {
                Verdict::Identical => identical += 1,
                Verdict::Allowed(classes) => *by_class.entry(classes.join(" + ")).or_default() += 1,
                Verdict::Failed => failures.push(i),
            }
        }
        let allowed_total: usize = by_class.values().sum();
        writeln!(
            report,
            "{:>8}: {count} documents, {identical} identical, {allowed_total} allowed deviations, {} failures",
            format.name(),
            failures.len()
        )
        .unwrap();
        for (class, n) in &by_class {
            let documented = allowed
                .iter()
                .find(|d| &d.id == class)
                .map_or(String::new(), |d| format!(" (README: {:?})", d.readme));
            writeln!(report, "          allowed {class}: {n}{documented}").unwrap();
        }
        if !failures.is_empty() {
            failed_total += failures.len();
            let shown: Vec<J> = failures
                .iter()
                .take(SHOWN_FAILURES)
                .map(|&i| docs[i].clone())
                .collect();
            let minimal = minimise(format, shown, &allowed);
            for (n, ((doc, reference, ours), &index)) in minimal.iter().zip(&failures).enumerate() {
                writeln!(
                    report,
                    "  {} failure {} of {} (document {index}, shrunk):\n    input: {}\n{}",
                    format.name(),
                    n + 1,
                    failures.len(),
                    doc.to_json(),
                    describe_diff(reference, ours)
                )
                .unwrap();
            }
        }
    }
    // Straight to the process's standard error, past the test harness's capture, so the
    // counts show on every run.
    {
        use std::io::Write;
        let _ = std::io::stderr().write_all(report.as_bytes());
    }
    assert_eq!(
        failed_total, 0,
        "documents differ from the reference renderers (report above)"
    );
}

// ---------------------------------------------------------------------------------------------
// The harness itself

fn check_normaliser(spec: &str, input: &str, expected: &str) {
    let normaliser = Normaliser::parse("check", &serde_json::from_str(spec).unwrap());
    assert_eq!(normaliser.apply(input), expected, "{spec} on {input:?}");
}

#[test]
fn normalisers_rewrite_only_their_class() {
    let drop = r#"{"kind": "drop-escapes", "chars": "*_"}"#;
    check_normaliser(drop, r"a \* b \_ c", "a * b _ c");
    check_normaliser(drop, r"\# \[x\]", r"\# \[x\]");
    check_normaliser(drop, r"a \\* b", r"a \\* b");
    check_normaliser(drop, r"end \", r"end \");

    let replace = r#"{"kind": "replace", "pairs": [["&#x27;", "&#39;"], ["<br/>", "<br>"]]}"#;
    check_normaliser(replace, "it&#x27;s<br/>x", "it&#39;s<br>x");
    check_normaliser(replace, "&#x27", "&#x27");

    let json = r#"{"kind": "canonical-json-fallback"}"#;
    check_normaliser(
        json,
        "a\n\n```json:object\n{\n  \"_type\": \"x\",\n  \"w\": 640.0,\n  \"_key\": \"k\"\n}\n```\n\nb",
        "a\n\n```json:object\n{\"_key\":\"k\",\"_type\":\"x\",\"w\":640}\n```\n\nb",
    );
    check_normaliser(
        json,
        "x json:object`{\"b\":1,\"a\":2}` y",
        "x json:object`{\"a\":2,\"b\":1}` y",
    );
    check_normaliser(
        json,
        "```js\n{\"b\":1,\"a\":2}\n```",
        "```js\n{\"b\":1,\"a\":2}\n```",
    );
}

#[test]
fn judge_allows_a_difference_only_through_a_listed_class() {
    let star = Deviation {
        id: "star".into(),
        format: Format::Markdown,
        readme: "stars".into(),
        normaliser: Normaliser::DropEscapes(vec!['*']),
    };
    let entity = Deviation {
        id: "entity".into(),
        format: Format::Markdown,
        readme: "entity".into(),
        normaliser: Normaliser::Replace(vec![("&amp;".into(), "&".into())]),
    };
    let both = [&star, &entity];
    let cases: [(&str, Result<String, String>, Verdict); 6] = [
        ("a *b*", Ok("a *b*".into()), Verdict::Identical),
        (
            r"a \*b",
            Ok("a *b".into()),
            Verdict::Allowed(vec!["star".into()]),
        ),
        (
            r"\* &amp;",
            Ok("* &".into()),
            Verdict::Allowed(vec!["star".into(), "entity".into()]),
        ),
        (r"a \_b", Ok("a _b".into()), Verdict::Failed),
        ("a", Err("null".into()), Verdict::Failed),
        ("a", Ok("b".into()), Verdict::Failed),
    ];
    for (reference, ours, expected) in cases {
        assert_eq!(
            judge(reference, &ours, &both),
            expected,
            "{reference:?} vs {ours:?}"
        );
    }
    assert_eq!(judge(r"a \*b", &Ok("a *b".into()), &[]), Verdict::Failed);
}

#[test]
fn generator_is_deterministic_and_covers_the_advertised_variety() {
    let corpus = |seed| {
        let mut g = Generator::new(seed).repeating_marks();
        (0..DEFAULT_DOCS).map(|_| g.document()).collect::<Vec<J>>()
    };
    let docs = corpus(DEFAULT_SEED);
    let text: Vec<String> = docs.iter().map(J::to_json).collect();
    let again: Vec<String> = corpus(DEFAULT_SEED).iter().map(J::to_json).collect();
    assert_eq!(text, again, "same seed, different documents");
    assert_ne!(
        text,
        corpus(DEFAULT_SEED + 1)
            .iter()
            .map(J::to_json)
            .collect::<Vec<_>>()
    );

    let all = text.join("\n");
    for needle in [
        r#""style":"h1""#,
        r#""style":"h2""#,
        r#""style":"h3""#,
        r#""style":"h4""#,
        r#""style":"h5""#,
        r#""style":"h6""#,
        r#""style":"blockquote""#,
        r#""style":"normal""#,
        r#""style":"lead""#,
        r#""listItem":"bullet""#,
        r#""listItem":"number""#,
        r#""listItem":"square""#,
        r#""strong""#,
        r#""em""#,
        r#""code""#,
        r#""underline""#,
        r#""strike-through""#,
        r#""highlight""#,
        r#""_type":"internalLink""#,
        r#""href":"javascript:alert(1)""#,
        r#""href":"https://example.com""#,
        r#""text":"""#,
        r#""text":"\n""#,
        r#""_type":"youtube""#,
        r#""_type":"mention""#,
        r#""_type":"code""#,
        "<script>",
        "&amp;",
        r"\\*",
    ] {
        assert!(all.contains(needle), "the corpus never has {needle}");
    }
    assert!(
        docs.iter().any(|d| matches!(d, J::Obj(_))),
        "no bare block in the corpus"
    );
    // A list item followed by one two levels deeper (level 1 to 3, say).
    let list_level = |block: &J| {
        let J::Obj(fields) = block else { return None };
        field(fields, "listItem")?;
        match field(fields, "level") {
            Some((_, J::Num(n))) => n.parse::<u32>().ok(),
            _ => Some(1),
        }
    };
    let level_jump = docs.iter().any(|d| match d {
        J::Arr(blocks) => blocks.windows(2).any(
            |w| matches!((list_level(&w[0]), list_level(&w[1])), (Some(a), Some(b)) if b >= a + 2),
        ),
        _ => false,
    });
    assert!(level_jump, "no list level jumps in the corpus");
    // Spans with more than eight marks (the mark tree's map paths), some naming one twice.
    let mut mark_lists: Vec<&[J]> = Vec::new();
    let mut pending: Vec<&J> = docs.iter().collect();
    while let Some(j) = pending.pop() {
        match j {
            J::Arr(items) => pending.extend(items),
            J::Obj(fields) => {
                if let Some((_, J::Arr(marks))) = field(fields, "marks") {
                    mark_lists.push(marks);
                }
                pending.extend(fields.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    let many: Vec<&[J]> = mark_lists.into_iter().filter(|m| m.len() > 8).collect();
    let repeats = |marks: &[J]| {
        let names: Vec<String> = marks.iter().map(J::to_json).collect();
        (1..names.len()).any(|i| names[..i].contains(&names[i]))
    };
    assert!(many.len() >= 100, "{} spans with many marks", many.len());
    assert!(many.iter().any(|m| repeats(m)), "no span repeats a mark");
}
