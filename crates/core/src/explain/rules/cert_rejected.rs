//! The client gave up during the TLS handshake, right after the server's certificate: the
//! browser could not verify it and is about to show a certificate warning.

use super::super::view::Setup;
use super::super::{ev, Ctx, Finding};
use super::rule;
use crate::report::{Connection, Side};

/// Alerts a client sends when it rejects the server's certificate (RFC 8446 §6.2).
const CERT_ALERTS: [&str; 6] = [
    "bad_certificate",
    "unsupported_certificate",
    "certificate_revoked",
    "certificate_expired",
    "certificate_unknown",
    "unknown_ca",
];

pub fn check(ctx: &Ctx<'_>, c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    let tls = c.tls.as_ref()?;
    if v.setup != Setup::AbortedByClient {
        return None;
    }
    let alert = tls.alerts.iter().find(|a| a.from == Side::Client);
    let named_cert_alert = alert
        .and_then(|a| a.description.as_deref())
        .filter(|d| CERT_ALERTS.contains(d));
    let after = tls.aborted_after.as_deref().unwrap_or("");
    // The certificate is in the server's flight: visible in TLS ≤ 1.2, encrypted in TLS 1.3.
    let after_certificate = matches!(
        after,
        "certificate"
            | "server_key_exchange"
            | "server_hello_done"
            | "certificate_status"
            | "encrypted_server_flight"
    );
    if named_cert_alert.is_none() && !after_certificate {
        return None;
    }
    let tls13 = tls
        .version
        .as_deref()
        .is_some_and(|v| v.starts_with("TLS 1.3"));
    let (alert_text, alert_frame, alert_ts) = match alert {
        Some(a) => match &a.description {
            Some(d) => (format!("the client sent a fatal {d} alert"), Some(a.frame), Some(a.ts)),
            None => ("the client sent an encrypted alert (in TLS 1.3 the alert's name is readable only with the key log)".to_string(), Some(a.frame), Some(a.ts)),
        },
        None => ("the client closed the connection without finishing the handshake".to_string(), v.closed.map(|c| c.3), v.closed.map(|c| c.0)),
    };
    let cert = tls.certificate.as_ref();
    let cert_text = match cert {
        Some(cert) if cert.self_signed => format!(" The certificate is self-signed ({}), so no trusted authority vouches for it.", cert.subject),
        Some(cert) => format!(" The certificate was issued to {} by {}.", cert.subject, cert.issuer),
        None if tls13 => " In TLS 1.3 the certificate itself is encrypted, so the capture cannot show which check failed.".to_string(),
        None => String::new(),
    };
    let mut evidence = vec![ev(alert_text.clone(), alert_frame, alert_ts, None)];
    if let Some(m) = tls.handshake.iter().rev().find(|m| m.from == Side::Server) {
        evidence.push(ev(
            format!(
                "last handshake message from the server: {}",
                m.kind.replace('_', " ")
            ),
            Some(m.frame),
            Some(m.ts),
            None,
        ));
    }
    Some(Finding {
        cause: "cert_rejected",
        headline: format!("The browser rejected {}'s certificate and aborted the handshake", v.host_label),
        details: format!(
            "The server sent its certificate{}, and then {}. A browser does this when it cannot verify the certificate (unknown issuer, wrong name, expired): it stops the handshake and shows a certificate warning instead of the page.{cert_text} If the user clicks through the warning, a new connection follows.",
            if tls13 { " (inside its encrypted handshake flight)" } else { "" },
            alert_text
        ),
        evidence,
        rule: rule(
            "cert_rejected",
            "A client that cannot verify the server's certificate aborts the handshake with a fatal alert (bad_certificate, unknown_ca, certificate_unknown, ...) and the browser shows an interstitial.",
            "RFC 8446 §4.4.2.4 and §6.2; RFC 5246 §7.4.2",
        ),
        confidence: if named_cert_alert.is_some() || after_certificate { "high" } else { "medium" },
        related: Vec::new(),
    })
}
