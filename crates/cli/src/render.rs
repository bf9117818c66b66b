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
        let (rendered, error) = render_ndjson(&input, args.to, &sanity);
        write_all(&mut out, rendered.as_bytes())?;
        if let Some(e) = error {
            return Err(format!("{name}: {e}"));
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
    let mut bytes = Vec::new();
    io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(("<stdin>".to_owned(), text))
}

/// One rendered chunk of lines: output text, or the first error in it.
struct Chunk {
    out: String,
    error: Option<String>,
}

/// Renders NDJSON input. Returns the output for every line before the first
/// bad one, and that line's error (naming the input line and column).
fn render_ndjson(input: &str, format: Format, sanity: &SanityConfig) -> (String, Option<String>) {
    // (1-based line number, text) of each line.
    let lines: Vec<(usize, &str)> = input
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads = if input.len() < 256 * 1024 {
        1
    } else {
        threads.min(lines.len().max(1))
    };
    let per = lines.len().div_ceil(threads.max(1)).max(1);
    let chunks: Vec<Chunk> = if threads <= 1 {
        vec![render_lines(&lines, format, sanity)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| s.spawn(move || render_lines(part, format, sanity)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Chunk {
                        out: String::new(),
                        error: Some("a rendering thread failed".to_owned()),
                    })
                })
                .collect()
        })
    };
    let mut out = String::with_capacity(chunks.iter().map(|c| c.out.len()).sum());
    for c in chunks {
        out.push_str(&c.out);
        if c.error.is_some() {
            return (out, c.error);
        }
    }
    (out, None)
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

/// Writes `s` as a JSON string literal (the same bytes `serde_json` writes).
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}
