//! The rules, in the order they are tried. The first that matches gives the cause; `unknown`
//! closes the list so every connection gets a sentence.

mod address_fallback;
mod auth_retry;
mod cert_rejected;
mod cert_retry;
mod datagrams;
mod first_for_host;
mod handshake_failed;
mod parallel;
mod protocol_switch;
mod quic;
mod replaces_closed;
mod separate_pool;
mod speculative;
mod unknown;

use super::{Ctx, Finding};
use crate::report::Connection;

type RuleFn = fn(&Ctx<'_>, &Connection) -> Option<Finding>;

/// Order matters: a failed handshake is explained by its failure before anything else; a
/// connection that never carried a request is speculative whatever came before it; a closed
/// predecessor wins over parallelism (in a `Connection: close` world every new socket replaces
/// one, even while others are busy).
///
/// QUIC: a flow that continues a connection on a new path (migration) is that before anything
/// else (it has no handshake of its own). The race and the switch come right after the address fallback. A TCP connection that
/// lost a race to QUIC carried nothing, which `speculative::unused` would otherwise call a
/// preconnect; and a first QUIC connection to a host is there because the host advertised
/// HTTP/3 (or TCP failed), which `first_for_host` would otherwise hide. A QUIC connection after
/// an earlier one went quiet comes after `replaces_closed` (which needs a visible close).
const ORDER: [RuleFn; 18] = [
    datagrams::check,
    quic::migration,
    cert_rejected::check,
    handshake_failed::check,
    address_fallback::check,
    quic::race,
    quic::switch,
    speculative::unused,
    cert_retry::check,
    auth_retry::check,
    protocol_switch::check,
    first_for_host::check,
    replaces_closed::check,
    quic::after_quiet,
    speculative::used_later,
    parallel::check,
    separate_pool::check,
    unknown::check,
];

pub fn first_match(ctx: &Ctx<'_>, c: &Connection) -> Finding {
    for rule in ORDER {
        if let Some(f) = rule(ctx, c) {
            return f;
        }
    }
    unknown::fallback(ctx)
}

/// A rule's reference: what the browser or server does, and where that is written down.
pub fn rule(
    id: &'static str,
    text: &'static str,
    source: &'static str,
) -> Option<crate::report::Rule> {
    Some(crate::report::Rule {
        id: id.into(),
        text: text.into(),
        source: source.into(),
    })
}
