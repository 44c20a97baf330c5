//! From the analyzer's working state to the report: per-connection facts, phases on the time
//! axis, host groups, DNS names. Runs once, at `finish`.

use super::*;
use crate::analyzer::State;
use crate::capture::{linktype, CaptureInfo};
use crate::decode::{endpoint_string, IpAddr};
use crate::flows::{Conn, TcpState, Transport};
use crate::protocols::http1::{Exchange, Http1Conn};
use crate::protocols::tls::{names, TlsConn, TlsFactsRaw};
use crate::protocols::{h2::H2Conn, App};
use crate::reassembly::Origin;
use crate::time::Ts;

/// Silence longer than this inside a connection is shown as an idle phase.
const IDLE_PHASE_MIN_SECS: f64 = 1.0;

pub(crate) struct ReportBuilder<'a> {
    info: &'a CaptureInfo,
    error: Option<ReadError>,
    state: State,
}

fn ft(o: Origin) -> FrameTime {
    FrameTime {
        frame: o.frame,
        ts: o.ts.as_secs_f64(),
    }
}

fn secs(t: Ts) -> f64 {
    t.as_secs_f64()
}

impl<'a> ReportBuilder<'a> {
    pub fn new(info: &'a CaptureInfo, error: Option<ReadError>, state: State) -> Self {
        ReportBuilder { info, error, state }
    }

    pub fn build(self) -> Report {
        let ReportBuilder { info, error, state } = self;
        let mut warnings = state.warnings;
        if state.untracked_packets > 0 {
            let n = state.untracked_packets;
            warnings.add(
                "untracked_packets",
                || format!("{n} packets belonged to connections beyond the tracking limit"),
                None,
                None,
            );
        }
        let dns_by_addr = &state.dns_by_addr;
        let lookups = dns_lookups(&state.conns, dns_by_addr);
        let mut connections: Vec<Connection> = state
            .conns
            .into_iter()
            .map(|c| {
                let lookup = lookups.get(&c.id).copied();
                let mut conn = connection(c, dns_by_addr);
                if let Some(p) = lookup.and_then(lookup_phase) {
                    conn.phases.insert(0, p);
                }
                conn
            })
            .collect();
        crate::explain::explain(&mut connections);
        let hosts = host_groups(&connections);
        let dns = state
            .dns_names
            .into_iter()
            .map(|(name, addrs, first_frame)| DnsName {
                name,
                addresses: addrs.iter().map(|a| a.to_string()).collect(),
                first_frame,
            })
            .collect();
        Report {
            schema_version: SCHEMA_VERSION,
            generator: format!("connscope {}", env!("CARGO_PKG_VERSION")),
            capture: CaptureSummary {
                format: info.format.unwrap_or("unknown").to_string(),
                compression: info.compression.map(str::to_string),
                byte_order: info
                    .big_endian
                    .map(|b| if b { "big" } else { "little" }.to_string()),
                timestamp_resolution: info.ts_resolution.clone(),
                link_types: info
                    .link_types
                    .iter()
                    .map(|&id| LinkType {
                        id,
                        name: linktype::name(id),
                    })
                    .collect(),
                interfaces: info.interfaces,
                packets: info.packets,
                bytes: info.bytes,
                file_bytes: info.file_bytes,
                first_ts: info.first_ts.map(secs),
                last_ts: info.last_ts.map(secs),
                decryption_secrets: info.secrets_blocks,
            },
            connections,
            hosts,
            dns,
            warnings: warnings.into_vec(),
            error,
        }
    }
}

