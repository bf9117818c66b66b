//! Single-threaded renderer throughput over an NDJSON corpus (one Portable Text value per line).
//!
//! `cargo run --release -p portable-text --example throughput -- CORPUS.ndjson [FORMAT...]`

use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use portable_text::{render_str, Format, SanityConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: throughput CORPUS.ndjson [FORMAT...]");
        std::process::exit(2);
    };
    let input = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let mut formats: Vec<Format> = args.filter_map(|a| a.parse().ok()).collect();
    if formats.is_empty() {
        formats = vec![Format::Html, Format::Markdown, Format::Text];
    }
    let sanity = SanityConfig::default();
    let lines: Vec<&str> = input.lines().filter(|l| !l.trim().is_empty()).collect();
    for f in formats {
        let start = Instant::now();
        let mut bytes = 0usize;
        let mut errors = 0usize;
        for l in &lines {
            match render_str(l, f, &sanity) {
                Ok(s) => bytes += s.len(),
                Err(_) => errors += 1,
            }
        }
        let t = start.elapsed().as_secs_f64();
        println!(
            "{f}: {t:.3} s, {:.0} MB/s in, {} docs, {bytes} bytes out, {errors} errors",
            input.len() as f64 / t / 1e6,
            lines.len()
        );
    }
}
