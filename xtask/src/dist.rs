//! `cargo xtask dist [--out DIR] [--dev]`: builds the static page into `dist/`.
//!
//! 1. Adds the wasm32 target when missing (a fresh machine).
//! 2. `cargo build -p connscope-app --bins --target wasm32-unknown-unknown --profile wasm-release`
//!    (the UI binary is built a second time with a size profile, see [`UI_PROFILE_CONFIG`]).
//! 3. wasm-bindgen (the pinned library, target `web`) for both binaries: `connscope_app.js` +
//!    `connscope_app_bg.wasm` (the page) and `connscope_worker.js` + `connscope_worker_bg.wasm`
//!    (the analysis worker).
//! 4. wasm-opt when available (npm `binaryen`, installed by `cargo xtask e2e` under
//!    `tests/e2e/node_modules`; optional): `-Oz` for the page, `-O3` for the worker.
//! 5. Copies `index.html`, `web/*`, and the lab captures (`tests/lab/captures/*.pcap`) into
//!    `dist/samples/` with an `index.json`; writes `sw.js` with the precache list and a content
//!    hash as the cache version.
//!
//! Every URL in the output is relative: `dist/` can be served from any sub-path.

use crate::util::{root, run};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
/// The page's wasm is built with this profile (defined here, on the command line, so the root
/// `Cargo.toml` stays untouched): size over speed, the UI does little computing. The worker keeps
/// `wasm-release` (opt-level 3): the analyzer's speed is what the user waits for.
const UI_PROFILE: &str = "wasm-ui";
const UI_PROFILE_CONFIG: [&str; 2] = [
    "profile.wasm-ui.inherits=\"wasm-release\"",
    "profile.wasm-ui.opt-level=\"s\"",
];

pub struct Options {
    pub out: PathBuf,
    /// Skip wasm-opt (faster builds while iterating).
    pub no_opt: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: root().join("dist"),
            no_opt: false,
        }
    }
}

pub fn main(args: &[String]) -> Result<(), String> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => opts.out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--no-opt" => opts.no_opt = true,
            "--help" | "-h" => {
                println!("usage: cargo xtask dist [--out DIR] [--no-opt]");
                return Ok(());
            }
            other => return Err(format!("dist: unknown option `{other}`")),
        }
    }
    build(&opts).map(|_| ())
}

/// The cargo target directory (honours `CARGO_TARGET_DIR` and cargo config).
pub fn target_dir() -> Result<PathBuf, String> {
    let out = Command::new(cargo())
        .current_dir(root())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata: no target_directory".into())
}

pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn cargo_build(bin: &str, profile: &str, config: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root());
    for c in config {
        cmd.args(["--config", c]);
    }
    cmd.args([
        "build",
        "-p",
        "connscope-app",
        "--bin",
        bin,
        "--target",
        TARGET,
        "--profile",
        profile,
    ]);
    run(&mut cmd)
}

/// Builds everything into `opts.out`; returns that directory.
pub fn build(opts: &Options) -> Result<PathBuf, String> {
    let root = root();
    crate::test::ensure_wasm_target()?;
    cargo_build("connscope-worker", PROFILE, &[])?;
    cargo_build("connscope-app", UI_PROFILE, &UI_PROFILE_CONFIG)?;
    let target = target_dir()?;
    let out = &opts.out;
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    fs::create_dir_all(out.join("samples")).map_err(|e| format!("{}: {e}", out.display()))?;

    let wasm_opt = if opts.no_opt { None } else { find_wasm_opt() };
    if wasm_opt.is_none() && !opts.no_opt {
        eprintln!("dist: wasm-opt not found (optional; `cargo xtask e2e` installs npm binaryen): the wasm stays as rustc made it");
    }
    for (bin, profile, level) in [
        ("connscope-app", UI_PROFILE, "-Oz"),
        ("connscope-worker", PROFILE, "-O3"),
    ] {
        let input = target
            .join(TARGET)
            .join(profile)
            .join(format!("{bin}.wasm"));
        let stem = bin.replace('-', "_");
        bindgen(&input, &stem, out)?;
        let wasm = out.join(format!("{stem}_bg.wasm"));
        if let Some(tool) = &wasm_opt {
            optimize(tool, &wasm, level)?;
        }
    }

    // Static files.
    copy(&root.join("index.html"), &out.join("index.html"))?;
    copy_dir(&root.join("web"), out)?;
    write_samples(&root.join("tests/lab/captures"), &out.join("samples"))?;
    write_service_worker(out)?;
    report_sizes(out)?;
    eprintln!("dist: wrote {}", out.display());
    Ok(out.clone())
}

fn bindgen(input: &Path, name: &str, out: &Path) -> Result<(), String> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(input)
        .out_name(name)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e:#}"))?
        .typescript(false)
        .debug(false)
        .remove_name_section(true)
        .remove_producers_section(true);
    b.generate(out)
        .map_err(|e| format!("wasm-bindgen {}: {e:#}", input.display()))
}

/// wasm-opt from `WASM_OPT`, the repository's npm installs, or `PATH` (only if it can read
/// today's rustc output: Debian's binaryen 108 cannot).
fn find_wasm_opt() -> Option<PathBuf> {
    let root = root();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("WASM_OPT") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(root.join("tests/e2e/node_modules/.bin/wasm-opt"));
    candidates.push(root.join("node_modules/.bin/wasm-opt"));
    candidates.push(PathBuf::from("wasm-opt"));
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                let v = String::from_utf8_lossy(&o.stdout).to_string();
                // "wasm-opt version 132 (...)"
                v.split_whitespace()
                    .nth(2)
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .is_some_and(|v| v >= 116)
    })
}

