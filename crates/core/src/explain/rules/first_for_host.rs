//! The first connection to a host (from this client): opened because a request needed it — or,
//! when it sat idle long before its first request, opened ahead of need.

use super::super::view::Setup;
use super::super::{ev, text::dur, Ctx, Finding};
use super::rule;
use super::speculative::{finding_used_later, FIRST_PRECONNECT_IDLE_SECS};
use crate::report::Connection;

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if !(v.tcp || v.quic) || v.setup != Setup::Ready {
        return None;
    }
    // Rejected attempts before it do not make it second: they carried nothing.
    if ctx.earlier_in_group().any(|o| o.setup == Setup::Ready) {
        return None;
    }
    if let Some(idle) = v.idle_before_first_request() {
        if idle >= FIRST_PRECONNECT_IDLE_SECS {
            return Some(finding_used_later(v, idle));
        }
    }
    let seen_from_start = c.tcp.as_ref().is_some_and(|t| t.syn.is_some())
        || c.quic
            .as_ref()
            .is_some_and(|q| q.first_client_initial.is_some());
    // Without a request (or client data the capture could not read as one) nothing shows
    // that one was waiting for it. QUIC without keys shows its use only as 1-RTT packets.
    if v.requests.is_empty() && !(seen_from_start && (v.client_sent_data() || v.quic)) {
        return None;
    }
    let first_request = v.requests.first();
    let mut evidence = vec![ev(
        if v.quic {
            "client Initial: first QUIC connection to this host in the capture"
        } else {
            "SYN: first connection to this host in the capture"
        },
        Some(v.opened_frame),
        Some(v.opened),
        None,
    )];
    if let Some(&(t, f)) = first_request {
        evidence.push(ev(
            format!(
                "first request, {} after the connection was ready",
                dur(t - v.ready.unwrap_or(v.opened))
            ),
            Some(f),
            Some(t),
            None,
        ));
    }
    Some(Finding {
        cause: "first_for_host",
        headline: format!("First connection to {}, opened for the first request", v.host_label),
        details: format!(
            "Nothing connected this client to {} before{}, so the first request to it needed a new connection. {}",
            v.host_label,
            if seen_from_start { "" } else { " (as far as the capture shows: it starts mid-connection)" },
            match first_request {
                Some(&(t, _)) => format!("The request went out {} after the connection was ready: it was waiting for it.", dur(t - v.ready.unwrap_or(v.opened))),
                None => "The client sent data on it that the capture does not show as requests (see the notes).".to_string(),
            }
        ),
        evidence,
        rule: rule("connect_on_demand", "A client opens a connection when a request needs one and no connection to that host can take it.", "RFC 9112 §9.1"),
        confidence: if seen_from_start { "high" } else { "medium" },
        related: Vec::new(),
    })
}
