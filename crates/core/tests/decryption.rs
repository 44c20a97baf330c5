//! Decryption with the session's secrets (issue 7): key logs and pcapng Decryption Secrets
//! Blocks, TLS 1.2 and 1.3, against what tshark shows with the same keys; wrong or missing keys
//! give a clear note, never garbage.

mod common;

use connscope_core::report::Report;
use std::path::{Path, PathBuf};

fn corpus(name: &str) -> Option<PathBuf> {
    common::corpus()?;
    Some(common::corpus_dir().join(name))
}

fn with_keys(capture: &Path, keys: &[u8]) -> Report {
    common::analyze_with_keys(capture, Some(keys))
}

fn kinds(r: &Report, i: usize) -> Vec<String> {
    r.connections[i]
        .tls
        .as_ref()
        .unwrap()
        .handshake
        .iter()
        .map(|m| m.kind.to_string())
        .collect()
}

#[test]
fn tls13_handshake_and_certificate_inside_the_encryption() {
    let Some(p) = corpus("illustrated-tls13.pcap") else {
        return;
    };
    let keys = std::fs::read(common::corpus_dir().join("illustrated-tls13.keys")).unwrap();
    let r = with_keys(&p, &keys);
    let tls = r.connections[0].tls.as_ref().unwrap();
    assert!(tls.decrypted);
    // tshark -o tls.keylog_file: 1, 2;8;11;15;20, 20, 4, 4 (the oracle's hs_types_in_order).
    let codes: Vec<u8> = tls.handshake.iter().filter_map(|m| m.code).collect();
    assert_eq!(codes, [1, 2, 8, 11, 15, 20, 20, 4, 4]);
    let cert = tls
        .certificate
        .as_ref()
        .expect("the TLS 1.3 certificate is read inside the encryption");
    assert!(
        cert.subject.contains("example.ulfheim.net"),
        "{}",
        cert.subject
    );
    assert_eq!(tls.outcome, "completed");
    // Without keys the same connection shows only the hellos and encrypted records.
    let keyless = common::analyze(&p);
    assert!(!keyless.connections[0].tls.as_ref().unwrap().decrypted);
    assert!(kinds(&keyless, 0).contains(&"encrypted_handshake".to_string()));
}

#[test]
fn tls12_records_and_close_notify() {
    let Some(p) = corpus("illustrated-tls12.pcap") else {
        return;
    };
    let keys = std::fs::read(common::corpus_dir().join("illustrated-tls12.keys")).unwrap();
    let r = with_keys(&p, &keys);
    let tls = r.connections[0].tls.as_ref().unwrap();
    assert!(tls.decrypted);
    assert!(
        kinds(&r, 0).iter().filter(|k| *k == "finished").count() == 2,
        "{:?}",
        kinds(&r, 0)
    );
    assert!(
        tls.alerts
            .iter()
            .any(|a| a.description.as_deref() == Some("close_notify")),
        "{:?}",
        tls.alerts
    );
}

/// The criterion: the DSB capture shows example.com and example.net HEAD → 200.
#[test]
fn pcapng_decryption_secrets_blocks_are_used() {
    let Some(p) = corpus("tls12-dsb.pcapng") else {
        return;
    };
    let r = common::analyze(&p);
    let mut seen: Vec<(String, String, u16)> = r
        .connections
        .iter()
        .flat_map(|c| c.http.iter().flat_map(|h| h.requests.iter()))
        .map(|q| {
            (
                q.host.clone().unwrap_or_default(),
                q.method.clone(),
                q.status.unwrap_or(0),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("example.com".into(), "HEAD".into(), 200),
            ("example.net".into(), "HEAD".into(), 200)
        ]
    );
    assert_eq!(r.capture.decryption_secrets, 2);
}

#[test]
fn http2_requests_on_the_right_connection() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures");
    let keys = std::fs::read(dir.join("h2-30-images.keys")).unwrap();
    let r = with_keys(&dir.join("h2-30-images.pcap"), &keys);
    let h = r.connections[0].http.as_ref().unwrap();
    assert_eq!(h.version, "HTTP/2");
    assert_eq!(
        h.requests.len(),
        31,
        "31 requests, as Chromium's NetLog and nginx's log say"
    );
    assert!(h
        .requests
        .iter()
        .all(|q| q.host.as_deref() == Some("a.test") && q.status == Some(200)));
    assert_eq!(r.connections[0].protocol, "TLS 1.3 + h2");
    assert!(r.connections[1]
        .http
        .as_ref()
        .is_none_or(|h| h.requests.is_empty()));
}

#[test]
fn wrong_or_missing_keys_say_so() {
    let Some(p) = corpus("illustrated-tls13.pcap") else {
        return;
    };
    // A key log for another connection: nothing for this client random.
    let other = format!(
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET {} {}\n",
        "ff".repeat(32),
        "11".repeat(32)
    );
    let r = with_keys(&p, other.as_bytes());
    let c = &r.connections[0];
    assert!(!c.tls.as_ref().unwrap().decrypted);
    assert!(
        c.notes
            .iter()
            .any(|n| n.code == "no_keys" && n.message.contains("client random")),
        "{:?}",
        c.notes
    );
    // The right client random with wrong secrets: records do not open, the report says where.
    let good = String::from_utf8(
        std::fs::read(common::corpus_dir().join("illustrated-tls13.keys")).unwrap(),
    )
    .unwrap();
    let bad: String = good
        .lines()
        .map(|l| {
            let mut parts: Vec<String> = l.split(' ').map(str::to_string).collect();
            if let Some(secret) = parts.get_mut(2) {
                *secret = secret.chars().rev().collect();
            }
            parts.join(" ") + "\n"
        })
        .collect();
    let r = with_keys(&p, bad.as_bytes());
    let c = &r.connections[0];
    assert!(!c.tls.as_ref().unwrap().decrypted);
    assert!(
        c.notes
            .iter()
            .any(|n| n.code == "decrypt_failed" && n.frame.is_some()),
        "{:?}",
        c.notes
    );
    assert_eq!(
        c.tls.as_ref().unwrap().outcome,
        "completed",
        "the keyless reading still stands"
    );
}