fn connection(
    c: Conn,
    dns_by_addr: &hashbrown::HashMap<IpAddr, Vec<crate::analyzer::DnsAnswer>>,
) -> Connection {
    let Conn {
        id,
        transport,
        stream,
        client,
        server,
        client_by,
        first,
        last,
        packets,
        bytes,
        tcp,
        quic,
        dns,
        app,
        log,
    } = c;
    let tcp_facts = tcp.as_deref().map(tcp_facts);
    let (mut tls, mut http) = (None, None);
    let mut label = match transport {
        Transport::Tcp => "TCP".to_string(),
        Transport::Udp => "UDP".to_string(),
    };
    let mut phases = Vec::with_capacity(10);
    let mut inner_notes: Option<crate::notes::Notes> = None;
    if let Some(t) = tcp.as_deref() {
        if let (Some(syn), Some(end)) = (t.syn, t.ack.or(t.syn_ack)) {
            phases.push(Phase {
                kind: "tcp_handshake".into(),
                start: secs(syn.ts),
                end: secs(end.ts),
                first_frame: syn.frame,
                exchange: None,
                side: None,
            });
        }
    }
    let http_before = log.http_before.as_deref();
    match &app {
        App::Tls(t) => {
            let f = tls_facts(t, tcp.as_deref());
            label = protocol_label_tls(&f, log.starttls);
            // With keys, the requests themselves; without, the rhythm of the records.
            let inner = t.inner.as_deref();
            match inner.map(|i| &i.app) {
                Some(App::Http(h)) => {
                    tls_phases(&t.facts, false, &mut phases);
                    http_phases(&h.exchanges, 0, &mut phases);
                    http = Some(http_facts(h, None));
                }
                Some(App::H2c(h2)) => {
                    tls_phases(&t.facts, false, &mut phases);
                    http_phases(&h2.exchanges, 0, &mut phases);
                    http = Some(http_facts_h2(h2, None, true));
                }
                _ => tls_phases(&t.facts, true, &mut phases),
            }
            if let Some(i) = inner {
                inner_notes = Some(i.log.notes.clone());
            }
            tls = Some(f);
        }
        App::Http(h) => {
            let f = http_facts(h, None);
            label = f.version.clone();
            http_phases(&h.exchanges, 0, &mut phases);
            http = Some(f);
        }
        App::H2c(h2) => {
            let f = http_facts_h2(h2, http_before, false);
            label = "h2c".into();
            let mut first = 0;
            if let Some(h) = http_before {
                http_phases(&h.exchanges, 0, &mut phases);
                first = h.exchanges.len();
            }
            http_phases(&h2.exchanges, first, &mut phases);
            http = Some(f);
        }
        App::Empty | App::Text(_) | App::Opaque | App::Detecting(_) => {
            if let Some(h) = http_before {
                let f = http_facts(h, None);
                label = format!("{} (then tunnel)", f.version);
                http_phases(&h.exchanges, 0, &mut phases);
                http = Some(f);
            }
        }
    }
    let mut quic_notes = Vec::new();
    let quic_facts = quic.as_deref().map(|q| {
        let parts = super::quic::build(q, last);
        label = parts.label;
        tls = parts.tls.or(tls.take());
        http = parts.http.or(http.take());
        phases.extend(parts.phases);
        quic_notes = parts.notes;
        parts.facts
    });
    let dns_facts = dns.as_deref().map(|d| DnsFacts {
        queries: d
            .queries
            .iter()
            .map(|q| DnsQuery {
                id: q.id,
                name: q.name.trim_end_matches('.').to_string(),
                qtype: q.qtype.clone(),
                frame: q.frame,
                ts: secs(q.ts),
                response_frame: q.response.map(|r| r.0),
                response_ts: q.response.map(|r| secs(r.1)),
                rcode: q.rcode.clone(),
                answers: q.answers.clone(),
            })
            .collect(),
    });
    if let Some(d) = &dns_facts {
        label = match server.1 {
            5353 => "mDNS",
            5355 => "LLMNR",
            _ => "DNS",
        }
        .into();
        for q in &d.queries {
            if let Some(end) = q.response_ts {
                phases.push(Phase {
                    kind: "dns".into(),
                    start: q.ts,
                    end,
                    first_frame: q.frame,
                    exchange: None,
                    side: None,
                });
            }
        }
    }
    if let Some(t) = tcp.as_deref() {
        close_phases(t, last, &mut phases);
    }
    phases.sort_by(|a, b| {
        a.start
            .total_cmp(&b.start)
            .then(a.first_frame.cmp(&b.first_frame))
    });
    // The report lives as long as the page shows it: no spare capacity per connection.
    phases.shrink_to_fit();

    // Best name: SNI, then HTTP Host, then DNS.
    let (host, host_source) = best_host(
        tls.as_ref(),
        http.as_ref(),
        &server.0,
        first.ts,
        dns_by_addr,
    );
    Connection {
        id,
        transport: if quic.is_some() {
            "quic".into()
        } else if transport == Transport::Tcp {
            "tcp".into()
        } else {
            "udp".into()
        },
        stream,
        client: Endpoint {
            ip: client.0.to_string(),
            port: client.1,
        },
        server: Endpoint {
            ip: server.0.to_string(),
            port: server.1,
        },
        client_by: client_by.as_str().into(),
        host,
        host_source,
        protocol: label,
        first_frame: first.frame,
        last_frame: last.frame,
        start: secs(first.ts),
        end: secs(last.ts.max(first.ts)),
        packets: packets.client + packets.server,
        packets_client: packets.client,
        packets_server: packets.server,
        bytes_client: bytes.client,
        bytes_server: bytes.server,
        tcp: tcp_facts.map(Box::new),
        quic: quic_facts.map(Box::new),
        tls: tls.map(Box::new),
        http: http.map(Box::new),
        dns: dns_facts.map(Box::new),
        phases,
        explanation: None,
        notes: {
            let mut notes = log.notes.into_vec();
            notes.extend(inner_notes.map(|n| n.into_vec()).unwrap_or_default());
            notes.extend(quic_notes);
            notes
        },
    }
}

