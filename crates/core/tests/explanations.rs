//! The explanation engine, cause by cause, on real captures where they exist (the shared corpus
//! and the project's lab) and on small synthetic captures for the rest.

mod common;

use common::synth::{tls12_session, Pcap, Tcp};
use connscope_core::report::{Connection, Report};
use std::path::PathBuf;

fn lab(name: &str) -> Report {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/lab/captures")
        .join(name);
    connscope_core::analyze_bytes(&std::fs::read(p).unwrap())
}

fn corpus(name: &str) -> Option<Report> {
    common::corpus()?;
    Some(common::analyze(&common::corpus_dir().join(name)))
}

fn cause(c: &Connection) -> &str {
    &c.explanation.as_ref().unwrap().cause
}

fn causes(r: &Report) -> Vec<&str> {
    r.connections
        .iter()
        .filter(|c| c.transport == "tcp")
        .map(cause)
        .collect()
}

#[test]
fn every_connection_gets_an_explanation_with_evidence() {
    let Some(files) = common::corpus() else {
        return;
    };
    for f in files {
        let r = common::analyze(&f);
        for c in &r.connections {
            let e = c
                .explanation
                .as_ref()
                .unwrap_or_else(|| panic!("{}: #{} unexplained", f.display(), c.stream));
            assert!(
                connscope_core::explain::CAUSES.contains(&e.cause.as_ref()),
                "{}",
                e.cause
            );
            assert!(!e.headline.is_empty() && !e.details.is_empty());
            assert!(
                !e.evidence.is_empty(),
                "{}: #{} {} has no evidence",
                f.display(),
                c.stream,
                e.cause
            );
            assert!(["high", "medium", "low"].contains(&e.confidence.as_ref()));
        }
    }
}

#[test]
fn cert_rejected_then_retry_after_click_through() {
    // Firefox 52 (TLS 1.3 draft 16): unknown_ca in plaintext, reconnect 7.4 s later.
    if let Some(r) = corpus("zeek-ff52-tls13-unknown-ca-reconnect.pcap") {
        assert_eq!(causes(&r), ["cert_rejected", "retry_after_cert_warning"]);
        let retry = r.connections[1].explanation.as_ref().unwrap();
        assert_eq!(retry.related, vec![0]);
        assert!(retry.headline.contains("7.42 s"), "{}", retry.headline);
        assert!(r.connections[0]
            .explanation
            .as_ref()
            .unwrap()
            .details
            .contains("unknown_ca"));
    }
    // Chromium, TLS 1.3: the alert is encrypted; 4 rejected handshakes, then the retry.
    let r = lab("cert-warning-clickthrough.pcap");
    assert_eq!(
        causes(&r),
        [
            "cert_rejected",
            "cert_rejected",
            "cert_rejected",
            "cert_rejected",
            "retry_after_cert_warning"
        ]
    );
    if let Some(r) = corpus("arkime-badcurveball-cert-unknown-alert.pcap") {
        assert_eq!(causes(&r), ["cert_rejected"]);
        assert!(r.connections[0]
            .explanation
            .as_ref()
            .unwrap()
            .details
            .contains("certificate_unknown"));
    }
}

#[test]
fn handshake_failures_and_address_fallback() {
    if let Some(r) = corpus("zeek-tls12-handshake-failure.pcap") {
        assert_eq!(causes(&r), ["handshake_failed"]);
        assert!(r.connections[0]
            .explanation
            .as_ref()
            .unwrap()
            .headline
            .contains("handshake_failure"));
    }
    if let Some(r) = corpus("zeek-localhost-v6-refused-v4-fallback.pcap") {
        assert_eq!(
            causes(&r),
            ["handshake_failed", "address_fallback", "unknown"]
        );
        let f = r.connections[1].explanation.as_ref().unwrap();
        assert!(f.headline.starts_with("IPv4 fallback"), "{}", f.headline);
        assert_eq!(f.related, vec![0]);
    }
}

