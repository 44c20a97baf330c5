//! `cargo xtask fuzz`: coverage-guided fuzzing of the core with cargo-fuzz (libFuzzer + ASan).
//!
//! ```text
//! cargo xtask fuzz [SECONDS]                    every target, 300 s each by default
//! cargo xtask fuzz TARGET [SECONDS]             one target (analyzer chunked pcapng tls http1)
//! cargo xtask fuzz ... --asan                   AddressSanitizer build (about 4x slower)
//! cargo xtask fuzz ... -- -runs=0 ...           extra libFuzzer flags
//! cargo xtask fuzz seed                         rebuild fuzz/corpus/* from the captures
//! cargo xtask fuzz build [--asan]               build every target
//! ```
//!
//! cargo-fuzz needs nightly features; the stable toolchain provides them with
//! `RUSTC_BOOTSTRAP=1` (there is no nightly download here). Builds keep debug assertions and
//! overflow checks; the sanitizer is off by default (the core forbids `unsafe`, so what the
//! fuzzer hunts is panics, timeouts and memory growth, and it runs ~4x faster without ASan).
//! The fuzzer runs under `nice -n 10`, one process at a time. Findings land in
//! `fuzz/artifacts/TARGET/`.

use crate::util::{root, run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// (target, -max_len, dictionary under fuzz/dicts)
const TARGETS: &[(&str, usize, Option<&str>)] = &[
    ("analyzer", 64 * 1024, None),
    ("chunked", 64 * 1024, None),
    ("pcapng", 64 * 1024, None),
    ("tls", 20 * 1024, None),
    ("http1", 32 * 1024, Some("http1.dict")),
];

const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The shared captures (outside the repository) and the lab's captures.
fn captures() -> Vec<PathBuf> {
    let root = root();
    let shared = match std::env::var_os("CONNSCOPE_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("../shared/captures"),
    };
    let mut files = Vec::new();
    for dir in [shared, root.join("tests/lab/captures")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("xtask fuzz: no captures at {} (skipped)", dir.display());
            continue;
        };
        let mut here: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")
            })
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let ok = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        run(Command::new("cargo").args([
            "install",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ]))?;
    }
    Ok(())
}

fn cargo_fuzz() -> Command {
    let mut c = Command::new("nice");
    c.current_dir(root())
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["-n", "10", "cargo", "fuzz"]);
    c
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn stem(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("capture")
        .to_string()
}

