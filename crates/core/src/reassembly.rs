//! Per-direction TCP reassembly: hands the protocol parsers the byte stream in order, exactly
//! once. In-order segments pass straight through (no copy); out-of-order segments wait in a
//! small bounded queue; retransmitted and overlapping bytes are trimmed; holes that will never
//! fill (lost in the capture, cut by the snaplen, or past the buffer limits) are reported as
//! gaps so the parser can resynchronise or stop — never silently glued together.

use crate::time::Ts;

/// Bytes one direction may hold out of order before the hole is declared a gap.
pub const MAX_HELD_PER_DIRECTION: usize = 256 * 1024;
/// Out-of-order segments one direction may hold.
const MAX_HELD_SEGMENTS: usize = 256;
/// A segment further ahead than this is not data of this stream (a wild sequence number).
const MAX_AHEAD: u32 = 1 << 30;

/// Where a piece of the stream came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub frame: u64,
    pub ts: Ts,
}

/// What the reassembler delivers, in stream order.
#[derive(Debug)]
pub enum StreamEvent<'a> {
    Data(&'a [u8]),
    /// This many bytes of the stream are missing (not captured).
    Gap(u64),
}

/// How a segment related to what had been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// Carried new bytes (or was empty).
    New,
    /// Every byte had been seen before.
    Retransmission,
    /// Arrived ahead of a hole and waits.
    OutOfOrder,
}

struct Held {
    seq: u32,
    data: Vec<u8>,
    /// Bytes the headers claim beyond `data` (snaplen cut): a gap right after it.
    missing_tail: u32,
    origin: Origin,
}

/// One direction of one connection.
#[derive(Default)]
pub struct Reassembler {
    /// Sequence number of the next byte the parser expects.
    next: Option<u32>,
    held: Vec<Held>,
    held_bytes: usize,
    /// Seen the FIN: nothing after it belongs to the stream.
    fin_seq: Option<u32>,
    pub gaps: u32,
    pub gap_bytes: u64,
}

