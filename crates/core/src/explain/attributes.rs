//! Facts shown next to the cause: how the connection was used and how it ended.

use super::text::{dur, plural};
use super::view::View;
use crate::report::{Attribute, Connection};

fn attr(key: &'static str, text: String) -> Attribute {
    Attribute {
        key: key.into(),
        text,
    }
}

pub fn of(c: &Connection, v: &View<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    if let Some(h) = &c.http {
        let n = h.requests.len();
        if n > 1 {
            out.push(attr(
                "requests",
                format!(
                    "{} on this connection (keep-alive reuse)",
                    plural(n, "request", "requests")
                ),
            ));
        } else if n == 1 {
            out.push(attr("requests", "1 request".into()));
        }
        if h.pipelined {
            out.push(attr(
                "pipelining",
                "requests were pipelined: sent before the previous response had ended".into(),
            ));
        }
        if let Some(h2) = &h.h2 {
            out.push(attr(
                "h2_streams",
                format!(
                    "HTTP/2 in cleartext (h2c, {}): {} on {} frames",
                    h2.started_by.replace('_', " "),
                    plural(h2.streams.len(), "stream", "streams"),
                    h2.frames
                ),
            ));
        }
        let errors: Vec<u16> = h
            .requests
            .iter()
            .filter_map(|r| r.status)
            .filter(|&s| s >= 400)
            .collect();
        if let (Some(last), Some(cl)) = (h.requests.last(), v.closed) {
            if last.status.is_some_and(|s| s >= 400)
                && cl.1 == crate::report::Side::Server
                && !errors.is_empty()
            {
                out.push(attr(
                    "close_after_error",
                    format!(
                        "the server closed the connection after an error response ({})",
                        last.status.unwrap_or(0)
                    ),
                ));
            }
        }
    } else if v.requests_estimated && !v.requests.is_empty() {
        out.push(attr(
            "requests",
            format!("≈{} (request/response turns of TLS records; the requests themselves are encrypted)", plural(v.requests.len(), "exchange", "exchanges")),
        ));
    }
    if let Some(alpn) = &v.alpn {
        if *alpn == "h2" {
            out.push(attr(
                "h2",
                "HTTP/2 (ALPN h2): one connection carries many requests at once".into(),
            ));
        }
    }
    if let Some(t) = &c.tls {
        if t.decrypted {
            out.push(attr(
                "decrypted",
                "requests and handshake seen in decrypted traffic (the session's key log)".into(),
            ));
        }
        if t.resumed {
            let how = match t.resumption.as_deref() {
                Some("psk") => "TLS 1.3 pre-shared key",
                Some("ticket") => "session ticket",
                _ => "session id",
            };
            out.push(attr(
                "resumption",
                format!("TLS session resumed ({how}): this client had a session with the server from before (an earlier connection or page load), so the handshake skipped the certificate"),
            ));
        }
    }
    if let (Some(tcp), Some((t, side, rst, _))) = (&c.tcp, v.closed) {
        let idle = tcp.idle_before_close.unwrap_or(0.0);
        let mut text = format!(
            "closed by the {} ({})",
            side.as_str(),
            if rst { "RST" } else { "FIN" }
        );
        if idle >= 1.0 {
            text.push_str(&format!(" after {} idle", dur(idle)));
        }
        let _ = t;
        out.push(attr("closed_by", text));
    } else if c.tcp.as_ref().is_some_and(|t| t.close == "open") {
        out.push(attr(
            "closed_by",
            "still open when the capture ended".into(),
        ));
    }
    out
}
