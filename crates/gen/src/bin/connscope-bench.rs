//! `connscope-bench FILE [--chunk BYTES]`: runs the core on a capture once, single-threaded,
//! and prints one JSON object: time spent inside `Analyzer::feed` and `finish` (reading the file
//! is excluded; it should be in the page cache), both as wall time and as the thread's CPU time
//! (`/proc/thread-self/schedstat`, which other processes on a busy machine do not inflate),
//! wall time including reads, throughput, packets, peak RSS (`VmHWM`) and a few report counts.
//! `--feed-only` stops before `finish` (to profile the per-packet path). Used by `cargo xtask bench`.

use connscope_core::Analyzer;
use std::io::Read;
use std::time::{Duration, Instant};

fn vm_hwm_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of this thread in nanoseconds (Linux), 0 elsewhere.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut chunk = 4usize << 20;
    let mut feed_only = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--feed-only" => feed_only = true,
            "--chunk" => chunk = args.next().and_then(|v| v.parse().ok()).unwrap_or(chunk),
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: connscope-bench FILE [--chunk BYTES] [--feed-only]");
        std::process::exit(2);
    };
    let mut f = match std::fs::File::open(&file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("connscope-bench: {file}: {e}");
            std::process::exit(2);
        }
    };
    let rss_before = vm_hwm_kb();
    let wall = Instant::now();
    let mut analyzer = Analyzer::new();
    let mut buf = vec![0u8; chunk];
    let mut feed = Duration::ZERO;
    let mut feed_cpu = Duration::ZERO;
    let mut bytes = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("connscope-bench: {file}: {e}");
                std::process::exit(2);
            }
        };
        bytes += n as u64;
        let c = thread_cpu();
        let t = Instant::now();
        analyzer.feed(&buf[..n]);
        feed += t.elapsed();
        feed_cpu += thread_cpu().saturating_sub(c);
    }
    if feed_only {
        // For profiling the per-packet path alone: no report.
        let p = analyzer.progress();
        drop(analyzer);
        let out = serde_json::json!({
            "file_bytes": bytes, "packets": p.packets, "feed_seconds": feed.as_secs_f64(),
            "feed_cpu_seconds": feed_cpu.as_secs_f64(), "mb_per_s": bytes as f64 / 1e6 / feed_cpu.as_secs_f64(),
            "packets_per_s": p.packets as f64 / feed_cpu.as_secs_f64(), "peak_rss_kb": vm_hwm_kb(),
        });
        println!("{out}");
        return;
    }
    let c = thread_cpu();
    let t = Instant::now();
    let report = analyzer.finish();
    let finish = t.elapsed();
    let finish_cpu = thread_cpu().saturating_sub(c);
    let wall = wall.elapsed();
    let rss = vm_hwm_kb();
    let secs = (feed + finish).as_secs_f64();
    let cpu = (feed_cpu + finish_cpu).as_secs_f64();
    let packets = report.capture.packets;
    let tls = report
        .connections
        .iter()
        .filter(|c| {
            c.tls
                .as_ref()
                .is_some_and(|t| t.handshake.iter().any(|m| m.kind == "client_hello"))
        })
        .count();
    let http: u64 = report
        .connections
        .iter()
        .filter_map(|c| c.http.as_ref())
        .map(|h| h.requests.len() as u64 + h.requests_not_kept)
        .sum();
    let tcp = report
        .connections
        .iter()
        .filter(|c| c.transport == "tcp")
        .count();
    let out = serde_json::json!({
        "file": file,
        "file_bytes": bytes,
        "packets": packets,
        "core_seconds": secs,
        "feed_seconds": feed.as_secs_f64(),
        "finish_seconds": finish.as_secs_f64(),
        "core_cpu_seconds": cpu,
        "feed_cpu_seconds": feed_cpu.as_secs_f64(),
        "finish_cpu_seconds": finish_cpu.as_secs_f64(),
        "wall_seconds": wall.as_secs_f64(),
        "mb_per_s": bytes as f64 / 1e6 / secs,
        "packets_per_s": packets as f64 / secs,
        "peak_rss_kb": rss,
        "rss_at_start_kb": rss_before,
        "connections": report.connections.len(),
        "tcp_connections": tcp,
        "tls_handshakes": tls,
        "http_requests": http,
        "error": report.error.as_ref().map(|e| e.code.clone()),
    });
    println!("{out}");
}
