//! `cargo xtask lab [--reextract] [SCENARIO...]`: the capture lab (tests/lab/README.md).
//!
//! For each scenario: `tests/lab/run-scenario.sh` (inside `unshare -n`) starts nginx, tcpdump and
//! Debian's headless Chromium (driven by `tests/lab/driver.mjs`), then this command reads the
//! Chromium NetLog, applies the cause rules (`lab/explain.rs`), checks the result against tshark and
//! nginx's access log (`lab/verify.rs`) and writes into `tests/lab/captures/`:
//! `<scenario>.pcap`, `.keys`, `.expected.json`, `.netlog-min.json`, `.access.log`, `.driver.log`.
//!
//! `--reextract` runs no browser: it re-derives every `.expected.json` from the committed
//! `.netlog-min.json` (and re-checks it with tshark), which shows the mapping is mechanical.

mod explain;
mod netlog;
mod verify;

use crate::util::{root, run};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The scenarios: name (= `tests/lab/sites/nginx/<name>.conf` and a key in `driver.mjs`) and what
/// it shows.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "cert-warning-clickthrough",
        "HTTPS host with an untrusted self-signed certificate: Chromium aborts the handshakes, shows the \
         interstitial; 2 s later the script clicks #details-button then #proceed-link and the page loads.",
    ),
    (
        "h1-keepalive-30-images",
        "A page with 30 tiny images over HTTPS HTTP/1.1 with keep-alive: up to 6 connections, reused.",
    ),
    (
        "h1-connection-close-30-images",
        "The same page, nginx keepalive_timeout 0 (every response has Connection: close): one connection \
         per request.",
    ),
    ("h2-30-images", "The same page over HTTP/2: one multiplexed connection."),
    (
        "preconnect-other-host",
        "a.test's page (HTTP/1.1) has <link rel=preconnect> to img.a.test and cdn.a.test (same site); \
         img.a.test is used 2 s later by a script-inserted image, cdn.a.test never.",
    ),
    (
        "preconnect-h2-coalesced",
        "The preconnect-other-host page over HTTP/2: the late img.a.test image is coalesced onto a.test's \
         HTTP/2 connection (same IP, certificate covers both), so the img.a.test preconnect stays unused.",
    ),
    (
        "preconnect-cross-site",
        "a.test's page preconnects to b.test (another site) and uses it 2 s later for an image: the image \
         request runs in privacy mode (third-party cookies blocked), another socket pool, so the \
         preconnected socket is never used and a new connection opens.",
    ),
    (
        "idle-timeout-refetch",
        "HTTP/1.1 with nginx keepalive_timeout 2s (and client_header_timeout 2s); the page fetches again \
         after 4 s, when the server has closed the idle connections.",
    ),
    (
        "http-basic-401",
        "The navigation hits HTTP Basic auth with keep-alive: 401, then the retry with credentials on the \
         same connection.",
    ),
    (
        "http-basic-401-close",
        "After the server closed the idle connections, the page fetches a Basic-auth resource whose 401 \
         carries Connection: close: the retry with credentials needs a new connection.",
    ),
    (
        "http-basic-401-close-navigation",
        "The navigation hits Basic auth and the 401 carries Connection: close: the retry rides the \
         loading predictor's spare preconnected socket.",
    ),
    (
        "tls-resumption-reload",
        "HTTP/2, nginx keepalive_timeout 2s; reload after 4 s: the new connection resumes the TLS 1.3 \
         session (PSK).",
    ),
    ("plain-http-80", "Cleartext HTTP/1.1 on port 80: a page and 4 images, keep-alive."),
    (
        "quic-alt-svc-race",
        "HTTP/2 over TCP whose responses carry Alt-Svc: h3=\":443\", HTTP/3 over QUIC from aioquic on \
         UDP 443 (QUIC enabled in Chromium for this scenario only); both servers close idle connections \
         after 2 s. A page without subresources, reloaded after 4 s (QUIC and TCP race), then a page \
         with 4 images 4 s later (QUIC now known to work: the TCP job is delayed).",
    ),
    (
        "quic-broken-fallback",
        "The same site and steps, but Chromium is not told to accept the lab root for QUIC: on the \
         reload it races QUIC against TCP, rejects the QUIC server's certificate, marks HTTP/3 broken \
         for a.test, and the third page goes over TCP only (fallback).",
    ),
];

const USAGE: &str = "usage: cargo xtask lab [--reextract] [--keep-work] [SCENARIO...]
  (no SCENARIO: all)  --reextract: no browser, re-derive expected.json from the committed netlog-min.json
  scenarios: ";

/// The expected file: everything a test of the explanation engine needs about one capture.
#[derive(Serialize)]
struct Expected<'a> {
    scenario: &'a str,
    description: &'a str,
    capture: String,
    keylog: String,
    browser: String,
    generated_by: &'static str,
    /// Count of connections per cause.
    summary: BTreeMap<String, usize>,
    connections: Vec<explain::Connection>,
    checks: verify::Checks,
}

