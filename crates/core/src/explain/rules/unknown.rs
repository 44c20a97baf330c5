//! The last word: no rule matched. Say what is known instead of guessing.

use super::super::view::Setup;
use super::super::{ev, text::dur, Ctx, Finding};
use crate::report::Connection;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    Some(fallback(ctx))
}

pub fn fallback(ctx: &Ctx<'_>) -> Finding {
    let v = ctx.me;
    let earlier: Vec<u32> = ctx.earlier_in_group().map(|e| e.stream).collect();
    if v.tcp && v.syn_frame.is_none() && v.requests.is_empty() {
        return Finding {
            cause: "unknown",
            headline: format!("Only the tail of a connection to {} is in the capture", v.host_label),
            details: "The capture holds neither this connection's SYN nor any request on it: it was opened before the capture started, and only its last packets (acknowledgements or the close) were recorded. Why it was opened cannot be seen.".into(),
            evidence: vec![ev("first packet seen (no SYN)", Some(v.opened_frame), Some(v.opened), None)],
            rule: None,
            confidence: "high",
            related: Vec::new(),
        };
    }
    let state = what_is_seen(ctx);
    Finding {
        cause: "unknown",
        headline: format!("Why this connection to {} was opened is not clear from the capture", v.host_label),
        details: format!(
            "It {state} {} None of the rules (first connection, parallel requests, a closed predecessor, preconnect, certificate or authentication retry) fits what the capture shows, so no cause is claimed.",
            match (earlier.is_empty(), v.syn_frame.is_some() || v.quic) {
                (true, true) => "It is the first connection to this host in the capture.".to_string(),
                (true, false) => "It is the first connection to this host in the capture (which may have started after the connection was opened).".to_string(),
                (false, _) => format!("Earlier connections to the same host: {}.", super::super::text::conns(&earlier)),
            }
        ),
        evidence: vec![ev("connection opened", Some(v.opened_frame), Some(v.opened), None)],
        rule: None,
        confidence: "low",
        related: Vec::new(),
    }
}

/// What the capture shows of the connection's use, in one sentence without its subject.
fn what_is_seen(ctx: &Ctx<'_>) -> String {
    let v = ctx.me;
    if let Some(first) = v.requests.first() {
        return format!(
            "carried its first request {} after it opened",
            dur(first.0 - v.opened)
        );
    }
    let until_end = dur(ctx.index.capture_end() - v.opened);
    let other_protocol = if v.web() {
        String::new()
    } else {
        format!(
            " It speaks {} to port {}, not HTTP, so browser habits do not apply.",
            v.conn.protocol, v.server_port
        )
    };
    let said = match v.setup {
        Setup::Unknown => {
            let last = v
                .conn
                .tls
                .as_ref()
                .and_then(|t| t.handshake.last())
                .map(|m| format!(" (last handshake message: {})", m.kind.replace('_', " ")))
                .unwrap_or_default();
            format!(
                "had not finished its {} handshake when the capture ended, {until_end} after it opened{last}, so what it was for cannot be seen",
                if v.tls { "TLS" } else if v.quic { "QUIC" } else { "TCP" }
            )
        }
        _ if v.client_sent_data() => {
            "carried client data that the capture does not show as requests (see the notes)".into()
        }
        _ => match v.closed {
            Some((t, side, rst, _)) => format!(
                "completed its handshake and was closed by the {} ({}) {} later without carrying {}",
                side.as_str(),
                if rst { "RST" } else { "FIN" },
                dur(t - v.ready.unwrap_or(v.opened)),
                if v.tls { "application data" } else { "a request" }
            ),
            None => format!(
                "completed its handshake and carried nothing until the capture ended, {until_end} after it opened"
            ),
        },
    };
    format!("{said}.{other_protocol}")
}
