//! The connection could not be set up: refused (RST to the SYN), unanswered SYNs, or a TLS
//! handshake the server (or the client, for a reason other than the certificate) ended.

use super::super::view::Setup;
use super::super::{ev, text::dur, Ctx, Finding};
use super::rule;
use crate::report::{Connection, Side};

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    let tcp = c.tcp.as_ref();
    let (headline, details, evidence, source) = match v.setup {
        Setup::Refused => {
            let rst = tcp.and_then(|t| t.rst_server);
            (
                format!("Connection refused: {} answered the SYN with a reset", v.server_ip),
                format!(
                    "The client asked to connect (SYN) and {} port {} answered with RST: nothing was listening there. The client must try something else (another address, later, or give up).",
                    v.server_ip, v.server_port
                ),
                vec![
                    ev("SYN", Some(v.opened_frame), Some(v.opened), None),
                    ev("RST from the server", rst.map(|r| r.frame), rst.map(|r| r.ts), None),
                ],
                "RFC 9293 §3.10.7.1 (a SYN to a closed port is answered with RST)",
            )
        }
        Setup::Unanswered => {
            let n = tcp.map(|t| t.syn_count).unwrap_or(1);
            (
                format!("Connection attempt to {} got no answer", v.server_ip),
                format!(
                    "The client sent {n} SYN{} over {} and the server never answered: the address is unreachable, filtered, or the capture missed the reply.",
                    if n == 1 { "" } else { "s" },
                    dur(v.end - v.opened)
                ),
                vec![ev("first SYN", Some(v.opened_frame), Some(v.opened), None)],
                "RFC 6298 §5 (SYN retransmission timer)",
            )
        }
        Setup::AbortedByServer | Setup::AbortedByClient => {
            let tls = c.tls.as_ref()?;
            let alert = tls
                .alerts
                .iter()
                .find(|a| a.level.as_deref() == Some("fatal") || a.encrypted);
            let who = if v.setup == Setup::AbortedByServer {
                "server"
            } else {
                "client"
            };
            let what = match alert {
                Some(a) => match &a.description {
                    Some(d) => format!("the {} sent a fatal {d} alert", a.from.as_str()),
                    None => format!("the {} sent an encrypted alert", a.from.as_str()),
                },
                None => format!("the {who} closed the connection"),
            };
            let after = tls
                .aborted_after
                .as_deref()
                .unwrap_or("the start")
                .replace('_', " ");
            let mut evidence = Vec::new();
            if let Some(a) = alert {
                evidence.push(ev(what.clone(), Some(a.frame), Some(a.ts), None));
            } else if let Some(cl) = v.closed {
                evidence.push(ev(what.clone(), Some(cl.3), Some(cl.0), None));
            }
            let hint = if alert.and_then(|a| a.description.as_deref()) == Some("handshake_failure")
                && alert.is_some_and(|a| a.from == Side::Server)
            {
                " handshake_failure from a server usually means no cipher suite, version or extension both sides support."
            } else {
                ""
            };
            (
                format!("TLS handshake failed: {what}"),
                format!("The TLS handshake did not complete: after {after}, {what}.{hint} No request could be sent on this connection."),
                evidence,
                "RFC 8446 §6.2 (alert protocol)",
            )
        }
        Setup::Ready | Setup::Unknown => return None,
    };
    Some(Finding {
        cause: "handshake_failed",
        headline,
        details,
        evidence,
        rule: rule("handshake_failed", "A connection that cannot be set up carries no request; the client retries elsewhere or reports an error.", source),
        confidence: "high",
        related: Vec::new(),
    })
}
