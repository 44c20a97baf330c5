//! After certificate warnings, the user clicked through: a new connection to the host whose
//! handshake now completes (the browser allows the bad certificate for that host).

use super::super::view::Setup;
use super::super::{
    ev,
    text::{conns, dur},
    Ctx, Finding,
};
use super::rule;
use crate::report::Connection;

/// A pause this long between rejected attempts and the retry is a human reading a warning,
/// not a program retrying (machines retry within milliseconds).
pub const HUMAN_PAUSE_SECS: f64 = 1.0;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    if v.setup != Setup::Ready {
        return None;
    }
    let earlier: Vec<_> = ctx.earlier_in_group().collect();
    let last_ok = earlier
        .iter()
        .filter(|o| o.setup == Setup::Ready)
        .map(|o| o.opened)
        .fold(f64::NEG_INFINITY, f64::max);
    let rejected: Vec<_> = earlier
        .iter()
        .filter(|o| {
            o.setup == super::super::view::Setup::AbortedByClient && o.tls && o.opened > last_ok
        })
        .collect();
    let first = rejected.first()?;
    let pause = v.opened - first.opened;
    if pause < HUMAN_PAUSE_SECS {
        return None;
    }
    let streams: Vec<u32> = rejected.iter().map(|o| o.stream).collect();
    let mut evidence: Vec<_> = rejected
        .iter()
        .map(|o| {
            ev(
                format!("rejected handshake on {}", o.label()),
                Some(o.opened_frame),
                Some(o.opened),
                Some(o.id),
            )
        })
        .collect();
    evidence.push(ev(
        format!("this connection, {} after the first rejection", dur(pause)),
        Some(v.opened_frame),
        Some(v.opened),
        None,
    ));
    Some(Finding {
        cause: "retry_after_cert_warning",
        headline: format!("Retry after the certificate warning: the user clicked through, {} after the first rejection", dur(pause)),
        details: format!(
            "The browser rejected {}'s certificate on {} and showed a warning page. {} later this new connection completes its handshake: the user chose to proceed, and the browser now accepts the certificate for this host, so it connects again and loads the page.",
            v.host_label,
            conns(&streams),
            dur(pause)
        ),
        evidence,
        rule: rule(
            "cert_interstitial_proceed",
            "After the user proceeds through a certificate interstitial, Chromium remembers the exception for the host and opens a fresh connection that accepts the certificate; the rejected connections are not reused.",
            "Chromium SSLConfig::allowed_bad_certs, chrome/browser/ssl (SSLBlockingPage)",
        ),
        confidence: "high",
        related: rejected.iter().map(|o| o.id).collect(),
    })
}
