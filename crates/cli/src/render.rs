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
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

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
    /// With `--ndjson`: read the whole input first, render it in memory, and report the
    /// rendering's time on standard error (as JSON) before writing the output; for
    /// benchmarks, which time the JavaScript references the same way.
    #[arg(long, requires = "ndjson")]
    pub bench: bool,
    /// With `--bench`: render the input this many times, each pass into the output memory of
    /// the one before, and report every pass's time and the best.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "bench",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub passes: u16,
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
    if args.ndjson {
        // Asked of the system (cgroup files on Linux) only where it is used.
        let workers = match args.threads {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if args.bench {
            return bench_ndjson(args, &sanity, workers, &mut io::stdout().lock());
        }
        let input = NdjsonInput::open(args.file.as_deref())?;
        // Written by the worker threads, each locking standard output for its write.
        return render_ndjson(input, args.to, &sanity, workers, &mut io::stdout());
    }
    let mut out = io::stdout().lock();
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

/// The input's name and all its bytes.
fn read_bytes(file: Option<&std::path::Path>) -> Result<(String, Vec<u8>), String> {
    let (name, mut input) = open_input(file)?;
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok((name, bytes))
}

fn read_input(file: Option<&std::path::Path>) -> Result<(String, String), String> {
    let (name, bytes) = read_bytes(file)?;
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
/// a few milliseconds of work) and that a worker's input and output stay in its core's
/// cache, large enough that taking turns at the input and the output costs nothing. Measured
/// on the 56 MB bench corpus: 256 KiB parts took 5-10 % longer than 512 KiB-1 MiB; 2 MiB no
/// better.
const PART_BYTES: usize = 1024 * 1024;

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

/// Output buffers handed back for reuse once they have been written. Fresh memory is
/// expensive (the kernel zeroes every page on first touch: a third of the process's time on
/// the bench corpus when every part had new buffers), and only a part that is rendered
/// before the one ahead of it has been written needs a second buffer, so a few serve the
/// whole input.
struct Pool(Mutex<Vec<String>>);

impl Pool {
    fn take(&self) -> String {
        let mut buf = self
            .0
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default();
        buf.clear();
        buf
    }

    /// Keeps `buf` for reuse, up to [`POOL_KEEP`] buffers of up to [`POOL_MAX_BYTES`] each
    /// (the buffer of an odd long line is freed).
    fn give(&self, buf: String) {
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

/// Output buffers a pool keeps at most. About two per worker are in use at once (one being
/// rendered into, at most one waiting: see [`Shared::ahead`]), so this covers 8 workers;
/// with more, a few buffers are allocated anew.
const POOL_KEEP: usize = 16;
/// The largest buffer a pool keeps: a few parts' worth.
const POOL_MAX_BYTES: usize = 4 * PART_BYTES;

/// The input side of `--ndjson`, which the workers take turns at: each reads the next part
/// into its own buffer.
struct Reading {
    input: NdjsonInput,
    /// The unfinished last line of the part read last (the start of the next part).
    carry: Vec<u8>,
    /// Parts handed out so far.
    seq: usize,
    /// The input ended, failed, or stopped being wanted.
    done: bool,
    /// A read error, and the number of parts handed out before it.
    error: Option<(usize, String)>,
}

impl Reading {
    /// Reads the next part of whole lines into `bytes` (reused at its full size; only a new
    /// or larger buffer is zeroed, since reading into uninitialised memory would need
    /// `unsafe`) and returns its sequence number and length, or `None` at the end of the
    /// input, after a read error, or once nothing more is wanted. A part ends when it is
    /// full, at the end of the input, and when the input pauses (see [`QUIET`]) after a
    /// line end.
    fn next_part(&mut self, bytes: &mut Vec<u8>, stop: &AtomicBool) -> Option<(usize, usize)> {
        loop {
            if self.done || stop.load(Ordering::Relaxed) {
                self.done = true;
                return None;
            }
            let carried = self.carry.len();
            // A part's worth of bytes, the carried line's among them, or twice as many as a
            // long unfinished line already has (so a line of any length is read in a
            // logarithmic number of steps). The same size part after part, so the buffer is
            // never reallocated (fresh memory costs a zeroing of its pages).
            let size = PART_BYTES.max(2 * carried);
            if bytes.len() < size {
                bytes.resize(size, 0);
            }
            bytes[..carried].copy_from_slice(&self.carry);
            self.carry.clear();
            let (mut len, end) = match read_round(&mut self.input, &mut bytes[..size], carried) {
                Ok(read) => read,
                Err(e) => {
                    let message = format!("{}: cannot read input: {e}", self.input.name);
                    self.error = Some((self.seq, message));
                    self.done = true;
                    return None;
                }
            };
            self.done = end;
            if !end {
                // Keep the unfinished last line for the next part.
                match memchr::memrchr(b'\n', &bytes[..len]) {
                    Some(cut) => {
                        self.carry.extend_from_slice(&bytes[cut + 1..len]);
                        len = cut + 1;
                    }
                    None => {
                        self.carry.extend_from_slice(&bytes[..len]);
                        continue;
                    }
                }
            }
            if len > 0 {
                self.seq += 1;
                return Some((self.seq - 1, len));
            }
        }
    }
}

/// The output side of `--ndjson`: rendered parts are written in input order by whichever
/// worker finishes the part that is next.
struct Writing<'o, W> {
    out: &'o mut W,
    /// Sequence number of the next part to write.
    next: usize,
    /// 1-based number of that part's first line.
    first_line: usize,
    /// Parts rendered before the one ahead of them was written.
    waiting: BTreeMap<usize, Chunk>,
    /// How writing ended early: a bad line or a write error (`Err`), or a closed output.
    ended: Option<Result<(), String>>,
}

impl<W: Write> Writing<'_, W> {
    /// Takes part `seq`'s chunk and writes every part that is then ready, in order. Returns
    /// whether to go on (`false` after a bad line, a write error or a closed output).
    fn put(&mut self, seq: usize, chunk: Chunk, name: &str, pool: &Pool) -> bool {
        if self.ended.is_some() {
            return false;
        }
        self.waiting.insert(seq, chunk);
        while let Some(chunk) = self.waiting.remove(&self.next) {
            match write_all(self.out, chunk.out.as_bytes()) {
                Ok(true) => {}
                Ok(false) => {
                    self.ended = Some(Ok(()));
                    return false;
                }
                Err(e) => {
                    self.ended = Some(Err(e));
                    return false;
                }
            }
            if let Some(e) = chunk.error {
                let message = format!("{name}: {}", e.message(self.first_line + e.line));
                self.ended = Some(Err(message));
                return false;
            }
            self.first_line += chunk.lines;
            pool.give(chunk.out);
            self.next += 1;
        }
        true
    }
}

/// What the workers share.
struct Shared<'o, W> {
    name: String,
    reading: Mutex<Reading>,
    writing: Mutex<Writing<'o, W>>,
    /// Set when nothing more is to be read or rendered.
    stop: AtomicBool,
    /// Signalled when parts have been written (and when a worker leaves).
    written: Condvar,
    /// How many rendered parts may wait for the one ahead of them before their workers wait
    /// too: a part that is slow to render holds back the others, so memory stays bounded.
    ahead: usize,
    pool: Pool,
}

/// Renders NDJSON from `input` to `out` on `workers` threads (this one among them). Each
/// worker takes the next part of whole lines from the input into its own buffer, renders
/// it, and writes it if it is next in input order (with any parts rendered ahead of it),
/// or leaves it for the worker whose part is: reading, rendering and writing overlap, a
/// part's bytes stay in the cache of the core that reads, renders and writes them, and
/// memory stays at about two parts per worker whatever the input size. At the first bad
/// line (not UTF-8, not Portable Text) the output of every line before it is written, the
/// error names the line and column, and nothing after it is rendered or written.
fn render_ndjson<W: Write + Send>(
    input: NdjsonInput,
    format: Format,
    sanity: &SanityConfig,
    workers: usize,
    out: &mut W,
) -> Result<(), String> {
    let shared = Shared {
        name: input.name.clone(),
        reading: Mutex::new(Reading {
            input,
            carry: Vec::new(),
            seq: 0,
            done: false,
            error: None,
        }),
        writing: Mutex::new(Writing {
            out,
            next: 0,
            first_line: 1,
            waiting: BTreeMap::new(),
            ended: None,
        }),
        stop: AtomicBool::new(false),
        written: Condvar::new(),
        ahead: workers,
        pool: Pool(Mutex::new(Vec::new())),
    };
    let workers_ok = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers)
            .map(|_| s.spawn(|| render_worker(&shared, format, sanity)))
            .collect();
        render_worker(&shared, format, sanity);
        handles.into_iter().all(|h| h.join().is_ok())
    });
    let (Ok(reading), Ok(writing)) = (shared.reading.into_inner(), shared.writing.into_inner())
    else {
        return Err("a rendering thread failed".to_owned());
    };
    match writing.ended {
        // A rendering or write error first: reading stops at it on purpose.
        Some(Err(e)) => return Err(e),
        // The output was closed (`| head -1`): done, like any other filter.
        Some(Ok(())) => return Ok(()),
        None => {}
    }
    let sent = match reading.error {
        Some((sent, message)) if writing.next == sent => return Err(message),
        Some((sent, _)) => sent,
        None => reading.seq,
    };
    if !workers_ok || writing.next != sent {
        return Err("a rendering thread failed".to_owned());
    }
    Ok(())
}

