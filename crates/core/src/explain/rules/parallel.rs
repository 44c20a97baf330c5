//! Opened while the host's other connections were busy: per-host parallelism (6 connections per
//! host in current browsers).

use super::super::{ev, index, text::conns, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// Chromium: kMaxSocketsPerGroup = 6 (net/socket/client_socket_pool_manager.cc);
/// Firefox: network.http.max-persistent-connections-per-server = 6;
/// RFC 2616 §8.1.4 (and IE up to 7): 2.
pub const MAX_PER_HOST: usize = 6;
pub const OLD_MAX_PER_HOST: usize = 2;
/// A connection that carried a request this recently counts as in use: the browser holds a
/// socket until the response body is consumed, which the wire shows only as a pause.
const IN_USE_SECS: f64 = 1.0;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    // One QUIC connection multiplexes every request to its host: QUIC has no per-host
    // parallelism (and lives outside the TCP socket pool).
    if v.quic {
        return None;
    }
    // The host's other open connections were in use by the page: carrying a request right now,
    // or having carried one (the browser keeps a socket "in use" until the response body is
    // consumed, longer than it shows on the wire), or still connecting for queued requests.
    let busy: Vec<_> = ctx
        .earlier_in_group()
        .filter(|o| o.open_at(v.opened))
        .filter(|o| {
            o.busy_at(v.opened)
                || o.recently_used(v.opened, IN_USE_SECS)
                || o.ready.is_none_or(|r| r > v.opened)
        })
        .collect();
    if busy.is_empty() {
        return None;
    }
    // Connections to the host open (busy or not) right after this one started, itself included.
    let concurrent = index::opened_within(ctx.group(), f64::NEG_INFINITY, v.opened)
        .iter()
        .filter(|o| o.open_at(v.opened))
        .count()
        + usize::from(!v.open_at(v.opened));
    let streams: Vec<u32> = busy.iter().map(|o| o.stream).collect();
    let limit = if concurrent > MAX_PER_HOST {
        format!(" That makes {concurrent} connections at once, more than the {MAX_PER_HOST} per host current browsers allow for one pool: some of these connections belong to another pool or were no longer usable for the browser.")
    } else if concurrent == MAX_PER_HOST {
        format!(" That makes {concurrent} connections at once: the browser's limit of {MAX_PER_HOST} per host is reached, so further requests have to queue for a free connection.")
    } else if concurrent == OLD_MAX_PER_HOST {
        format!(" That makes {OLD_MAX_PER_HOST} at once (the limit old browsers and RFC 2616 used; current browsers allow {MAX_PER_HOST}).")
    } else {
        format!(" That makes {concurrent} at once, within the browser's limit of {MAX_PER_HOST} per host.")
    };
    let evidence = busy
        .iter()
        .map(
            |o| match o.requests.iter().rev().find(|r| r.0 <= v.opened) {
                Some(&(t, f)) => ev(
                    format!(
                        "{} was in use: its last request before this one opened",
                        o.label()
                    ),
                    Some(f),
                    Some(t),
                    Some(o.id),
                ),
                None => ev(
                    format!("{} was still connecting", o.label()),
                    Some(o.opened_frame),
                    Some(o.opened),
                    Some(o.id),
                ),
            },
        )
        .chain(std::iter::once(ev(
            "this connection opens",
            Some(v.opened_frame),
            Some(v.opened),
            None,
        )))
        .collect();
    Some(Finding {
        cause: "parallel_for_host",
        headline: format!("Parallel connection to {}: {} busy, {concurrent} open at once", v.host_label, conns(&streams)),
        details: format!(
            "When this connection opened, {} to {} {} in use by the page (carrying requests or still connecting). HTTP/1.1 carries one request at a time per connection, so to fetch more resources at once the browser opens more connections to the same host.{limit}",
            conns(&streams),
            v.host_label,
            if streams.len() == 1 { "was" } else { "were" }
        ),
        evidence,
        rule: rule(
            "max_connections_per_host",
            "Browsers open up to 6 connections per host to fetch in parallel (Chromium, Firefox); RFC 2616 and old Internet Explorer allowed 2.",
            "Chromium kMaxSocketsPerGroup = 6; Firefox network.http.max-persistent-connections-per-server = 6; RFC 2616 §8.1.4",
        ),
        confidence: if v.requests_estimated { "medium" } else { "high" },
        related: busy.iter().map(|o| o.id).collect(),
    })
}
