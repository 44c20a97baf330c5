//! Replays saved inputs through a target's checks without libFuzzer, timing each one:
//! `cargo run --release --example replay -- TARGET FILE_OR_DIR...`
//!
//! TARGET: analyzer, chunked, pcapng (analysed as a capture), tls, http1; or dump, dump-tls,
//! dump-http1 to print the report as JSON. Prints inputs slower than 100 ms and the total.
//! A panic is the finding, as in the fuzzer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, to spot inputs that make the core allocate far
/// more than their own size.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// `REPLAY_BIG_ALLOC=BYTES`: print a backtrace for every single allocation at least that big.
static BIG: AtomicUsize = AtomicUsize::new(usize::MAX);
thread_local! {
    static IN_HOOK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn big_alloc(size: usize) {
    if size < BIG.load(Relaxed) || IN_HOOK.with(|h| h.replace(true)) {
        return;
    }
    eprintln!(
        "allocation of {size} bytes:\n{}",
        std::backtrace::Backtrace::force_capture()
    );
    IN_HOOK.with(|h| h.set(false));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        big_alloc(l.size());
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        big_alloc(new);
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + (new - l.size());
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn run(target: &str, data: &[u8]) {
    match target {
        "analyzer" | "pcapng" => {
            let r = connscope_core::analyze_bytes(data);
            connscope_fuzz::check_report(&r);
        }
        "chunked" => connscope_fuzz::check_chunked(data),
        "tls" => connscope_fuzz::run_stream(data, 50_000, 443),
        "http1" => connscope_fuzz::run_stream(data, 50_000, 80),
        // Print the report as JSON instead of checking it.
        "dump-tls" | "dump-http1" => {
            let port = if target == "dump-tls" { 443 } else { 80 };
            let r = connscope_fuzz::stream_report(data, 50_000, port);
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        }
        // The analysis alone (no report checks): for time and memory measurements.
        "bare" => {
            let _ = connscope_core::analyze_bytes(data);
        }
        "dump" => {
            let r = connscope_core::analyze_bytes(data);
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        }
        other => panic!("unknown target {other}"),
    }
}

fn main() {
    if let Some(n) = std::env::var("REPLAY_BIG_ALLOC")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        BIG.store(n, Relaxed);
    }
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE_OR_DIR...");
    let mut files: Vec<PathBuf> = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        match std::fs::read_dir(&p) {
            Ok(d) => files.extend(d.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) => files.push(p),
        }
    }
    files.sort();
    let (mut total, mut slowest) = (Duration::ZERO, (Duration::ZERO, PathBuf::new()));
    let mut biggest = (0usize, 0usize, PathBuf::new());
    for f in &files {
        // (A running fuzzer may delete corpus files meanwhile.)
        let Ok(data) = std::fs::read(f) else { continue };
        let base = LIVE.load(Relaxed);
        PEAK.store(base, Relaxed);
        let t = Instant::now();
        run(&target, &data);
        let d = t.elapsed();
        let peak = PEAK.load(Relaxed).saturating_sub(base);
        if peak > biggest.0 {
            biggest = (peak, data.len(), f.clone());
        }
        if peak > 64 << 20 {
            println!(
                "BIG  {:>8.1} MiB peak heap  {} ({} bytes)",
                peak as f64 / 1048576.0,
                f.display(),
                data.len()
            );
        }
        total += d;
        if d > Duration::from_millis(100) {
            println!(
                "SLOW {:>8.1} ms  {} ({} bytes)",
                d.as_secs_f64() * 1e3,
                f.display(),
                data.len()
            );
        }
        if d > slowest.0 {
            slowest = (d, f.clone());
        }
    }
    println!(
        "{target}: {} inputs in {:.2} s ({:.3} ms mean); slowest {:.1} ms: {}",
        files.len(),
        total.as_secs_f64(),
        total.as_secs_f64() * 1e3 / files.len().max(1) as f64,
        slowest.0.as_secs_f64() * 1e3,
        slowest.1.display()
    );
    println!(
        "{target}: largest peak heap {:.2} MiB for a {}-byte input: {}",
        biggest.0 as f64 / 1048576.0,
        biggest.1,
        biggest.2.display()
    );
}