/// `--ndjson --bench`: the whole input is read first; then, on the clock, its parts of whole
/// lines (see [`part_ranges`]; cut, not copied) are rendered on `workers` threads into
/// outputs kept in memory. That is how the JavaScript harness times its loop (the input read
/// before the clock starts, the outputs written after it stops), so the two are timed alike.
/// With `--passes`, the input is rendered that many times, each pass timed on its own.
/// The last pass's outputs are then written as without `--bench` (through [`Writing`]), and
/// `{"lines":N,"seconds":S,"passes":[...]}` goes to standard error: `N` counts blank lines
/// too, `passes` holds every pass's seconds and `seconds` the best of them.
fn bench_ndjson(
    args: &Args,
    sanity: &SanityConfig,
    workers: usize,
    out: &mut impl Write,
) -> Result<(), String> {
    let (name, bytes) = read_bytes(args.file.as_deref())?;
    let parts = part_ranges(&bytes);
    // Each part's output, kept in memory: the first pass renders a part into a buffer of
    // the room `reserve_part` makes and keeps a copy about its size (parts kept at the
    // buffer's size would touch more than twice the fresh memory); each later pass renders
    // into the output the pass before it kept. The copy has room for that output and for
    // what the renderer reserves before each line (half the line's length, so lines of up
    // to a quarter of the part; a longer one makes its part's buffer grow once).
    let mut buffers: Vec<String> = parts.iter().map(|_| String::new()).collect();
    let mut times = Vec::new();
    let mut rendered = Vec::new();
    for _ in 0..args.passes {
        let slots: Vec<Mutex<String>> = buffers.drain(..).map(Mutex::new).collect();
        let next = AtomicUsize::new(0);
        let work = || {
            let mut scratch = String::new();
            let mut spare = String::new();
            let mut done = Vec::new();
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                let (Some(range), Some(slot)) = (parts.get(seq), slots.get(seq)) else {
                    return done;
                };
                let part = &bytes[range.clone()];
                // A slot is taken once; it is only poisoned if a worker panicked holding it.
                let mut kept = slot
                    .lock()
                    .map(|mut b| std::mem::take(&mut *b))
                    .unwrap_or_default();
                kept.clear();
                let chunk = if kept.capacity() > 0 {
                    render_part(part, args.to, sanity, kept, &mut scratch)
                } else {
                    reserve_part(&mut spare, part.len());
                    let chunk = render_part(part, args.to, sanity, spare, &mut scratch);
                    let mut kept = String::with_capacity(chunk.out.len() + part.len() / 8 + 64);
                    kept.push_str(&chunk.out);
                    spare = chunk.out;
                    spare.clear();
                    Chunk { out: kept, ..chunk }
                };
                done.push((seq, chunk));
            }
        };
        let start = std::time::Instant::now();
        rendered = std::thread::scope(|s| {
            let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
            let mut all = work();
            for handle in handles {
                all.extend(handle.join().ok()?);
            }
            Some(all)
        })
        .ok_or("a rendering thread failed")?;
        times.push(start.elapsed().as_secs_f64());
        rendered.sort_unstable_by_key(|(seq, _)| *seq);
        buffers = rendered
            .iter_mut()
            .map(|(_, chunk)| std::mem::take(&mut chunk.out))
            .collect();
    }
    for ((_, chunk), out) in rendered.iter_mut().zip(buffers) {
        chunk.out = out;
    }
    let seconds = times.iter().copied().fold(f64::INFINITY, f64::min);
    let mut writing = Writing {
        out,
        next: 0,
        first_line: 1,
        waiting: BTreeMap::new(),
        ended: None,
    };
    let pool = Pool(Mutex::new(Vec::new()));
    for (seq, chunk) in rendered {
        if !writing.put(seq, chunk, &name, &pool) {
            break;
        }
    }
    match writing.ended {
        Some(Err(e)) => Err(e),
        // The output was closed: done, as without `--bench`.
        Some(Ok(())) => Ok(()),
        None => {
            let passes: Vec<String> = times.iter().map(f64::to_string).collect();
            eprintln!(
                "{{\"lines\":{},\"seconds\":{seconds},\"passes\":[{}]}}",
                writing.first_line - 1,
                passes.join(",")
            );
            Ok(())
        }
    }
}

