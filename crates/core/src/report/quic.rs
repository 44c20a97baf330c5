//! A QUIC flow in the report: `QuicFacts`, the TLS facts read from its CRYPTO frames (the same
//! `TlsFacts` a TCP connection gets), HTTP/3 requests as `HttpFacts`, its phases on the time
//! axis and what could not be read.

use super::*;
use crate::protocols::quic::frames::{h3_error_name, transport_error_name};
use crate::protocols::quic::http3::H3Request;
use crate::protocols::quic::{version_name, KeyState, QuicFlow};
use crate::protocols::tls::names;
use crate::reassembly::Origin;
use crate::time::Ts;

fn ft(o: Origin) -> FrameTime {
    FrameTime {
        frame: o.frame,
        ts: o.ts.as_secs_f64(),
    }
}

fn secs(t: Ts) -> f64 {
    t.as_secs_f64()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Everything the report takes from a QUIC flow.
pub(super) struct QuicParts {
    pub facts: QuicFacts,
    pub tls: Option<TlsFacts>,
    pub http: Option<HttpFacts>,
    pub label: String,
    pub phases: Vec<Phase>,
    pub notes: Vec<Note>,
}

/// When the handshake was over, as far as the capture shows: the client's Finished (with
/// keys), else the server's HANDSHAKE_DONE, else the client's first 1-RTT packet once the
/// server has sent 1-RTT too.
fn handshake_end(q: &QuicFlow) -> Option<Origin> {
    if let Some(e) = q
        .tls
        .events
        .iter()
        .find(|e| e.code == Some(20) && e.side == Side::Client)
    {
        return Some(e.origin);
    }
    if let Some(d) = q.handshake_done {
        return Some(d);
    }
    match (q.first_short.client, q.first_short.server) {
        (Some(c), Some(_)) => Some(c),
        _ => None,
    }
}

pub(super) fn build(q: &QuicFlow, last: Origin) -> QuicParts {
    let mut notes = Vec::new();
    let decrypted = q
        .handshake
        .decrypted
        .saturating_add(q.zero_rtt.decrypted)
        .saturating_add(q.short.client.decrypted)
        .saturating_add(q.short.server.decrypted);
    let undecrypted = q
        .handshake
        .undecryptable
        .saturating_add(q.zero_rtt.undecryptable)
        .saturating_add(q.short.client.undecryptable)
        .saturating_add(q.short.server.undecryptable);
    let close = q.close.as_ref().map(|c| QuicClose {
        from: c.side,
        frame: c.origin.frame,
        ts: secs(c.origin.ts),
        kind: if c.application {
            "application"
        } else {
            "transport"
        }
        .into(),
        code: c.code,
        error: if c.application {
            h3_error_name(c.code)
        } else {
            transport_error_name(c.code)
        },
        reason: c.reason.clone(),
        space: c.space.into(),
    });
    let facts = QuicFacts {
        version: version_name(q.version),
        versions: q.versions.iter().map(|v| version_name(*v)).collect(),
        dcid: q.client_dcid.as_ref().map(|d| hex(d)),
        scid: q.client_scid.as_ref().map(|d| hex(d)),
        server_cid: q.server_scid.as_ref().map(|d| hex(d)),
        long_header_packets: q
            .initial
            .packets
            .saturating_add(q.handshake.packets)
            .saturating_add(q.zero_rtt.packets)
            .saturating_add(u64::from(q.retry.is_some()))
            .saturating_add(u64::from(q.version_negotiation.is_some())),
        short_header_packets: q
            .short
            .client
            .packets
            .saturating_add(q.short.server.packets),
        short_header_packets_client: q.short.client.packets,
        short_header_packets_server: q.short.server.packets,
        initial_packets: q.initial.packets,
        handshake_packets: q.handshake.packets,
        zero_rtt_packets: q.zero_rtt.packets,
        retry: q.retry.is_some(),
        version_negotiation: q.version_negotiation.is_some(),
        negotiation_versions: q
            .negotiation_versions
            .iter()
            .map(|v| version_name(*v))
            .collect(),
        initial_decrypted: q.initial.decrypted,
        decrypted_packets: decrypted,
        undecrypted_packets: undecrypted,
        keys: match q.keys {
            KeyState::NoKeyLog => "none",
            KeyState::Missing => "missing",
            KeyState::Found => "found",
        }
        .into(),
        first_client_initial: q.first_initial.client.map(ft),
        first_server_initial: q.first_initial.server.map(ft),
        handshake_confirmed: handshake_end(q).map(ft),
        zero_rtt_first: q.first_zero_rtt.map(ft),
        close,
        key_updates: q.key_updates.client.saturating_add(q.key_updates.server),
        new_connection_ids: q
            .new_connection_ids
            .client
            .saturating_add(q.new_connection_ids.server),
        other_cid_packets: q
            .other_dcid_packets
            .client
            .saturating_add(q.other_dcid_packets.server),
        continues_connection: q.continues.as_ref().map(|c| c.0),
    };
    if let Some((_, stream, cid)) = &q.continues {
        notes.push(Note {
            code: "quic_migration".into(),
            message: format!(
                "continues QUIC connection udp.stream {stream} on a new path (connection id {}); its packets are counted here, not decrypted",
                hex(cid)
            ),
            frame: None,
        });
    }
    if q.initial.packets > 0 && q.initial.decrypted == 0 {
        notes.push(Note {
            code: "quic_initial_unreadable".into(),
            message: format!(
                "{} Initial packets could not be opened (version {} has no known Initial keys, or the client's first Initial is missing)",
                q.initial.packets,
                version_name(q.version)
            ),
            frame: q.first_initial.client.or(q.first_initial.server).map(|o| o.frame),
        });
    }
    match q.keys {
        KeyState::Missing => notes.push(Note {
            code: "quic_no_keys".into(),
            message: "the key log has no secrets for this QUIC connection's client random: Handshake and 1-RTT packets stay encrypted".into(),
            frame: q.first_initial.client.map(|o| o.frame),
        }),
        KeyState::Found if undecrypted > 0 => notes.push(Note {
            code: "quic_decrypt_failed".into(),
            message: format!(
                "{undecrypted} packets did not open with the key log's secrets (wrong or incomplete keys, or damaged packets)"
            ),
            frame: None,
        }),
        _ => {}
    }
    if q.crypto_dropped > 0 {
        notes.push(Note {
            code: "limit".into(),
            message: format!(
                "{} CRYPTO bytes beyond the {} KiB reassembly window were not read",
                q.crypto_dropped,
                crate::protocols::quic::crypto_stream::MAX_CRYPTO_BYTES / 1024
            ),
            frame: None,
        });
    }
    let tls = tls_facts(q);
    let http = q.h3.as_deref().map(|h| {
        if h.unreadable_headers > 0 || h.blocked_headers() > 0 {
            notes.push(Note {
                code: "http_unparsed".into(),
                message: format!(
                    "{} HTTP/3 header blocks could not be decoded (QPACK dynamic table state missing)",
                    h.unreadable_headers.saturating_add(h.blocked_headers() as u64)
                ),
                frame: None,
            });
        }
        HttpFacts {
            version: "HTTP/3".into(),
            requests: h.requests.iter().map(request).collect(),
            unmatched_responses: Vec::new(),
            pipelined: false,
            requests_not_kept: h.requests_not_kept,
            h2: None,
        }
    });
    let mut label = format!("QUIC v{}", version_name(q.version));
    if q.continues.is_some() {
        label.push_str(" (migrated)");
    }
    if let Some(alpn) = chosen_alpn(q, tls.as_ref()) {
        label.push_str(" + ");
        label.push_str(&alpn);
    }
    let phases = phases(q, http.as_ref(), last);
    QuicParts {
        facts,
        tls,
        http,
        label,
        phases,
        notes,
    }
}

/// The ALPN in use: EncryptedExtensions when read; otherwise the only protocol the client
/// offered, once the handshake completed (a QUIC server must pick one of the offered protocols
/// or fail the handshake, RFC 9001 §8.1).
fn chosen_alpn(q: &QuicFlow, tls: Option<&TlsFacts>) -> Option<String> {
    if let Some(a) = &q.tls.alpn {
        return Some(a.clone());
    }
    let t = tls?;
    match t.alpn_offered.as_slice() {
        [only] if t.outcome == "completed" => Some(only.clone()),
        _ => None,
    }
}

fn tls_facts(q: &QuicFlow) -> Option<TlsFacts> {
    let t = &q.tls;
    let ch = t.client_hello.as_ref()?;
    let sh = t.server_hello.as_ref();
    let psk_accepted = sh.is_some_and(|s| s.psk_accepted);
    let completed = t.finished.client || handshake_end(q).is_some() && sh.is_some();
    let (outcome, aborted_after) = if completed {
        ("completed", None)
    } else if let Some(c) = q.close.as_ref().filter(|c| c.space != "1rtt") {
        let after = t
            .events
            .iter()
            .rfind(|e| e.origin.frame <= c.origin.frame)
            .map(|e| e.kind.to_string());
        (
            match c.side {
                Side::Client => "aborted_by_client",
                Side::Server => "aborted_by_server",
            },
            after,
        )
    } else if client_gave_up(q) {
        // Without keys the client's CONNECTION_CLOSE is inside a Handshake packet; what shows is
        // the client answering the server's handshake flight and then falling silent, no 1-RTT
        // packet from either side.
        (
            "aborted_by_client",
            Some("encrypted_server_flight".to_string()),
        )
    } else {
        ("incomplete", None)
    };
    // A CONNECTION_CLOSE with CRYPTO_ERROR (0x0100 + alert) carries a TLS alert (RFC 9001 §4.8).
    let alerts = q
        .close
        .as_ref()
        .filter(|c| !c.application && (0x100..0x200).contains(&c.code))
        .map(|c| {
            let code = u8::try_from(c.code & 0xff).unwrap_or(0);
            vec![TlsAlert {
                from: c.side,
                level: Some(names::alert_level_name(2)),
                description: Some(names::alert_name(code)),
                code: Some(code),
                encrypted: c.space != "initial",
                frame: c.origin.frame,
                ts: secs(c.origin.ts),
            }]
        })
        .unwrap_or_default();
    let versions_offered = if ch.supported_versions.is_empty() {
        vec![ch.version]
    } else {
        ch.supported_versions.clone()
    };
    let count = |side: Side| {
        let c = &q.short[side];
        RecordCount {
            records: c.packets,
            bytes: c.bytes,
            first: q.first_short[side].map(ft),
            last: q.last_short[side].map(ft),
        }
    };
    Some(TlsFacts {
        version: sh.map(|s| names::version_name(s.version)),
        sni: ch.sni.clone(),
        alpn_offered: ch.alpn.clone(),
        alpn: t.alpn.clone(),
        versions_offered: versions_offered
            .iter()
            .map(|v| format!("0x{v:04x}"))
            .collect(),
        cipher: sh.map(|s| names::cipher_name(s.cipher)),
        client_session_id_len: Some(ch.session_id_len),
        session_id_echoed: false,
        ticket_offered: ch.ticket_offered,
        psk_offered: ch.psk_offered,
        early_data_offered: ch.early_data,
        psk_accepted,
        resumed: psk_accepted,
        resumption: psk_accepted.then(|| "psk".to_string()),
        outcome: outcome.into(),
        aborted_after,
        handshake: t
            .events
            .iter()
            .map(|e| HandshakeMessage {
                kind: e.kind.into(),
                code: e.code,
                frame: e.origin.frame,
                ts: secs(e.origin.ts),
                from: e.side,
            })
            .collect(),
        alerts,
        certificate: None,
        chain_len: 0,
        app_data_client: count(Side::Client),
        app_data_server: count(Side::Server),
        decrypted: q.tls.finished.server || q.tls.alpn.is_some(),
    })
}

/// The client answered the server's Handshake flight, then sent no 1-RTT packet: it gave up
/// during the handshake (a rejected certificate, typically).
fn client_gave_up(q: &QuicFlow) -> bool {
    let (Some(server_hs), Some(client_hs)) = (q.first_handshake.server, q.last_handshake.client)
    else {
        return false;
    };
    // (A server may send 1-RTT data before the client's Finished; a client that completed its
    // handshake always sends 1-RTT packets, at least acknowledgements.)
    q.short.client.packets == 0
        && q.handshake_done.is_none()
        && client_hs.frame > server_hs.frame
        && !q.tls.finished.client
}

fn request(r: &H3Request) -> HttpRequest {
    let start = r.first.or(r.headers_at);
    let end = r.end.or(r.headers_at).or(start);
    HttpRequest {
        method: r.method.clone().unwrap_or_default(),
        target: r.path.clone().unwrap_or_default(),
        host: r.authority.clone(),
        version: "HTTP/3".into(),
        frame: start.map_or(0, |o| o.frame),
        ts: start.map_or(0.0, |o| secs(o.ts)),
        end_frame: end.map_or(0, |o| o.frame),
        end_ts: end.map_or(0.0, |o| secs(o.ts)),
        connection: None,
        authorization: None,
        upgrade: None,
        pipelined: false,
        status: r.status,
        reason: None,
        response_version: r.status.map(|_| "HTTP/3".to_string()),
        response_frame: r.response_first.map(|o| o.frame),
        response_ts: r.response_first.map(|o| secs(o.ts)),
        response_end_frame: r.response_end.map(|o| o.frame),
        response_end_ts: r.response_end.map(|o| secs(o.ts)),
        response_connection: None,
        keep_alive: None,
        www_authenticate: None,
        response_upgrade: None,
        location: None,
        alt_svc: r.alt_svc.clone(),
        response_body_bytes: r.status.map(|_| r.response_body_bytes),
        response_missing_bytes: 0,
        interim_responses: r.interim,
    }
}

fn phase(
    kind: &'static str,
    a: Origin,
    b: Origin,
    exchange: Option<u32>,
    side: Option<Side>,
) -> Phase {
    Phase {
        kind: kind.into(),
        start: secs(a.ts),
        end: secs(b.ts.max(a.ts)),
        first_frame: a.frame,
        exchange,
        side,
    }
}

fn phases(q: &QuicFlow, http: Option<&HttpFacts>, last: Origin) -> Vec<Phase> {
    let mut out = Vec::new();
    let client_initial = q.first_initial.client;
    let server_first = [
        q.first_initial.server,
        q.first_handshake.server,
        q.first_short.server,
    ]
    .into_iter()
    .flatten()
    .min_by_key(|o| o.frame);
    // Initial: the client's first Initial until the server's first answer (one round trip).
    if let (Some(c), Some(s)) = (client_initial, server_first) {
        out.push(phase("quic_initial", c, s, None, None));
        // Handshake: from the server's answer until the handshake is done.
        let end = handshake_end(q)
            .or(q.last_handshake.client)
            .or(q.last_handshake.server);
        if let Some(e) = end.filter(|e| e.frame >= s.frame) {
            out.push(phase("quic_handshake", s, e, None, None));
        }
    } else if let Some(c) = client_initial {
        // No answer: the attempt is all Initial.
        out.push(phase("quic_initial", c, last, None, None));
    }
    let exchanges = http.map(|h| h.requests.as_slice()).unwrap_or_default();
    if exchanges.is_empty() {
        // Without keys: the 1-RTT stretch (application data, encrypted).
        let first = [q.first_short.client, q.first_short.server]
            .into_iter()
            .flatten()
            .min_by_key(|o| o.frame);
        let end = [q.last_short.client, q.last_short.server]
            .into_iter()
            .flatten()
            .max_by_key(|o| o.frame);
        if let (Some(a), Some(b)) = (first, end) {
            out.push(phase("quic_1rtt", a, b, None, None));
        }
    }
    for (n, r) in exchanges.iter().enumerate() {
        let ex = Some(u32::try_from(n).unwrap_or(u32::MAX));
        let o = |frame: u64, ts: f64| Phase {
            kind: "".into(),
            start: ts,
            end: ts,
            first_frame: frame,
            exchange: ex,
            side: None,
        };
        if r.frame == 0 {
            continue;
        }
        let mut p = o(r.frame, r.ts);
        p.kind = "request".into();
        p.end = r.end_ts.max(r.ts);
        p.side = Some(Side::Client);
        out.push(p);
        if let (Some(rf), Some(rt)) = (r.response_frame, r.response_ts) {
            let mut w = o(r.end_frame, r.end_ts);
            w.kind = "waiting".into();
            w.end = rt.max(r.end_ts);
            out.push(w);
            let mut d = o(rf, rt);
            d.kind = "download".into();
            d.end = r.response_end_ts.unwrap_or(rt).max(rt);
            d.side = Some(Side::Server);
            out.push(d);
        }
    }
    for (a, b) in &q.gaps {
        out.push(phase("idle", *a, *b, None, None));
    }
    if let Some(c) = &q.close {
        out.push(phase("close", c.origin, last, None, Some(c.side)));
    }
    out
}
