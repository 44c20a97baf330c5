//! `cargo xtask bench`: the benchmark of issue 5, from one generated capture.
//!
//! ```text
//! cargo xtask bench [--size 1G] [--format pcap|pcapng] [--connections N] [--seed S]
//!                   [--runs 3] [--browser] [--no-tshark] [--memory] [--update-doc]
//! ```
//! 1. Generates the capture (cached under `target/bench/` by its parameters).
//! 2. Builds `connscope-bench` (crates/gen, feature `bench`) and the `connscope` CLI in release.
//! 3. Native core, single thread: `connscope-bench FILE` times `Analyzer::feed` + `finish` only
//!    (the file is read from the page cache outside the timed part) and reports peak RSS
//!    (`VmHWM`); end to end: `connscope analyze FILE --json > /dev/null` under `/usr/bin/time`.
//! 4. `tshark -n -q -z conv,tcp -r FILE` (when tshark is installed) and the ratio.
//! 5. `--browser`: the page from `dist/` (built by `cargo xtask dist` if missing) in headless
//!    Chromium via playwright-core: the file goes through the page's file input to the real
//!    worker; the worker's `done` message gives the time, and the worker's wasm memory is read
//!    at the end.
//! 6. `--memory`: peak RSS for 100 MB / 1 GB / 2 GB captures with the same connection count,
//!    and a 2 GB capture with 100 k connections.
//!
//! Medians of `--runs` runs are printed; the same figures are written to
//! `target/bench/results.md` and, with `--update-doc`, into the generated sections of
//! `docs/benchmarks.md`.

use crate::gen::{parse_config, truth_path, write};
use crate::util::root;
use connscope_gen::{Config, Format};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask bench [--size 1G] [--format pcap|pcapng] [--connections N] [--seed S] [--runs 3] [--browser] [--no-tshark] [--memory] [--update-doc]";

/// Chromium flags for a quiet, offline headless run (see /work/shared/TOOLCHAIN.md).
const CHROMIUM_ARGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
const PLAYWRIGHT: &str = "playwright-core@1.65.1";

struct Opts {
    cfg: Config,
    runs: usize,
    browser: bool,
    tshark: bool,
    memory: bool,
    update_doc: bool,
}

pub fn main(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let mut cfg = Config::new(1 << 30, Format::Pcap);
    let mut rest = Vec::new();
    parse_config(args, &mut cfg, &mut rest)?;
    let mut o = Opts {
        cfg,
        runs: 3,
        browser: false,
        tshark: true,
        memory: false,
        update_doc: false,
    };
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                o.runs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a positive number")?
            }
            "--browser" => o.browser = true,
            "--no-tshark" => o.tshark = false,
            "--memory" => o.memory = true,
            "--update-doc" => o.update_doc = true,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let bins = build_release()?;

    let mut md = String::new();
    let mut results = json!({});
    if o.memory {
        let (m, j) = memory_section(&o, &dir, &bins)?;
        md.push_str(&m);
        results["memory"] = j;
    } else {
        let (m, j) = main_section(&o, &dir, &bins)?;
        md.push_str(&m);
        results["main"] = j;
    }
    println!("\n{md}");
    let md_path = dir.join("results.md");
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let json_path = dir.join("results.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    )
    .map_err(|e| format!("{}: {e}", json_path.display()))?;
    eprintln!("results: {} and {}", md_path.display(), json_path.display());
    if o.update_doc {
        let section = if o.memory { "memory" } else { "main" };
        update_doc(section, &md)?;
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                root().join(d)
            }
        }
        None => root().join("target"),
    }
}

struct Bins {
    bench: PathBuf,
    cli: PathBuf,
}

fn build_release() -> Result<Bins, String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root()).args([
        "build",
        "--release",
        "-p",
        "connscope-gen",
        "--features",
        "connscope-gen/bench",
        "--bin",
        "connscope-bench",
        "-p",
        "connscope-cli",
    ]);
    crate::util::run(&mut cmd)?;
    let rel = target_dir().join("release");
    Ok(Bins {
        bench: rel.join("connscope-bench"),
        cli: rel.join("connscope"),
    })
}