pub fn main(args: &[String]) -> Result<(), String> {
    let mut reextract = false;
    let mut keep_work = false;
    let mut names = Vec::new();
    for a in args {
        match a.as_str() {
            "--reextract" => reextract = true,
            "--keep-work" => keep_work = true,
            "-h" | "--help" => {
                let list: Vec<&str> = SCENARIOS.iter().map(|s| s.0).collect();
                println!("{USAGE}{}", list.join(", "));
                return Ok(());
            }
            name => {
                if !SCENARIOS.iter().any(|s| s.0 == name) {
                    let list: Vec<&str> = SCENARIOS.iter().map(|s| s.0).collect();
                    return Err(format!(
                        "unknown lab scenario `{name}`; known: {}",
                        list.join(", ")
                    ));
                }
                names.push(name.to_string());
            }
        }
    }
    if names.is_empty() {
        names = SCENARIOS.iter().map(|s| s.0.to_string()).collect();
    }
    let lab = root().join("tests/lab");
    let out = lab.join("captures");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    need_tool("tshark", "apt-get install -y tshark")?;
    if !reextract {
        preflight(&lab)?;
    }
    let work_root = std::env::temp_dir().join("connscope-lab");

    let mut failures = Vec::new();
    let mut table = Vec::new();
    for name in &names {
        let description = SCENARIOS
            .iter()
            .find(|s| s.0 == name)
            .map(|s| s.1)
            .unwrap_or("");
        eprintln!("== lab: {name}");
        let work = work_root.join(name);
        if !reextract {
            run(Command::new("bash")
                .arg(lab.join("run-scenario.sh"))
                .arg(name)
                .arg(&work))?;
            for (from, to) in [
                ("capture.pcap", "pcap"),
                ("keys", "keys"),
                ("access.log", "access.log"),
                ("driver.log", "driver.log"),
            ] {
                copy(&work.join(from), &out.join(format!("{name}.{to}")))?;
            }
        }
        let (log, from_full) = if reextract {
            (
                read_netlog(&out.join(format!("{name}.netlog-min.json")))?,
                false,
            )
        } else {
            (read_netlog(&work.join("netlog.json"))?, true)
        };
        let analysis = explain::analyze(&log);
        let mut connections = analysis.connections;
        if from_full {
            // The trimmed log must give the very same answer, or it drops something the rules read.
            let min = log.minimized(&analysis.keep_sources);
            let text = serde_json::to_string(&min).map_err(|e| e.to_string())?;
            let again = explain::analyze(&netlog::NetLog::parse(&text)?);
            let a = serde_json::to_string(&connections).map_err(|e| e.to_string())?;
            let b = serde_json::to_string(&again.connections).map_err(|e| e.to_string())?;
            if a != b {
                write(&work.join("connections-full.json"), &a)?;
                write(&work.join("connections-min.json"), &b)?;
                return Err(format!(
                    "{name}: the trimmed NetLog does not give the same connections (see {})",
                    work.join("connections-{full,min}.json").display()
                ));
            }
            write(&out.join(format!("{name}.netlog-min.json")), &text)?;
        }
        let pcap = out.join(format!("{name}.pcap"));
        let keys = out.join(format!("{name}.keys"));
        let access = fs::read_to_string(out.join(format!("{name}.access.log"))).unwrap_or_default();
        let checks = verify::check(&mut connections, &pcap, &keys, &access)?;
        let mut summary = BTreeMap::new();
        for c in &connections {
            *summary.entry(c.cause.clone()).or_insert(0) += 1;
        }
        for m in &checks.mismatches {
            failures.push(format!("{name}: {m}"));
        }
        table.push((
            name.clone(),
            connections.len(),
            summary.clone(),
            file_size(&pcap),
        ));
        let expected = Expected {
            scenario: name,
            description,
            capture: format!("{name}.pcap"),
            keylog: format!("{name}.keys"),
            browser: browser_of(&log),
            generated_by: "cargo xtask lab (xtask/src/lab.rs; rules in xtask/src/lab/explain.rs)",
            summary,
            connections,
            checks,
        };
        let json = serde_json::to_string_pretty(&expected).map_err(|e| e.to_string())?;
        write(&out.join(format!("{name}.expected.json")), &(json + "\n"))?;
        if !keep_work && !reextract {
            let _ = fs::remove_dir_all(&work);
        }
    }

    update_readme(&lab, &out)?;
    println!("\n{:<34} {:>5} {:>9}  causes", "scenario", "conns", "pcap");
    for (name, n, summary, size) in &table {
        let causes: Vec<String> = summary.iter().map(|(c, k)| format!("{c}×{k}")).collect();
        println!(
            "{name:<34} {n:>5} {:>7}KB  {}",
            size / 1024,
            causes.join(", ")
        );
    }
    if failures.is_empty() {
        println!("\nall NetLog/tshark/nginx checks agree");
        Ok(())
    } else {
        Err(format!("lab checks disagree:\n  {}", failures.join("\n  ")))
    }
}

