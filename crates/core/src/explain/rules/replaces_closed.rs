//! An earlier connection to the host carried requests and then closed; the next request needed
//! a new one: `Connection: close`, a server's keep-alive timeout, or a reset.

use super::super::view::View;
use super::super::{ev, text::dur, Ctx, Finding};
use super::rule;
use crate::report::{Connection, Side};

/// Keep-alive timeouts of common servers, to name the one a close matches.
/// Apache KeepAliveTimeout default 5 s; nginx keepalive_timeout default 75 s; IIS 120 s.
const SERVER_TIMEOUTS: [(f64, &str); 3] = [
    (5.0, "Apache's default KeepAliveTimeout (5 s)"),
    (75.0, "nginx's default keepalive_timeout (75 s)"),
    (120.0, "IIS's default connection timeout (120 s)"),
];
/// Chromium closes its own idle used sockets after 300 s; Firefox after 115 s.
const CLIENT_TIMEOUTS: [(f64, &str); 2] = [
    (300.0, "Chromium's 300 s idle limit"),
    (115.0, "Firefox's 115 s keep-alive limit"),
];

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    let prev = ctx
        .earlier_in_group()
        .filter(|o| !o.requests.is_empty() && o.closed_before(v.opened))
        .max_by(|a, b| {
            a.closed
                .map(|c| c.0)
                .unwrap_or(0.0)
                .total_cmp(&b.closed.map(|c| c.0).unwrap_or(0.0))
        })?;
    let (t, side, rst, frame) = prev.closed?;
    let why = close_reason(prev);
    let _ = c;
    Some(Finding {
        cause: "replaces_closed",
        headline: format!("Replaces {}, which {} {} before", prev.label(), why.short, dur(v.opened - t)),
        details: format!(
            "Connection {} to {} carried {} and then {}. A closed connection cannot take more requests, so when the next request to {} came, the browser opened this one ({} after the close).",
            prev.label(),
            v.host_label,
            if prev.requests.len() == 1 { "a request".to_string() } else { format!("{} requests", prev.requests.len()) },
            why.long,
            v.host_label,
            dur(v.opened - t)
        ),
        evidence: vec![
            ev(format!("{} closed by the {} ({})", prev.label(), side.as_str(), if rst { "RST" } else { "FIN" }), Some(frame), Some(t), Some(prev.id)),
            ev("this connection opens", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule(why.rule_id, why.rule_text, why.source),
        confidence: if why.certain { "high" } else { "medium" },
        related: vec![prev.id],
    })
}

struct Why {
    short: String,
    long: String,
    rule_id: &'static str,
    rule_text: &'static str,
    source: &'static str,
    certain: bool,
}

fn close_reason(prev: &View<'_>) -> Why {
    let (t, side, rst, _) = prev.closed.unwrap_or((prev.end, Side::Server, false, 0));
    let last_activity = prev.busy.last().map(|b| b.1).unwrap_or(prev.opened);
    let idle = (t - last_activity).max(0.0);
    if prev.response_said_close {
        return Why {
            short: "the server closed after its response (Connection: close)".into(),
            long: format!("the server answered with \"Connection: close\" (or HTTP/1.0 without keep-alive) and closed it ({})", if rst { "RST" } else { "FIN" }),
            rule_id: "connection_close",
            rule_text: "A response with Connection: close ends the connection after it; further requests need a new connection.",
            source: "RFC 9112 §9.6",
            certain: true,
        };
    }
    let named = |table: &[(f64, &'static str)]| {
        table
            .iter()
            .find(|(secs, _)| (idle - secs).abs() <= 0.5 + secs * 0.02)
            .map(|(_, n)| *n)
    };
    match side {
        Side::Server if idle >= 1.0 => {
            let which = named(&SERVER_TIMEOUTS).map(|n| format!(", matching {n}")).unwrap_or_default();
            Why {
                short: format!("the server closed after {} idle", dur(idle)),
                long: format!("sat idle for {}, until the server closed it ({}{which}): a keep-alive timeout", dur(idle), if rst { "RST" } else { "FIN" }),
                rule_id: "server_keepalive_timeout",
                rule_text: "Servers close idle persistent connections after a timeout (Apache KeepAliveTimeout 5 s, nginx keepalive_timeout 75 s); the client must reconnect for the next request.",
                source: "RFC 9112 §9.8; Apache core KeepAliveTimeout; nginx ngx_http_core_module keepalive_timeout",
                certain: true,
            }
        }
        Side::Client if idle >= 1.0 => {
            let which = named(&CLIENT_TIMEOUTS).map(|n| format!(", matching {n}")).unwrap_or_default();
            Why {
                short: format!("the client closed after {} idle", dur(idle)),
                long: format!("sat idle for {} until the client itself closed it{which}", dur(idle)),
                rule_id: "client_idle_close",
                rule_text: "Browsers close idle connections after a while (Chromium 300 s for used sockets, Firefox 115 s).",
                source: "Chromium net kUsedIdleSocketTimeout; Firefox network.http.keep-alive.timeout",
                certain: true,
            }
        }
        _ => Why {
            short: format!("was {} by the {}", if rst { "reset" } else { "closed" }, side.as_str()),
            long: format!("was {} by the {} right after its last exchange", if rst { "reset (RST)" } else { "closed (FIN)" }, side.as_str()),
            rule_id: "closed_after_use",
            rule_text: "A connection closed after its exchanges cannot take the next request; a new one is opened.",
            source: "RFC 9112 §9.6",
            certain: false,
        },
    }
}
