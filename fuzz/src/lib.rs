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

// ---------------------------------------------------------------------------------------------
// Known open findings
// ---------------------------------------------------------------------------------------------

/// `CONNSCOPE_FUZZ_STRICT=1` turns the masks below off (to check whether a fix landed).
pub fn strict() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("CONNSCOPE_FUZZ_STRICT").is_some_and(|v| v != "0"))
}

/// Hides the differences of findings already reported and not yet fixed (fuzz/README.md,
/// "Findings"), so the fuzzer can look past them. Each mask names its finding. Returns `false`
/// when the report cannot be compared at all.
pub fn mask_known(report: &mut Report) -> bool {
    if strict() {
        return true;
    }
    // F2: on corrupt gzip data, what was decompressed before the corrupt bytes reaches the
    // framer or not depending on the chunking.
    if report.error.as_ref().is_some_and(|e| e.code == "gzip") {
        return false;
    }
    // F1: after a read error, `capture.file_bytes` counts the bytes of the chunk the error
    // was found in, so it depends on the chunking.
    if report.error.is_some() {
        report.capture.file_bytes = 0;
    }
    true
}

/// F3: a corrupt block or record header completed in the carry buffer by the very last chunk is
/// reported as `truncated` (at finish) instead of `corrupt`. `false` when two reports differ
/// that way (and the masks are on).
pub fn comparable_errors(whole: &Report, chunked: &Report) -> bool {
    if strict() {
        return true;
    }
    let code = |r: &Report| r.error.as_ref().map(|e| e.code.clone());
    !matches!(
        (code(whole).as_deref(), code(chunked).as_deref()),
        (Some("corrupt"), Some("truncated")) | (Some("truncated"), Some("corrupt"))
    )
}

/// `chunked`: the whole-input report against the report of the same bytes in chunks.
pub fn check_chunked(data: &[u8]) {
    let (sizes, capture) = chunk_plan(data);
    let mut whole = connscope_core::analyze_bytes(capture);
    let mut chunked = feed_chunked(capture, &sizes);
    // Both masks run (each may normalise its report) before deciding.
    let (a, b) = (mask_known(&mut whole), mask_known(&mut chunked));
    if a && b && comparable_errors(&whole, &chunked) {
        assert_same_report(&whole, &chunked, "chunked");
    }
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
