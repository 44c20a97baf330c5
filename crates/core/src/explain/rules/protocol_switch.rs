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
    let (o, location, frame) = ctx
        .all
        .iter()
        .filter(|o| o.id != v.id && !o.tls && o.client_ip == v.client_ip && o.opened <= v.opened)
        .find_map(|o| {
            let (loc, frame) = o.redirects.iter().find(|(loc, _)| {
                let l = loc.to_ascii_lowercase();
                l.starts_with(&format!("https://{}", v.host_label))
                    && l[8 + v.host_label.len()..].starts_with(['/', ':'].as_slice())
                    || l == format!("https://{}", v.host_label)
            })?;
            Some((o, loc.to_string(), *frame))
        })?;
    let ts = o
        .statuses
        .iter()
        .find(|s| s.1 == frame)
        .map(|s| s.2)
        .unwrap_or(o.opened);
    if v.opened < ts || v.opened - ts > FOLLOW_WINDOW_SECS {
        return None;
    }
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