/// A DNS lookup is shown on the connection it served: the first connection (not itself DNS) to
/// an answered address, opened after the answer and within this long of it.
const LOOKUP_SERVES_SECS: f64 = 30.0;

/// Connection id → the DNS answer it was the first to use.
fn dns_lookups<'a>(
    conns: &[Conn],
    dns_by_addr: &'a hashbrown::HashMap<IpAddr, Vec<crate::analyzer::DnsAnswer>>,
) -> hashbrown::HashMap<u32, &'a crate::analyzer::DnsAnswer> {
    let mut used: hashbrown::HashSet<(IpAddr, u64)> = hashbrown::HashSet::new();
    let mut out = hashbrown::HashMap::new();
    for c in conns.iter().filter(|c| c.dns.is_none()) {
        let Some(answers) = dns_by_addr.get(&c.server.0) else {
            continue;
        };
        let Some(a) = answers.iter().rev().find(|a| a.ts <= c.first.ts) else {
            continue;
        };
        if c.first.ts.secs_since(a.ts) > LOOKUP_SERVES_SECS {
            continue;
        }
        if used.insert((c.server.0, a.frame)) {
            out.insert(c.id, a);
        }
    }
    out
}

/// The `dns` phase on the connection a lookup served: query to answer (the answer alone when the
/// query is not in the capture).
fn lookup_phase(a: &crate::analyzer::DnsAnswer) -> Option<Phase> {
    let (frame, start) = a.query.unwrap_or((a.frame, a.ts));
    Some(Phase {
        kind: "dns".into(),
        start: secs(start),
        end: secs(a.ts.max(start)),
        first_frame: frame,
        exchange: None,
        side: None,
    })
}

fn best_host(
    tls: Option<&TlsFacts>,
    http: Option<&HttpFacts>,
    server: &IpAddr,
    start: Ts,
    dns_by_addr: &hashbrown::HashMap<IpAddr, Vec<crate::analyzer::DnsAnswer>>,
) -> (Option<String>, Option<Text>) {
    if let Some(sni) = tls.and_then(|t| t.sni.clone()).filter(|s| !s.is_empty()) {
        return (Some(sni), Some("sni".into()));
    }
    if let Some(host) = http.and_then(|h| h.requests.iter().find_map(|r| r.host.clone())) {
        let name = strip_port(&host);
        if !name.is_empty() {
            return (Some(name), Some("http_host".into()));
        }
    }
    if let Some(answers) = dns_by_addr.get(server) {
        // The answer the client had when it connected; else the first one.
        let pick = answers
            .iter()
            .rev()
            .find(|a| a.ts <= start)
            .or(answers.first());
        if let Some(a) = pick {
            return (Some(a.name.clone()), Some("dns".into()));
        }
    }
    (None, None)
}

fn strip_port(host: &str) -> String {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h.to_string(),
        _ => host.to_string(),
    }
}

