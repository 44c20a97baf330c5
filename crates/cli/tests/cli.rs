//! The command line as a user meets it: exit codes, one-line errors, partial reports.

use std::path::PathBuf;
use std::process::Command;

fn connscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_connscope"))
}

fn corpus(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/captures")
        .join(name);
    if p.exists() {
        return Some(p);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "corpus missing at {} (CI=true requires it)",
        p.display()
    );
    eprintln!("SKIPPED: {} not found", p.display());
    None
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("connscope-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn non_capture_is_one_clear_line_and_exit_2() {
    let png = tmp(
        "image.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10",
    );
    let out = connscope().args(["analyze"]).arg(&png).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not a pcap or pcapng file (starts with 89 50 4e 47"),
        "{err}"
    );
    assert!(err.contains("PNG"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_exits_2() {
    let out = connscope()
        .args(["analyze", "/nonexistent/capture.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn truncated_capture_prints_partial_report_and_warns() {
    let Some(p) = corpus("zeek-http-keepalive-reuse.pcap") else {
        return;
    };
    let bytes = std::fs::read(p).unwrap();
    let cut = tmp("cut.pcap", &bytes[..bytes.len() - 10]);
    let out = connscope()
        .args(["analyze", "--json"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["error"]["code"], "truncated");
    assert_eq!(report["connections"].as_array().unwrap().len(), 6);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("warning") && err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn text_report_groups_by_host() {
    let Some(p) = corpus("ndpi-safari-pageload-tls12-sessionid.pcap") else {
        return;
    };
    let out = connscope().arg("analyze").arg(&p).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("192.168.1.178 → www.iit.cnr.it"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("tcp:")).count(),
        7,
        "{text}"
    );
    assert!(text.contains("resumed (session_id)"), "{text}");
}

#[test]
fn json_is_the_report_schema() {
    let Some(p) = corpus("zeek-tls12-handshake-failure.pcap") else {
        return;
    };
    let out = connscope()
        .args(["analyze", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema_version"], 1);
    let c = &r["connections"][0];
    assert_eq!(c["stream"], 0);
    assert_eq!(c["tls"]["outcome"], "aborted_by_server");
    assert_eq!(c["tls"]["alerts"][0]["description"], "handshake_failure");
    assert_eq!(c["tcp"]["conn_state"], "SF");
}
