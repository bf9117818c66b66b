//! `crosspost render`: Portable Text to HTML, Markdown, plain text or a platform profile.
//!
//! Reads one Portable Text value (an array of blocks, one block, or a Sanity document whose
//! `body` is rendered) and writes exactly the rendered string, with no added newline.
//! With `--ndjson`, reads one JSON value per line and writes one JSON string per line, in
//! input order (blank lines are skipped); large inputs are rendered on all cores, and a line
//! is answered as soon as the input pauses after it (a helper process can answer one line at
//! a time).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

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
    /// With `--ndjson`: rendering threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
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
    let sanity = SanityConfig {
        project_id: args.project_id.clone(),
        dataset: args.dataset.clone(),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let workers = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if args.ndjson {
        let input = NdjsonInput::open(args.file.as_deref())?;
        return render_ndjson(input, args.to, &sanity, workers, &mut out);
    }
    let (name, input) = read_input(args.file.as_deref())?;
    let rendered = render_str(&input, args.to, &sanity).map_err(|e| format!("{name}: {e}"))?;
    // A closed output (`| head -c 10`) is not an error: whoever closed it has what it wanted.
    write_all(&mut out, rendered.as_bytes())?;
    Ok(())
}

/// Writes and flushes `bytes`; `Ok(false)` if the output has been closed by its reader
/// (a broken pipe).
fn write_all(out: &mut impl Write, bytes: &[u8]) -> Result<bool, String> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}

/// The input's name for messages and a reader over it (a file, or standard input).
fn open_input(file: Option<&std::path::Path>) -> Result<(String, Box<dyn Read + Send>), String> {
    match file {
        Some(p) if p.as_os_str() != "-" => {
            let name = p.display().to_string();
            let f = std::fs::File::open(p).map_err(|e| format!("cannot read {name}: {e}"))?;
            Ok((name, Box::new(f)))
        }
        _ => Ok(("<stdin>".to_owned(), Box::new(io::stdin()))),
    }
}

fn read_input(file: Option<&std::path::Path>) -> Result<(String, String), String> {
    let (name, mut input) = open_input(file)?;
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name}: input is not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}

/// The input of `--ndjson`: a reader and, where the input can pause (a pipe, a terminal), a
/// way to wait for more of it with a time limit.
struct NdjsonInput {
    name: String,
    reader: Box<dyn Read + Send>,
    /// `Some(f)`: `f()` waits up to [`QUIET`] for more input and says whether any came (or
    /// the input ended). `None`: the input never pauses (a file) or cannot be waited on.
    more_soon: Option<Box<dyn Fn() -> bool + Send>>,
}

impl NdjsonInput {
    fn open(file: Option<&std::path::Path>) -> Result<Self, String> {
        match file {
            Some(p) if p.as_os_str() != "-" => {
                let (name, reader) = open_input(Some(p))?;
                Ok(Self {
                    name,
                    reader,
                    more_soon: None,
                })
            }
            _ => Ok(Self::stdin()),
        }
    }

    /// Standard input; on Unix read directly (no buffer of its own in front, which `poll`
    /// could not see) and waited on with `poll`.
    fn stdin() -> Self {
        let name = "<stdin>".to_owned();
        #[cfg(unix)]
        if let Some((reader, more_soon)) = pollable_stdin() {
            return Self {
                name,
                reader: Box::new(reader),
                more_soon: Some(Box::new(more_soon)),
            };
        }
        // No descriptor to spare, or no `poll`: read through std's handle and never wait.
        Self {
            name,
            reader: Box::new(io::stdin()),
            more_soon: None,
        }
    }
}

/// Standard input as a file of its own, and a function that waits up to [`QUIET`] for it
/// to become readable (an error or a hang-up counts as readable: the next read reports it).
#[cfg(unix)]
fn pollable_stdin() -> Option<(std::fs::File, impl Fn() -> bool + Send)> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    use std::os::fd::AsFd;
    let file = std::fs::File::from(io::stdin().as_fd().try_clone_to_owned().ok()?);
    let waiter = file.try_clone().ok()?;
    let more_soon = move || {
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: i64::from(QUIET.subsec_nanos()),
        };
        let mut fds = [PollFd::new(&waiter, PollFlags::IN)];
        poll(&mut fds, Some(&timeout)).map_or(true, |ready| ready > 0)
    };
    Some((file, more_soon))
}