fn tcp_facts(t: &TcpState) -> TcpFacts {
    let rtt = match (t.syn, t.ack) {
        (Some(s), Some(a)) => Some(a.ts.secs_since(s.ts).max(0.0)),
        _ => None,
    };
    let (closed_by, close) = close_summary(t);
    let idle_before_close = t.first_close.map(|(_, o, _)| {
        let from = t
            .last_payload_before_close
            .or(t.ack)
            .or(t.syn_ack)
            .or(t.syn);
        from.map(|f| o.ts.secs_since(f.ts).max(0.0)).unwrap_or(0.0)
    });
    TcpFacts {
        conn_state: t.zeek.conn_state().into(),
        history: t.zeek.history().to_string(),
        syn: t.syn.map(ft),
        syn_ack: t.syn_ack.map(ft),
        ack: t.ack.map(ft),
        rtt,
        syn_count: t.syn_count,
        retransmissions_client: t.retransmissions.client,
        retransmissions_server: t.retransmissions.server,
        fin_client: t.fin.client.map(ft),
        fin_server: t.fin.server.map(ft),
        rst_client: t.rst.client.map(ft),
        rst_server: t.rst.server.map(ft),
        closed_by,
        close: close.into(),
        idle_before_close,
    }
}

fn close_summary(t: &TcpState) -> (Option<Side>, &'static str) {
    if t.syn.is_some() && t.syn_ack.is_none() {
        if t.rst.server.is_some() {
            return (Some(Side::Server), "refused");
        }
        if t.fin.server.is_none() && t.last_payload.is_none() {
            return (t.first_close.map(|c| c.0), "unanswered");
        }
    }
    match t.first_close {
        Some((side, _, true)) => (Some(side), "rst"),
        Some((side, _, false)) => (Some(side), "fin"),
        None => (None, "open"),
    }
}

fn close_phases(t: &TcpState, last: Origin, phases: &mut Vec<Phase>) {
    let Some((side, first_close, _)) = t.first_close else {
        return;
    };
    // Idle: silence between the last payload and the close.
    if let Some(p) = t.last_payload_before_close {
        if first_close.ts.secs_since(p.ts) >= IDLE_PHASE_MIN_SECS {
            phases.push(Phase {
                kind: "idle".into(),
                start: secs(p.ts),
                end: secs(first_close.ts),
                first_frame: p.frame,
                exchange: None,
                side: None,
            });
        }
    }
    phases.push(Phase {
        kind: "close".into(),
        start: secs(first_close.ts),
        end: secs(last.ts.max(first_close.ts)),
        first_frame: first_close.frame,
        exchange: None,
        side: Some(side),
    });
}

fn protocol_label_tls(f: &TlsFacts, starttls: bool) -> String {
    let mut s = f.version.clone().unwrap_or_else(|| "TLS".to_string());
    if let Some(alpn) = &f.alpn {
        s.push_str(" + ");
        s.push_str(alpn);
    }
    if starttls {
        s.push_str(" (STARTTLS)");
    }
    s
}

