//! The explanation engine against the lab's ground truth: for every connection in the project's
//! own captures (real Chromium + nginx, tests/lab), the cause the engine finds from the capture
//! alone (no keys) against the cause Chromium's NetLog supports. Prints the per-scenario table and
//! requires at least 95 % agreement overall.

use serde_json::Value;
use std::path::PathBuf;

fn lab_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures")
}

struct Row {
    scenario: String,
    stream: u64,
    expected: String,
    got: String,
    headline: String,
}

fn rows(with_keys: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(lab_dir())
        .expect("tests/lab/captures is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "lab scenarios missing");
    for f in files {
        let expected: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let scenario = expected["scenario"].as_str().unwrap().to_string();
        let capture = lab_dir().join(expected["capture"].as_str().unwrap());
        let mut analyzer = connscope_core::Analyzer::new();
        if with_keys {
            analyzer.add_keylog(
                &std::fs::read(lab_dir().join(expected["keylog"].as_str().unwrap())).unwrap(),
            );
        }
        analyzer.feed(&std::fs::read(&capture).unwrap());
        let report = analyzer.finish();
        for c in expected["connections"].as_array().unwrap() {
            let port = c["client_port"].as_u64().unwrap() as u16;
            // QUIC sessions (scenario quic-*) are keyed by their UDP port.
            let transport = c["transport"].as_str().unwrap_or("tcp");
            let ours = report
                .connections
                .iter()
                .find(|r| r.transport == transport && r.client.port == port);
            let (got, headline) = match ours.and_then(|r| r.explanation.as_ref()) {
                Some(e) => (e.cause.to_string(), e.headline.clone()),
                None => ("(missing)".into(), String::new()),
            };
            rows.push(Row {
                scenario: scenario.clone(),
                stream: c["tcp_stream"]
                    .as_u64()
                    .or(c["udp_stream"].as_u64())
                    .unwrap_or(0),
                expected: c["cause"].as_str().unwrap().to_string(),
                got,
                headline,
            });
        }
    }
    rows
}

#[test]
fn lab_causes_agree_with_netlog() {
    table(false);
}

/// The same with the browser's key log: the requests themselves are visible (a 401 among them).
#[test]
fn lab_causes_agree_with_netlog_with_keys() {
    table(true);
}

fn table(with_keys: bool) {
    let rows = rows(with_keys);
    println!(
        "\n{}",
        if with_keys {
            "with the key log:"
        } else {
            "without keys:"
        }
    );
    let mut scenarios: Vec<String> = rows.iter().map(|r| r.scenario.clone()).collect();
    scenarios.dedup();
    println!("| scenario | connections | agree | disagreements (stream: NetLog → connscope) |");
    println!("|---|---:|---:|---|");
    for s in &scenarios {
        let mine: Vec<&Row> = rows.iter().filter(|r| &r.scenario == s).collect();
        let ok = mine.iter().filter(|r| r.expected == r.got).count();
        let bad: Vec<String> = mine
            .iter()
            .filter(|r| r.expected != r.got)
            .map(|r| format!("#{}: {} → {}", r.stream, r.expected, r.got))
            .collect();
        println!("| {s} | {} | {ok} | {} |", mine.len(), bad.join("; "));
    }
    let agree = rows.iter().filter(|r| r.expected == r.got).count();
    let pct = 100.0 * agree as f64 / rows.len() as f64;
    println!("\ntotal: {agree}/{} = {pct:.1} %", rows.len());
    for r in rows.iter().filter(|r| r.expected != r.got) {
        println!(
            "  {} #{}: expected {}, got {} ({})",
            r.scenario, r.stream, r.expected, r.got, r.headline
        );
    }
    assert!(pct >= 95.0, "agreement {pct:.1} % is below 95 %");
}
