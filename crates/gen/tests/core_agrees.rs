//! The generator's ground truth against connscope-core: every TCP connection, TLS handshake
//! (by version and resumption), HTTP request and DNS query the generator wrote is in the report;
//! and the output is deterministic.

use connscope_core::report::Report;
use connscope_gen::{generate, Config, Format, Stats};

fn gen(cfg: &Config) -> (Vec<u8>, Stats) {
    let mut out = Vec::new();
    let stats = generate(cfg, &mut out).expect("writing to a Vec");
    (out, stats)
}

fn small(format: Format) -> Config {
    let mut cfg = Config::new(6 << 20, format);
    cfg.connections = Some(400);
    cfg.clients = 20;
    cfg.hosts = 40;
    cfg.concurrency = 64;
    cfg
}

fn count_tls(r: &Report, version: &str, resumed: bool) -> u64 {
    r.connections
        .iter()
        .filter_map(|c| c.tls.as_ref())
        .filter(|t| t.version.as_deref() == Some(version) && t.resumed == resumed)
        .count() as u64
}

#[test]
fn report_matches_ground_truth() {
    for format in [Format::Pcap, Format::Pcapng] {
        let (bytes, st) = gen(&small(format));
        assert_eq!(bytes.len() as u64, st.bytes);
        assert!(st.tcp_connections > 300, "{st:?}");
        assert!(
            st.tls13_resumed > 0
                && st.tls12_full > 0
                && st.http_requests > 0
                && st.http_chunked_responses > 0,
            "{st:?}"
        );
        assert!(
            st.retransmissions > 0 && st.out_of_order > 0 && st.rst_closes > 0,
            "{st:?}"
        );
        let r = connscope_core::analyze_bytes(&bytes);
        assert!(r.error.is_none(), "{:?}", r.error);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.capture.format, format.name());
        assert_eq!(r.capture.packets, st.packets);
        let tcp: Vec<_> = r
            .connections
            .iter()
            .filter(|c| c.transport == "tcp")
            .collect();
        assert_eq!(tcp.len() as u64, st.tcp_connections);
        let udp = r.connections.len() - tcp.len();
        assert_eq!(udp as u64, st.dns_lookups);
        let hellos = tcp
            .iter()
            .filter(|c| {
                c.tls
                    .as_ref()
                    .is_some_and(|t| t.handshake.iter().any(|m| m.kind == "client_hello"))
            })
            .count() as u64;
        assert_eq!(hellos, st.tls_handshakes);
        for c in &tcp {
            if let Some(t) = &c.tls {
                assert!(
                    t.sni
                        .as_deref()
                        .is_some_and(|s| s.ends_with(".bench.example")),
                    "stream {}: {:?}",
                    c.stream,
                    t.sni
                );
            }
        }
        assert_eq!(count_tls(&r, "TLS 1.3", false), st.tls13_full);
        assert_eq!(count_tls(&r, "TLS 1.3", true), st.tls13_resumed);
        assert_eq!(count_tls(&r, "TLS 1.2", false), st.tls12_full);
        assert_eq!(count_tls(&r, "TLS 1.2", true), st.tls12_resumed);
        let rejected = tcp
            .iter()
            .filter_map(|c| c.tls.as_ref())
            .filter(|t| t.outcome == "aborted_by_client")
            .count() as u64;
        assert_eq!(rejected, st.tls_rejected);
        let certs = tcp
            .iter()
            .filter_map(|c| c.tls.as_ref()?.certificate.as_ref())
            .collect::<Vec<_>>();
        assert!(
            !certs.is_empty()
                && certs
                    .iter()
                    .all(|c| c.sans.iter().any(|s| s == "*.bench.example"))
        );
        let requests: u64 = tcp
            .iter()
            .filter_map(|c| c.http.as_ref())
            .map(|h| h.requests.len() as u64 + h.requests_not_kept)
            .sum();
        assert_eq!(requests, st.http_requests);
        let answered = tcp
            .iter()
            .filter_map(|c| c.http.as_ref())
            .flat_map(|h| &h.requests)
            .all(|q| q.status.is_some());
        assert!(answered, "every HTTP request has its response");
        let queries: u64 = r
            .connections
            .iter()
            .filter_map(|c| c.dns.as_ref())
            .map(|d| d.queries.len() as u64)
            .sum();
        assert_eq!(queries, st.dns_queries);
        let resets = tcp
            .iter()
            .filter(|c| c.tcp.as_ref().is_some_and(|t| t.close == "rst"))
            .count() as u64;
        assert_eq!(resets, st.rst_closes);
        let refused = tcp
            .iter()
            .filter(|c| c.tcp.as_ref().is_some_and(|t| t.close == "refused"))
            .count() as u64;
        assert_eq!(refused, st.refused);
        for c in &tcp {
            assert!(c.notes.is_empty(), "stream {}: {:?}", c.stream, c.notes);
        }
    }
}

#[test]
fn deterministic_and_format_independent() {
    let (a, sa) = gen(&small(Format::Pcap));
    let (b, sb) = gen(&small(Format::Pcap));
    assert!(a == b, "same configuration, same bytes");
    assert_eq!(sa, sb);
    let (ng, sng) = gen(&small(Format::Pcapng));
    assert_eq!(
        (sa.packets, sa.tcp_connections, sa.http_requests),
        (sng.packets, sng.tcp_connections, sng.http_requests)
    );
    assert_ne!(a, ng);
    let mut other = small(Format::Pcap);
    other.seed = 2;
    let (c, _) = gen(&other);
    assert_ne!(a, c, "another seed, another capture");
}

#[test]
fn size_is_close_to_target() {
    for target in [2u64 << 20, 12 << 20] {
        let (bytes, _) = gen(&Config::new(target, Format::Pcap));
        let ratio = bytes.len() as f64 / target as f64;
        assert!(
            (0.9..1.15).contains(&ratio),
            "{} bytes for a target of {target}",
            bytes.len()
        );
    }
}
