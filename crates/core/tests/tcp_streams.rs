//! tshark's `tcp.stream` rules on cases the corpus lacks: a port pair reused after a close
//! starts a new stream (a SYN with a new sequence number); a retransmitted SYN does not.

mod common;

use common::synth::{Pcap, Tcp};

#[test]
fn port_reuse_starts_a_new_stream_and_syn_retransmission_does_not() {
    let mut p = Pcap::default();
    let (client, server) = (([10, 0, 0, 1], 50000), ([10, 0, 0, 2], 80));
    let first = Tcp::new(client, server);
    first.syn(&mut p, 0.5); // retransmitted below with the same sequence number
    let mut first = first;
    first.open(&mut p, 1.0);
    first.client_sends(&mut p, 1.01, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    first.server_sends(
        &mut p,
        1.02,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    first.server_closes(&mut p, 1.03);
    let mut second = Tcp::new(client, server).with_isn(900_000);
    second.open(&mut p, 5.0);
    second.client_sends(&mut p, 5.01, b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    let bytes = p.finish();
    let r = connscope_core::analyze_bytes(&bytes);
    if let Some(streams) = tshark_streams(&bytes) {
        assert_eq!(streams, vec![8, 4], "frames per tcp.stream in tshark");
    }
    let tcp: Vec<_> = r
        .connections
        .iter()
        .filter(|c| c.transport == "tcp")
        .collect();
    assert_eq!(tcp.len(), 2);
    assert_eq!((tcp[0].stream, tcp[1].stream), (0, 1));
    assert_eq!(
        tcp[0].tcp.as_ref().unwrap().syn_count,
        2,
        "the retransmitted SYN stays in stream 0"
    );
    assert_eq!(tcp[0].http.as_ref().unwrap().requests[0].target, "/a");
    assert_eq!(tcp[1].http.as_ref().unwrap().requests[0].target, "/b");
    assert_eq!(
        tcp[1].explanation.as_ref().unwrap().cause,
        "replaces_closed"
    );
    assert_eq!((tcp[0].packets, tcp[1].packets), (8, 4));
}

/// Frames per `tcp.stream` as tshark numbers them, when tshark is installed.
fn tshark_streams(bytes: &[u8]) -> Option<Vec<usize>> {
    let path =
        std::env::temp_dir().join(format!("connscope-port-reuse-{}.pcap", std::process::id()));
    std::fs::write(&path, bytes).ok()?;
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args(["-T", "fields", "-e", "tcp.stream"])
        .output();
    let _ = std::fs::remove_file(&path);
    let Ok(out) = out else {
        eprintln!("SKIPPED the tshark cross-check: tshark is not installed");
        return None;
    };
    let mut counts = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let s: usize = line.trim().parse().ok()?;
        if counts.len() <= s {
            counts.resize(s + 1, 0);
        }
        counts[s] += 1;
    }
    Some(counts)
}