fn tls_facts(t: &TlsConn, tcp: Option<&TcpState>) -> TlsFacts {
    let f = &t.facts;
    let ch = f.client_hello.as_ref();
    let sh = f.server_hello.as_ref();
    let tls13 = f.is_tls13();
    let session_id_echoed = match (ch, sh) {
        (Some(c), Some(s)) => !c.session_id.is_empty() && c.session_id == s.session_id,
        _ => false,
    };
    let psk_accepted = sh.is_some_and(|s| s.psk_accepted);
    let ticket_offered = ch.is_some_and(|c| c.ticket_offered);
    // An abbreviated TLS ≤ 1.2 handshake: the server's ChangeCipherSpec came without a certificate.
    let abbreviated = !tls13 && sh.is_some() && f.ccs.server && !f.server_sent_certificate;
    let (resumed, resumption) = if tls13 {
        (psk_accepted, psk_accepted.then(|| "psk".to_string()))
    } else if session_id_echoed && !ticket_offered {
        (true, Some("session_id".to_string()))
    } else if (session_id_echoed || abbreviated) && ticket_offered {
        (true, Some("ticket".to_string()))
    } else if session_id_echoed || abbreviated {
        (true, Some("session_id".to_string()))
    } else {
        (false, None)
    };
    let completed = if tls13 {
        f.finished.client
    } else {
        f.finished.client && f.finished.server
    } || (f.app.client.records > 0 && f.app.server.records > 0 && sh.is_some());
    let (outcome, aborted_after) = outcome(f, tcp, completed);
    let handshake = f
        .events
        .iter()
        .map(|e| HandshakeMessage {
            kind: e.kind.into(),
            code: e.code,
            frame: e.origin.frame,
            ts: secs(e.origin.ts),
            from: e.side,
        })
        .collect();
    let alerts = f
        .alerts
        .iter()
        .map(|a| TlsAlert {
            from: a.side,
            level: a.level.map(names::alert_level_name),
            description: a.description.map(names::alert_name),
            code: a.description,
            encrypted: a.encrypted,
            frame: a.origin.frame,
            ts: secs(a.origin.ts),
        })
        .collect();
    let count = |i: Side| RecordCount {
        records: f.app[i].records,
        bytes: f.app[i].bytes,
        first: f.app[i].first.map(ft),
        last: f.app[i].last.map(ft),
    };
    let versions_offered = ch
        .map(|c| {
            let v = if c.supported_versions.is_empty() {
                vec![c.version]
            } else {
                c.supported_versions.clone()
            };
            v.iter().map(|v| format!("0x{v:04x}")).collect()
        })
        .unwrap_or_default();
    TlsFacts {
        version: sh.map(|s| names::version_name(s.version)),
        sni: ch.and_then(|c| c.sni.clone()),
        alpn_offered: ch.map(|c| c.alpn.clone()).unwrap_or_default(),
        alpn: sh
            .and_then(|s| s.alpn.clone())
            .or_else(|| f.alpn_encrypted.clone()),
        decrypted: f.decrypted_records.client > 0 || f.decrypted_records.server > 0,
        versions_offered,
        cipher: sh.map(|s| names::cipher_name(s.cipher)),
        client_session_id_len: ch.map(|c| c.session_id_len),
        session_id_echoed,
        ticket_offered,
        psk_offered: ch.is_some_and(|c| c.psk_offered),
        early_data_offered: ch.is_some_and(|c| c.early_data),
        psk_accepted,
        resumed,
        resumption,
        outcome: outcome.into(),
        aborted_after,
        handshake,
        alerts,
        certificate: f.certificate.clone(),
        chain_len: f.chain_len,
        app_data_client: count(Side::Client),
        app_data_server: count(Side::Server),
    }
}

/// Who ended an unfinished handshake, and after which message.
fn outcome(
    f: &TlsFactsRaw,
    tcp: Option<&TcpState>,
    completed: bool,
) -> (&'static str, Option<String>) {
    if completed {
        return ("completed", None);
    }
    if f.client_hello.is_none() {
        return ("unknown", None);
    }
    // The first fatal (or encrypted) alert, else the first FIN/RST.
    let alert = f
        .alerts
        .iter()
        .find(|a| a.encrypted || a.level == Some(2))
        .map(|a| (a.side, a.origin));
    let close = tcp.and_then(|t| t.first_close).map(|(s, o, _)| (s, o));
    let abort = match (alert, close) {
        (Some(a), Some(c)) if c.1.frame < a.1.frame => Some(c),
        (Some(a), _) => Some(a),
        (None, c) => c,
    };
    let Some((side, at)) = abort else {
        return ("incomplete", None);
    };
    let after = f
        .events
        .iter()
        .rfind(|e| e.origin.frame <= at.frame && e.kind != "change_cipher_spec")
        .map(|e| {
            if e.kind == "encrypted_handshake" && e.side == Side::Server {
                "encrypted_server_flight".to_string()
            } else {
                e.kind.to_string()
            }
        });
    let outcome = match side {
        Side::Client => "aborted_by_client",
        Side::Server => "aborted_by_server",
    };
    (outcome, after)
}