#[test]
fn parallelism_on_real_browser_page_loads() {
    for (name, parallel) in [
        ("ndpi-chrome-pageload-tls13-psk.pcap", 5),
        ("ndpi-firefox-pageload-tls13-psk.pcap", 5),
        ("ndpi-safari-pageload-tls12-sessionid.pcap", 5),
        ("zeek-http-keepalive-reuse.pcap", 5),
    ] {
        let Some(r) = corpus(name) else { return };
        let c = causes(&r);
        assert_eq!(c[0], "first_for_host", "{name}");
        assert_eq!(
            c.iter().filter(|&&c| c == "parallel_for_host").count(),
            parallel,
            "{name}: {c:?}"
        );
    }
    let r = lab("h1-keepalive-30-images.pcap");
    assert_eq!(
        causes(&r),
        [
            "first_for_host",
            "speculative_used_later",
            "parallel_for_host",
            "parallel_for_host",
            "parallel_for_host",
            "parallel_for_host"
        ]
    );
    let six = r.connections[5].explanation.as_ref().unwrap();
    assert!(
        six.details.contains("limit of 6 per host is reached"),
        "{}",
        six.details
    );
}

#[test]
fn closed_connections_are_replaced() {
    if let Some(r) = corpus("zeek-http-connection-close.pcap") {
        assert_eq!(
            causes(&r),
            [
                "first_for_host",
                "replaces_closed",
                "replaces_closed",
                "replaces_closed"
            ]
        );
        assert!(r.connections[1]
            .explanation
            .as_ref()
            .unwrap()
            .headline
            .contains("Connection: close"));
    }
    // Server idle timeout: nginx closed after 2 s (keepalive_timeout 2s in the lab).
    let r = lab("idle-timeout-refetch.pcap");
    assert_eq!(
        causes(&r),
        ["first_for_host", "speculative_unused", "replaces_closed"]
    );
    let e = r.connections[2].explanation.as_ref().unwrap();
    assert!(
        e.headline.contains("the server closed after 2.0"),
        "{}",
        e.headline
    );
}

#[test]
fn preconnects_and_pools() {
    let r = lab("h2-30-images.pcap");
    assert_eq!(causes(&r), ["first_for_host", "speculative_unused"]);
    let r = lab("preconnect-other-host.pcap");
    assert_eq!(
        causes(&r),
        [
            "first_for_host",
            "speculative_unused",
            "speculative_used_later",
            "speculative_unused"
        ]
    );
    let r = lab("preconnect-cross-site.pcap");
    assert_eq!(
        causes(&r),
        [
            "first_for_host",
            "speculative_unused",
            "speculative_unused",
            "separate_pool"
        ]
    );
}

#[test]
fn tls_resumption_is_an_attribute() {
    let r = lab("tls-resumption-reload.pcap");
    let reload = &r.connections[2];
    assert_eq!(cause(reload), "replaces_closed");
    assert!(reload
        .explanation
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .any(|a| a.key == "resumption"));
}

#[test]
fn name_lookups_and_datagrams() {
    let Some(r) = corpus("zeek-wikipedia-pageload.pcap") else {
        return;
    };
    let dns = r.connections.iter().find(|c| c.server.port == 53).unwrap();
    assert_eq!(cause(dns), "name_lookup");
    let netbios = r.connections.iter().find(|c| c.server.port == 137).unwrap();
    assert_eq!(cause(netbios), "connectionless");
}

