//! Shared helpers for the corpus tests: where the shared captures are, and the tshark oracle.
#![allow(dead_code)]

pub mod oracle;
pub mod synth;

use std::path::{Path, PathBuf};

/// `../shared/captures` relative to the workspace root.
pub fn corpus_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var_os("CONNSCOPE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("../shared/captures"),
    }
}

/// Every capture in the corpus, sorted; `None` (with a loud message) when the corpus is absent
/// outside CI. In CI (`CI=true`) a missing corpus fails the test.
pub fn corpus() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "corpus missing at {}: {e} (CI=true requires it)",
                    dir.display()
                );
            }
            eprintln!(
                "SKIPPED: shared capture corpus not found at {} ({e})",
                dir.display()
            );
            return None;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "expected the full corpus in {}, found {} captures",
        dir.display(),
        files.len()
    );
    Some(files)
}

pub fn stem(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.trim_end_matches(".pcapng")
        .trim_end_matches(".pcap")
        .to_string()
}

/// Analyses with a key log given first (as the page and the CLI do).
pub fn analyze_with_keys(path: &Path, keys: Option<&[u8]>) -> connscope_core::Report {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut a = connscope_core::Analyzer::new();
    if let Some(k) = keys {
        a.add_keylog(k);
    }
    a.feed(&bytes);
    a.finish()
}

pub fn analyze(path: &Path) -> connscope_core::Report {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    connscope_core::analyze_bytes(&bytes)
}