fn read_netlog(path: &Path) -> Result<netlog::NetLog, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    netlog::NetLog::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn browser_of(log: &netlog::NetLog) -> String {
    let ci = log.constants.get("clientInfo");
    let get = |k: &str| {
        ci.and_then(|c| c.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or("")
    };
    format!("{} {} {}", get("name"), get("version"), get("version_mod"))
        .trim()
        .to_string()
}

fn file_size(p: &Path) -> u64 {
    fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn need_tool(tool: &str, hint: &str) -> Result<(), String> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(format!("`{tool}` not found; install it: {hint}"))
    }
}

/// Tools and rights the browser run needs; installs the Node driver's one dependency.
fn preflight(lab: &Path) -> Result<(), String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("cannot run id: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err(
            "the capture lab needs root (unshare -n, tcpdump, nginx on ports 80/443)".into(),
        );
    }
    let apt = "apt-get install -y chromium nginx tcpdump openssl tshark nodejs npm iproute2";
    for tool in [
        "chromium", "nginx", "tcpdump", "openssl", "node", "npm", "unshare", "ip",
    ] {
        need_tool(tool, apt)?;
    }
    if !lab.join("node_modules/playwright-core").is_dir() {
        let mut npm = Command::new("npm");
        npm.current_dir(lab).args(["ci", "--no-audit", "--no-fund"]);
        if !lab.join("package-lock.json").is_file() {
            npm = Command::new("npm");
            npm.current_dir(lab)
                .args(["install", "--no-audit", "--no-fund"]);
        }
        run(&mut npm)?;
    }
    Ok(())
}

const TABLES_BEGIN: &str =
    "<!-- lab-tables:begin (written by `cargo xtask lab`; edits here are overwritten) -->";
const TABLES_END: &str = "<!-- lab-tables:end -->";

/// Rewrites the per-scenario tables in tests/lab/README.md from every `<scenario>.expected.json`.
fn update_readme(lab: &Path, out: &Path) -> Result<(), String> {
    let readme = lab.join("README.md");
    let Ok(text) = fs::read_to_string(&readme) else {
        return Ok(());
    };
    let (Some(b), Some(e)) = (text.find(TABLES_BEGIN), text.find(TABLES_END)) else {
        return Ok(());
    };
    let mut md = String::new();
    for (name, description) in SCENARIOS {
        let Ok(json) = fs::read_to_string(out.join(format!("{name}.expected.json"))) else {
            continue;
        };
        let v: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| format!("{name}.expected.json: {e}"))?;
        let conns = v["connections"].as_array().cloned().unwrap_or_default();
        let mismatches = v["checks"]["mismatches"].as_array().map_or(0, |m| m.len());
        let size = file_size(&out.join(format!("{name}.pcap")));
        md.push_str(&format!(
            "\n#### `{name}`\n\n{description}\n\n{} connections, `{name}.pcap` {:.1} KB; NetLog / tshark / nginx checks: {}.\n\n",
            conns.len(),
            size as f64 / 1024.0,
            if mismatches == 0 { "all agree".to_string() } else { format!("{mismatches} mismatches") }
        ));
        md.push_str("| tcp.stream | client port | host | cause | requests | opened (ms) | TLS | opened by |\n");
        md.push_str("|---:|---:|---|---|---|---:|---|---|\n");
        for c in &conns {
            let statuses: Vec<String> = c["request_list"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|r| r.as_str()?.rsplit(' ').next().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let requests = if statuses.is_empty() {
                "0".to_string()
            } else if statuses.len() <= 4 {
                format!("{} ({})", statuses.len(), statuses.join(", "))
            } else {
                statuses.len().to_string()
            };
            let tls = &c["tls"];
            let tls = if tls.is_null() {
                "—".to_string()
            } else if let Some(err) = tls["error"].as_str() {
                err.to_string()
            } else {
                let resumed = if tls["resumed"].as_bool() == Some(true) {
                    ", resumed"
                } else {
                    ""
                };
                format!(
                    "{} {}{resumed}",
                    tls["version"].as_str().unwrap_or("?"),
                    tls["alpn"].as_str().unwrap_or("")
                )
            };
            md.push_str(&format!(
                "| {} | {} | {} | `{}` | {} | {} | {} | {} |\n",
                match c["udp_stream"].as_u64() {
                    Some(u) => format!("udp {u} (QUIC)"),
                    None => c["tcp_stream"]
                        .as_u64()
                        .map_or("?".into(), |s| s.to_string()),
                },
                c["client_port"],
                c["host"].as_str().unwrap_or(""),
                c["cause"].as_str().unwrap_or(""),
                requests,
                c["opened_ms"],
                tls,
                c["opened_by"].as_str().unwrap_or(""),
            ));
        }
    }
    let new_text = format!("{}{TABLES_BEGIN}\n{md}\n{}", &text[..b], &text[e..]);
    if new_text != text {
        write(&readme, &new_text)?;
    }
    Ok(())
}
