//! The last word: no rule matched. Say what is known instead of guessing.

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
    let state = match v.requests.first() {
        None => "carried no request that the capture shows".to_string(),
        Some(first) => format!(
            "carried its first request {} after it opened",
            dur(first.0 - v.opened)
        ),
    };
    Finding {
        cause: "unknown",
        headline: format!("Why this connection to {} was opened is not clear from the capture", v.host_label),
        details: format!(
            "It {state}. {} None of the rules (first connection, parallel requests, a closed predecessor, preconnect, certificate or authentication retry) fits what the capture shows, so no cause is claimed.",
            if earlier.is_empty() { "It is the first connection to this host in the capture (perhaps the capture started after the page load began).".to_string() } else { format!("Earlier connections to the same host: {}.", super::super::text::conns(&earlier)) }
        ),
        evidence: vec![ev("connection opened", Some(v.opened_frame), Some(v.opened), None)],
        rule: None,
        confidence: "low",
        related: Vec::new(),
    }
}