/// How long `--ndjson` waits for more input before it renders the whole lines it has. A
/// program that writes a line and waits for its answer gets it after this; a producer that
/// keeps writing (a pipe from `cat`, a file) never pauses this long, so parts stay full.
const QUIET: std::time::Duration = std::time::Duration::from_millis(2);

/// Input bytes per unit of work: small enough that the threads finish together (a part is
/// a few milliseconds of work), large enough that handing out work and allocating the part
/// and its output cost nothing. Measured on the 56 MB bench corpus: 256 KiB parts took 5-10 %
/// longer than 512 KiB-1 MiB; 2 MiB no better.
const PART_BYTES: usize = 1024 * 1024;

/// A run of whole input lines.
struct Part {
    /// Position in the input (parts are written in this order).
    seq: usize,
    /// The part is `bytes[..len]` (the buffer is reused at its full size).
    bytes: Vec<u8>,
    len: usize,
}

/// One rendered part: its output, how many lines it had, and the first error in it (after
/// which nothing is rendered).
struct Chunk {
    out: String,
    lines: usize,
    error: Option<LineError>,
}

/// What was wrong with a line; `line` counts from 0 within its part (the writer, which sees
/// the parts in order, knows where the part starts).
struct LineError {
    line: usize,
    kind: LineErrorKind,
}

enum LineErrorKind {
    NotUtf8 { byte: usize },
    Json { column: usize, message: String },
    Other(portable_text::Error),
}

impl LineError {
    /// The message for the line, `n` being its 1-based number in the input.
    fn message(&self, n: usize) -> String {
        match &self.kind {
            LineErrorKind::NotUtf8 { byte } => {
                format!("line {n} is not UTF-8 (byte {byte} of the line)")
            }
            LineErrorKind::Json { column, message } => {
                format!("invalid Portable Text JSON at line {n}, column {column}: {message}")
            }
            LineErrorKind::Other(e) => format!("line {n}: {e}"),
        }
    }
}

/// Buffers handed back for reuse once their stage is done with them: the reader's input
/// parts come back from the workers, the workers' outputs from the writer. Fresh memory is
/// expensive (the kernel zeroes every page on first touch: a third of the process's time on
/// the bench corpus when every part had new buffers), and the stages hold only a few parts at
/// a time, so a few buffers serve the whole input.
struct Pool<T>(Mutex<Vec<T>>);

impl<T: Default + Capacity> Pool<T> {
    fn new() -> Self {
        Pool(Mutex::new(Vec::new()))
    }

    fn take(&self) -> T {
        self.0
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default()
    }

    /// Keeps `buf` for reuse, up to [`POOL_KEEP`] buffers (the queues bound how many are in
    /// flight) of up to [`POOL_MAX_BYTES`] each (the buffer of an odd long line is freed).
    fn give(&self, buf: T) {
        if buf.capacity() > POOL_MAX_BYTES {
            return;
        }
        if let Ok(mut pool) = self.0.lock() {
            if pool.len() < POOL_KEEP {
                pool.push(buf);
            }
        }
    }
}

/// Buffers a pool keeps at most: about what the bounded queues can hold at once.
const POOL_KEEP: usize = 16;
/// The largest buffer a pool keeps: a few parts' worth.
const POOL_MAX_BYTES: usize = 4 * PART_BYTES;

/// A buffer's size, for [`Pool::give`].
trait Capacity {
    fn capacity(&self) -> usize;
}

impl Capacity for Vec<u8> {
    fn capacity(&self) -> usize {
        Vec::capacity(self)
    }
}

impl Capacity for String {
    fn capacity(&self) -> usize {
        String::capacity(self)
    }
}