fn tls_phases(f: &TlsFactsRaw, with_turns: bool, phases: &mut Vec<Phase>) {
    let Some(first) = f.events.first() else {
        return;
    };
    // The handshake ends with the last handshake record before application data flows.
    let first_app = [f.app.client.first, f.app.server.first]
        .into_iter()
        .flatten()
        .map(|o| o.ts)
        .min();
    let end = f
        .events
        .iter()
        .filter(|e| first_app.is_none_or(|t| e.origin.ts <= t))
        .map(|e| e.origin.ts)
        .max()
        .unwrap_or(first.origin.ts);
    phases.push(Phase {
        kind: "tls_handshake".into(),
        start: secs(first.origin.ts),
        end: secs(end),
        first_frame: first.origin.frame,
        exchange: None,
        side: None,
    });
    if !with_turns {
        return;
    }
    // Without keys, application-data turns show the request/response rhythm.
    let mut exchange = 0u32;
    let mut turns = f.turns.iter().peekable();
    while let Some(t) = turns.next() {
        if t.side != Side::Client {
            continue;
        }
        phases.push(Phase {
            kind: "request".into(),
            start: secs(t.first.ts),
            end: secs(t.last.ts),
            first_frame: t.first.frame,
            exchange: Some(exchange),
            side: Some(Side::Client),
        });
        if let Some(r) = turns.next_if(|r| r.side == Side::Server) {
            phases.push(Phase {
                kind: "waiting".into(),
                start: secs(t.last.ts),
                end: secs(r.first.ts),
                first_frame: t.last.frame,
                exchange: Some(exchange),
                side: None,
            });
            phases.push(Phase {
                kind: "download".into(),
                start: secs(r.first.ts),
                end: secs(r.last.ts),
                first_frame: r.first.frame,
                exchange: Some(exchange),
                side: Some(Side::Server),
            });
        }
        exchange += 1;
    }
}

/// Request, waiting and download phases of each exchange; `first` is the index of the first
/// exchange in the connection's `http.requests` (h2c after an Upgrade comes after the HTTP/1
/// exchanges).
fn http_phases(exchanges: &[Exchange], first: usize, phases: &mut Vec<Phase>) {
    for (n, e) in exchanges.iter().enumerate() {
        let Some(start) = e.start else { continue };
        let req_end = e.end.unwrap_or(start);
        let ex = u32::try_from(first.saturating_add(n)).ok();
        phases.push(Phase {
            kind: "request".into(),
            start: secs(start.ts),
            end: secs(req_end.ts),
            first_frame: start.frame,
            exchange: ex,
            side: Some(Side::Client),
        });
        if let Some(r) = &e.response {
            if let Some(rs) = r.start {
                phases.push(Phase {
                    kind: "waiting".into(),
                    start: secs(req_end.ts),
                    end: secs(rs.ts.max(req_end.ts)),
                    first_frame: req_end.frame,
                    exchange: ex,
                    side: None,
                });
                let rend = r.end.unwrap_or(rs);
                phases.push(Phase {
                    kind: "download".into(),
                    start: secs(rs.ts),
                    end: secs(rend.ts.max(rs.ts)),
                    first_frame: rs.frame,
                    exchange: ex,
                    side: Some(Side::Server),
                });
            }
        }
    }
    // Silence between exchanges on a kept-alive connection.
    for (prev, next) in exchanges.iter().zip(exchanges.iter().skip(1)) {
        let prev_end = prev
            .response
            .as_ref()
            .and_then(|r| r.end.or(r.start))
            .or(prev.end);
        if let (Some(p), Some(n)) = (prev_end, next.start) {
            if n.ts.secs_since(p.ts) >= IDLE_PHASE_MIN_SECS {
                phases.push(Phase {
                    kind: "idle".into(),
                    start: secs(p.ts),
                    end: secs(n.ts),
                    first_frame: p.frame,
                    exchange: None,
                    side: None,
                });
            }
        }
    }
}

