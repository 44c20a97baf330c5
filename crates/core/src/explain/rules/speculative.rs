//! Connections opened ahead of need: a preconnect (Chromium's loading predictor,
//! `<link rel=preconnect>`) that was never used, or used only after sitting idle.

use super::super::view::{Setup, View};
use super::super::{ev, index, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// An on-demand connection carries its request as soon as it is usable (the request was
/// waiting for it); a socket that sat this long first was opened before anyone needed it.
/// Chromium sends a queued request in the same task that completes the connect job.
pub const PRECONNECT_IDLE_SECS: f64 = 0.010;
/// For the first connection to a host, a short wait is the navigation catching up with its
/// own predictor preconnect (tens of ms in the lab); half a second is a preconnect proper.
pub const FIRST_PRECONNECT_IDLE_SECS: f64 = 0.5;
/// Chromium closes unused idle sockets after 60 s and used ones after 300 s
/// (net/socket/client_socket_pool.cc: kUnusedIdleSocketTimeout / kUsedIdleSocketTimeout).
const UNUSED_IDLE_TIMEOUT_SECS: f64 = 60.0;
/// "Never used" needs evidence: a close without a request, or this long idle before the
/// capture ended (a request waiting for the socket goes out within milliseconds of it being
/// ready; a capture that stops right after a handshake shows nothing either way).
const UNUSED_EVIDENCE_SECS: f64 = 1.0;

fn predictor_rule() -> Option<crate::report::Rule> {
    rule(
        "preconnect",
        "Browsers connect before a request needs it: Chromium's loading predictor preconnects up to 2 sockets to a navigated origin, and pages ask for it with <link rel=preconnect>. An unused preconnected socket is closed after 60 s idle.",
        "Chromium components/browser/predictors (LoadingPredictor, kMaxSocketsPerPreconnect 2); net kUnusedIdleSocketTimeout 60 s; HTML Living Standard <link rel=preconnect>",
    )
}

/// Usable, yet no request ever went over it.
pub fn unused(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if !v.tcp || v.setup != Setup::Ready || !v.requests.is_empty() {
        return None;
    }
    // Seen from the middle (no SYN): its requests may predate the capture.
    if c.tcp.as_ref().is_some_and(|t| t.syn.is_none()) {
        return None;
    }
    // Cleartext bytes that are not HTTP: something was said, just not in a protocol we read.
    if !v.tls && c.bytes_client > 0 {
        return None;
    }
    if !v.web() {
        return None;
    }
    let ready = v.ready.unwrap_or(v.opened);
    if v.closed.is_none() && ctx.index.capture_end() - ready < UNUSED_EVIDENCE_SECS {
        return None;
    }
    // An HTTP/2 session to the same host made this socket redundant?
    let h2_sibling = index::opened_within(ctx.group(), f64::NEG_INFINITY, ready)
        .iter()
        .find(|o| {
            o.id != v.id && o.alpn == Some("h2") && o.open_at(ready) && !o.requests.is_empty()
        });
    let closed = v.closed;
    let life = closed.map(|c| c.0 - ready);
    let how_closed = match closed {
        Some((t, side, rst, _)) => format!(
            " It was closed by the {} ({}) {} after it became usable{}.",
            side.as_str(),
            if rst { "RST" } else { "FIN" },
            dur(t - ready),
            if (t - ready - UNUSED_IDLE_TIMEOUT_SECS).abs() < 1.0 {
                ": Chromium's 60 s limit for unused sockets"
            } else {
                ""
            }
        ),
        None => format!(
            " It was still open, and still unused, when the capture ended {} after it became usable.",
            dur(ctx.index.capture_end() - ready)
        ),
    };
    let mut evidence = vec![ev(
        "usable (handshake done), then no request",
        None,
        Some(ready),
        None,
    )];
    if let Some((t, side, _, frame)) = closed {
        evidence.push(ev(
            format!("closed by the {} without a request", side.as_str()),
            Some(frame),
            Some(t),
            None,
        ));
    }
    let (headline, detail, related) = match h2_sibling {
        Some(o) if life.is_some_and(|l| l < 1.0) => (
            format!("Speculative connection to {} dropped unused: an HTTP/2 connection ({}) already served the host", v.host_label, o.label()),
            format!(
                "This connection completed its {} but never carried a request. Connection {} to the same host speaks HTTP/2, which carries every request of the page on one connection, so the browser had no use for this one and closed it.",
                if v.tls { "TLS handshake" } else { "TCP handshake" },
                o.label()
            ),
            vec![o.id],
        ),
        _ => (
            format!("Preconnected to {} but never used", v.host_label),
            format!(
                "This connection completed its {} and then carried no request at all. A browser opens such sockets ahead of time (a preconnect, from its own predictor or from <link rel=preconnect>) so that a later request does not wait for the handshake; this one was never needed.",
                if v.tls { "TLS handshake" } else { "TCP handshake" }
            ),
            Vec::new(),
        ),
    };
    Some(Finding {
        cause: "speculative_unused",
        headline,
        details: format!(
            "{detail}{how_closed}{}",
            if v.requests_estimated {
                " (Without the TLS keys, \"no request\" means the client sent no application data after its handshake.)"
            } else {
                ""
            }
        ),
        evidence,
        rule: predictor_rule(),
        confidence: if v.requests_estimated {
            "medium"
        } else {
            "high"
        },
        related,
    })
}

/// Not the first connection to the host, nothing was waiting for a socket when it opened, and
/// it sat idle before its first request: opened ahead of need, used later.
pub fn used_later(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    let idle = v.idle_before_first_request()?;
    if idle < PRECONNECT_IDLE_SECS {
        return None;
    }
    // Once the page is using the host, new connections are for parallel requests (whose wait
    // after the handshake depends on how the browser hands out queued requests); before that,
    // an idle new connection was opened ahead of need.
    if ctx
        .earlier_in_group()
        .any(|o| o.requests.first().is_some_and(|r| r.0 <= v.opened))
    {
        return None;
    }
    Some(finding_used_later(v, idle))
}

pub fn finding_used_later(v: &View<'_>, idle: f64) -> Finding {
    let ready = v.ready.unwrap_or(v.opened);
    let (first, frame) = v.requests.first().copied().unwrap_or((ready, 0));
    Finding {
        cause: "speculative_used_later",
        headline: format!("Preconnected to {}, idle {} before its first request", v.host_label, dur(idle)),
        details: format!(
            "The connection was ready {} after it opened, but its first request came only {} later. A connection opened for a waiting request carries it at once; this one was opened ahead of need (a preconnect by the browser's predictor or by <link rel=preconnect>) and picked up a request when one came.{}",
            dur(ready - v.opened),
            dur(idle),
            if v.requests_estimated { " (Without the TLS keys the first request is the client's first application-data record.)" } else { "" }
        ),
        evidence: vec![
            ev("connection ready", None, Some(ready), None),
            ev(format!("first request, {} later", dur(idle)), Some(frame), Some(first), None),
        ],
        rule: predictor_rule(),
        confidence: "medium",
        related: Vec::new(),
    }
}