/// Runs a tool that may be missing (editcap, gzip): `false` when it is absent or fails.
fn try_tool(cmd: &mut Command) -> bool {
    cmd.stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Fills `fuzz/corpus/<target>/` from the captures (the corpus directory is gitignored; the
/// shared captures are never copied into the repository itself).
fn seed() -> Result<(), String> {
    let corpus = fuzz_dir().join("corpus");
    let files = captures();
    if files.is_empty() {
        return Err("no captures found to seed from".into());
    }
    for (t, _, _) in TARGETS {
        std::fs::create_dir_all(corpus.join(t)).map_err(|e| e.to_string())?;
    }
    let tmp = fuzz_dir().join("target/seed-tmp");
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let mut n = [0usize; 3];
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let name = stem(f);
        // analyzer: the capture as it is.
        write(&corpus.join("analyzer").join(&name), &bytes)?;
        // chunked: two chunk plans in front of the capture (see connscope_fuzz::chunk_plan).
        for (i, plan) in [&[0x03u8, 0x00, 0x3f, 0x81][..], &[0x02, 0x0f, 0x88]]
            .iter()
            .enumerate()
        {
            let mut v = plan.to_vec();
            v.extend_from_slice(&bytes);
            write(&corpus.join("chunked").join(format!("{name}.plan{i}")), &v)?;
        }
        // pcapng: every capture, plus its pcapng conversion and gzip variant when the tools
        // are there (editcap from wireshark-common / tshark, gzip).
        write(&corpus.join("pcapng").join(&name), &bytes)?;
        n[0] += 1;
        let ng = tmp.join(format!("{name}.pcapng"));
        if !name.ends_with(".pcapng")
            && try_tool(
                Command::new("editcap")
                    .args(["-F", "pcapng"])
                    .arg(f)
                    .arg(&ng),
            )
        {
            let conv = std::fs::read(&ng).map_err(|e| e.to_string())?;
            write(
                &corpus.join("pcapng").join(format!("{name}.conv.pcapng")),
                &conv,
            )?;
            write(
                &corpus.join("analyzer").join(format!("{name}.conv.pcapng")),
                &conv,
            )?;
            n[1] += 1;
        }
        // A Decryption Secrets Block from the capture's key log, when it has one.
        let keys = f.with_extension("keys");
        let dsb = tmp.join(format!("{name}.dsb.pcapng"));
        if keys.exists()
            && try_tool(
                Command::new("editcap")
                    .args(["-F", "pcapng", "--inject-secrets"])
                    .arg(format!("tls,{}", keys.display()))
                    .arg(f)
                    .arg(&dsb),
            )
        {
            let conv = std::fs::read(&dsb).map_err(|e| e.to_string())?;
            write(
                &corpus.join("pcapng").join(format!("{name}.dsb.pcapng")),
                &conv,
            )?;
            write(
                &corpus.join("analyzer").join(format!("{name}.dsb.pcapng")),
                &conv,
            )?;
        }
        if bytes.len() < 32 * 1024 {
            let out = Command::new("gzip")
                .args(["-9", "-n", "-c"])
                .arg(f)
                .output();
            if let Ok(o) = out {
                if o.status.success() {
                    write(&corpus.join("pcapng").join(format!("{name}.gz")), &o.stdout)?;
                    write(
                        &corpus.join("analyzer").join(format!("{name}.gz")),
                        &o.stdout,
                    )?;
                    n[2] += 1;
                }
            }
        }
    }
    eprintln!(
        "xtask fuzz: {} captures seeded ({} pcapng conversions, {} gzip variants)",
        n[0], n[1], n[2]
    );
    // tls / http1: each TCP connection's payload as a stream script.
    let mut cmd = Command::new("cargo");
    cmd.current_dir(fuzz_dir())
        .args([
            "run",
            "--release",
            "--quiet",
            "--example",
            "stream_seeds",
            "--",
        ])
        .arg("--tls")
        .arg(corpus.join("tls"))
        .arg("--http1")
        .arg(corpus.join("http1"))
        .args(&files);
    run(&mut cmd)
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
}

struct Opts {
    asan: bool,
    /// Extra libFuzzer flags (after `--`).
    extra: Vec<String>,
}

fn sanitizer(opts: &Opts) -> [&'static str; 2] {
    ["--sanitizer", if opts.asan { "address" } else { "none" }]
}

fn run_target(
    target: &str,
    max_len: usize,
    dict: Option<&str>,
    seconds: u64,
    opts: &Opts,
) -> Result<(), String> {
    let corpus = fuzz_dir().join("corpus").join(target);
    if is_empty_dir(&corpus) {
        seed()?;
    }
    let mut cmd = cargo_fuzz();
    cmd.args(["run"])
        .args(sanitizer(opts))
        .arg(target)
        .arg(&corpus)
        .args([
            "--".to_string(),
            format!("-max_len={max_len}"),
            "-timeout=10".into(),
            "-rss_limit_mb=2048".into(),
            format!("-max_total_time={seconds}"),
            "-print_final_stats=1".into(),
        ]);
    if let Some(d) = dict {
        cmd.arg(format!(
            "-dict={}",
            fuzz_dir().join("dicts").join(d).display()
        ));
    }
    cmd.args(&opts.extra);
    run(&mut cmd)
}

pub fn main(args: &[String]) -> Result<(), String> {
    let (args, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let opts = Opts {
        asan: args.iter().any(|a| a == "--asan"),
        extra,
    };
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--asan")
        .collect();
    ensure_cargo_fuzz()?;
    let seconds = |s: Option<&&str>| -> Result<u64, String> {
        match s {
            None => Ok(300),
            Some(s) => s
                .parse()
                .map_err(|_| format!("seconds: `{s}` is not a number")),
        }
    };
    match words.first().copied() {
        Some("seed") => seed(),
        Some("build") => run(cargo_fuzz().arg("build").args(sanitizer(&opts))),
        Some(name) if TARGETS.iter().any(|t| t.0 == name) => {
            let (t, len, dict) = TARGETS
                .iter()
                .find(|t| t.0 == name)
                .copied()
                .unwrap_or(TARGETS[0]);
            run_target(t, len, dict, seconds(words.get(1))?, &opts)
        }
        first => {
            if let Some(w) = first {
                if w.parse::<u64>().is_err() {
                    return Err(format!(
                        "unknown fuzz target `{w}` (targets: {})",
                        TARGETS.iter().map(|t| t.0).collect::<Vec<_>>().join(" ")
                    ));
                }
            }
            let secs = seconds(first.as_ref())?;
            for (t, len, dict) in TARGETS {
                run_target(t, *len, *dict, secs, &opts)?;
            }
            Ok(())
        }
    }
}
