//! `crosspost render`: the bytes it writes and how it fails, for single values and for
//! `--ndjson` input large enough to be read, rendered and written in parts on several threads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/command.rs"]
mod command;

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

/// `crosspost render ARGS` with all three standard streams piped (run in a fresh folder,
/// which is returned to outlive the child).
fn spawn_render(args: &[&str]) -> (tempfile::TempDir, Child) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd: Command = command::crosspost(dir.path());
    let child = cmd
        .arg("render")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (dir, child)
}

fn render(args: &[&str], stdin: &[u8]) -> Output {
    let (_dir, mut child) = spawn_render(args);
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    // A child that stops early (at a bad line) need not read the rest of its input.
    assert!(
        written
            .as_ref()
            .map_or_else(|e| e.kind() == std::io::ErrorKind::BrokenPipe, |()| true),
        "writing the child's input: {written:?}"
    );
    out
}

/// Asserts that `out` is a failure whose message names line `line`, column `column`, and
/// returns what it wrote to standard output before it stopped.
fn failed_at(out: Output, line: usize, column: usize) -> String {
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("line {line}, column {column}")),
        "the error names the line and column: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A block whose text names its number, so a line out of order shows.
fn block(i: usize) -> String {
    format!(
        r#"[{{"_type":"block","_key":"k{i}","style":"normal","markDefs":[],"children":[{{"_type":"span","text":"post <{i}> \"quoted\"\ttab","marks":["strong"]}}]}}]"#
    )
}

/// What one line renders to, rendered on its own (the single-value mode).
fn expected_html(i: usize) -> String {
    format!("<p><strong>post &lt;{i}&gt; &quot;quoted&quot;\ttab</strong></p>")
}

#[test]
fn a_single_value_is_written_without_a_newline() {
    let out = render(&["--to", "html"], block(7).as_bytes());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected_html(7));
}

#[test]
fn ndjson_keeps_input_order_across_threads() {
    // About 1.3 MB: several parts of work, on every core there is.
    let n = 8_000;
    let input: String = (0..n).map(|i| block(i) + "\n").collect();
    assert!(input.len() > 1_000_000);
    let out = render(&["--to", "html", "--ndjson"], input.as_bytes());
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n);
    for (i, line) in lines.iter().enumerate() {
        let s: String = serde_json::from_str(line).unwrap();
        assert_eq!(s, expected_html(i), "output line {}", i + 1);
    }
    assert!(text.ends_with('\n'));
}

#[test]
fn ndjson_gives_the_same_output_on_any_number_of_threads() {
    // About 2.6 MB: parts for every thread.
    let input: String = (0..16_000).map(|i| block(i) + "\n").collect();
    let outputs: Vec<Vec<u8>> = ["1", "3"]
        .iter()
        .map(|n| {
            let out = render(
                &["--to", "html", "--ndjson", "--threads", n],
                input.as_bytes(),
            );
            assert!(out.status.success(), "{out:?}");
            out.stdout
        })
        .collect();
    assert_eq!(outputs[0], outputs[1]);
    let text = String::from_utf8(outputs[0].clone()).unwrap();
    assert_eq!(text.lines().count(), 16_000);
    // No input: the child refuses its arguments without reading any (a write could meet a
    // closed pipe).
    let refused = render(&["--to", "html", "--ndjson", "--threads", "0"], b"");
    assert!(!refused.status.success());
}

#[test]
fn ndjson_stops_at_the_first_bad_line_and_names_it() {
    let n = 6_000;
    // 1-based line numbers; only the first is reported. Column 31 is the `}` that ends the
    // array too early.
    let bad = [2_500, 4_000];
    let input: String = (1..=n)
        .map(|line| {
            if bad.contains(&line) {
                "[{\"_type\":\"block\",\"children\":[}\n".to_owned()
            } else {
                block(line) + "\n"
            }
        })
        .collect();
    let text = failed_at(
        render(&["--to", "html", "--ndjson"], input.as_bytes()),
        2500,
        31,
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        2_499,
        "every line before the bad one, nothing after"
    );
    let last: String = serde_json::from_str(lines[2_498]).unwrap();
    assert_eq!(last, expected_html(2_499));
}

