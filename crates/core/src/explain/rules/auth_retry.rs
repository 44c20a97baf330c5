//! A 401/407 answer whose connection then closed: the request is repeated with credentials on a
//! new connection.

use super::super::{ev, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// The retry follows the challenge quickly when the browser already has credentials (or the
/// user types them); beyond this the new connection is not the retry.
const RETRY_WINDOW_SECS: f64 = 120.0;

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    // A challenged connection that closed (or said it would) before this one opened.
    let challenged = ctx.earlier_in_group().filter_map(|o| {
        let (status, frame, ts) = *o.statuses.last()?;
        if status != 401 && status != 407 {
            return None;
        }
        let closed = o.closed.filter(|cl| cl.0 <= v.opened);
        (closed.is_some() || o.response_said_close).then_some((o, status, frame, ts, closed))
    });
    let (o, status, frame, ts, closed) = challenged.max_by(|a, b| a.3.total_cmp(&b.3))?;
    if v.opened - ts > RETRY_WINDOW_SECS {
        return None;
    }
    // Cleartext shows the credentials header; then this is certainly the retry.
    let sends_credentials = c
        .http
        .as_ref()
        .and_then(|h| h.requests.first())
        .and_then(|r| r.authorization.clone());
    let scheme = sends_credentials
        .clone()
        .unwrap_or_else(|| "credentials".into());
    let mut evidence = vec![ev(
        format!("{status} on {}", o.label()),
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
    if let Some(r) = c.http.as_ref().and_then(|h| h.requests.first()) {
        if let Some(a) = &r.authorization {
            evidence.push(ev(
                format!("request with Authorization: {a}"),
                Some(r.frame),
                Some(r.ts),
                None,
            ));
        }
    }
    Some(Finding {
        cause: "auth_retry",
        headline: format!("Repeats the request with {scheme} after a {status} on {}, which closed", o.label()),
        details: format!(
            "Connection {} got {status} ({}): the server wants credentials. That connection {}, so the browser opened this one {} later to send the request again{}.",
            o.label(),
            if status == 401 { "Unauthorized" } else { "Proxy Authentication Required" },
            match closed {
                Some((_, side, _, _)) => format!("was closed by the {}", side.as_str()),
                None => "announced it would close".into(),
            },
            dur(v.opened - ts),
            if sends_credentials.is_some() { format!(", now with an Authorization: {scheme} header") } else { " with credentials".into() }
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
