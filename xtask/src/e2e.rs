//! `cargo xtask e2e [--no-build] [NODE_TEST_ARGS...]`: the page's browser tests.
//!
//! Real parts only: Debian's Chromium (installed with apt-get when `/usr/bin/chromium` is
//! missing), driven by `playwright-core` (npm, `tests/e2e/package.json`; never a downloaded
//! browser), the real wasm build (`cargo xtask dist`), the real CLI as the oracle, real captures.
//!
//! Steps: prerequisites → `npm ci` in `tests/e2e` (also brings wasm-opt) → `dist/` → the CLI
//! (`cargo build --release -p connscope-cli`) → a 200 MB capture from `cargo xtask gen` (cached in
//! the target directory) → `dist/` served on 127.0.0.1 under the sub-path `/connscope/` →
//! `node --test tests/e2e/*.test.mjs`. Artifacts (screenshots, exports) go to
//! `tests/e2e/artifacts/`.
//!
//! The shared capture corpus is `../shared/captures` next to the repository (`CONNSCOPE_CORPUS`
//! overrides it); without it the corpus tests skip loudly, and fail when `CI=true`.

use crate::util::{root, run};
use crate::{dist, serve};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The generated capture for the load test: at least 200 MB, tens of thousands of connections.
const BIG_SIZE: u64 = 200_000_000;
const BIG_CONNECTIONS: u64 = 60_000;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !is_root() {
        return Err(format!(
            "missing {}: install them (apt-get install -y {}) or run as root",
            packages.join(", "),
            packages.join(" ")
        ));
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages))
}

fn has(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Chromium from Debian, Node.js and npm.
pub fn ensure_prerequisites() -> Result<(), String> {
    if !Path::new("/usr/bin/chromium").exists() {
        apt_install(&["chromium", "chromium-driver"])?;
    }
    if !has("node") || !has("npm") {
        apt_install(&["nodejs", "npm"])?;
    }
    Ok(())
}

/// `npm ci` (or `npm install` without a lock file) in `tests/e2e` when `node_modules` is missing.
pub fn ensure_node_modules() -> Result<(), String> {
    let dir = root().join("tests/e2e");
    if dir.join("node_modules/playwright-core").exists() {
        return Ok(());
    }
    let sub = if dir.join("package-lock.json").exists() {
        "ci"
    } else {
        "install"
    };
    run(Command::new("npm")
        .current_dir(&dir)
        .args([sub, "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))
}

fn build_cli() -> Result<PathBuf, String> {
    run(Command::new(dist::cargo()).current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "connscope-cli",
    ]))?;
    let exe = dist::target_dir()?.join("release").join("connscope");
    exe.exists()
        .then_some(exe.clone())
        .ok_or_else(|| format!("{} not built", exe.display()))
}

fn big_capture() -> Result<PathBuf, String> {
    let dir = dist::target_dir()?.join("e2e");
    let path = dir.join(format!(
        "generated-{}M-{}conn.pcap",
        BIG_SIZE / 1_000_000,
        BIG_CONNECTIONS
    ));
    let big_enough = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() >= BIG_SIZE)
            .unwrap_or(false)
    };
    if !big_enough(&path) || !crate::gen::truth_path(&path).exists() {
        // The generator ends "within a few percent" of its target: aim higher until the file
        // reaches 200 MB.
        let mut target = BIG_SIZE * 11 / 10;
        for _ in 0..4 {
            let mut cfg = connscope_gen::Config::new(target, connscope_gen::Format::Pcap);
            cfg.connections = Some(BIG_CONNECTIONS);
            crate::gen::write(&cfg, &path)?;
            if big_enough(&path) {
                break;
            }
            target = target * 11 / 10;
        }
    }
    if !big_enough(&path) {
        return Err(format!(
            "{}: the generator did not reach {BIG_SIZE} bytes",
            path.display()
        ));
    }
    Ok(path)
}

pub fn main(args: &[String]) -> Result<(), String> {
    let started = Instant::now();
    let mut build = true;
    let mut node_args: Vec<String> = Vec::new();
    for a in args {
        match a.as_str() {
            // Use the existing dist/ and CLI build (both must come from the same core).
            "--no-build" => build = false,
            "--help" | "-h" => {
                println!("usage: cargo xtask e2e [--no-build] [FILE.test.mjs...] [node --test options, e.g. --test-name-pattern=dark]");
                return Ok(());
            }
            _ => node_args.push(a.clone()),
        }
    }
    let root = root();
    ensure_prerequisites()?;
    ensure_node_modules()?;
    let opts = dist::Options::default();
    let dist_dir = if build { dist::build(&opts)? } else { opts.out };
    if !dist_dir.join("index.html").exists() {
        return Err(format!(
            "{} has no build: run without --no-build",
            dist_dir.display()
        ));
    }
    let cli = if build {
        build_cli()?
    } else {
        dist::target_dir()?.join("release").join("connscope")
    };
    let big = big_capture()?;
    let addr = serve::spawn(dist_dir.clone(), "/connscope/")?;
    let base = format!("http://{addr}/connscope/");
    eprintln!("e2e: serving {} at {base}", dist_dir.display());
    let e2e = root.join("tests/e2e");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&e2e)
        .map_err(|e| format!("{}: {e}", e2e.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    // `cargo xtask e2e sample.test.mjs` runs only the named files.
    let (named, node_args): (Vec<String>, Vec<String>) = node_args
        .into_iter()
        .partition(|a| a.ends_with(".test.mjs"));
    if !named.is_empty() {
        files.retain(|f| named.iter().any(|n| f.ends_with(n)));
    }
    let corpus = std::env::var("CONNSCOPE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/captures"));
    let mut cmd = Command::new("node");
    cmd.current_dir(&e2e)
        .arg("--test")
        .arg("--test-concurrency=1")
        .args(&node_args)
        .args(&files)
        .env("CONNSCOPE_BASE_URL", &base)
        .env("CONNSCOPE_CLI", &cli)
        .env("CONNSCOPE_BIG_CAPTURE", &big)
        .env("CONNSCOPE_CORPUS", &corpus)
        .env("CONNSCOPE_ROOT", &root);
    let result = run(&mut cmd);
    eprintln!("e2e: finished in {:.1} s", started.elapsed().as_secs_f64());
    result
}