/// No shared capture has a 401 whose connection closes followed by a retry with credentials:
/// build one (cleartext, so the Authorization header is visible).
#[test]
fn auth_retry_after_401_with_close() {
    let mut p = Pcap::default();
    let server = ([10, 0, 0, 2], 80);
    let mut a = Tcp::new(([10, 0, 0, 1], 40000), server);
    a.open(&mut p, 1.0);
    a.client_sends(
        &mut p,
        1.01,
        b"GET /private HTTP/1.1\r\nHost: intranet.test\r\n\r\n",
    );
    a.server_sends(&mut p, 1.02, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    a.server_closes(&mut p, 1.021);
    let mut b = Tcp::new(([10, 0, 0, 1], 40002), server);
    b.open(&mut p, 3.5);
    b.client_sends(&mut p, 3.51, b"GET /private HTTP/1.1\r\nHost: intranet.test\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n");
    b.server_sends(
        &mut p,
        3.52,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let r = connscope_core::analyze_bytes(&p.finish());
    assert_eq!(causes(&r), ["first_for_host", "auth_retry"]);
    let e = r.connections[1].explanation.as_ref().unwrap();
    assert!(
        e.headline.contains("Basic") && e.headline.contains("401"),
        "{}",
        e.headline
    );
    assert_eq!(e.confidence, "high");
    // The credentials themselves never reach the report.
    assert!(!serde_json::to_string(&r).unwrap().contains("dXNlcjpwYXNz"));
}

/// An http:// page redirected to https:// (no shared capture has both halves).
#[test]
fn protocol_switch_after_https_redirect() {
    let mut p = Pcap::default();
    let mut a = Tcp::new(([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 80));
    a.open(&mut p, 1.0);
    a.client_sends(&mut p, 1.01, b"GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n");
    a.server_sends(&mut p, 1.02, b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://shop.test/\r\nContent-Length: 0\r\n\r\n");
    let mut b = Tcp::new(([10, 0, 0, 1], 40002), ([10, 0, 0, 2], 443));
    b.open(&mut p, 1.05);
    tls12_session(&mut p, &mut b, 1.06, "shop.test");
    let r = connscope_core::analyze_bytes(&p.finish());
    assert_eq!(r.connections[1].tls.as_ref().unwrap().outcome, "completed");
    assert_eq!(causes(&r), ["first_for_host", "protocol_switch"]);
    assert_eq!(
        r.connections[1].explanation.as_ref().unwrap().related,
        vec![0]
    );
}

#[test]
fn concept_card_for_every_cause() {
    let cards = connscope_core::explain::cards::all();
    for cause in connscope_core::explain::CAUSES {
        let card = cards
            .iter()
            .find(|c| c.id == cause)
            .unwrap_or_else(|| panic!("no card for {cause}"));
        assert!(!card.what.is_empty() && !card.why.is_empty() && !card.wireshark.is_empty());
    }
    assert_eq!(cards.len(), connscope_core::explain::CAUSES.len());
}

/// Where the capture cannot show why a connection exists, the explanation says what it does
/// show instead of borrowing a browser habit.
#[test]
fn no_cause_is_claimed_without_evidence() {
    for (name, says) in [
        // Three packets: a handshake, then the capture ends.
        (
            "tcpdump-sll-nanosecond-handshake.pcap",
            "carried nothing until the capture ended",
        ),
        // The capture ends inside the TLS handshake.
        (
            "arkime-tls-alpn-h2-loopback.pcap",
            "had not finished its TLS handshake",
        ),
        // IRC over STARTTLS: a handshake, then a close; not a browser's preconnect.
        ("zeek-irc-starttls-sll.pcap", "not HTTP"),
    ] {
        let Some(r) = corpus(name) else { return };
        let e = r.connections[0].explanation.as_ref().unwrap();
        assert_eq!(e.cause, "unknown", "{name}: {}", e.headline);
        assert!(e.details.contains(says), "{name}: {}", e.details);
        assert!(
            !e.details.contains("capture started after"),
            "{name}: {}",
            e.details
        );
    }
    // Client bytes the snaplen cut short are still a request waiting for the connection.
    let Some(r) = corpus("zeek-http-snaplen-truncated.pcap") else {
        return;
    };
    assert_eq!(causes(&r), ["first_for_host"]);
}

/// h2c with prior knowledge: each stream is an exchange on the waterfall, numbered as in
/// `http.requests`.
#[test]
fn h2c_streams_are_phases() {
    let Some(r) = corpus("arkime-h2c-prior-knowledge-loopback.pcap") else {
        return;
    };
    let c = &r.connections[0];
    let requests = c.http.as_ref().unwrap().requests.len();
    assert_eq!(requests, 2);
    let mut exchanges: Vec<u32> = c
        .phases
        .iter()
        .filter(|p| p.kind == "request")
        .filter_map(|p| p.exchange)
        .collect();
    exchanges.sort();
    assert_eq!(exchanges, [0, 1]);
}