/// The capture for `cfg`, generated once and kept under `dir`.
fn capture(cfg: &Config, dir: &Path) -> Result<PathBuf, String> {
    let name = format!(
        "gen-v{}-{}-c{}-s{}.{}",
        connscope_gen::VERSION,
        human(cfg.target_bytes),
        cfg.planned_connections(),
        cfg.seed,
        cfg.format.name()
    );
    let path = dir.join(name);
    if path.exists() && truth_path(&path).exists() {
        eprintln!("using cached {}", path.display());
    } else {
        write(cfg, &path)?;
    }
    Ok(path)
}

fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "k"),
    ];
    for (n, u) in UNITS {
        if bytes >= n && bytes.is_multiple_of(n) {
            return format!("{}{u}", bytes / n);
        }
    }
    bytes.to_string()
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Reads the file once so that every timed run finds it in the page cache.
fn warm(p: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let mut buf = vec![0u8; 8 << 20];
    while f.read(&mut buf).map_err(|e| e.to_string())? > 0 {}
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed with {}", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One `connscope-bench` run.
fn native_run(bins: &Bins, file: &Path) -> Result<Value, String> {
    let out = output(Command::new(&bins.bench).arg(file))?;
    serde_json::from_str(out.trim()).map_err(|e| format!("connscope-bench output: {e}: {out}"))
}

fn f(v: &Value, k: &str) -> f64 {
    v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// How long a command took: wall and CPU (user + system) seconds, max RSS in KiB.
struct Timed {
    wall: f64,
    cpu: Option<f64>,
    rss_kb: Option<u64>,
}

/// Runs a command with stdout discarded, under `/usr/bin/time` when it exists.
fn timed(cmd: &mut Command) -> Result<Timed, String> {
    let time = Path::new("/usr/bin/time");
    let stats = std::env::temp_dir().join(format!("connscope-bench-time-{}", std::process::id()));
    let mut c = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f")
            .arg("%U %S %M")
            .arg("-o")
            .arg(&stats)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        c
    } else {
        let mut c = Command::new(cmd.get_program());
        c.args(cmd.get_args());
        c
    };
    c.stdout(Stdio::null()).stderr(Stdio::null());
    let t = Instant::now();
    let status = c.status().map_err(|e| format!("cannot start {c:?}: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("{c:?} failed with {status}"));
    }
    let line = std::fs::read_to_string(&stats)
        .ok()
        .and_then(|s| s.lines().last().map(str::to_string))
        .unwrap_or_default();
    let _ = std::fs::remove_file(&stats);
    let v: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| v.get(i).and_then(|x| x.parse::<f64>().ok());
    let cpu = num(0).zip(num(1)).map(|(u, s)| u + s);
    Ok(Timed {
        wall,
        cpu,
        rss_kb: num(2).map(|k| k as u64),
    })
}

/// Runs `cmd` `runs` times; medians of wall, CPU and max RSS.
fn timed_runs(
    label: &str,
    runs: usize,
    mut make: impl FnMut() -> Command,
) -> Result<Timed, String> {
    let mut wall = Vec::new();
    let mut cpu = Vec::new();
    let mut rss = Vec::new();
    for i in 0..runs {
        let t = timed(&mut make())?;
        eprintln!(
            "  {label} run {}: {:.3} s wall, {} CPU",
            i + 1,
            t.wall,
            t.cpu
                .map(|c| format!("{c:.3} s"))
                .unwrap_or_else(|| "?".into())
        );
        wall.push(t.wall);
        cpu.extend(t.cpu);
        rss.extend(t.rss_kb.map(|r| r as f64));
    }
    Ok(Timed {
        wall: median(wall),
        cpu: (!cpu.is_empty()).then(|| median(cpu)),
        rss_kb: (!rss.is_empty()).then(|| median(rss) as u64),
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn tool_version(cmd: &str, arg: &str) -> Option<String> {
    let out = Command::new(cmd)
        .arg(arg)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1048576.0))
        .unwrap_or_default();
    let rustc = tool_version("rustc", "--version").unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem} RAM; {rustc}")
}

fn gen_command(cfg: &Config) -> String {
    let mut s = format!(
        "--size {} --format {}",
        human(cfg.target_bytes),
        cfg.format.name()
    );
    if let Some(c) = cfg.connections {
        let _ = write!(s, " --connections {c}");
    }
    if cfg.seed != 1 {
        let _ = write!(s, " --seed {}", cfg.seed);
    }
    s
}

fn main_section(o: &Opts, dir: &Path, bins: &Bins) -> Result<(String, Value), String> {
    let file = capture(&o.cfg, dir)?;
    let truth = std::fs::read_to_string(truth_path(&file)).unwrap_or_default();
    let truth_get = |k: &str| {
        truth
            .lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('=')?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let bytes = file_len(&file);
    warm(&file)?;
    let load = loadavg();

    eprintln!(
        "native core: {} runs of connscope-bench {}",
        o.runs,
        file.display()
    );
    let mut native = Vec::new();
    for i in 0..o.runs {
        let r = native_run(bins, &file)?;
        eprintln!(
            "  run {}: feed {:.3} s ({:.3} s CPU), finish {:.3} s ({:.3} s CPU), peak RSS {} KiB",
            i + 1,
            f(&r, "feed_seconds"),
            f(&r, "feed_cpu_seconds"),
            f(&r, "finish_seconds"),
            f(&r, "finish_cpu_seconds"),
            f(&r, "peak_rss_kb")
        );
        native.push(r);
    }
    let med = |k: &str| median(native.iter().map(|r| f(r, k)).collect());
    let (core, core_cpu) = (med("core_seconds"), med("core_cpu_seconds"));
    let (feed, feed_cpu) = (med("feed_seconds"), med("feed_cpu_seconds"));
    let (finish, finish_cpu) = (med("finish_seconds"), med("finish_cpu_seconds"));
    let rss_kb = med("peak_rss_kb");
    let packets = f(&native[0], "packets");

    eprintln!(
        "end to end: {} runs of connscope analyze FILE --json",
        o.runs
    );
    let e2e = timed_runs("connscope analyze", o.runs, || {
        let mut c = Command::new(&bins.cli);
        c.arg("analyze").arg(&file).arg("--json");
        c
    })?;

    let tshark = if !o.tshark {
        Err("skipped (--no-tshark)".to_string())
    } else if Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        Err("tshark is not installed".to_string())
    } else {
        eprintln!(
            "tshark: {} runs of tshark -n -q -z conv,tcp -r FILE",
            o.runs
        );
        timed_runs("tshark", o.runs, || {
            let mut c = Command::new("tshark");
            c.args(["-n", "-q", "-z", "conv,tcp", "-r"]).arg(&file);
            c
        })
    };

    let browser = if o.browser {
        browser(&file, o.runs, dir)
    } else {
        Err("not requested (run with --browser)".to_string())
    };

    let mb = bytes as f64 / 1e6;
    let secs = |wall: f64, cpu: Option<f64>| match cpu {
        Some(c) => format!("{wall:.3} s / {c:.3} s"),
        None => format!("{wall:.3} s / ?"),
    };
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured {} at `{}` on {} (load average {load} at the start).",
        today(),
        revision(),
        machine()
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "```sh\ncargo xtask bench {} --runs {}{}{}\n```",
        gen_command(&o.cfg),
        o.runs,
        if o.browser { " --browser" } else { "" },
        if o.tshark { "" } else { " --no-tshark" }
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "Capture: `cargo xtask gen {} --out FILE` → {:.1} MB, {} packets, {} TCP connections ({} TLS handshakes, {} cleartext HTTP requests), {} DNS lookups.",
        gen_command(&o.cfg),
        mb,
        packets,
        truth_get("tcp_connections"),
        truth_get("tls_handshakes"),
        truth_get("http_requests"),
        truth_get("dns_lookups")
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "Medians of {} runs. Throughput and ratios use CPU time (user + system), which a busy machine inflates less than wall time.", o.runs);
    let _ = writeln!(md);
    let _ = writeln!(md, "| what | wall / CPU | throughput | note |");
    let _ = writeln!(md, "|---|---|---|---|");
    let _ = writeln!(
        md,
        "| native core, 1 thread: `feed` + `finish` | {} | **{:.0} MB/s**, {:.2} M packets/s | peak RSS {:.1} MiB |",
        secs(core, Some(core_cpu)),
        mb / core_cpu,
        packets / core_cpu / 1e6,
        rss_kb / 1024.0
    );
    let _ = writeln!(md, "| native core: `feed` only | {} | {:.0} MB/s, {:.2} M packets/s | framing, decoding, flows, reassembly, protocol parsers |", secs(feed, Some(feed_cpu)), mb / feed_cpu, packets / feed_cpu / 1e6);
    let _ = writeln!(
        md,
        "| native core: `finish` only | {} | | report building and explanations |",
        secs(finish, Some(finish_cpu))
    );
    let e2e_cpu = e2e.cpu.unwrap_or(e2e.wall);
    let _ = writeln!(
        md,
        "| `connscope analyze FILE --json > /dev/null` | {} | {:.0} MB/s | end to end: read + analyse + JSON{} |",
        secs(e2e.wall, e2e.cpu),
        mb / e2e_cpu,
        e2e.rss_kb.map(|r| format!("; max RSS {:.1} MiB", r as f64 / 1024.0)).unwrap_or_default()
    );
    let mut j = json!({
        "file": file.display().to_string(), "file_bytes": bytes, "packets": packets, "load_average": load,
        "core_seconds": core, "core_cpu_seconds": core_cpu, "feed_cpu_seconds": feed_cpu, "finish_cpu_seconds": finish_cpu,
        "peak_rss_kb": rss_kb, "core_mb_per_s": mb / core_cpu, "core_packets_per_s": packets / core_cpu,
        "e2e_seconds": e2e.wall, "e2e_cpu_seconds": e2e.cpu, "e2e_max_rss_kb": e2e.rss_kb, "runs": native,
    });
    match &tshark {
        Ok(t) => {
            let t_cpu = t.cpu.unwrap_or(t.wall);
            let _ = writeln!(
                md,
                "| `tshark -n -q -z conv,tcp -r FILE` ({}) | {} | {:.0} MB/s | the core is **{:.1}×** faster (`feed` alone {:.1}×, end to end {:.1}×){} |",
                tool_version("tshark", "--version").unwrap_or_default().trim_start_matches("TShark (Wireshark) ").split(' ').next().unwrap_or(""),
                secs(t.wall, t.cpu),
                mb / t_cpu,
                t_cpu / core_cpu,
                t_cpu / feed_cpu,
                t_cpu / e2e_cpu,
                t.rss_kb.map(|r| format!("; max RSS {:.0} MiB", r as f64 / 1024.0)).unwrap_or_default()
            );
            j["tshark_seconds"] = json!(t.wall);
            j["tshark_cpu_seconds"] = json!(t.cpu);
            j["tshark_ratio"] = json!(t_cpu / core_cpu);
        }
        Err(why) => {
            let _ = writeln!(md, "| tshark conv,tcp | not measured | | {why} |");
        }
    }
    match &browser {
        Ok(b) => {
            let s = b.ms / 1000.0;
            let _ = writeln!(
                md,
                "| in the page: headless Chromium {}, file input → worker (wasm) | {s:.3} s / – | {:.0} MB/s | **{:.0} %** of native core (wall){}; wasm memory at the end {} |",
                b.chromium,
                mb / s,
                100.0 * core / s,
                match (b.feed_ms, b.finish_ms) {
                    (Some(fe), Some(fi)) => format!(
                        "; read + `feed` {:.3} s ({:.0} MB/s, {:.0} % of native `feed`), `finish` + encoding {:.3} s",
                        fe / 1000.0,
                        mb / (fe / 1000.0),
                        100.0 * feed / (fe / 1000.0),
                        fi / 1000.0
                    ),
                    _ => String::new(),
                },
                b.wasm_bytes.map(|w| format!("{:.1} MiB", w as f64 / 1048576.0)).unwrap_or_else(|| "not reported".into())
            );
            j["browser_seconds"] = json!(s);
            j["browser_feed_seconds"] = json!(b.feed_ms.map(|x| x / 1000.0));
            j["browser_finish_seconds"] = json!(b.finish_ms.map(|x| x / 1000.0));
            j["browser_ratio"] = json!(core / s);
            j["wasm_memory_bytes"] = json!(b.wasm_bytes);
        }
        Err(why) => {
            let _ = writeln!(md, "| in the page (Chromium) | not measured | | {why} |");
            j["browser"] = json!(why);
        }
    }
    Ok((md, j))
}

fn memory_section(o: &Opts, dir: &Path, bins: &Bins) -> Result<(String, Value), String> {
    let conns = o.cfg.connections.unwrap_or(10_000);
    let mut plans: Vec<Config> = Vec::new();
    for size in [100u64 << 20, 1 << 30, 2 << 30] {
        let mut c = o.cfg.clone();
        c.target_bytes = size;
        c.connections = Some(conns);
        plans.push(c);
    }
    let mut big = o.cfg.clone();
    big.target_bytes = 2 << 30;
    big.connections = Some(100_000);
    plans.push(big);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured {} at `{}` on {} (load average {} at the start).",
        today(),
        revision(),
        machine(),
        loadavg()
    );
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "```sh\ncargo xtask bench --memory{}\n```",
        if o.cfg.format == Format::Pcapng {
            " --format pcapng"
        } else {
            ""
        }
    );
    let _ = writeln!(md);
    let _ = writeln!(md, "| capture (`cargo xtask gen ...`) | MB | packets | TCP conns | all conns | core CPU time | peak RSS (VmHWM) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for cfg in &plans {
        let file = capture(cfg, dir)?;
        warm(&file)?;
        eprintln!("memory: connscope-bench {}", file.display());
        let r = native_run(bins, &file)?;
        let _ = writeln!(
            md,
            "| `{}` | {:.0} | {} | {} | {} | {:.2} s (`finish` {:.2} s) | **{:.1} MiB** |",
            gen_command(cfg),
            f(&r, "file_bytes") / 1e6,
            f(&r, "packets"),
            f(&r, "tcp_connections"),
            f(&r, "connections"),
            f(&r, "core_cpu_seconds"),
            f(&r, "finish_cpu_seconds"),
            f(&r, "peak_rss_kb") / 1024.0
        );
        rows.push(r);
    }
    Ok((md, json!(rows)))
}

