//! Why each connection exists: a fixed cause vocabulary, one rule per module (with its constants
//! and where they come from), run in a fixed order over what the capture shows. Deterministic:
//! the same report in, the same explanations out.
//!
//! The rules read only the report (times, handshake outcomes, requests or TLS record turns, who
//! closed), so they run the same on facts seen in cleartext and on facts from decryption.

mod attributes;
pub mod cards;
mod index;
mod rules;
mod text;
mod view;

use crate::report::{Attribute, Connection, Evidence, Explanation, Rule};
use index::Index;
use view::View;

/// The stable cause ids (documented in `cards`).
pub const CAUSES: [&str; 17] = [
    "first_for_host",
    "parallel_for_host",
    "replaces_closed",
    "speculative_unused",
    "speculative_used_later",
    "cert_rejected",
    "retry_after_cert_warning",
    "auth_retry",
    "handshake_failed",
    "address_fallback",
    "protocol_switch",
    "protocol_race",
    "connection_migration",
    "separate_pool",
    "name_lookup",
    "connectionless",
    "unknown",
];

/// A rule's verdict, before it is worded.
pub struct Finding {
    pub cause: &'static str,
    pub headline: String,
    pub details: String,
    pub evidence: Vec<Evidence>,
    pub rule: Option<Rule>,
    pub confidence: &'static str,
    pub related: Vec<u32>,
}

/// What a rule sees: the connection, and an index of the others.
pub struct Ctx<'a> {
    pub me: &'a View<'a>,
    /// `me`'s position in the report (the index's key).
    pos: usize,
    pub index: &'a Index<'a>,
}

impl<'a> Ctx<'a> {
    /// Connections of the same group that started before this one, in opening order (the most
    /// recent [`index::LOOKBACK`]).
    pub fn earlier_in_group(&self) -> impl DoubleEndedIterator<Item = &'a View<'a>> + '_ {
        let me = self.me;
        index::before(self.group(), me.opened, me.opened_frame)
            .iter()
            .copied()
            .filter(move |v| v.id != me.id)
    }

    /// This connection's group (`View::group`), in opening order, itself included.
    pub fn group(&self) -> &'a [&'a View<'a>] {
        self.index.group(self.pos)
    }

    /// Connections from this client to the same host name and port over any transport, in
    /// opening order, itself included.
    pub fn same_host(&self) -> &'a [&'a View<'a>] {
        self.index.host(self.pos)
    }
}

pub fn ev(
    text: impl Into<String>,
    frame: Option<u64>,
    ts: Option<f64>,
    connection: Option<u32>,
) -> Evidence {
    Evidence {
        text: text.into(),
        frame,
        ts,
        connection,
    }
}

/// Fills `explanation` on every connection.
pub fn explain(connections: &mut [Connection]) {
    // Views borrow the connections; the explanations are written once all are decided.
    let explanations: Vec<Box<Explanation>> = {
        let views: Vec<View<'_>> = connections.iter().map(View::from_connection).collect();
        let index = Index::new(&views);
        connections
            .iter()
            .zip(&views)
            .enumerate()
            .map(|(pos, (c, v))| {
                let ctx = Ctx {
                    me: v,
                    pos,
                    index: &index,
                };
                let finding = rules::first_match(&ctx, c);
                let attributes: Vec<Attribute> = attributes::of(c, v);
                compact(Explanation {
                    cause: finding.cause.into(),
                    headline: finding.headline,
                    details: finding.details,
                    evidence: finding.evidence,
                    rule: finding.rule,
                    confidence: finding.confidence.into(),
                    related: finding.related,
                    attributes,
                })
            })
            .collect()
    };
    for (c, e) in connections.iter_mut().zip(explanations) {
        c.explanation = Some(e);
    }
}

/// An explanation stays in memory as long as the report is shown, for each of up to 10⁵
/// connections: drop the spare capacity that building its texts and lists left.
fn compact(mut e: Explanation) -> Box<Explanation> {
    e.headline.shrink_to_fit();
    e.details.shrink_to_fit();
    e.evidence.shrink_to_fit();
    for x in &mut e.evidence {
        x.text.shrink_to_fit();
    }
    e.related.shrink_to_fit();
    e.attributes.shrink_to_fit();
    for a in &mut e.attributes {
        a.text.shrink_to_fit();
    }
    Box::new(e)
}