fn request_report(e: &Exchange) -> HttpRequest {
    let start = e.start.unwrap_or(Origin {
        frame: 0,
        ts: Ts::default(),
    });
    let end = e.end.unwrap_or(start);
    let r = e.response.as_ref();
    HttpRequest {
        method: e.method.clone(),
        target: e.target.clone(),
        host: e.host.clone(),
        version: e.version.clone(),
        frame: start.frame,
        ts: secs(start.ts),
        end_frame: end.frame,
        end_ts: secs(end.ts),
        connection: e.connection.clone(),
        authorization: e.authorization.clone(),
        upgrade: e.upgrade.clone(),
        pipelined: e.pipelined,
        status: r.map(|r| r.status),
        reason: r.map(|r| r.reason.clone()),
        response_version: r.map(|r| r.version.clone()),
        response_frame: r.and_then(|r| r.start).map(|o| o.frame),
        response_ts: r.and_then(|r| r.start).map(|o| secs(o.ts)),
        response_end_frame: r.and_then(|r| r.end).map(|o| o.frame),
        response_end_ts: r.and_then(|r| r.end).map(|o| secs(o.ts)),
        response_connection: r.and_then(|r| r.connection.clone()),
        keep_alive: r.and_then(|r| r.keep_alive.clone()),
        www_authenticate: r.and_then(|r| r.www_authenticate.clone()),
        response_upgrade: r.and_then(|r| r.upgrade.clone()),
        location: r.and_then(|r| r.location.clone()),
        alt_svc: r.and_then(|r| r.alt_svc.clone()),
        response_body_bytes: r.map(|r| r.body_bytes),
        response_missing_bytes: r.map(|r| r.missing_bytes).unwrap_or(0),
        interim_responses: e.interim,
    }
}

fn http_facts(h: &Http1Conn, h2: Option<H2Facts>) -> HttpFacts {
    let version = h
        .exchanges
        .first()
        .map(|e| e.version.clone())
        .unwrap_or_else(|| {
            h.unmatched
                .first()
                .map(|r| r.version.clone())
                .unwrap_or_else(|| "HTTP/1.1".into())
        });
    HttpFacts {
        version: if h2.is_some() { "h2c".into() } else { version },
        requests: h.exchanges.iter().map(request_report).collect(),
        unmatched_responses: h
            .unmatched
            .iter()
            .map(|r| {
                let s = r.start.unwrap_or(Origin {
                    frame: 0,
                    ts: Ts::default(),
                });
                HttpResponseOnly {
                    status: r.status,
                    missing_bytes: r.missing_bytes,
                    version: r.version.clone(),
                    frame: s.frame,
                    ts: secs(s.ts),
                    end_frame: r.end.unwrap_or(s).frame,
                }
            })
            .collect(),
        pipelined: h.pipelined,
        requests_not_kept: h.dropped,
        h2,
    }
}

fn http_facts_h2(h2: &H2Conn, before: Option<&Http1Conn>, over_tls: bool) -> HttpFacts {
    let facts = H2Facts {
        started_by: if h2.started_by_upgrade {
            "upgrade"
        } else {
            "prior_knowledge"
        }
        .into(),
        frames: h2.frames,
        frames_by_type: h2.frames_by_type(),
        streams: h2.streams.clone(),
        goaway: h2.goaway,
        rst_streams: h2.rst_streams,
    };
    let streams: Vec<HttpRequest> = h2.exchanges.iter().map(request_report).collect();
    let mut f = match before {
        Some(h) => http_facts(h, Some(facts)),
        None => HttpFacts {
            version: if over_tls { "HTTP/2" } else { "h2c" }.into(),
            requests: Vec::new(),
            unmatched_responses: Vec::new(),
            pipelined: false,
            requests_not_kept: 0,
            h2: Some(facts),
        },
    };
    f.requests.extend(streams);
    f.requests_not_kept = f.requests_not_kept.saturating_add(h2.exchanges_dropped);
    f
}

fn host_groups(connections: &[Connection]) -> Vec<HostGroup> {
    let mut groups: Vec<HostGroup> = Vec::new();
    let mut index: hashbrown::HashMap<(String, String), usize> = hashbrown::HashMap::new();
    for c in connections {
        let host = c.host.clone().unwrap_or_else(|| c.server.ip.clone());
        let key = (c.client.ip.clone(), host.clone());
        let server = {
            let ip: Option<std::net::IpAddr> = c.server.ip.parse().ok();
            match ip {
                Some(ip) => endpoint_string(&IpAddr::from_std(ip), c.server.port),
                None => format!("{}:{}", c.server.ip, c.server.port),
            }
        };
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(HostGroup {
                client: c.client.ip.clone(),
                host,
                servers: Vec::new(),
                connections: Vec::new(),
            });
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            if !g.servers.contains(&server) {
                g.servers.push(server);
            }
            g.connections.push(c.id);
        }
    }
    groups
}