/// Renders NDJSON from `input` to `out` as a pipeline: a reader thread cuts the input into
/// parts of whole lines, one worker per core renders them, and this thread writes the chunks
/// in input order as soon as they are ready. Reading, rendering and writing overlap, and
/// memory stays at a few parts per thread whatever the input size. At the first bad line
/// (not UTF-8, not Portable Text) the output of every line before it is written, the error
/// names the line and column, and nothing after it is rendered or written.
fn render_ndjson(
    input: NdjsonInput,
    format: Format,
    sanity: &SanityConfig,
    workers: usize,
    out: &mut impl Write,
) -> Result<(), String> {
    let (part_tx, part_rx) = mpsc::sync_channel::<Part>(workers * 2);
    // Shared by the workers only: if they all die, sending a part fails instead of blocking.
    let part_rx = Arc::new(Mutex::new(part_rx));
    // Bounded too: when the output is not being read, the workers wait, then the reader, so
    // the input is read no further than a few parts ahead of what has been written.
    let (chunk_tx, chunk_rx) = mpsc::sync_channel::<(usize, Chunk)>(workers * 2);
    // Sequence number of the first part that failed (`usize::MAX`: none yet).
    let failed = AtomicUsize::new(usize::MAX);
    let (inputs, outputs) = (Pool::<Vec<u8>>::new(), Pool::<String>::new());
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (part_rx, chunk_tx) = (Arc::clone(&part_rx), chunk_tx.clone());
                let stage = Stage {
                    failed: &failed,
                    inputs: &inputs,
                    outputs: &outputs,
                };
                s.spawn(move || render_worker(&part_rx, &chunk_tx, stage, format, sanity))
            })
            .collect();
        drop((part_rx, chunk_tx));
        let failed = &failed;
        let name = input.name.clone();
        let inputs = &inputs;
        let reader = s.spawn(move || read_parts(input, &part_tx, failed, inputs));
        let written = write_in_order(&name, chunk_rx, out, &outputs);
        if !matches!(written, Ok(Some(_))) {
            // Nothing more will be written: stop reading and rendering.
            failed.store(0, Ordering::Relaxed);
        }
        let read = reader.join();
        let workers_ok = handles.into_iter().all(|h| h.join().is_ok());
        // A rendering or write error first: reading stops at it on purpose.
        let Some(written) = written? else {
            // The output was closed (`| head -1`): done, like any other filter.
            return Ok(());
        };
        let sent = read.map_err(|_| "the reading thread failed".to_owned())??;
        if !workers_ok || written != sent {
            return Err("a rendering thread failed".to_owned());
        }
        Ok(())
    })
}

/// What a worker shares with the other stages.
#[derive(Clone, Copy)]
struct Stage<'s> {
    failed: &'s AtomicUsize,
    inputs: &'s Pool<Vec<u8>>,
    outputs: &'s Pool<String>,
}

/// Renders parts until the reader is done. Parts after a failed one are only taken off the
/// queue (so the reader is never left blocked), not rendered.
fn render_worker(
    parts: &Mutex<Receiver<Part>>,
    chunks: &SyncSender<(usize, Chunk)>,
    stage: Stage<'_>,
    format: Format,
    sanity: &SanityConfig,
) {
    // Working space of the renderer, kept from document to document.
    let mut scratch = String::new();
    loop {
        // The lock is only poisoned if a worker panicked while holding it: stop.
        let next = parts.lock().map(|rx| rx.recv());
        let Ok(Ok(part)) = next else { return };
        if part.seq > stage.failed.load(Ordering::Relaxed) {
            stage.inputs.give(part.bytes);
            continue;
        }
        let mut out = stage.outputs.take();
        out.clear();
        let chunk = render_part(&part.bytes[..part.len], format, sanity, out, &mut scratch);
        stage.inputs.give(part.bytes);
        if chunk.error.is_some() {
            stage.failed.fetch_min(part.seq, Ordering::Relaxed);
        }
        // The writer is gone only after an error; keep draining.
        let _ = chunks.send((part.seq, chunk));
    }
}

/// Cuts the input into parts of whole lines and sends them, until the end of the input,
/// a read error, or a failure elsewhere (`failed`). Returns how many parts it sent. A part
/// is sent when it is full, at the end of the input, and when the input pauses (see
/// [`QUIET`]) after a line end.
fn read_parts(
    mut input: NdjsonInput,
    parts: &SyncSender<Part>,
    failed: &AtomicUsize,
    pool: &Pool<Vec<u8>>,
) -> Result<usize, String> {
    let mut seq = 0;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        // At least a part's worth of new bytes, and as many as a long unfinished line
        // already has (so a line of any length is read in a logarithmic number of steps).
        let size = carry.len() + PART_BYTES.max(carry.len());
        // Buffers come back from the workers already initialised; only a new or larger one
        // is zeroed (reading into uninitialised memory would need `unsafe`).
        let mut bytes = pool.take();
        if bytes.len() < size {
            bytes.resize(size, 0);
        }
        bytes[..carry.len()].copy_from_slice(&carry);
        let (mut len, end) = read_round(&mut input, &mut bytes[..size], carry.len())
            .map_err(|e| format!("{}: cannot read input: {e}", input.name))?;
        carry.clear();
        if !end {
            // Keep the unfinished last line for the next part.
            let Some(cut) = memchr::memrchr(b'\n', &bytes[..len]) else {
                carry.extend_from_slice(&bytes[..len]);
                pool.give(bytes);
                continue;
            };
            carry.extend_from_slice(&bytes[cut + 1..len]);
            len = cut + 1;
        }
        if len == 0 {
            pool.give(bytes);
        } else {
            let part = Part { seq, bytes, len };
            let stop = failed.load(Ordering::Relaxed) != usize::MAX;
            if stop || parts.send(part).is_err() {
                return Ok(seq);
            }
            seq += 1;
        }
        if end {
            return Ok(seq);
        }
    }
}

