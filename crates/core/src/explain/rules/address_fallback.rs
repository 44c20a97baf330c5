//! Happy Eyeballs: an attempt to one address family failed or lagged, and the client tried the
//! other one (usually IPv6 first, then IPv4).

use super::super::view::Setup;
use super::super::{ev, index, text::dur, Ctx, Finding};
use super::rule;
use crate::report::Connection;

/// Chromium starts the IPv4 attempt 300 ms after IPv6 if IPv6 has not connected
/// (net/dns/host_resolver_manager / TransportConnectJob kIPv6FallbackTime); RFC 8305 recommends
/// a 250 ms Connection Attempt Delay. A failed attempt triggers the fallback at once.
pub const FALLBACK_DELAY_SECS: f64 = 0.300;
/// How long after the first attempt a fallback may come and still be one.
const WINDOW_SECS: f64 = 2.0;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let me = ctx.me;
    // Only a real attempt (its SYN seen) can be a fallback.
    if !me.tcp || me.opened_frame != me.syn_frame.unwrap_or(0) {
        return None;
    }
    let failed = |s: Setup| matches!(s, Setup::Refused | Setup::Unanswered);
    // An earlier attempt, other family, same client machine, same port and (when known) same
    // name, that failed or had not connected when this one started.
    let other_family = ctx.index.tcp_by_port_family(me.server_port, !me.ipv6);
    let prior = index::opened_within(other_family, me.opened - WINDOW_SECS, me.opened)
        .iter()
        .filter(|o| same_name(o, me) && (failed(o.setup) || o.ready.is_none_or(|r| r > me.opened)));
    let o = prior.max_by(|a, b| a.opened.total_cmp(&b.opened))?;
    // The fallback is the first attempt in the other family after the failing one.
    let same_family = ctx.index.tcp_by_port_family(me.server_port, me.ipv6);
    let earlier_fallback = index::before(same_family, me.opened, me.opened_frame)
        .iter()
        .rev()
        .take_while(|x| x.opened >= o.opened)
        .any(|x| x.id != me.id && x.syn_frame.is_some());
    if earlier_fallback {
        return None;
    }
    let delay = me.opened - o.opened;
    let (fam_me, fam_o) = if me.ipv6 {
        ("IPv6", "IPv4")
    } else {
        ("IPv4", "IPv6")
    };
    let why = match o.setup {
        Setup::Refused => format!("was refused (RST to its SYN, connection {})", o.label()),
        Setup::Unanswered => format!("got no answer (connection {})", o.label()),
        _ => format!(
            "had not connected after {} (connection {})",
            dur(delay),
            o.label()
        ),
    };
    Some(Finding {
        cause: "address_fallback",
        headline: format!("{fam_me} fallback: the {fam_o} attempt to {} {why}", me.host_label),
        details: format!(
            "The client first tried {fam_o} address {} and that attempt {why}. {} later it tried {fam_me} address {} instead. Browsers and curl race the address families of a name (Happy Eyeballs): the second family starts when the first fails, or after a short delay ({} ms in Chromium) if it is slow.",
            o.server_ip,
            dur(delay),
            me.server_ip,
            (FALLBACK_DELAY_SECS * 1000.0) as u32
        ),
        evidence: vec![
            ev(format!("{fam_o} attempt"), Some(o.opened_frame), Some(o.opened), Some(o.id)),
            ev(format!("{fam_me} attempt, {} later", dur(delay)), Some(me.opened_frame), Some(me.opened), None),
        ],
        rule: rule(
            "happy_eyeballs",
            "Happy Eyeballs: try both address families, the second after a failure or a short delay (RFC 8305: 250 ms; Chromium: 300 ms).",
            "RFC 8305 §5; Chromium kIPv6FallbackTime = 300 ms",
        ),
        confidence: if matches!(o.setup, Setup::Refused | Setup::Unanswered) { "high" } else { "medium" },
        related: vec![o.id],
    })
}

/// Same host name when both have one; without names, only the loopback pair (::1 and
/// 127.0.0.1, both "localhost") is known to be one host.
fn same_name(a: &super::super::view::View<'_>, b: &super::super::view::View<'_>) -> bool {
    let named = |v: &super::super::view::View<'_>| !v.host_label.eq_ignore_ascii_case(v.server_ip);
    let loopback = |ip: &str| ip == "::1" || ip.starts_with("127.");
    if named(a) && named(b) {
        a.host_label == b.host_label
    } else {
        loopback(a.server_ip) && loopback(b.server_ip)
    }
}