/// The commit measured (`+dirty` when the working tree differs).
fn revision() -> String {
    let rev =
        output(
            Command::new("git")
                .current_dir(root())
                .args(["rev-parse", "--short", "HEAD"]),
        )
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let dirty = Command::new("git")
        .current_dir(root())
        .args([
            "diff",
            "--quiet",
            "HEAD",
            "--",
            "crates/core",
            "crates/cli",
            "crates/gen",
        ])
        .status()
        .map(|s| !s.success())
        .unwrap_or(false);
    if dirty {
        format!("{rev}+dirty")
    } else {
        rev
    }
}

fn today() -> String {
    output(Command::new("date").args(["-u", "+%Y-%m-%d"]))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Replaces the text between `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`.
fn update_doc(name: &str, md: &str) -> Result<(), String> {
    let path = root().join("docs/benchmarks.md");
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let begin = format!("<!-- bench:{name}:begin -->");
    let end = format!("<!-- bench:{name}:end -->");
    let (Some(a), Some(b)) = (doc.find(&begin), doc.find(&end)) else {
        return Err(format!(
            "{}: markers {begin} / {end} not found",
            path.display()
        ));
    };
    let new = format!("{}{begin}\n{md}{}", &doc[..a], &doc[b..]);
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("updated {} ({name})", path.display());
    Ok(())
}

struct BrowserResult {
    ms: f64,
    /// From the first to the last progress message (reading the file + `feed`).
    feed_ms: Option<f64>,
    /// From the last progress message to `done` (`finish` + encoding the report for the page).
    finish_ms: Option<f64>,
    wasm_bytes: Option<u64>,
    chromium: String,
}

/// The in-page measurement; `Err` says why it could not be made.
fn browser(file: &Path, runs: usize, dir: &Path) -> Result<BrowserResult, String> {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return Err("Chromium is not installed (apt-get install chromium)".into());
    }
    let dist = root().join("dist");
    if !dist.join("index.html").exists() {
        eprintln!("browser: dist/index.html missing, trying `cargo xtask dist`");
        let ok = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root())
            .args(["xtask", "dist"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok || !dist.join("index.html").exists() {
            return Err(
                "the page is not built (`cargo xtask dist` failed or does not exist yet)".into(),
            );
        }
    }
    let node_dir = dir.join("node");
    if !node_dir.join("node_modules/playwright-core").exists() {
        std::fs::create_dir_all(&node_dir).map_err(|e| e.to_string())?;
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&node_dir)
            .arg(PLAYWRIGHT)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            return Err(format!("npm install {PLAYWRIGHT} failed"));
        }
    }
    let script = node_dir.join("bench-browser.mjs");
    std::fs::write(&script, BROWSER_JS).map_err(|e| e.to_string())?;
    let out = output(
        Command::new("node")
            .arg(&script)
            .arg(&dist)
            .arg(file)
            .arg(runs.to_string())
            .arg(CHROMIUM_ARGS.join(" "))
            .current_dir(&node_dir),
    )
    .map_err(|e| format!("browser driver: {e}"))?;
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or(""))
        .map_err(|e| format!("browser driver output: {e}: {out}"))?;
    if let Some(err) = v.get("error").and_then(Value::as_str) {
        return Err(format!("browser driver: {err}"));
    }
    let ms: Vec<f64> = v["runs"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["ms"].as_f64()).collect())
        .unwrap_or_default();
    if ms.is_empty() {
        return Err(format!("browser driver gave no timing: {out}"));
    }
    let wasm_bytes = v["runs"].as_array().and_then(|a| {
        a.iter()
            .filter_map(|r| r["wasm_memory_bytes"].as_u64())
            .max()
    });
    let med = |k: &str| {
        let xs: Vec<f64> = v["runs"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r[k].as_f64()).collect())
            .unwrap_or_default();
        (!xs.is_empty()).then(|| median(xs))
    };
    Ok(BrowserResult {
        ms: median(ms),
        feed_ms: med("feed_ms"),
        finish_ms: med("finish_ms"),
        wasm_bytes,
        chromium: v["version"].as_str().unwrap_or("").to_string(),
    })
}