/// Wrapping sequence-number distance `a - b` (positive when `a` is ahead).
fn seq_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Reassembler {
    /// Feeds one segment. `payload` is what was captured, `seg_len` what the header claims.
    #[allow(clippy::too_many_arguments)]
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        payload: &[u8],
        seg_len: u32,
        origin: Origin,
        budget: &mut usize,
        out: &mut impl FnMut(StreamEvent<'_>, Origin),
    ) -> SegmentKind {
        // Data on a SYN (TCP Fast Open) starts one past the SYN's sequence number.
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let next = *self.next.get_or_insert(data_seq);
        if fin {
            self.fin_seq.get_or_insert(data_seq.wrapping_add(seg_len));
        }
        if seg_len == 0 {
            return SegmentKind::New;
        }
        let ahead = seq_diff(data_seq, next);
        if ahead > 0 {
            if ahead as u64 > u64::from(MAX_AHEAD) {
                return SegmentKind::Retransmission;
            }
            return self.hold(data_seq, payload, seg_len, origin, budget, out);
        }
        let overlap = ahead.unsigned_abs();
        if overlap >= u64::from(seg_len) {
            return SegmentKind::Retransmission;
        }
        self.deliver(data_seq, payload, seg_len, overlap, origin, out);
        self.drain(budget, out);
        SegmentKind::New
    }

    /// Delivers the part of a segment from `skip` bytes on, then a gap for its cut tail.
    fn deliver(
        &mut self,
        seq: u32,
        payload: &[u8],
        seg_len: u32,
        skip: u64,
        origin: Origin,
        out: &mut impl FnMut(StreamEvent<'_>, Origin),
    ) {
        let skip = skip as usize;
        if let Some(rest) = payload.get(skip..).filter(|r| !r.is_empty()) {
            out(StreamEvent::Data(rest), origin);
        }
        let captured_end = payload.len().max(skip) as u64;
        let missing = u64::from(seg_len).saturating_sub(captured_end);
        if missing > 0 {
            self.gaps = self.gaps.saturating_add(1);
            self.gap_bytes = self.gap_bytes.saturating_add(missing);
            out(StreamEvent::Gap(missing), origin);
        }
        self.next = Some(seq.wrapping_add(seg_len));
    }

    fn hold(
        &mut self,
        seq: u32,
        payload: &[u8],
        seg_len: u32,
        origin: Origin,
        budget: &mut usize,
        out: &mut impl FnMut(StreamEvent<'_>, Origin),
    ) -> SegmentKind {
        if self.held.iter().any(|h| h.seq == seq) {
            return SegmentKind::Retransmission;
        }
        let fits = self.held.len() < MAX_HELD_SEGMENTS
            && self.held_bytes.saturating_add(payload.len()) <= MAX_HELD_PER_DIRECTION
            && *budget >= payload.len();
        if !fits {
            // No room to wait for the hole to fill: give it up as a gap, then go on from here.
            self.skip_to(seq, origin, budget, out);
            self.deliver(seq, payload, seg_len, 0, origin, out);
            self.drain(budget, out);
            return SegmentKind::New;
        }
        *budget = budget.saturating_sub(payload.len());
        self.held_bytes = self.held_bytes.saturating_add(payload.len());
        let at = self.held.partition_point(|h| seq_diff(h.seq, seq) < 0);
        self.held.insert(
            at,
            Held {
                seq,
                data: payload.to_vec(),
                missing_tail: seg_len.saturating_sub(payload.len() as u32),
                origin,
            },
        );
        SegmentKind::OutOfOrder
    }

    /// Delivers held segments that have become contiguous.
    fn drain(&mut self, budget: &mut usize, out: &mut impl FnMut(StreamEvent<'_>, Origin)) {
        while let Some(first) = self.held.first() {
            let Some(next) = self.next else { return };
            let ahead = seq_diff(first.seq, next);
            if ahead > 0 {
                return;
            }
            let h = self.held.remove(0);
            self.held_bytes = self.held_bytes.saturating_sub(h.data.len());
            *budget = budget.saturating_add(h.data.len());
            let seg_len = (h.data.len() as u32).saturating_add(h.missing_tail);
            let overlap = ahead.unsigned_abs();
            if overlap < u64::from(seg_len) {
                self.deliver(h.seq, &h.data, seg_len, overlap, h.origin, out);
            }
        }
    }

    /// Declares the bytes before `seq` lost and moves on.
    fn skip_to(
        &mut self,
        seq: u32,
        origin: Origin,
        _budget: &mut usize,
        out: &mut impl FnMut(StreamEvent<'_>, Origin),
    ) {
        if let Some(next) = self.next {
            let missing = seq_diff(seq, next);
            if missing > 0 {
                self.gaps = self.gaps.saturating_add(1);
                self.gap_bytes = self.gap_bytes.saturating_add(missing as u64);
                out(StreamEvent::Gap(missing as u64), origin);
                self.next = Some(seq);
            }
        }
    }

    /// The peer acknowledged up to `ack`: bytes before it that we never saw were lost by the
    /// capture, not by the network, so waiting longer cannot fill the hole.
    pub fn peer_acked(
        &mut self,
        ack: u32,
        origin: Origin,
        budget: &mut usize,
        out: &mut impl FnMut(StreamEvent<'_>, Origin),
    ) {
        let Some(next) = self.next else { return };
        let mut limit = ack;
        if let Some(fin) = self.fin_seq {
            // The FIN takes a sequence number but carries no byte.
            if seq_diff(ack, fin) > 0 {
                limit = fin;
            }
        }
        let ahead = seq_diff(limit, next);
        if ahead <= 0 || ahead as u64 > u64::from(MAX_AHEAD) {
            return;
        }
        let target = match self.held.first() {
            Some(h) if seq_diff(h.seq, limit) < 0 => h.seq,
            _ => limit,
        };
        self.skip_to(target, origin, budget, out);
        self.drain(budget, out);
    }

    /// End of the connection or capture: whatever waits is delivered after its gap.
    pub fn flush(&mut self, budget: &mut usize, out: &mut impl FnMut(StreamEvent<'_>, Origin)) {
        while let Some(first) = self.held.first() {
            let (seq, origin) = (first.seq, first.origin);
            self.skip_to(seq, origin, budget, out);
            self.drain(budget, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(frame: u64) -> Origin {
        Origin {
            frame,
            ts: Ts::default(),
        }
    }

    fn run(segs: &[(u32, &[u8], u32)], acks: &[(usize, u32)]) -> (Vec<u8>, Vec<u64>) {
        let mut r = Reassembler::default();
        let mut budget = 1 << 20;
        let mut data = Vec::new();
        let mut gaps = Vec::new();
        let mut out = |ev: StreamEvent<'_>, _: Origin| match ev {
            StreamEvent::Data(d) => data.extend_from_slice(d),
            StreamEvent::Gap(n) => gaps.push(n),
        };
        r.segment(99, true, false, &[], 0, o(0), &mut budget, &mut out);
        for (i, (seq, payload, len)) in segs.iter().enumerate() {
            r.segment(
                *seq,
                false,
                false,
                payload,
                *len,
                o(i as u64 + 1),
                &mut budget,
                &mut out,
            );
            for (after, ack) in acks {
                if *after == i {
                    r.peer_acked(*ack, o(0), &mut budget, &mut out);
                }
            }
        }
        r.flush(&mut budget, &mut out);
        (data, gaps)
    }

    #[test]
    fn in_order_out_of_order_and_retransmission() {
        let (d, g) = run(
            &[
                (100, b"abc", 3),
                (106, b"ghi", 3),
                (103, b"def", 3),
                (100, b"abc", 3),
                (104, b"efgh", 4),
            ],
            &[],
        );
        assert_eq!(d, b"abcdefghi");
        assert!(g.is_empty());
    }

    #[test]
    fn overlap_is_trimmed() {
        let (d, _) = run(&[(100, b"abcd", 4), (102, b"cdef", 4)], &[]);
        assert_eq!(d, b"abcdef");
    }

    #[test]
    fn lost_segment_is_a_gap_once_acked() {
        let (d, g) = run(&[(100, b"abc", 3), (106, b"ghi", 3)], &[(1, 109)]);
        assert_eq!(d, b"abcghi");
        assert_eq!(g, vec![3]);
    }

    #[test]
    fn snaplen_cut_is_a_gap() {
        let (d, g) = run(&[(100, b"ab", 10), (110, b"xyz", 3)], &[]);
        assert_eq!(d, b"abxyz");
        assert_eq!(g, vec![8]);
    }

    #[test]
    fn sequence_wraparound() {
        let mut r = Reassembler::default();
        let mut budget = 1 << 20;
        let mut data = Vec::new();
        let mut out = |ev: StreamEvent<'_>, _: Origin| {
            if let StreamEvent::Data(d) = ev {
                data.extend_from_slice(d)
            }
        };
        r.segment(
            u32::MAX - 1,
            false,
            false,
            b"ab",
            2,
            o(1),
            &mut budget,
            &mut out,
        );
        r.segment(2, false, false, b"de", 2, o(2), &mut budget, &mut out);
        r.segment(0, false, false, b"cc", 2, o(3), &mut budget, &mut out);
        r.flush(&mut budget, &mut out);
        assert_eq!(data, b"abccde");
    }
}