/// `bytes` cut into parts of whole lines: each ends at the first line end at least
/// [`PART_BYTES`] from its start, or at the end of the input.
fn part_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let from = (start + PART_BYTES - 1).min(bytes.len());
        let end = memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i + 1);
        parts.push(start..end);
        start = end;
    }
    parts
}

/// Takes parts from the input, renders them and hands them to the output until the input
/// ends or nothing more is wanted.
fn render_worker<W: Write>(shared: &Shared<'_, W>, format: Format, sanity: &SanityConfig) {
    // This worker's input buffer and the renderer's working space, kept from part to part.
    let mut bytes = Vec::new();
    let mut scratch = String::new();
    let _leaving = Leaving(shared);
    loop {
        // A lock is only poisoned if a worker panicked while holding it: stop.
        let next = match shared.reading.lock() {
            Ok(mut reading) => reading.next_part(&mut bytes, &shared.stop),
            Err(_) => None,
        };
        let Some((seq, len)) = next else { return };
        let mut out = shared.pool.take();
        reserve_part(&mut out, len);
        let chunk = render_part(&bytes[..len], format, sanity, out, &mut scratch);
        let go_on = match shared.writing.lock() {
            Ok(mut writing) => {
                let go_on = writing.put(seq, chunk, &shared.name, &shared.pool);
                shared.written.notify_all();
                // Too many parts rendered ahead of one still being rendered: wait for it to
                // be written before reading more.
                while go_on
                    && writing.waiting.len() > shared.ahead
                    && !shared.stop.load(Ordering::Relaxed)
                {
                    writing = match shared.written.wait(writing) {
                        Ok(writing) => writing,
                        Err(_) => return,
                    };
                }
                go_on
            }
            Err(_) => false,
        };
        if !go_on {
            shared.stop.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// Held by a worker while it works: if it panics, the others stop (its part will never be
/// written, so parts waiting behind it would wait forever), and in any case they are woken to
/// see that.
struct Leaving<'s, 'o, W>(&'s Shared<'o, W>);

impl<W> Drop for Leaving<'_, '_, W> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop.store(true, Ordering::Relaxed);
        }
        // Taken and let go (poisoned or not) so that no worker is between its check of
        // `stop` and its wait when it is woken.
        drop(self.0.writing.lock());
        self.0.written.notify_all();
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

/// Renders the lines of one part into `out`, each as a JSON string and a newline.
/// Makes room in `out` for the whole output of a part of `len` input bytes: rendered HTML is
/// about half the size of its JSON, Markdown less. The same every part, so a reused buffer
/// is never reallocated (see `Reading::next_part`).
fn reserve_part(out: &mut String, len: usize) {
    out.reserve(PART_BYTES.max(len) + PART_BYTES / 4);
}

/// Renders the lines of `bytes` into `out` (which [`reserve_part`] should have made room in).
fn render_part(
    bytes: &[u8],
    format: Format,
    sanity: &SanityConfig,
    mut out: String,
    scratch: &mut String,
) -> Chunk {
    let mut start = 0;
    let mut lines = 0;
    // Every line end, and the end of a last line without one (only the input's last part).
    let unterminated = bytes.last().is_some_and(|b| *b != b'\n');
    let tail = unterminated.then_some(bytes.len());
    // The whole part is checked at once (a vectorised check, a few times faster than line by
    // line); only a part that is not all UTF-8 is checked line by line, to name the line.
    let whole = simdutf8::basic::from_utf8(bytes).ok();
    for end in memchr::memchr_iter(b'\n', bytes).chain(tail) {
        let range = start..end;
        start = end + 1;
        let index = lines;
        lines += 1;
        let fail = |kind| Chunk {
            out: String::new(),
            lines: 0,
            error: Some(LineError { line: index, kind }),
        };
        // A line of a checked part ends at a `\n`, so on a character boundary.
        let line = match whole.and_then(|text| text.get(range.clone())) {
            Some(line) => Ok(line),
            None => std::str::from_utf8(&bytes[range]),
        };
        let line = match line.map(|line| line.strip_suffix('\r').unwrap_or(line)) {
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
