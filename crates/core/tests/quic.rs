//! QUIC on real captures: the shared corpus (illustrated-quic with and without its key log,
//! Chromium's HTTP/3 connection to api.cirrus-ci.com, quic-go's 0-RTT interop run) and the lab's
//! QUIC/TCP race (real Chromium, nginx over TCP advertising `Alt-Svc: h3`, aioquic over UDP).

mod common;

use connscope_core::report::{Connection, Report};
use std::path::PathBuf;

fn corpus(name: &str) -> Option<PathBuf> {
    let p = common::corpus_dir().join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} not found", p.display());
        None
    }
}

fn analyze(path: &std::path::Path, keys: Option<&[u8]>) -> Report {
    common::analyze_with_keys(path, keys)
}

fn quic(r: &Report) -> Vec<&Connection> {
    r.connections
        .iter()
        .filter(|c| c.transport == "quic")
        .collect()
}

fn codes(c: &Connection) -> Vec<u8> {
    c.tls
        .as_ref()
        .unwrap()
        .handshake
        .iter()
        .filter_map(|m| m.code)
        .collect()
}

#[test]
fn illustrated_quic_with_and_without_keys() {
    let Some(p) = corpus("illustrated-quic.pcap") else {
        return;
    };
    let keys = std::fs::read(p.with_extension("keys")).unwrap();

    // Without keys: the Initial packets alone give the ClientHello and ServerHello.
    let r = analyze(&p, None);
    let c = quic(&r)[0];
    let t = c.tls.as_ref().unwrap();
    let q = c.quic.as_ref().unwrap();
    assert_eq!(t.sni.as_deref(), Some("example.ulfheim.net"));
    assert_eq!(t.alpn_offered, vec!["ping/1.0"]);
    assert_eq!(t.versions_offered, vec!["0x0304"]);
    assert_eq!(codes(c), vec![1, 2]);
    assert_eq!(t.version.as_deref(), Some("TLS 1.3"));
    assert_eq!(t.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!((q.initial_packets, q.initial_decrypted), (3, 3));
    assert_eq!(q.keys, "none");
    assert_eq!(q.decrypted_packets, 0);
    assert!(
        q.close.is_none(),
        "the close is in a 1-RTT packet: invisible without keys"
    );
    assert_eq!(c.protocol, "QUIC v1 + ping/1.0");
    assert_eq!(c.host.as_deref(), Some("example.ulfheim.net"));
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    let kinds: Vec<&str> = c.phases.iter().map(|p| p.kind.as_ref()).collect();
    assert_eq!(kinds, vec!["quic_initial", "quic_handshake", "quic_1rtt"]);
    assert_eq!(c.explanation.as_ref().unwrap().cause, "first_for_host");

    // With the key log: every packet opens; the whole handshake (as tshark shows it with the
    // same keys: 1 2;8;11 15;20 20), the server's ALPN choice and the close.
    let r = analyze(&p, Some(&keys));
    let c = quic(&r)[0];
    let t = c.tls.as_ref().unwrap();
    let q = c.quic.as_ref().unwrap();
    assert_eq!(codes(c), vec![1, 2, 8, 11, 15, 20, 20]);
    assert_eq!(t.alpn.as_deref(), Some("ping/1.0"));
    assert_eq!(t.outcome, "completed");
    assert!(t.decrypted);
    assert_eq!(q.keys, "found");
    assert_eq!(q.undecrypted_packets, 0);
    assert_eq!(q.decrypted_packets, 9);
    let close = q.close.as_ref().unwrap();
    assert_eq!(
        (
            close.from,
            close.error.as_str(),
            close.reason.as_str(),
            close.space.as_ref(),
            close.frame
        ),
        (
            connscope_core::report::Side::Server,
            "NO_ERROR",
            "graceful shutdown",
            "1rtt",
            8
        )
    );
    // The handshake ends with the client's Finished (frame 5).
    assert_eq!(q.handshake_confirmed.map(|f| f.frame), Some(5));
    assert!(c.phases.iter().any(|p| p.kind == "close"));
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn wrong_or_missing_keys_give_a_note_not_garbage() {
    let Some(p) = corpus("illustrated-quic.pcap") else {
        return;
    };
    let keys = String::from_utf8(std::fs::read(p.with_extension("keys")).unwrap()).unwrap();

    // A key log for another connection: no secrets for this client random.
    let other = keys.replace(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        &"ab".repeat(32),
    );
    let r = analyze(&p, Some(other.as_bytes()));
    let c = quic(&r)[0];
    assert_eq!(c.quic.as_ref().unwrap().keys, "missing");
    assert!(
        c.notes.iter().any(|n| n.code == "quic_no_keys"),
        "{:?}",
        c.notes
    );
    assert_eq!(codes(c), vec![1, 2]);

    // The right client random with damaged secrets: nothing opens, and the report says so.
    let damaged: String = keys
        .lines()
        .map(|l| {
            let mut parts: Vec<String> = l.split(' ').map(String::from).collect();
            if let Some(s) = parts.get_mut(2) {
                *s = s.chars().rev().collect();
            }
            parts.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = analyze(&p, Some(damaged.as_bytes()));
    let c = quic(&r)[0];
    let q = c.quic.as_ref().unwrap();
    assert_eq!(q.keys, "found");
    assert_eq!(q.decrypted_packets, 0);
    assert!(q.undecrypted_packets > 0);
    assert!(
        c.notes.iter().any(|n| n.code == "quic_decrypt_failed"),
        "{:?}",
        c.notes
    );
    assert_eq!(
        codes(c),
        vec![1, 2],
        "no handshake message invented from bad keys"
    );
    assert!(c.tls.as_ref().unwrap().alpn.is_none());
}

#[test]
fn chromium_h3_to_cirrus() {
    let Some(p) = corpus("zeek-quic-chromium-api-cirrus.pcap") else {
        return;
    };
    let r = analyze(&p, None);
    let c = quic(&r)[0];
    let t = c.tls.as_ref().unwrap();
    // Zeek's ssl.log for this capture: api.cirrus-ci.com, TLSv13, resumed T.
    assert_eq!(t.sni.as_deref(), Some("api.cirrus-ci.com"));
    assert_eq!(t.alpn_offered, vec!["h3"]);
    assert!(t.psk_offered && t.psk_accepted && t.resumed);
    assert_eq!(t.resumption.as_deref(), Some("psk"));
    assert_eq!(c.protocol, "QUIC v1 + h3");
    let q = c.quic.as_ref().unwrap();
    assert_eq!(q.dcid.as_deref(), Some("95412c47018cdfe8"));
    assert_eq!(q.server_cid.as_deref(), Some("d5412c47018cdfe8"));
    assert_eq!(q.initial_packets, q.initial_decrypted);
    assert_eq!(c.explanation.as_ref().unwrap().cause, "first_for_host");
}

#[test]
fn quic_go_zero_rtt_resumption() {
    let Some(p) = corpus("zeek-quic-go-0rtt-ppp.pcap") else {
        return;
    };
    let r = analyze(&p, None);
    let q = quic(&r);
    assert_eq!(q.len(), 2);
    // Zeek's ssl.log: the first connection is a full handshake, the second resumed (0-RTT).
    let (a, b) = (q[0].tls.as_ref().unwrap(), q[1].tls.as_ref().unwrap());
    assert_eq!(a.sni.as_deref(), Some("server4:443"));
    assert!(!a.resumed && !a.psk_offered && !a.early_data_offered);
    assert!(b.resumed && b.psk_offered && b.early_data_offered);
    let qb = q[1].quic.as_ref().unwrap();
    assert!(qb.zero_rtt_packets > 0 && qb.zero_rtt_first.is_some());
    assert_eq!(q[0].explanation.as_ref().unwrap().cause, "first_for_host");
    // The first connection's close is encrypted: the second is explained by the silence.
    let e = q[1].explanation.as_ref().unwrap();
    assert_eq!(e.cause, "replaces_closed", "{}", e.headline);
    assert_eq!(e.related, vec![q[0].id]);
}

fn lab(name: &str) -> (PathBuf, Vec<u8>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures");
    (
        dir.join(format!("{name}.pcap")),
        std::fs::read(dir.join(format!("{name}.keys"))).unwrap(),
    )
}

/// The lab's QUIC scenario: a page over HTTP/2 whose responses carry `Alt-Svc: h3=":443"`, a
/// reload once the connections have closed (QUIC and TCP race), and a third load. Chromium's
/// NetLog (`quic-alt-svc-race.expected.json`) is the truth the explanations are held to.
#[test]
fn lab_quic_tcp_race() {
    lab_agrees("quic-alt-svc-race");
    // The third page resumes the QUIC session with 0-RTT; its HTTP/3 requests are read (QPACK).
    let (p, keys) = lab("quic-alt-svc-race");
    let r = analyze(&p, Some(&keys));
    let c = quic(&r)
        .into_iter()
        .find(|c| c.quic.as_ref().unwrap().zero_rtt_packets > 0)
        .unwrap();
    let h = c.http.as_ref().unwrap();
    let got: Vec<(&str, &str, Option<u16>)> = h
        .requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str(), r.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("GET", "/quic-images.html", Some(200)),
            ("GET", "/img/q1.gif", Some(200)),
            ("GET", "/img/q2.gif", Some(200)),
            ("GET", "/img/q3.gif", Some(200)),
            ("GET", "/img/q4.gif", Some(200)),
        ]
    );
    assert!(h
        .requests
        .iter()
        .all(|r| r.host.as_deref() == Some("a.test")));
    assert_eq!(h.requests[1].response_body_bytes, Some(43), "the lab's GIF");
}

/// The same site with Chromium refusing the QUIC server's certificate: the QUIC attempt is a
/// rejected handshake, the TCP connection racing it wins, and the next page falls back to TCP.
#[test]
fn lab_quic_broken_tcp_fallback() {
    lab_agrees("quic-broken-fallback");
}

fn lab_agrees(name: &str) {
    let (p, keys) = lab(name);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.with_extension("expected.json")).unwrap()).unwrap();
    for with_keys in [false, true] {
        let r = analyze(&p, with_keys.then_some(keys.as_slice()));
        for e in expected["connections"].as_array().unwrap() {
            let port = e["client_port"].as_u64().unwrap() as u16;
            let transport = e["transport"].as_str().unwrap_or("tcp");
            let c = r
                .connections
                .iter()
                .find(|c| c.transport == transport && c.client.port == port)
                .unwrap_or_else(|| panic!("{transport} client port {port} missing"));
            let got = c.explanation.as_ref().unwrap();
            assert_eq!(
                got.cause,
                e["cause"].as_str().unwrap(),
                "{transport}:{port} (keys: {with_keys}): {}",
                got.headline
            );
        }
        for c in quic(&r) {
            let t = c.tls.as_ref().unwrap();
            assert_eq!(t.sni.as_deref(), Some("a.test"));
            assert_eq!(t.alpn_offered, vec!["h3"]);
            let completed = t.outcome == "completed";
            if completed {
                assert_eq!(c.protocol, "QUIC v1 + h3");
            }
            if with_keys {
                let q = c.quic.as_ref().unwrap();
                assert_eq!(q.keys, "found");
                if completed {
                    // Every packet opens, 0-RTT included (a resumed session's early data, with
                    // the client's early traffic secret).
                    assert_eq!(q.undecrypted_packets, 0);
                    if q.zero_rtt_packets > 0 {
                        assert!(t.resumed && t.early_data_offered);
                    }
                    // ClientHello, ServerHello, EncryptedExtensions, (Certificate, CertificateVerify:
                    // not when resumed), both Finished, then NewSessionTickets in 1-RTT.
                    let got = codes(c);
                    assert!(got.starts_with(&[1, 2, 8]), "{got:?}");
                    assert_eq!(got.iter().filter(|&&x| x == 20).count(), 2, "{got:?}");
                    assert_eq!(got.contains(&11), !t.resumed, "{got:?}");
                } else {
                    // The client gave up before deriving (and logging) the 1-RTT secrets: the
                    // server's early 1-RTT packets stay closed. Its CRYPTO_ERROR close is read
                    // as its TLS alert.
                    let a = &t.alerts[0];
                    assert_eq!(a.description.as_deref(), Some("certificate_unknown"));
                    assert_eq!(q.close.as_ref().unwrap().space, "handshake");
                }
            }
        }
    }
}

