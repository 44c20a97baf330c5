//! A second connection to a host while an idle, usable one existed: the browser keeps separate
//! socket pools (credentialed vs anonymous requests, different network partitions).

use super::super::view::Setup;
use super::super::{ev, Ctx, Finding};
use super::rule;
use crate::report::Connection;

pub fn check(ctx: &Ctx<'_>, _c: &Connection) -> Option<Finding> {
    let v = ctx.me;
    // Socket pools are TCP's; QUIC sessions are kept apart (see `quic::after_quiet`).
    if v.quic {
        return None;
    }
    let idle = ctx
        .earlier_in_group()
        .find(|o| o.setup == Setup::Ready && o.open_at(v.opened) && !o.busy_at(v.opened))?;
    Some(Finding {
        cause: "separate_pool",
        headline: format!("Second connection to {} although {} was open and idle: a separate socket pool", v.host_label, idle.label()),
        details: format!(
            "Connection {} to the same host was open and idle when this one started, yet the browser did not use it. Browsers keep sockets for credentialed requests apart from anonymous ones (CORS without credentials, crossorigin=anonymous, third-party requests with cookies blocked) and partition them by top-level site, so a request from the other pool needs its own connection.",
            idle.label()
        ),
        evidence: vec![
            ev(format!("{} open and idle", idle.label()), Some(idle.opened_frame), Some(idle.opened), Some(idle.id)),
            ev("this connection opens", Some(v.opened_frame), Some(v.opened), None),
        ],
        rule: rule(
            "socket_pool_partition",
            "Chromium's socket pool groups include the privacy mode (credentials or not) and the network anonymization key; requests from different groups never share a connection.",
            "Chromium net/socket/client_socket_pool.h (GroupId: privacy_mode, network_anonymization_key)",
        ),
        // An unused preconnect left idle is the clear case; an idle socket that had been used
        // could also have been dropped by the browser for reasons the capture cannot show.
        confidence: if idle.requests.is_empty() { "medium" } else { "low" },
        related: vec![idle.id],
    })
}