/// One round of reading into `buf` from `filled` on: until `buf` is full, the input ends, or,
/// once a line end has been read, the input pauses for [`QUIET`]. Returns how much of `buf`
/// is filled and whether the input ended.
fn read_round(
    input: &mut NdjsonInput,
    buf: &mut [u8],
    mut filled: usize,
) -> io::Result<(usize, bool)> {
    let mut has_line_end = false;
    while filled < buf.len() {
        if has_line_end
            && !input
                .more_soon
                .as_deref()
                .is_none_or(|more_soon| more_soon())
        {
            break;
        }
        match input.reader.read(&mut buf[filled..]) {
            Ok(0) => return Ok((filled, true)),
            Ok(n) => {
                has_line_end =
                    has_line_end || memchr::memchr(b'\n', &buf[filled..filled + n]).is_some();
                filled += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((filled, false))
}

/// Writes chunks in sequence order as they arrive; stops after the first chunk with an
/// error and returns that error (naming the input and the line). Otherwise returns the
/// number of chunks written, or `None` if the output was closed before all were.
fn write_in_order(
    name: &str,
    chunks: Receiver<(usize, Chunk)>,
    out: &mut impl Write,
    pool: &Pool<String>,
) -> Result<Option<usize>, String> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    // 1-based number of the next part's first line.
    let mut first_line = 1;
    for (seq, chunk) in chunks {
        waiting.insert(seq, chunk);
        while let Some(chunk) = waiting.remove(&next) {
            if !write_all(out, chunk.out.as_bytes())? {
                return Ok(None);
            }
            if let Some(e) = chunk.error {
                return Err(format!("{name}: {}", e.message(first_line + e.line)));
            }
            first_line += chunk.lines;
            pool.give(chunk.out);
            next += 1;
        }
    }
    Ok(Some(next))
}

/// Renders the lines of one part into `out`, each as a JSON string and a newline.
fn render_part(
    bytes: &[u8],
    format: Format,
    sanity: &SanityConfig,
    mut out: String,
    scratch: &mut String,
) -> Chunk {
    out.reserve(bytes.len() + bytes.len() / 4);
    let mut start = 0;
    let mut lines = 0;
    // Every line end, and the end of a last line without one (only the input's last part).
    let unterminated = bytes.last().is_some_and(|b| *b != b'\n');
    let tail = unterminated.then_some(bytes.len());
    for end in memchr::memchr_iter(b'\n', bytes).chain(tail) {
        let line = &bytes[start..end];
        start = end + 1;
        let index = lines;
        lines += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let fail = |kind| Chunk {
            out: String::new(),
            lines: 0,
            error: Some(LineError { line: index, kind }),
        };
        let line = match std::str::from_utf8(line) {
            Ok(line) => line,
            Err(e) => {
                return Chunk {
                    out,
                    ..fail(LineErrorKind::NotUtf8 {
                        byte: e.valid_up_to() + 1,
                    })
                }
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let len = out.len();
        match portable_text::render_json_into(line, format, sanity, &mut out, scratch) {
            Ok(()) => out.push('\n'),
            Err(e) => {
                // Nothing of the failed line is written.
                out.truncate(len);
                let kind = match e {
                    portable_text::Error::Json {
                        line: _,
                        column,
                        message,
                    } => LineErrorKind::Json { column, message },
                    e => LineErrorKind::Other(e),
                };
                return Chunk { out, ..fail(kind) };
            }
        }
    }
    Chunk {
        out,
        lines,
        error: None,
    }
}
