//! Shared pieces of the fuzz targets: chunk boundaries taken from the input, the checks every
//! report must pass, and a tiny capture writer that wraps fuzz bytes as the payload of one
//! synthetic TCP connection (the `tls` and `http1` targets).
//!
//! Everything here is deterministic: the same input always builds the same capture, so a
//! crash file replays exactly (also from `crates/core/tests/fuzz_regressions.rs`).

use connscope_core::{Analyzer, Report};

pub mod script;
pub use script::*;

// ---------------------------------------------------------------------------------------------
// Chunking
// ---------------------------------------------------------------------------------------------

/// Feeds `bytes` to a fresh analyzer in chunks of the given sizes (cyclic).
pub fn feed_chunked(bytes: &[u8], sizes: &[usize]) -> Report {
    let mut a = Analyzer::new();
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = sizes[i % sizes.len()].max(1).min(bytes.len() - at);
        a.feed(&bytes[at..at + n]);
        at += n;
        i += 1;
    }
    a.finish()
}

// ---------------------------------------------------------------------------------------------
// Report checks
// ---------------------------------------------------------------------------------------------

/// What every report must survive: serde_json (the CLI's `--json` and the page's export),
/// a round trip back into `Report`, and the CLI text view.
pub fn check_report(report: &Report) -> String {
    let json = match serde_json::to_string(report) {
        Ok(j) => j,
        Err(e) => panic!("report does not serialise: {e}"),
    };
    if let Err(e) = serde_json::from_str::<Report>(&json) {
        panic!("report JSON does not read back: {e}");
    }
    let _ = connscope_core::report::text::render(report);
    json
}

/// Two reports of the same capture must be equal. `PartialEq` would call two NaNs different,
/// so a mismatch is confirmed on the JSON text before it counts as a finding.
pub fn assert_same_report(whole: &Report, other: &Report, what: &str) {
    if whole == other {
        return;
    }
    let a = serde_json::to_string_pretty(whole).unwrap_or_default();
    let b = serde_json::to_string_pretty(other).unwrap_or_default();
    if a == b {
        return;
    }
    let first_diff = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}: whole `{x}` vs {what} `{y}`", i + 1))
        .unwrap_or_else(|| "reports differ in length".to_string());
    panic!("{what} report differs from the whole-input report: {first_diff}");
}

/// `chunked`: the whole-input report against the report of the same bytes in chunks.
pub fn check_chunked(data: &[u8]) {
    let (sizes, capture) = chunk_plan(data);
    let whole = connscope_core::analyze_bytes(capture);
    let chunked = feed_chunked(capture, &sizes);
    assert_same_report(&whole, &chunked, "chunked");
}

/// The whole check of a stream target: build the capture, analyse it (with the script's key
/// log, if any), check the report.
pub fn run_stream(data: &[u8], client_port: u16, server_port: u16) {
    check_report(&stream_report(data, client_port, server_port));
}

/// The report of a stream script's capture.
pub fn stream_report(data: &[u8], client_port: u16, server_port: u16) -> Report {
    let script = Script::parse(data);
    let capture = build_capture(&script, client_port, server_port);
    let mut a = Analyzer::new();
    if let Some(keylog) = script.keylog() {
        a.add_keylog(keylog);
    }
    a.feed(&capture);
    a.finish()
}
