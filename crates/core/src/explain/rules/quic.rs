//! QUIC next to TCP. A browser uses QUIC for a host once the host said it speaks HTTP/3 (an
//! `Alt-Svc: h3=...` response header, or a DNS HTTPS record with `alpn=h3`); it races the QUIC
//! connection against a TCP one so that a blocked UDP path costs nothing, and it falls back to
//! TCP when QUIC fails. These rules name the switch, the race (and who won), and the fallback.

use super::super::view::{Setup, View};
use super::super::{ev, index, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// Chromium's HttpStreamFactory::JobController starts the QUIC ("alternative") job and the TCP
/// ("main") job for the same request; the TCP job is delayed only when QUIC worked on this
/// network before (by about 1.5 × the server's smoothed RTT, at most 3 s). Two connections of
/// different transports to one host opened closer than this belong to one race.
pub const RACE_WINDOW_SECS: f64 = 3.0;
/// An Alt-Svc or HTTPS record is followed by a QUIC connection this soon at the latest (the
/// Alt-Svc lifetime is longer, but later connections have other reasons to exist).
const SWITCH_WINDOW_SECS: f64 = 600.0;
/// A TCP connection this soon after a failed QUIC attempt is its fallback.
const FALLBACK_WINDOW_SECS: f64 = 30.0;

fn race_rule() -> Option<crate::report::Rule> {
    rule(
        "quic_tcp_race",
        "With HTTP/3 advertised, Chromium races a QUIC connection against a TCP one for the same request and uses whichever is ready first; the loser is closed or left idle. QUIC is marked broken (and TCP used) when its handshake fails.",
        "Chromium net/http/http_stream_factory_job_controller.cc (main and alternative jobs); RFC 9114 §3.1.1; RFC 7838 (Alt-Svc)",
    )
}

/// Failed QUIC: the handshake never completed (no answer: UDP blocked; or aborted).
fn quic_failed(v: &View<'_>) -> bool {
    v.quic && v.ready.is_none()
}

/// The connection that won a race: the one that carried requests, else the one ready first.
fn winner<'v>(a: &'v View<'v>, b: &'v View<'v>) -> Option<&'v View<'v>> {
    match (a.requests.is_empty(), b.requests.is_empty()) {
        (false, true) => return Some(a),
        (true, false) => return Some(b),
        _ => {}
    }
    match (a.ready, b.ready) {
        (Some(x), Some(y)) => Some(if x <= y { a } else { b }),
        (Some(_), None) => Some(a),
        (None, Some(_)) => Some(b),
        (None, None) => None,
    }
}

