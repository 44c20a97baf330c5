//! TCP lifecycle of one connection: handshake times, tshark's base sequence numbers (which
//! decide when a reused port pair starts a new stream), FIN/RST, retransmissions, Zeek's
//! history, and the reassembled byte streams handed to the protocol parsers.

use super::zeek::ZeekConn;
use super::Conn;
use crate::decode::TcpSegment;
use crate::protocols::Env;
use crate::reassembly::{Origin, Reassembler, SegmentKind, StreamEvent};
use crate::report::Side;
use crate::side::PerSide;

#[derive(Default)]
pub struct TcpState {
    /// tshark's `base_seq` per side (client, server): set by the side's first segment (its
    /// sequence number, minus one unless SYN) or by the peer's first ACK (ack - 1).
    pub base_seq: PerSide<Option<u32>>,
    pub syn: Option<Origin>,
    pub syn_ack: Option<Origin>,
    /// The client's ACK completing the handshake.
    pub ack: Option<Origin>,
    pub syn_count: u32,
    server_isn: Option<u32>,
    pub fin: PerSide<Option<Origin>>,
    pub rst: PerSide<Option<Origin>>,
    pub retransmissions: PerSide<u32>,
    pub zeek: ZeekConn,
    pub reasm: PerSide<Reassembler>,
    /// Last segment carrying payload, either way.
    pub last_payload: Option<Origin>,
    /// Last payload before the first FIN or RST.
    pub last_payload_before_close: Option<Origin>,
    /// First FIN or RST, and who sent it.
    pub first_close: Option<(Side, Origin, bool)>,
}

impl TcpState {
    pub fn flip(&mut self) {
        self.base_seq.swap();
        self.fin.swap();
        self.rst.swap();
        self.retransmissions.swap();
        self.reasm.swap();
        self.zeek.flip();
        if let Some((side, o, rst)) = self.first_close {
            self.first_close = Some((side.other(), o, rst));
        }
    }

    /// tshark starts a new stream when a SYN (without ACK) carries a sequence number other
    /// than the base of its direction: the port pair was reused.
    pub fn is_port_reuse(&self, side: Side, seg: &TcpSegment<'_>) -> bool {
        seg.flags.is_syn_only()
            && seg.has_seg_len
            && self.base_seq[side].is_some_and(|b| b != seg.seq)
    }
}

/// Applies one segment from `side` to the connection: lifecycle, history, and the byte stream.
pub fn segment(
    conn: &mut Conn,
    side: Side,
    seg: &TcpSegment<'_>,
    origin: Origin,
    budget: &mut usize,
    env: &Env<'_>,
) {
    let Conn { tcp, app, log, .. } = conn;
    let Some(t) = tcp.as_deref_mut() else { return };
    let (i, o) = (side, side.other());
    let flags = seg.flags;
    // tshark analyses sequence numbers only when the IP length covers the TCP header.
    if seg.has_seg_len {
        if t.base_seq[i].is_none() {
            t.base_seq[i] = Some(if flags.syn() {
                seg.seq
            } else {
                seg.seq.wrapping_sub(1)
            });
        }
        if t.base_seq[o].is_none() && flags.ack() {
            t.base_seq[o] = Some(seg.ack.wrapping_sub(1));
        }
    }
    match side {
        Side::Client if flags.is_syn_only() => {
            t.syn_count += 1;
            t.syn.get_or_insert(origin);
        }
        Side::Server if flags.is_syn_ack() => {
            t.syn_ack.get_or_insert(origin);
            t.server_isn.get_or_insert(seg.seq);
        }
        Side::Client
            if flags.ack()
                && !flags.syn()
                && t.ack.is_none()
                && t.server_isn
                    .is_some_and(|isn| seg.ack == isn.wrapping_add(1)) =>
        {
            t.ack = Some(origin);
        }
        _ => {}
    }
    let seg_len = if seg.has_seg_len { seg.seg_len } else { 0 };
    t.zeek.packet(i, flags, seg.seq, seg_len, seg.window);
    if flags.fin() {
        t.fin[i].get_or_insert(origin);
    }
    if flags.rst() {
        t.rst[i].get_or_insert(origin);
    }
    if (flags.fin() || flags.rst()) && t.first_close.is_none() {
        t.first_close = Some((side, origin, flags.rst()));
        t.last_payload_before_close = t.last_payload;
    }
    if seg.bogus_header {
        return;
    }
    let gaps_before = t.reasm[i].gaps;
    let mut deliver = |ev: StreamEvent<'_>, at: Origin| match ev {
        StreamEvent::Data(d) => app.data(side, d, at, log, env),
        StreamEvent::Gap(n) => app.gap(side, n, at, log),
    };
    // A RST's payload (diagnostic text) is not part of the stream.
    let payload: &[u8] = if flags.rst() { &[] } else { seg.payload };
    let kind = t.reasm[i].segment(
        seg.seq,
        flags.syn(),
        flags.fin(),
        payload,
        if flags.rst() { 0 } else { seg_len },
        origin,
        budget,
        &mut deliver,
    );
    if kind == SegmentKind::Retransmission && seg_len > 0 {
        t.retransmissions[i] = t.retransmissions[i].saturating_add(1);
        t.zeek.retransmission(i);
    }
    if t.reasm[i].gaps > gaps_before {
        t.zeek.gap(i);
    }
    if seg_len > 0 && !flags.rst() {
        t.last_payload = Some(origin);
    }
    if flags.ack() {
        let gaps_before = t.reasm[o].gaps;
        let peer = side.other();
        let mut deliver_peer = |ev: StreamEvent<'_>, at: Origin| match ev {
            StreamEvent::Data(d) => app.data(peer, d, at, log, env),
            StreamEvent::Gap(n) => app.gap(peer, n, at, log),
        };
        t.reasm[o].peer_acked(seg.ack, origin, budget, &mut deliver_peer);
        if t.reasm[o].gaps > gaps_before {
            t.zeek.gap(o);
        }
    }
    if flags.fin() || flags.rst() {
        app.close(side, origin);
    }
}

/// End of capture (or of the connection): deliver what waits behind holes.
pub fn flush(conn: &mut Conn, budget: &mut usize, env: &Env<'_>) {
    let Conn { tcp, app, log, .. } = conn;
    let Some(t) = tcp.as_deref_mut() else { return };
    for side in [Side::Client, Side::Server] {
        let mut deliver = |ev: StreamEvent<'_>, at: Origin| match ev {
            StreamEvent::Data(d) => app.data(side, d, at, log, env),
            StreamEvent::Gap(n) => app.gap(side, n, at, log),
        };
        t.reasm[side].flush(budget, &mut deliver);
    }
}
