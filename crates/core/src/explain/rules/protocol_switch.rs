//! A new connection because the protocol changed: a redirect from http:// to https://.

use super::super::{ev, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// A redirect is followed at once; later connections to the host have other reasons.
const FOLLOW_WINDOW_SECS: f64 = 10.0;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if !v.tls {
        return None;
    }
    // The first TLS connection to a host right after a cleartext redirect to https://host.
    if ctx.earlier_in_group().next().is_some() {
        return None;
    }
    // The latest redirect of this client to https://host (on a cleartext connection) before it.
    let (o, frame, ts) = ctx
        .index
        .https_redirects(v.client_ip, &v.host_label)
        .rev()
        .find(|&(o, _, ts)| o.id != v.id && ts <= v.opened)?;
    if v.opened - ts > FOLLOW_WINDOW_SECS {
        return None;
    }
    let location = o.redirects().find(|r| r.1 == frame)?.0;
    Some(Finding {
        cause: "protocol_switch",
        headline: format!("Follows the redirect from http:// to {location}"),
        details: format!(
            "Connection {} asked for the page over plain HTTP and the server redirected to {location}. HTTPS needs a TLS connection (to port {}), so {} later the browser opened this one.",
            o.label(),
            v.server_port,
            dur(v.opened - ts)
        ),
        evidence: vec![
            ev(format!("redirect to {location} on {}", o.label()), Some(frame), Some(ts), Some(o.id)),
            ev("this TLS connection", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule("https_redirect", "A 301/302/307/308 with an https:// Location makes the browser connect again over TLS.", "RFC 9110 §15.4"),
        confidence: "high",
        related: vec![o.id],
    })
}