fn kind(v: &View<'_>) -> &'static str {
    if v.quic {
        "QUIC"
    } else {
        "TCP"
    }
}

/// QUIC and TCP to the same host opened together. Applies to the TCP member of the pair, and to
/// a QUIC member that nothing else explains (no earlier advertisement seen).
pub fn race(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if !(v.quic || v.tls) {
        return None;
    }
    let other = index::opened_within(
        ctx.same_host(),
        v.opened - RACE_WINDOW_SECS,
        v.opened + RACE_WINDOW_SECS,
    )
    .iter()
    .copied()
    .filter(|o| o.id != v.id && o.quic != v.quic && (o.quic || o.tls))
    .min_by(|a, b| {
        (a.opened - v.opened)
            .abs()
            .total_cmp(&(b.opened - v.opened).abs())
    })?;
    // The first QUIC connection to a host, after the host advertised HTTP/3 (or after an
    // earlier TCP connection whose encrypted responses most likely did): explained as the
    // switch, which mentions the race.
    let first_quic = !ctx.earlier_in_group().any(|o| o.setup == Setup::Ready);
    let advertised = advertisement(ctx, v).is_some()
        || index::before(ctx.same_host(), v.opened, v.opened_frame)
            .iter()
            .any(|o| o.id != other.id && !o.quic && o.tls && o.opened < v.opened);
    if v.quic && first_quic && advertised {
        return None;
    }
    // A TCP connection whose own response advertised HTTP/3 before the QUIC attempt started
    // is the reason for the attempt, not a racer.
    if !v.quic && v.alt_svc_h3.is_some_and(|(ts, _)| ts < other.opened) {
        return None;
    }
    let (q, t) = if v.quic { (v, other) } else { (other, v) };
    let gap = (v.opened - other.opened).abs();
    let first = if q.opened <= t.opened { q } else { t };
    let w = winner(q, t);
    let outcome = match w {
        Some(w) if w.id == v.id => format!("This {} connection won: ", kind(v)),
        Some(w) => format!("The {} connection {} won: ", kind(w), w.label()),
        None => "The capture does not show which one won: ".into(),
    };
    let why_won = match w {
        Some(w) if !w.requests.is_empty() => format!(
            "it carried the requests{}",
            if w.requests_estimated {
                " (seen as encrypted request/response turns)"
            } else {
                ""
            }
        ),
        Some(w) => match w.ready {
            Some(r) => format!(
                "its handshake completed first, {} after it started",
                dur(r - w.opened)
            ),
            None => "the other one never completed its handshake".into(),
        },
        None => "neither completed a handshake the capture shows".into(),
    };
    let loser_fate = match w {
        Some(w) => {
            let l = if w.id == q.id { t } else { q };
            match l.closed {
                Some((ts, side, _, _)) => format!(
                    " The losing {} connection {} was closed by the {} {} after it opened.",
                    kind(l),
                    l.label(),
                    side.as_str(),
                    dur(ts - l.opened)
                ),
                None if l.requests.is_empty() => format!(
                    " The losing {} connection {} carried nothing.",
                    kind(l),
                    l.label()
                ),
                None => String::new(),
            }
        }
        None => String::new(),
    };
    let _ = c;
    Some(Finding {
        cause: "protocol_race",
        headline: format!(
            "QUIC and TCP raced to {}: {}",
            v.host_label,
            match w {
                Some(w) => format!("{} ({}) won", kind(w), w.label()),
                None => "winner not visible".into(),
            }
        ),
        details: format!(
            "The client opened a QUIC connection ({}) and a TCP connection ({}) to {} within {} of each other ({} first). A browser that knows a host speaks HTTP/3 starts both for the same request and keeps the one that is ready first, so that a network blocking UDP costs no time. {outcome}{why_won}.{loser_fate}",
            q.label(),
            t.label(),
            v.host_label,
            dur(gap),
            kind(first)
        ),
        evidence: vec![
            ev(format!("{} attempt {}", kind(first), first.label()), Some(first.opened_frame), Some(first.opened), if first.id == v.id { None } else { Some(first.id) }),
            {
                let second = if first.id == q.id { t } else { q };
                ev(format!("{} attempt {}, {} later", kind(second), second.label(), dur(gap)), Some(second.opened_frame), Some(second.opened), if second.id == v.id { None } else { Some(second.id) })
            },
        ],
        rule: race_rule(),
        confidence: if gap <= 0.5 { "high" } else { "medium" },
        related: vec![other.id],
    })
}

/// What told the client that the host speaks HTTP/3, seen before `v` opened: an Alt-Svc
/// header on an earlier connection, or a DNS HTTPS record. (text, frame, time, connection)
fn advertisement<'v>(ctx: &'v Ctx<'v>, v: &View<'_>) -> Option<(String, u64, f64, u32)> {
    let alt = index::timed_within(
        ctx.index.alt_svc(v.client_ip, &v.host_label),
        v.opened - SWITCH_WINDOW_SECS,
        v.opened,
    )
    .iter()
    .rev()
    .find(|(_, _, o)| o.id != v.id)
    .map(|&(ts, frame, o)| (o, ts, frame));
    if let Some((o, ts, frame)) = alt {
        return Some((
            format!("Alt-Svc: h3 in a response on {}", o.label()),
            frame,
            ts,
            o.id,
        ));
    }
    let rec = index::timed_within(
        ctx.index.https_records(&v.host_label),
        v.opened - SWITCH_WINDOW_SECS,
        v.opened,
    )
    .last()
    .and_then(|&(ts, frame, o)| {
        let name = o
            .https_records_h3()
            .find(|r| r.2 == frame && r.0.eq_ignore_ascii_case(&v.host_label))?
            .0;
        Some((o, (name, ts, frame)))
    });
    rec.map(|(o, r)| {
        (
            format!("DNS HTTPS record for {} with alpn h3", r.0),
            r.2,
            r.1,
            o.id,
        )
    })
}