fn optimize(tool: &Path, wasm: &Path, level: &str) -> Result<(), String> {
    let tmp = wasm.with_extension("opt.wasm");
    let status = Command::new(tool)
        .arg(level)
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&tmp)
        .status()
        .map_err(|e| format!("{}: {e}", tool.display()))?;
    if !status.success() {
        eprintln!(
            "dist: wasm-opt failed on {} ({status}); keeping the unoptimised file",
            wasm.display()
        );
        let _ = fs::remove_file(&tmp);
        return Ok(());
    }
    fs::rename(&tmp, wasm).map_err(|e| format!("{}: {e}", wasm.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} → {}: {e}", from.display(), to.display()))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
            copy_dir(&path, &dest)?;
        } else {
            copy(&path, &dest)?;
        }
    }
    Ok(())
}

/// Titles for the lab scenarios (the description comes from the scenario's `expected.json`).
const SAMPLE_TITLES: &[(&str, &str)] = &[
    (
        "cert-warning-clickthrough",
        "Certificate warning: why several TLS connections for one page",
    ),
    (
        "h1-keepalive-30-images",
        "HTTP/1.1 keep-alive: 30 images over at most 6 connections",
    ),
    (
        "h1-connection-close-30-images",
        "Connection: close — one connection per request",
    ),
    ("h2-30-images", "HTTP/2: one multiplexed connection"),
    (
        "preconnect-other-host",
        "<link rel=preconnect> to other hosts",
    ),
    (
        "preconnect-h2-coalesced",
        "A preconnect made useless by HTTP/2 coalescing",
    ),
    (
        "preconnect-cross-site",
        "A cross-site preconnect in another socket pool",
    ),
    (
        "idle-timeout-refetch",
        "Server idle timeout, then new connections",
    ),
    (
        "http-basic-401",
        "HTTP 401 challenge on a keep-alive connection",
    ),
    (
        "http-basic-401-close",
        "HTTP 401 with Connection: close — the retry needs a new connection",
    ),
    (
        "http-basic-401-close-navigation",
        "HTTP 401 on navigation — the retry rides a spare preconnect",
    ),
    (
        "tls-resumption-reload",
        "TLS 1.3 session resumption on reload",
    ),
    ("plain-http-80", "Plain HTTP on port 80"),
];

fn write_samples(captures: &Path, out: &Path) -> Result<(), String> {
    let mut files: Vec<PathBuf> = fs::read_dir(captures)
        .map_err(|e| format!("{}: {e}", captures.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    files.sort();
    let order = |stem: &str| {
        SAMPLE_TITLES
            .iter()
            .position(|(s, _)| *s == stem)
            .unwrap_or(usize::MAX)
    };
    files.sort_by_key(|p| order(&p.file_stem().unwrap_or_default().to_string_lossy()));
    let mut index = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let stem = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        copy(f, &out.join(&name))?;
        let expected = captures.join(format!("{stem}.expected.json"));
        let description = fs::read(&expected)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["description"].as_str().map(String::from))
            .unwrap_or_default();
        let title = SAMPLE_TITLES
            .iter()
            .find(|(s, _)| *s == stem)
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| stem.clone());
        let bytes = fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let mut entry = serde_json::json!({ "file": name, "title": title, "description": description, "bytes": bytes });
        // The browser's key log from the lab run, so the sample can be opened decrypted.
        let keys = captures.join(format!("{stem}.keys"));
        if keys.is_file() {
            let keys_name = format!("{stem}.keys");
            copy(&keys, &out.join(&keys_name))?;
            entry["keys"] = serde_json::json!(keys_name);
        }
        index.push(entry);
    }
    let json = serde_json::to_string_pretty(&index).map_err(|e| e.to_string())?;
    fs::write(out.join("index.json"), json).map_err(|e| e.to_string())
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            walk(&path, base, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// FNV-1a, 64 bit: a stable content hash for the cache version (no dependency needed).
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= *b as u64;
        *hash = hash.wrapping_mul(0x100000001b3);
    }
}

fn write_service_worker(out: &Path) -> Result<(), String> {
    let sw = out.join("sw.js");
    let template = fs::read_to_string(&sw).map_err(|e| format!("{}: {e}", sw.display()))?;
    let mut files = Vec::new();
    walk(out, out, &mut files)?;
    files.retain(|f| f != "sw.js");
    files.sort();
    let mut hash = 0xcbf29ce484222325u64;
    for f in &files {
        fnv(&mut hash, f.as_bytes());
        fnv(
            &mut hash,
            &fs::read(out.join(f)).map_err(|e| e.to_string())?,
        );
    }
    let mut precache: Vec<String> = vec!["./".into()];
    precache.extend(files.iter().map(|f| format!("./{f}")));
    let text = template
        .replace("__CONNSCOPE_VERSION__", &format!("{hash:016x}"))
        .replace(
            "\"__CONNSCOPE_PRECACHE__\"",
            &serde_json::to_string(&precache).map_err(|e| e.to_string())?,
        );
    fs::write(&sw, text).map_err(|e| e.to_string())
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

fn report_sizes(out: &Path) -> Result<(), String> {
    let mut sizes = BTreeMap::new();
    for f in [
        "connscope_app_bg.wasm",
        "connscope_worker_bg.wasm",
        "connscope_app.js",
        "connscope_worker.js",
        "style.css",
    ] {
        if let Ok(b) = fs::read(out.join(f)) {
            sizes.insert(f, (b.len(), gzip_len(&b)));
        }
    }
    for (f, (raw, gz)) in &sizes {
        eprintln!("dist: {f:<26} {:>9} bytes ({:>8} gzip)", raw, gz);
    }
    Ok(())
}
