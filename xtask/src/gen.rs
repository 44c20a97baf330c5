//! `cargo xtask gen`: writes a deterministic, realistic capture (see `crates/gen`).
//!
//! ```text
//! cargo xtask gen --size 200M --format pcap|pcapng [--connections N] [--seed S]
//!                 [--clients N] [--hosts N] [--concurrency N] --out FILE
//! ```
//! Prints what the file holds (the generator's ground truth) and writes it next to the file as
//! `FILE.truth` (`key=value` lines).

use connscope_gen::{generate, parse_size, Config, Format, Stats};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const USAGE: &str = "usage: cargo xtask gen --size 200M --format pcap|pcapng [--connections N] [--seed S] [--clients N] [--hosts N] [--concurrency N] --out FILE";

/// Parses the options shared by `gen` and `bench` into a generator config; returns the rest.
pub fn parse_config(
    args: &[String],
    cfg: &mut Config,
    rest: &mut Vec<String>,
) -> Result<(), String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--size" => cfg.target_bytes = parse_size(&value("--size")?)?,
            "--format" => cfg.format = value("--format")?.parse::<Format>()?,
            "--connections" => cfg.connections = Some(num(&value("--connections")?)?),
            "--seed" => cfg.seed = num(&value("--seed")?)?,
            "--clients" => cfg.clients = num(&value("--clients")?)? as u32,
            "--hosts" => cfg.hosts = num(&value("--hosts")?)? as u32,
            "--concurrency" => cfg.concurrency = num(&value("--concurrency")?)? as u32,
            _ => rest.push(a.clone()),
        }
    }
    Ok(())
}

fn num(s: &str) -> Result<u64, String> {
    let t = s.replace('_', "");
    if let Some(k) = t.strip_suffix('k') {
        return k
            .parse::<u64>()
            .map(|n| n * 1000)
            .map_err(|_| format!("bad number `{s}`"));
    }
    t.parse().map_err(|_| format!("bad number `{s}`"))
}

/// Generates `cfg` into `path` (and `path.truth`); returns the ground truth.
pub fn write(cfg: &Config, path: &Path) -> Result<Stats, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let t = Instant::now();
    let stats = generate(cfg, BufWriter::with_capacity(1 << 20, file))
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))?;
    let truth = truth_path(path);
    std::fs::write(&truth, stats.to_text()).map_err(|e| format!("{}: {e}", truth.display()))?;
    eprintln!(
        "wrote {} ({:.1} MB, {} packets, {} TCP connections, {} TLS handshakes, {} HTTP requests, {} DNS lookups) in {secs:.1} s",
        path.display(),
        stats.bytes as f64 / 1e6,
        stats.packets,
        stats.tcp_connections,
        stats.tls_handshakes,
        stats.http_requests,
        stats.dns_lookups
    );
    Ok(stats)
}

pub fn truth_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".truth");
    PathBuf::from(s)
}

pub fn main(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let mut cfg = Config::new(1 << 30, Format::Pcap);
    let mut rest = Vec::new();
    parse_config(args, &mut cfg, &mut rest)?;
    let mut out = None;
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" | "-o" => out = it.next().map(PathBuf::from),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("--out FILE is required\n{USAGE}"))?;
    let stats = write(&cfg, &out)?;
    print!("{}", stats.to_text());
    Ok(())
}
