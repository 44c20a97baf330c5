//! Every input the fuzzers (`fuzz/`) ever found a problem with, replayed: no panic, a report
//! that serialises (and reads back, and renders as text), and the same report whatever the
//! chunking.
//!
//! The files live in `tests/fuzz_regressions/`, named `<target>-<short-name>.bin` after the
//! fuzz target whose input format they use:
//! - `tls-*`, `http1-*`: a stream script, turned into a one-connection pcap exactly as the
//!   target does it (the builder is the fuzz crate's own `fuzz/src/script.rs`, included below);
//! - `chunked-*`: a chunk plan followed by the capture;
//! - anything else (`analyzer-*`, `pcapng-*`): the capture itself.

#[path = "../../../fuzz/src/script.rs"]
mod script;

use connscope_core::{analyze_bytes, Analyzer, Report};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Findings reported but not fixed yet (see fuzz/README.md, "Findings"): their reports still
/// differ between chunkings. A panic or a report that does not serialise still fails. Remove
/// an entry once its fix lands (the test says so when a listed file passes).
const KNOWN_OPEN: &[(&str, &str)] = &[];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions")
}

/// A regression input as the analyzer sees it.
struct Case {
    capture: Vec<u8>,
    /// Given with `add_keylog` before the capture (stream scripts with `opt::KEYLOG`).
    keylog: Option<Vec<u8>>,
    /// Chunkings to compare against the whole input.
    plans: Vec<Vec<usize>>,
}

fn case_of(name: &str, bytes: &[u8]) -> Case {
    let mut plans = vec![vec![1], vec![7], vec![1500], vec![4096, 3, 65536]];
    if name.starts_with("chunked-") {
        let (plan, capture) = script::chunk_plan(bytes);
        plans.insert(0, plan);
        return Case {
            capture: capture.to_vec(),
            keylog: None,
            plans,
        };
    }
    let port = if name.starts_with("tls-") {
        443
    } else if name.starts_with("http1-") {
        80
    } else {
        return Case {
            capture: bytes.to_vec(),
            keylog: None,
            plans,
        };
    };
    let s = script::Script::parse(bytes);
    Case {
        capture: script::build_capture(&s, 50_000, port),
        keylog: s.keylog().map(<[u8]>::to_vec),
        plans,
    }
}

fn analyze(case: &Case, sizes: &[usize]) -> Report {
    let mut a = Analyzer::new();
    if let Some(k) = &case.keylog {
        a.add_keylog(k);
    }
    let bytes = &case.capture;
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

fn check_report(report: &Report) -> Result<String, String> {
    let json = serde_json::to_string(report).map_err(|e| format!("does not serialise: {e}"))?;
    serde_json::from_str::<Report>(&json).map_err(|e| format!("JSON does not read back: {e}"))?;
    let _ = connscope_core::report::text::render(report);
    Ok(json)
}

#[test]
fn fuzz_regressions_replay() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/fuzz_regressions exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir().display()
    );
    let mut failures = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let bytes = std::fs::read(f).expect("read regression input");
        let case = case_of(&name, &bytes);
        let known = KNOWN_OPEN.iter().find(|(n, _)| *n == name);
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
            let whole = match case.keylog {
                None => analyze_bytes(&case.capture),
                Some(_) => analyze(&case, &[usize::MAX]),
            };
            let whole_json = check_report(&whole)?;
            let mut same = true;
            for plan in &case.plans {
                let chunked = analyze(&case, plan);
                let chunked_json = check_report(&chunked)?;
                if chunked != whole && chunked_json != whole_json {
                    if known.is_none() {
                        return Err(format!("chunks {plan:?} give a different report"));
                    }
                    same = false;
                }
            }
            Ok(same)
        }));
        match outcome {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(Err(e)) => failures.push(format!("{name}: {e}")),
            Ok(Ok(same)) => match (known, same) {
                (Some((_, what)), false) => eprintln!("known open finding, still open: {name} ({what})"),
                (Some((_, what)), true) => eprintln!(
                    "{name} now gives the same report for every chunking: remove it from KNOWN_OPEN ({what})"
                ),
                _ => {}
            },
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions failing:\n{}",
        failures.join("\n")
    );
}
