//! UDP flows that are not QUIC: DNS (and its local cousins mDNS and LLMNR) is a lookup, anything
//! else is a datagram exchange with no connection to explain.

use super::super::{ev, text::plural, Ctx, Finding};
use super::rule;
use crate::report::Connection;

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    if c.transport != "udp" {
        return None;
    }
    if let Some(dns) = &c.dns {
        let names: Vec<&str> = dns
            .queries
            .iter()
            .map(|q| q.name.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        let mut unique: Vec<&str> = Vec::new();
        for n in names {
            if !unique.contains(&n) && unique.len() < 5 {
                unique.push(n);
            }
        }
        let first = dns.queries.first();
        return Some(Finding {
            cause: "name_lookup",
            headline: format!("{} lookup of {}", c.protocol, if unique.is_empty() { "a name".to_string() } else { unique.join(", ") }),
            details: format!(
                "This UDP flow carries {} ({}): the client asks {} for an address before it can connect. DNS has no connection set-up; each query is one datagram and each answer another.",
                plural(dns.queries.len(), "query", "queries"),
                c.protocol,
                c.server.ip
            ),
            evidence: first.map(|q| vec![ev(format!("query for {} ({})", q.name, q.qtype), Some(q.frame), Some(q.ts), None)]).unwrap_or_default(),
            rule: rule("dns", "Names are resolved before connecting (RFC 1035; mDNS RFC 6762; LLMNR RFC 4795).", "RFC 1035 §4"),
            confidence: "high",
            related: Vec::new(),
        });
    }
    let _ = ctx;
    Some(Finding {
        cause: "connectionless",
        headline: format!("UDP datagrams to port {}", c.server.port),
        details: format!(
            "{} exchanged {} UDP datagrams with {} port {}. UDP has no handshake or close, so this flow is not a connection a browser opened for a request; it is listed to account for the traffic.",
            c.client.ip, c.packets, c.server.ip, c.server.port
        ),
        evidence: vec![ev("first datagram", Some(c.first_frame), Some(c.start), None)],
        rule: None,
        confidence: "high",
        related: Vec::new(),
    })
}