/// Line numbers are counted by the writer, part by part, so a bad line deep in a large input
/// (many parts, blank lines among them, CRLF line ends) is still named exactly.
#[test]
fn ndjson_names_a_bad_line_many_parts_in() {
    let n = 40_000;
    let bad = 31_234;
    let mut input = String::new();
    for line in 1..=n {
        if line == bad {
            input.push_str("[{\"_type\":\"block\",\"children\":[}\r\n");
        } else if line % 1_000 == 0 {
            input.push_str("\r\n");
        } else {
            input.push_str(&block(line));
            input.push_str(if line % 2 == 0 { "\r\n" } else { "\n" });
        }
    }
    // Several parts of work.
    assert!(input.len() > 6_000_000);
    let text = failed_at(
        render(&["--to", "html", "--ndjson"], input.as_bytes()),
        bad,
        31,
    );
    let lines: Vec<&str> = text.lines().collect();
    // Every line before the bad one but the blank ones.
    assert_eq!(lines.len(), bad - 1 - (bad - 1) / 1_000);
    let last: String = serde_json::from_str(lines[lines.len() - 1]).unwrap();
    assert_eq!(last, expected_html(bad - 1));
}

/// `--bench` renders the whole input in memory on the clock: the same output as the streaming
/// mode, the time on standard error, and a bad line named the same way.
#[test]
fn ndjson_bench_writes_what_ndjson_writes_and_reports_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posts.ndjson");
    let path = path.to_str().unwrap();
    // Several parts, blank lines and CRLF line ends among them, the last line unterminated.
    let mut input = String::new();
    for line in 1..=30_000 {
        if line % 997 == 0 {
            input.push('\n');
        } else {
            input.push_str(&block(line));
            input.push_str(if line % 3 == 0 { "\r\n" } else { "\n" });
        }
    }
    input.push_str(&block(30_001));
    assert!(input.len() > 4_000_000);
    std::fs::write(path, &input).unwrap();
    let streamed = render(&["--to", "html", "--ndjson", path], b"");
    assert!(streamed.status.success(), "{streamed:?}");
    // Later passes render into the memory of the pass before: their outputs must be whole.
    for (threads, passes) in [("1", 1), ("3", 1), ("3", 3)] {
        let out = render(
            &[
                "--to",
                "html",
                "--ndjson",
                "--bench",
                "--threads",
                threads,
                "--passes",
                &passes.to_string(),
                path,
            ],
            b"",
        );
        assert!(out.status.success(), "{out:?}");
        assert!(
            out.stdout == streamed.stdout,
            "--bench --threads {threads} --passes {passes}"
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(report["lines"], 30_001, "{report}");
        let times: Vec<f64> = report["passes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .collect();
        assert_eq!(times.len(), passes, "{report}");
        assert!(times.iter().all(|t| *t > 0.0), "{report}");
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(report["seconds"].as_f64(), Some(best), "{report}");
    }
    let text = String::from_utf8(streamed.stdout).unwrap();
    assert_eq!(text.lines().count(), 30_001 - 30_000 / 997);

    // A bad line deep in: named as the streaming mode names it, nothing after it written.
    let bad = 21_000;
    let mut broken: Vec<&str> = input.split('\n').collect();
    broken[bad - 1] = "[{\"_type\":\"block\",\"children\":[}";
    std::fs::write(path, broken.join("\n")).unwrap();
    for passes in ["1", "2"] {
        let written = failed_at(
            render(
                &[
                    "--to", "html", "--ndjson", "--bench", "--passes", passes, path,
                ],
                b"",
            ),
            bad,
            31,
        );
        assert_eq!(written.lines().count(), bad - 1 - (bad - 1) / 997);
        assert!(text.starts_with(&written));
    }

    // Only with --ndjson; --passes only with --bench, and at least one.
    for args in [
        &["--to", "html", "--bench", path][..],
        &["--to", "html", "--ndjson", "--passes", "2", path],
        &["--to", "html", "--ndjson", "--bench", "--passes", "0", path],
    ] {
        let refused = render(args, b"");
        assert!(!refused.status.success(), "{args:?}");
        assert!(refused.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_small_ndjson_input_stops_at_its_bad_line_too() {
    // One part; a blank line is skipped but still counted.
    let input = format!(
        "{}\n\n[{{\"_type\":\"block\",\"children\":[}}\n{}\n",
        block(1),
        block(4)
    );
    let text = failed_at(
        render(&["--to", "html", "--ndjson"], input.as_bytes()),
        3,
        31,
    );
    let first: String = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(first, expected_html(1));
}

/// A one-block line whose span text is `text` (plain letters: nothing to escape).
fn block_with_text(text: &str) -> String {
    format!(
        r#"[{{"_type":"block","_key":"b","style":"normal","markDefs":[],"children":[{{"_type":"span","text":"{text}","marks":[]}}]}}]"#
    )
}

#[test]
fn ndjson_reads_lines_longer_than_a_part_crlf_and_a_last_line_without_newline() {
    // Parts are 1 MiB: the 3 MB line is read across several reads and must stay whole.
    let long = "x".repeat(3_000_000);
    let input = format!(
        "{}\r\n{}\r\n{}\n{}",
        block(1),
        block_with_text(&long),
        block(3),
        block(4)
    );
    let out = render(&["--to", "html", "--ndjson"], input.as_bytes());
    assert!(
        out.status.success(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected = [
        expected_html(1),
        format!("<p>{long}</p>"),
        expected_html(3),
        expected_html(4),
    ];
    assert_eq!(lines, expected);
}

#[test]
fn ndjson_names_the_first_line_that_is_not_utf8() {
    // Several parts; the bad byte sits on line 5,000, its 12th byte.
    let mut input = Vec::new();
    for line in 1..=6_000 {
        let mut bytes = block(line).into_bytes();
        if line == 5_000 {
            bytes[11] = 0xff;
        }
        input.extend_from_slice(&bytes);
        input.push(b'\n');
    }
    let out = render(&["--to", "html", "--ndjson"], &input);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("line 5000 is not UTF-8 (byte 12 of the line)"),
        "{stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 4_999);
}

/// A program can keep `crosspost render --ndjson` running as a helper: write a line, read its
/// answer, write the next. Each answer has to come while the input stays open, not once a
/// part's worth of input (or the end of it) has arrived.
#[test]
fn ndjson_answers_each_line_while_the_input_stays_open() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    let (_dir, mut child) = spawn_render(&["--to", "html", "--ndjson"]);
    let mut input = child.stdin.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    for i in 0..3 {
        input.write_all((block(i) + "\n").as_bytes()).unwrap();
        input.flush().unwrap();
        // Generous for a loaded machine; a reader that waits for more input never answers.
        let answer = rx.recv_timeout(Duration::from_secs(20));
        if answer.is_err() {
            child.kill().unwrap();
        }
        let answer = answer.expect("no answer while the input stays open");
        let expected: String = serde_json::to_string(&expected_html(i)).unwrap();
        assert_eq!(answer, expected);
    }
    drop(input);
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(
        rx.recv_timeout(Duration::from_secs(20)).is_err(),
        "nothing more after the end"
    );
}

/// When nobody reads the output, `--ndjson` stops reading its input after a few parts instead
/// of rendering everything into memory: a slow consumer holds back the whole pipeline.
#[test]
fn ndjson_reads_no_further_than_a_few_parts_ahead_of_its_reader() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    // Parts of at most 1 MiB (plus the rest of a short line) in flight, with `w` worker
    // threads: one blocked writing its part, the others blocked waiting to write theirs,
    // none reading further: w parts, and the pipes' buffers. Allow 2w + 2, and offer twice
    // that.
    let w = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mib = 1024 * 1024;
    let bound = (2 * w + 2) * mib;
    let (_dir, mut child) = spawn_render(&["--to", "html", "--ndjson"]);
    let mut input = child.stdin.take().unwrap();
    let line = block(1) + "\n";
    let piece: String = line.repeat(64 * 1024 / line.len() + 1);
    let pieces = 2 * bound / piece.len() + 1;
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let writer = std::thread::spawn(move || {
        for _ in 0..pieces {
            if input.write_all(piece.as_bytes()).is_err() {
                return;
            }
            counter.fetch_add(piece.len(), Ordering::Relaxed);
        }
    });
    // Nothing reads the output. Give the child ample time to take all it will take.
    std::thread::sleep(Duration::from_secs(3));
    let taken = accepted.load(Ordering::Relaxed);
    child.kill().unwrap();
    child.wait().unwrap();
    writer.join().unwrap();
    assert!(
        taken < bound,
        "took {taken} bytes of input (allowed {bound}) while its output was not read"
    );
}

/// Like other command-line tools, `--ndjson` stops when its output is closed (`| head -1`),
/// even while its input goes on, and exits successfully.
#[test]
fn ndjson_stops_when_its_output_is_closed() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    let (_dir, mut child) = spawn_render(&["--to", "html", "--ndjson"]);
    let mut input = child.stdin.take().unwrap();
    // An endless input: lines until the child stops taking them.
    let feeder = std::thread::spawn(move || {
        let piece = (block(1) + "\n").repeat(100);
        while input.write_all(piece.as_bytes()).is_ok() {}
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first.trim_end(),
        serde_json::to_string(&expected_html(1)).unwrap()
    );
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    feeder.join().unwrap();
    let status = status.expect("still running 20 s after its output was closed");
    assert!(status.success(), "{status:?}");
}

/// A read error (here: the input is a folder) is reported with the input's name, after the
/// output of every part read before it, and the exit status says it failed.
#[test]
fn ndjson_reports_a_read_error_with_the_input_name() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("posts");
    std::fs::create_dir(&folder).unwrap();
    let folder = folder.to_str().unwrap();
    let out = render(&["--to", "html", "--ndjson", folder], b"");
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{folder}: cannot read input")),
        "{stderr}"
    );
}

/// A part that is slow to render holds back the workers that render ahead of it: they stop
/// reading after a few parts instead of rendering the rest of the input into memory. The
/// first line here takes the general path with a large text full of escapes (a long time to
/// render); the lines after it are quick. How far the input was read is the read position of
/// the input file, from `/proc`.
#[cfg(target_os = "linux")]
#[test]
fn ndjson_renders_no_more_than_a_few_parts_ahead_of_a_slow_one() {
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow-first.ndjson");
    let slow = format!(
        r#"[{{"_type":"block","_key":"k","children":[{{"_type":"span","text":"{}"}}]}}]"#,
        "a&\\n".repeat(2_000_000)
    );
    let quick = block(1) + "\n";
    let rest = quick.repeat(24 * 1024 * 1024 / quick.len());
    std::fs::write(&path, format!("{slow}\n{rest}")).unwrap();
    let (_cwd, mut child) = spawn_render(&["--to", "html", "--ndjson", path.to_str().unwrap()]);
    // The output is never read: once the slow part is rendered, its writer waits too.
    std::thread::sleep(Duration::from_secs(2));
    let fds = format!("/proc/{}/fd", child.id());
    let input_fd = std::fs::read_dir(&fds)
        .unwrap()
        .filter_map(Result::ok)
        .find(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
        .map(|fd| fd.file_name());
    let fdinfo = input_fd.map(|fd| {
        std::fs::read_to_string(format!(
            "/proc/{}/fdinfo/{}",
            child.id(),
            fd.to_string_lossy()
        ))
        .unwrap_or_default()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let fdinfo = fdinfo.expect("the input file is open while its lines are rendered");
    let pos: usize = fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("pos:"))
        .and_then(|p| p.trim().parse().ok())
        .expect("a read position");
    let w = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The slow line, and for each worker its own part and as many waiting (the limit is one
    // waiting part per worker), with room to spare.
    let bound = slow.len() + (3 * w + 2) * 1024 * 1024;
    assert!(
        pos < bound,
        "read {pos} bytes of {} (allowed {bound}) while the first part was still being rendered",
        slow.len() + 1 + rest.len()
    );
}