/// The browser driver: serves `dist/`, loads the page in headless Chromium, gives the capture to
/// the page's file input, and reports the worker's `done` timing and its wasm memory size.
const BROWSER_JS: &str = r#"
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const [dist, file, runsArg, argsArg] = process.argv.slice(2);
const runs = Number(runsArg) || 1;
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json' };
const root = path.resolve(dist);
const server = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (p.endsWith('/')) p += 'index.html';
  const f = path.join(root, path.normalize(p));
  if (!f.startsWith(root)) { res.writeHead(403); res.end(); return; }
  fs.stat(f, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': types[path.extname(f)] || 'application/octet-stream', 'content-length': st.size });
    fs.createReadStream(f).pipe(res);
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const out = { runs: [], version: '' };
let browser;
try {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: argsArg.split(' ') });
  out.version = browser.version();
  for (let i = 0; i < runs; i++) {
    // No service worker (it would serve cached copies); the worker script gets a two-line
    // prologue that keeps a reference to the wasm memory it instantiates, to read its size.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    await context.route(/\/worker\.js(\?.*)?$/, async (route) => {
      const res = await route.fetch();
      const prologue = `for (const k of ['instantiate', 'instantiateStreaming']) { const f = WebAssembly[k];
        WebAssembly[k] = async function (...a) { const r = await f.apply(this, a); const i = r.instance || r;
          if (i.exports && i.exports.memory instanceof WebAssembly.Memory) self.__benchWasmMemory = i.exports.memory; return r; }; }\n`;
      await route.fulfill({ response: res, body: prologue + (await res.text()) });
    });
    const page = await context.newPage();
    const workers = [];
    page.on('worker', (w) => workers.push(w));
    await page.addInitScript(() => {
      const Real = window.Worker;
      window.__bench = { done: null, error: null, progress: 0 };
      window.Worker = class extends Real {
        constructor(...a) {
          super(...a);
          this.addEventListener('message', (e) => {
            const d = e.data;
            if (!d || typeof d !== 'object') return;
            const now = performance.now();
            if (d.type === 'progress') {
              window.__bench.progress = d.bytes;
              if (window.__bench.firstProgressAt == null) window.__bench.firstProgressAt = now;
              if (d.total != null && d.bytes >= d.total && window.__bench.lastProgressAt == null) window.__bench.lastProgressAt = now;
            }
            else if (d.type === 'error') window.__bench.error = String(d.message);
            else if (d.type === 'done') window.__bench.done = { ms: d.ms, connections: d.connections, at: now,
              wasm_memory_bytes: d.wasm_memory_bytes ?? d.memory_bytes ?? null };
          });
        }
      };
    });
    await page.goto(url, { waitUntil: 'load' });
    const input = await page.waitForSelector('input[type=file]', { state: 'attached', timeout: 30000 });
    const t0 = Date.now();
    await input.setInputFiles(file);
    await page.waitForFunction(() => window.__bench.done || window.__bench.error, null, { timeout: 0, polling: 250 });
    const wall = Date.now() - t0;
    const b = await page.evaluate(() => window.__bench);
    if (b.error) throw new Error(`the page reported: ${b.error}`);
    let wasm = b.done.wasm_memory_bytes;
    if (wasm == null) {
      // Look for the worker's WebAssembly.Memory among its globals (e.g. the module's exports).
      for (const w of workers) {
        const n = await w.evaluate(() => {
          for (const k of Object.getOwnPropertyNames(self)) {
            let v; try { v = self[k]; } catch { continue; }
            if (v instanceof WebAssembly.Memory) return v.buffer.byteLength;
            if (v && typeof v === 'object' && v.memory instanceof WebAssembly.Memory) return v.memory.buffer.byteLength;
          }
          return null;
        }).catch(() => null);
        if (n != null) wasm = Math.max(wasm ?? 0, n);
      }
    }
    // Reading + feed ends with the last progress message (all bytes); the rest is finish + encoding.
    const feed_ms = b.lastProgressAt != null && b.firstProgressAt != null ? b.lastProgressAt - b.firstProgressAt : null;
    const finish_ms = b.lastProgressAt != null ? b.done.at - b.lastProgressAt : null;
    out.runs.push({ ms: b.done.ms, wall_ms: wall, feed_ms, finish_ms, connections: b.done.connections, wasm_memory_bytes: wasm });
    console.error(`  browser run ${i + 1}: ${Math.round(b.done.ms)} ms in the worker (read + feed ${Math.round(feed_ms)} ms, finish + encode ${Math.round(finish_ms)} ms; ${wall} ms from the file input), wasm memory ${wasm}`);
    await context.close();
  }
} catch (e) {
  out.error = String(e && e.message || e).split('\n')[0];
} finally {
  if (browser) await browser.close();
  server.close();
}
console.log(JSON.stringify(out));
"#;
