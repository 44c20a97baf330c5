//! A 401/407 answer whose connection then closed: the same request is repeated with
//! credentials on a new connection.

use super::super::{ev, index, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// The retry follows the challenge quickly when the browser already has credentials (or the
/// user types them); beyond this the new connection is not the retry.
const RETRY_WINDOW_SECS: f64 = 120.0;

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    // A challenged connection that closed (or said it would) before this one opened.
    let challenged = ctx.earlier_in_group().filter_map(|o| {
        let (status, frame, ts, target) = o.challenge()?;
        if ts > v.opened {
            return None;
        }
        let closed = o.closed.filter(|cl| cl.0 <= v.opened);
        (closed.is_some() || o.response_said_close)
            .then_some((o, status, frame, ts, target, closed))
    });
    let (o, status, frame, ts, target, closed) = challenged.max_by(|a, b| a.3.total_cmp(&b.3))?;
    if v.opened - ts > RETRY_WINDOW_SECS {
        return None;
    }
    // When the requests are visible, this must be the challenged request again, and no other
    // connection may have repeated it already (credentials then ride along on later requests
    // without making them retries).
    if let Some(first) = v.first_target {
        if first != target {
            return None;
        }
        let repeated_elsewhere =
            index::first_request_within(ctx.index.by_first_target(target), ts, v.opened)
                .iter()
                .any(|x| x.id != v.id && x.id != o.id);
        if repeated_elsewhere {
            return None;
        }
    }
    let first_request = c.http.as_ref().and_then(|h| h.requests.first());
    let sends_credentials = first_request.and_then(|r| r.authorization.clone());
    let scheme = sends_credentials
        .clone()
        .unwrap_or_else(|| "credentials".into());
    let mut evidence = vec![ev(
        format!("{status} on {} for {target}", o.label()),
        Some(frame),
        Some(ts),
        Some(o.id),
    )];
    if let Some((t, side, rst, f)) = closed {
        evidence.push(ev(
            format!(
                "{} closed by the {} ({})",
                o.label(),
                side.as_str(),
                if rst { "RST" } else { "FIN" }
            ),
            Some(f),
            Some(t),
            Some(o.id),
        ));
    }
    if let Some(r) = first_request {
        if let Some(a) = &r.authorization {
            evidence.push(ev(
                format!("{} again, with Authorization: {a}", r.target),
                Some(r.frame),
                Some(r.ts),
                None,
            ));
        }
    }
    let decrypted = c.tls.as_ref().is_some_and(|t| t.decrypted);
    Some(Finding {
        cause: "auth_retry",
        headline: format!("Repeats the request with {scheme} after a {status} on {}, which closed", o.label()),
        details: format!(
            "Connection {} got {status} ({}) for {target}: the server wants credentials. That connection {}, so the browser opened this one {} later to send the request again{}.{}",
            o.label(),
            if status == 401 { "Unauthorized" } else { "Proxy Authentication Required" },
            match closed {
                Some((_, side, _, _)) => format!("was closed by the {}", side.as_str()),
                None => "announced it would close".into(),
            },
            dur(v.opened - ts),
            if sends_credentials.is_some() { format!(", now with an Authorization: {scheme} header") } else { " with credentials".into() },
            if decrypted { " (Seen in decrypted traffic.)" } else { "" }
        ),
        evidence,
        rule: rule(
            "http_auth",
            "A 401 (or 407 from a proxy) carries WWW-Authenticate (Proxy-Authenticate); the client repeats the request with Authorization. If the challenged connection closed, the retry needs a new one.",
            "RFC 9110 §11.6.1 and §15.5.2",
        ),
        confidence: if sends_credentials.is_some() { "high" } else { "medium" },
        related: vec![o.id],
    })
}
