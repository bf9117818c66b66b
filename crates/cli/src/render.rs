//! `crosspost render`: Portable Text to HTML, Markdown, plain text or a platform profile.
//!
//! Reads one Portable Text value (an array of blocks, one block, or a Sanity document whose
//! `body` is rendered) and writes exactly the rendered string, with no added newline.
//! With `--ndjson`, reads one JSON value per line and writes one JSON string per line, in
//! input order (blank lines are skipped); large inputs are rendered on all cores.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use portable_text::{render_str, Format, SanityConfig};

#[derive(clap::Args)]
pub struct Args {
    /// Output format: html, markdown, text, devto, hashnode or medium.
    #[arg(long = "to", value_name = "FORMAT", value_parser = parse_format)]
    pub to: Format,
    /// Input file; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Read one JSON value per line; write one JSON string per line.
    #[arg(long)]
    pub ndjson: bool,
    /// Sanity project id, for image URLs.
    #[arg(long, env = "SANITY_PROJECT_ID")]
    pub project_id: Option<String>,
    /// Sanity dataset, for image URLs.
    #[arg(long, env = "SANITY_DATASET")]
    pub dataset: Option<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub fn main(args: Args) -> ExitCode {
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("crosspost render: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let (name, input) = read_input(args.file.as_deref())?;
    let sanity = SanityConfig {
        project_id: args.project_id.clone(),
        dataset: args.dataset.clone(),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if args.ndjson {
        for chunk in render_ndjson(&input, args.to, &sanity) {
            write_all(&mut out, chunk.out.as_bytes())?;
            if let Some(e) = chunk.error {
                return Err(format!("{name}: {e}"));
            }
        }
    } else {
        let rendered = render_str(&input, args.to, &sanity).map_err(|e| format!("{name}: {e}"))?;
        write_all(&mut out, rendered.as_bytes())?;
    }
    Ok(())
}

fn write_all(out: &mut impl Write, bytes: &[u8]) -> Result<(), String> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

fn read_input(file: Option<&std::path::Path>) -> Result<(String, String), String> {
    match file {
        None => read_stdin(),
        Some(p) if p.as_os_str() == "-" => read_stdin(),
        Some(p) => {
            let name = p.display().to_string();
            let bytes = std::fs::read(p).map_err(|e| format!("cannot read {name}: {e}"))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                format!(
                    "{name}: input is not UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                )
            })?;
            Ok((name, text))
        }
    }
}

fn read_stdin() -> Result<(String, String), String> {
    let bytes = read_stdin_bytes().map_err(|e| format!("cannot read standard input: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(("<stdin>".to_owned(), text))
}

/// Reads standard input to the end. When it is a file (`< corpus.ndjson`), reading it as a
/// `File` sizes the buffer once from its length instead of growing it by doubling.
#[cfg(unix)]
fn read_stdin_bytes() -> io::Result<Vec<u8>> {
    use std::os::fd::AsFd;
    let mut file = std::fs::File::from(io::stdin().as_fd().try_clone_to_owned()?);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(not(unix))]
fn read_stdin_bytes() -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::stdin().read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// One rendered chunk of lines: output text, or the first error in it.
struct Chunk {
    out: String,
    error: Option<String>,
}

/// Renders NDJSON input into chunks of output, in input order. The chunks up to the first
/// bad line hold the output of every line before it; that chunk carries the line's error
/// (naming the input line and column) and nothing after it is rendered or returned.
fn render_ndjson(input: &str, format: Format, sanity: &SanityConfig) -> Vec<Chunk> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Input bytes per unit of work: small enough that two threads finish together, large
    /// enough that handing out work costs nothing.
    const PART_BYTES: usize = 256 * 1024;

    // (1-based line number, text) of each line, cut into parts of about PART_BYTES.
    let mut parts: Vec<Vec<(usize, &str)>> = Vec::new();
    let mut part = Vec::new();
    let mut part_bytes = 0;
    for (i, l) in input.split('\n').enumerate() {
        part_bytes += l.len() + 1;
        part.push((i + 1, l.strip_suffix('\r').unwrap_or(l)));
        if part_bytes >= PART_BYTES {
            parts.push(std::mem::take(&mut part));
            part_bytes = 0;
        }
    }
    if !part.is_empty() {
        parts.push(part);
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(parts.len());
    // Workers take the next part until none is left; parts after a failed one are skipped.
    let next = AtomicUsize::new(0);
    let first_failed = AtomicUsize::new(usize::MAX);
    let work = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= parts.len() || i > first_failed.load(Ordering::Relaxed) {
                return mine;
            }
            let chunk = render_lines(&parts[i], format, sanity);
            if chunk.error.is_some() {
                first_failed.fetch_min(i, Ordering::Relaxed);
            }
            mine.push((i, chunk));
        }
    };
    let finished: Option<Vec<(usize, Chunk)>> = if threads <= 1 {
        Some(work())
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            let mut all = Vec::new();
            for h in handles {
                all.extend(h.join().ok()?);
            }
            Some(all)
        })
    };
    let Some(mut done) = finished else {
        return vec![Chunk {
            out: String::new(),
            error: Some("a rendering thread failed".to_owned()),
        }];
    };
    done.sort_by_key(|(i, _)| *i);
    // Everything up to and including the first failed part.
    let keep = done
        .iter()
        .position(|(_, c)| c.error.is_some())
        .map_or(done.len(), |i| i + 1);
    done.into_iter().take(keep).map(|(_, c)| c).collect()
}

fn render_lines(lines: &[(usize, &str)], format: Format, sanity: &SanityConfig) -> Chunk {
    let bytes: usize = lines.iter().map(|(_, l)| l.len()).sum();
    let mut out = String::with_capacity(bytes + bytes / 4);
    let mut scratch = String::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        scratch.clear();
        match portable_text::render_into(line, format, sanity, &mut scratch) {
            Ok(()) => {
                write_json_string(&scratch, &mut out);
                out.push('\n');
            }
            Err(portable_text::Error::Json {
                line: _,
                column,
                message,
            }) => {
                return Chunk {
                    out,
                    error: Some(format!(
                        "invalid Portable Text JSON at line {n}, column {column}: {message}"
                    )),
                };
            }
            Err(e) => {
                return Chunk {
                    out,
                    error: Some(format!("line {n}: {e}")),
                }
            }
        }
    }
    Chunk { out, error: None }
}

/// Bytes a JSON string literal cannot hold as they are: control characters, `"` and `\`.
static JSON_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Writes `s` as a JSON string literal (the same bytes `serde_json` writes).
fn write_json_string(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip ordinary bytes with one table lookup each.
        let b = bytes[i];
        if !JSON_SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, and text made mostly of the bytes that need escaping.
        #[test]
        fn json_strings_are_what_serde_json_writes(s in prop_oneof![
            "(?s).{0,64}",
            "[\\x00-\\x20\"\\\\a\u{e9}\u{1f600}]{0,64}",
        ]) {
            let mut ours = String::new();
            write_json_string(&s, &mut ours);
            let theirs = serde_json::to_string(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(ours, theirs);
        }
    }
}