/// A QUIC connection because the host advertised HTTP/3 (Alt-Svc or HTTPS record), or because
/// an earlier TCP connection to it most likely carried the (encrypted) Alt-Svc; and a TCP
/// connection because QUIC to the host had failed just before.
pub fn switch(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if v.quic {
        return switch_to_quic(ctx, c);
    }
    if !v.tls {
        return None;
    }
    // TCP fallback: the last QUIC attempt to this host before this connection failed.
    let q = index::opened_within(ctx.same_host(), v.opened - FALLBACK_WINDOW_SECS, v.opened)
        .iter()
        .rev()
        .find(|o| o.quic)?;
    if !quic_failed(q) {
        return None;
    }
    // Only the first TCP connection after the failed attempt ended is its fallback (one started
    // while the attempt was still under way raced it).
    if v.opened < q.end {
        return None;
    }
    if ctx
        .earlier_in_group()
        .rev()
        .take_while(|o| o.opened >= q.end)
        .any(|o| !o.quic)
    {
        return None;
    }
    let how = match q.setup {
        Setup::AbortedByServer => "the server aborted the QUIC handshake".to_string(),
        Setup::AbortedByClient => {
            "the client aborted the QUIC handshake, typically over the certificate".to_string()
        }
        _ => "its handshake never completed (no answer: UDP blocked or the server does not speak QUIC)".to_string(),
    };
    Some(Finding {
        cause: "protocol_switch",
        headline: format!("TCP fallback: QUIC to {} failed ({how})", v.host_label),
        details: format!(
            "The client first tried QUIC ({}) to {} and {how}. {} later it connected over TCP instead. Browsers treat QUIC as an optimisation: when the QUIC handshake fails or UDP is blocked they mark HTTP/3 broken for the host and use TCP (HTTP/2 or HTTP/1.1).",
            q.label(),
            v.host_label,
            dur(v.opened - q.opened)
        ),
        evidence: vec![
            ev(format!("QUIC attempt {}", q.label()), Some(q.opened_frame), Some(q.opened), Some(q.id)),
            ev("this TCP connection", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: race_rule(),
        confidence: "high",
        related: vec![q.id],
    })
}

fn switch_to_quic(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    // The first QUIC connection to the host (later ones have their own reasons).
    if ctx.earlier_in_group().any(|o| o.setup == Setup::Ready) {
        return None;
    }
    let racer = index::opened_within(
        ctx.same_host(),
        v.opened - RACE_WINDOW_SECS,
        v.opened + RACE_WINDOW_SECS,
    )
    .iter()
    .filter(|o| o.id != v.id && !o.quic && o.tls && o.alt_svc_h3.is_none())
    .min_by(|a, b| {
        (a.opened - v.opened)
            .abs()
            .total_cmp(&(b.opened - v.opened).abs())
    });
    let race_text = racer.map(|t| {
        let w = winner(v, t);
        format!(
            " It raced TCP connection {} (opened {} {}): {}.",
            t.label(),
            dur((t.opened - v.opened).abs()),
            if t.opened >= v.opened {
                "later"
            } else {
                "earlier"
            },
            match w {
                Some(w) if w.id == v.id => "QUIC won".to_string(),
                Some(_) => "TCP won".to_string(),
                None => "the capture does not show which one won".to_string(),
            }
        )
    });
    if let Some((what, frame, ts, from)) = advertisement(ctx, v) {
        let mut evidence = vec![
            ev(what.clone(), Some(frame), Some(ts), Some(from)),
            ev(
                "this QUIC connection's first Initial",
                Some(v.opened_frame),
                Some(v.opened),
                None,
            ),
        ];
        if let Some(t) = racer {
            evidence.push(ev(
                format!("TCP racer {}", t.label()),
                Some(t.opened_frame),
                Some(t.opened),
                Some(t.id),
            ));
        }
        return Some(Finding {
            cause: "protocol_switch",
            headline: format!("Switch to HTTP/3 over QUIC: {} advertised it", v.host_label),
            details: format!(
                "The host said it speaks HTTP/3 ({what}), so {} later the client connected over QUIC (UDP) instead of TCP.{}",
                dur(v.opened - ts),
                race_text.unwrap_or_default()
            ),
            evidence,
            rule: rule(
                "alt_svc_h3",
                "A server advertises HTTP/3 with an Alt-Svc header (RFC 7838, RFC 9114 §3.1.1) or a DNS HTTPS record (RFC 9460); the browser then connects over QUIC, racing TCP.",
                "RFC 9114 §3.1.1; RFC 7838; RFC 9460 §7.1",
            ),
            confidence: "high",
            related: racer.map(|t| vec![from, t.id]).unwrap_or_else(|| vec![from]),
        });
    }
    // No advertisement visible, but an earlier TLS connection to the same host: its responses
    // (encrypted without the key log) most likely carried Alt-Svc.
    let earlier = ctx
        .same_host()
        .iter()
        .take_while(|o| o.opened < v.opened)
        .find(|o| o.id != v.id && !o.quic && o.tls && racer.is_none_or(|r| r.id != o.id))?;
    let _ = c;
    Some(Finding {
        cause: "protocol_switch",
        headline: format!("Switch to QUIC for {} after TCP connection {}", v.host_label, earlier.label()),
        details: format!(
            "The client first talked to {} over TCP ({}), then {} later opened this QUIC connection. Browsers switch to HTTP/3 when a response advertised it (Alt-Svc: h3); that header is inside the encrypted responses of {}, so it cannot be read without the key log.{}",
            v.host_label,
            earlier.label(),
            dur(v.opened - earlier.opened),
            earlier.label(),
            race_text.unwrap_or_default()
        ),
        evidence: vec![
            ev(format!("TCP connection {}", earlier.label()), Some(earlier.opened_frame), Some(earlier.opened), Some(earlier.id)),
            ev("this QUIC connection's first Initial", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule(
            "alt_svc_h3",
            "A server advertises HTTP/3 with an Alt-Svc header (RFC 7838, RFC 9114 §3.1.1) or a DNS HTTPS record (RFC 9460); the browser then connects over QUIC, racing TCP.",
            "RFC 9114 §3.1.1; RFC 7838; RFC 9460 §7.1",
        ),
        confidence: "medium",
        related: vec![earlier.id],
    })
}

/// Silence this long before the next connection counts as "gone quiet".
const QUIET_SECS: f64 = 0.0;

/// A later QUIC connection to a host whose earlier QUIC connection had stopped sending before
/// it opened. Without the key log the CONNECTION_CLOSE is encrypted (and an idle timeout is
/// silent), so the end shows only as the last packet.
pub fn after_quiet(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if !v.quic {
        return None;
    }
    let prev = ctx
        .earlier_in_group()
        .filter(|o| o.setup == Setup::Ready && o.end <= v.opened - QUIET_SECS)
        .max_by(|a, b| a.end.total_cmp(&b.end))?;
    let resumed = c.tls.as_ref().is_some_and(|t| t.resumed || t.psk_offered);
    Some(Finding {
        cause: "replaces_closed",
        headline: format!("New QUIC connection to {} after {} went quiet", v.host_label, prev.label()),
        details: format!(
            "The earlier QUIC connection {} to the same host sent its last packet {} before this one started and nothing after. A QUIC connection ends with an encrypted CONNECTION_CLOSE or silently by idle timeout, so the close itself is not visible without the key log; the client then needed a new connection.{}",
            prev.label(),
            dur(v.opened - prev.end),
            if resumed { " This one offered to resume the earlier session (TLS 1.3 PSK), as a client does with the ticket the previous connection gave it." } else { "" }
        ),
        evidence: vec![
            ev(format!("last packet of {}", prev.label()), None, Some(prev.end), Some(prev.id)),
            ev("this QUIC connection's first Initial", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule(
            "quic_idle_close",
            "A QUIC connection closes with CONNECTION_CLOSE (encrypted after the handshake) or silently after its idle timeout; the next request needs a new connection, usually resuming the TLS session.",
            "RFC 9000 §10.1 (idle timeout), §10.2 (immediate close)",
        ),
        confidence: "medium",
        related: vec![prev.id],
    })
}

/// A UDP flow that continues a QUIC connection on a new path: its first packet is a short
/// header addressed to a connection id of an earlier connection (the analyzer keeps it as its
/// own flow, like tshark's `udp.stream`, and names the connection it continues).
pub fn migration(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    let from = c.quic.as_ref()?.continues_connection?;
    let o = ctx.index.by_id(from)?;
    Some(Finding {
        cause: "connection_migration",
        headline: format!("Continues QUIC connection {} to {} on a new path", o.label(), o.host_label),
        details: format!(
            "This flow has no handshake: its first packet is addressed to a connection id of QUIC connection {} ({}:{} → {}:{} here). QUIC names a connection by its ids, so when the client's address or port changes (a new network, a NAT rebinding) the same connection goes on from the new path.",
            o.label(),
            v.client_ip,
            c.client.port,
            v.server_ip,
            v.server_port
        ),
        evidence: vec![
            ev(format!("QUIC connection {}", o.label()), Some(o.opened_frame), Some(o.opened), Some(o.id)),
            ev("first packet on the new path, same connection id", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule(
            "quic_migration",
            "A QUIC connection survives a change of the client's address or port: its packets keep their connection ids.",
            "RFC 9000 §9",
        ),
        confidence: "high",
        related: vec![o.id],
    })
}