/// Damaged QUIC never panics: every capture above with bytes flipped at pseudo-random places
/// (headers, lengths, protected payloads, CRYPTO and STREAM frames once decrypted), with and
/// without keys.
#[test]
fn damaged_quic_never_panics() {
    let mut inputs: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    for name in [
        "illustrated-quic.pcap",
        "zeek-quic-chromium-api-cirrus.pcap",
        "zeek-quic-go-0rtt-ppp.pcap",
    ] {
        if let Some(p) = corpus(name) {
            let keys = std::fs::read(p.with_extension("keys")).ok();
            inputs.push((std::fs::read(&p).unwrap(), keys));
        }
    }
    for name in ["quic-alt-svc-race", "quic-broken-fallback"] {
        let (p, keys) = lab(name);
        inputs.push((std::fs::read(&p).unwrap(), Some(keys)));
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (bytes, keys) in &inputs {
        for round in 0..40 {
            let mut b = bytes.clone();
            // Leave the pcap file header alone so the packets are read.
            for _ in 0..(1 + round % 8) {
                let at = 24 + (next() as usize) % (b.len() - 24);
                b[at] ^= 1 << (next() % 8);
            }
            for k in [None, keys.as_deref()] {
                let mut a = connscope_core::Analyzer::new();
                if let Some(k) = k {
                    a.add_keylog(k);
                }
                a.feed(&b);
                let _ = a.finish();
            }
        }
    }
}

/// Connection migration, derived from illustrated-quic: its last two packets (1-RTT, short
/// headers) are moved to a new client port, as after a NAT rebinding. The new UDP flow stays its
/// own flow (as tshark's udp.stream) and is recognised as the same QUIC connection by the
/// connection id its packets carry.
#[test]
fn migration_to_a_new_port_is_the_same_connection() {
    let Some(p) = corpus("illustrated-quic.pcap") else {
        return;
    };
    let mut b = std::fs::read(&p).unwrap();
    // pcap records: 16-byte header, then NULL (4 bytes) + IPv4 + UDP.
    let mut at = 24;
    let mut frame = 0;
    while at + 16 <= b.len() {
        frame += 1;
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        let ip = at + 16 + 4;
        let udp = ip + usize::from(b[ip] & 0x0f) * 4;
        let port = if frame == 7 { udp } else { udp + 2 }; // client→server: source; back: destination
        if frame >= 7 {
            assert_eq!(u16::from_be_bytes([b[port], b[port + 1]]), 60220);
            b[port..port + 2].copy_from_slice(&60221u16.to_be_bytes());
            b[udp + 6..udp + 8].copy_from_slice(&[0, 0]); // no UDP checksum (IPv4 allows it)
        }
        at += 16 + len;
    }
    let keys = std::fs::read(p.with_extension("keys")).unwrap();
    let r = {
        let mut a = connscope_core::Analyzer::new();
        a.add_keylog(&keys);
        a.feed(&b);
        a.finish()
    };
    let q = quic(&r);
    assert_eq!(q.len(), 2);
    let (orig, moved) = (q[0], q[1]);
    assert_eq!(
        (moved.stream, moved.client.port, moved.server.port),
        (1, 60221, 8400)
    );
    assert_eq!(moved.packets, 2);
    let mq = moved.quic.as_ref().unwrap();
    assert_eq!(mq.continues_connection, Some(orig.id));
    assert_eq!(mq.short_header_packets, 2);
    assert!(
        moved.notes.iter().any(|n| n.code == "quic_migration"),
        "{:?}",
        moved.notes
    );
    assert_eq!(moved.protocol, "QUIC v1 (migrated)");
    let e = moved.explanation.as_ref().unwrap();
    assert_eq!(e.cause, "connection_migration", "{}", e.headline);
    assert_eq!(e.related, vec![orig.id]);
    // The original connection keeps its handshake, decrypted.
    assert_eq!(codes(orig), vec![1, 2, 8, 11, 15, 20, 20]);
}
