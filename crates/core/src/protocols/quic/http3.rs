//! HTTP/3 (RFC 9114) on decrypted QUIC STREAM frames: each client-initiated bidirectional
//! stream is one request; its HEADERS frames (QPACK, `qpack`) give method, path, authority and
//! the response status; DATA frames are counted, not kept. Unidirectional streams are read for
//! their type: the control stream (SETTINGS for the QPACK table size, GOAWAY) and the QPACK
//! encoder stream. Stream bytes are delivered in order with a bounded hold for reordering.

use super::header::varint;
use super::qpack::{self, Decoder};
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;
use std::collections::BTreeMap;

/// Requests kept per connection; more are counted.
pub const MAX_REQUESTS: usize = 256;
/// Out-of-order stream bytes held per stream direction, and per connection in all.
const MAX_HELD: usize = 16 * 1024;
const MAX_HELD_PER_CONNECTION: usize = 256 * 1024;
/// HEADERS frame payload kept for decoding.
const MAX_HEADERS_BYTES: usize = 16 * 1024;
/// Header blocks waiting for the encoder stream.
const MAX_BLOCKED: usize = 32;
/// Unidirectional streams followed per side.
const MAX_UNI: usize = 16;

/// One request/response exchange on a bidirectional stream.
#[derive(Debug, Clone, Default)]
pub struct H3Request {
    pub stream_id: u64,
    pub method: Option<String>,
    pub path: Option<String>,
    pub authority: Option<String>,
    pub status: Option<u16>,
    pub alt_svc: Option<String>,
    /// First STREAM frame of the request, and the one that ended it (FIN).
    pub first: Option<Origin>,
    pub end: Option<Origin>,
    /// The frame that completed the request's HEADERS.
    pub headers_at: Option<Origin>,
    /// First response bytes, and the response's end (FIN).
    pub response_first: Option<Origin>,
    pub response_end: Option<Origin>,
    pub response_body_bytes: u64,
    /// 1xx responses before the final one.
    pub interim: u32,
    /// A side reset the stream (RESET_STREAM).
    pub reset: Option<Side>,
    /// The header block could not be decoded (QPACK state missing or malformed).
    pub headers_unreadable: bool,
}

/// In-order delivery of one stream direction.
#[derive(Debug, Default)]
struct Reasm {
    next: u64,
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// Bytes were lost (hold exceeded): frames can no longer be followed.
    lost: bool,
}

impl Reasm {
    /// Takes a frame's data; returns the bytes now in order. `budget` is what the whole
    /// connection may still hold out of order.
    fn push(&mut self, offset: u64, data: &[u8], budget: &mut usize) -> Vec<u8> {
        let mut out = Vec::new();
        let end = offset.saturating_add(data.len() as u64);
        if end <= self.next || self.lost {
            return out;
        }
        if offset > self.next {
            if self.held_bytes.saturating_add(data.len()) > MAX_HELD || data.len() > *budget {
                self.lost = true;
                *budget = budget.saturating_add(self.held_bytes);
                self.held.clear();
                self.held_bytes = 0;
                return out;
            }
            self.held_bytes = self.held_bytes.saturating_add(data.len());
            *budget = budget.saturating_sub(data.len());
            if let Some(old) = self.held.insert(offset, data.to_vec()) {
                self.held_bytes = self.held_bytes.saturating_sub(old.len());
                *budget = budget.saturating_add(old.len());
            }
            return out;
        }
        let skip = usize::try_from(self.next.saturating_sub(offset)).unwrap_or(usize::MAX);
        out.extend_from_slice(data.get(skip..).unwrap_or_default());
        self.next = end;
        while let Some((&off, _)) = self.held.first_key_value() {
            if off > self.next {
                break;
            }
            let Some((off, d)) = self.held.pop_first() else {
                break;
            };
            self.held_bytes = self.held_bytes.saturating_sub(d.len());
            *budget = budget.saturating_add(d.len());
            let e = off.saturating_add(d.len() as u64);
            if e > self.next {
                let skip = usize::try_from(self.next.saturating_sub(off)).unwrap_or(usize::MAX);
                out.extend_from_slice(d.get(skip..).unwrap_or_default());
                self.next = e;
            }
        }
        out
    }
}

/// HTTP/3 frames of one stream direction, read as bytes arrive.
#[derive(Debug, Default)]
struct FrameReader {
    /// A partial frame header (type and length varints).
    head: Vec<u8>,
    /// The current frame: type, bytes still to come.
    current: Option<(u64, u64)>,
    payload: Vec<u8>,
    /// A unidirectional stream's type, once read.
    stream_type: Option<u64>,
}

/// What a frame reader found.
enum Event {
    Headers(Vec<u8>),
    Data(u64),
    Settings(Vec<u8>),
    Goaway,
    /// Encoder-stream bytes (unidirectional stream type 0x02).
    Encoder(Vec<u8>),
}

impl FrameReader {
    fn feed(&mut self, data: &[u8], uni: bool, out: &mut Vec<Event>) {
        if uni && self.stream_type.is_none() {
            let mut buf = std::mem::take(&mut self.head);
            buf.extend_from_slice(data);
            match varint(&buf) {
                None => {
                    if buf.len() < 8 {
                        self.head = buf;
                    }
                }
                Some((ty, n)) => {
                    self.stream_type = Some(ty);
                    let rest = buf.split_off(n.min(buf.len()));
                    self.frames(&rest, uni, out);
                }
            }
            return;
        }
        self.frames(data, uni, out);
    }

    fn frames(&mut self, mut data: &[u8], uni: bool, out: &mut Vec<Event>) {
        if self.stream_type == Some(0x02) {
            if !data.is_empty() {
                out.push(Event::Encoder(data.to_vec()));
            }
            return;
        }
        // Streams other than control (0x00) and requests carry nothing read here.
        if self.stream_type == Some(u64::MAX) || uni && self.stream_type != Some(0x00) {
            return;
        }
        while !data.is_empty() {
            match self.current {
                None => {
                    let take = crate::bytes::head(data, 16usize.saturating_sub(self.head.len()));
                    let before = self.head.len();
                    self.head.extend_from_slice(take);
                    let parsed = varint(&self.head).and_then(|(ty, a)| {
                        let (len, b) = varint(self.head.get(a..)?)?;
                        Some((ty, len, a.checked_add(b)?))
                    });
                    match parsed {
                        Some((ty, len, used)) => {
                            let from_data = used.saturating_sub(before);
                            data = crate::bytes::tail(data, from_data);
                            self.head.clear();
                            self.current = Some((ty, len));
                            self.payload.clear();
                            if len == 0 {
                                self.finish_frame(ty, out);
                            }
                        }
                        None => {
                            if self.head.len() >= 16 {
                                // Not HTTP/3 framing: stop reading this stream.
                                self.stream_type = Some(u64::MAX);
                            }
                            return;
                        }
                    }
                }
                Some((ty, left)) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                    let (chunk, rest) = crate::bytes::split(data, n);
                    data = rest;
                    let left = left.saturating_sub(n as u64);
                    match ty {
                        0x00 => out.push(Event::Data(n as u64)),
                        0x01 | 0x04
                            if self.payload.len().saturating_add(chunk.len())
                                <= MAX_HEADERS_BYTES =>
                        {
                            self.payload.extend_from_slice(chunk);
                        }
                        _ => {}
                    }
                    self.current = Some((ty, left));
                    if left == 0 {
                        self.finish_frame(ty, out);
                    }
                }
            }
        }
    }

    fn finish_frame(&mut self, ty: u64, out: &mut Vec<Event>) {
        self.current = None;
        match ty {
            0x01 => out.push(Event::Headers(std::mem::take(&mut self.payload))),
            0x04 => out.push(Event::Settings(std::mem::take(&mut self.payload))),
            0x07 => out.push(Event::Goaway),
            _ => {}
        }
    }
}

#[derive(Debug, Default)]
struct StreamDir {
    reasm: Reasm,
    reader: FrameReader,
}

/// HTTP/3 on one QUIC connection.
#[derive(Debug, Default)]
pub struct H3Conn {
    pub requests: Vec<H3Request>,
    pub requests_not_kept: u64,
    pub goaway: Option<(Side, Origin)>,
    /// SETTINGS seen, per side.
    pub settings: PerSide<bool>,
    /// Header blocks that could not be decoded.
    pub unreadable_headers: u64,
    bidi: BTreeMap<u64, (usize, PerSide<StreamDir>)>,
    /// Highest client bidirectional stream id seen past the kept requests (those streams are
    /// counted from it, not remembered one by one).
    max_bidi: Option<u64>,
    /// Out-of-order bytes this connection may still hold (`None`: the full allowance).
    held_budget: Option<usize>,
    uni: BTreeMap<(bool, u64), StreamDir>,
    /// QPACK decoders for the field sections each side sends.
    qpack: PerSide<Decoder>,
    blocked: Vec<(Side, u64, Vec<u8>, Origin)>,
}

fn side_key(side: Side) -> bool {
    side == Side::Client
}

impl H3Conn {
    /// One STREAM frame sent by `side`.
    pub fn stream(
        &mut self,
        side: Side,
        id: u64,
        offset: u64,
        data: &[u8],
        fin: bool,
        origin: Origin,
    ) {
        let bidi = id & 0x02 == 0;
        if bidi {
            // Server-initiated bidirectional streams are not used by HTTP/3.
            if id & 0x01 != 0 {
                return;
            }
            self.bidi_frame(side, id, offset, data, fin, origin);
        } else {
            let initiator_is_client = id & 0x01 == 0;
            if initiator_is_client != (side == Side::Client) {
                return;
            }
            let key = (side_key(side), id);
            if !self.uni.contains_key(&key) {
                let count = self.uni.keys().filter(|k| k.0 == side_key(side)).count();
                if count >= MAX_UNI {
                    return;
                }
                self.uni.insert(key, StreamDir::default());
            }
            let mut events = Vec::new();
            let budget = self.held_budget.get_or_insert(MAX_HELD_PER_CONNECTION);
            if let Some(dir) = self.uni.get_mut(&key) {
                let bytes = dir.reasm.push(offset, data, budget);
                dir.reader.feed(&bytes, true, &mut events);
            }
            for e in events {
                match e {
                    Event::Encoder(b) => {
                        self.qpack[side].encoder_stream(&b);
                        self.retry_blocked();
                    }
                    Event::Settings(payload) => {
                        self.settings[side] = true;
                        // SETTINGS_QPACK_MAX_TABLE_CAPACITY (0x01) of `side` bounds what the
                        // other side's encoder may use.
                        let mut p = payload.as_slice();
                        while let Some((k, a)) = varint(p) {
                            let Some((v, b)) = p.get(a..).and_then(varint) else {
                                break;
                            };
                            if k == 0x01 {
                                let cap = usize::try_from(v)
                                    .unwrap_or(usize::MAX)
                                    .min(qpack::MAX_TABLE_BYTES);
                                self.qpack[side.other()].max_capacity = cap;
                            }
                            p = p.get(a.saturating_add(b)..).unwrap_or_default();
                        }
                        self.retry_blocked();
                    }
                    Event::Goaway => {
                        self.goaway.get_or_insert((side, origin));
                    }
                    _ => {}
                }
            }
        }
    }

    fn bidi_frame(
        &mut self,
        side: Side,
        id: u64,
        offset: u64,
        data: &[u8],
        fin: bool,
        origin: Origin,
    ) {
        if !self.bidi.contains_key(&id) {
            if side == Side::Server && offset == 0 && data.is_empty() {
                return;
            }
            if self.requests.len() >= MAX_REQUESTS {
                if side == Side::Client && self.max_bidi.is_none_or(|m| id > m) {
                    self.max_bidi = Some(id);
                    // Client streams are numbered 0, 4, 8, ...: those past the kept ones.
                    self.requests_not_kept = (id / 4)
                        .saturating_add(1)
                        .saturating_sub(MAX_REQUESTS as u64);
                }
                return;
            }
            self.requests.push(H3Request {
                stream_id: id,
                ..Default::default()
            });
            self.bidi.insert(
                id,
                (self.requests.len().saturating_sub(1), PerSide::default()),
            );
        }
        let budget = self.held_budget.get_or_insert(MAX_HELD_PER_CONNECTION);
        let Some((index, dirs)) = self.bidi.get_mut(&id) else {
            return;
        };
        let index = *index;
        let mut events = Vec::new();
        let dir = &mut dirs[side];
        let bytes = dir.reasm.push(offset, data, budget);
        dir.reader.feed(&bytes, false, &mut events);
        let Some(r) = self.requests.get_mut(index) else {
            return;
        };
        match side {
            Side::Client => {
                r.first.get_or_insert(origin);
                if fin {
                    r.end = Some(origin);
                }
            }
            Side::Server => {
                r.response_first.get_or_insert(origin);
                if fin {
                    r.response_end = Some(origin);
                }
            }
        }
        for e in events {
            match e {
                Event::Headers(block) => self.headers(side, index, block, origin),
                Event::Data(n) if side == Side::Server => {
                    if let Some(r) = self.requests.get_mut(index) {
                        r.response_body_bytes = r.response_body_bytes.saturating_add(n);
                    }
                }
                _ => {}
            }
        }
    }

    fn headers(&mut self, side: Side, index: usize, block: Vec<u8>, origin: Origin) {
        match self.qpack[side].decode(&block) {
            Ok(fields) => self.apply(side, index, &fields, origin),
            Err(qpack::Error::Blocked) if self.blocked.len() < MAX_BLOCKED => {
                self.blocked.push((side, index as u64, block, origin));
            }
            Err(_) => {
                self.unreadable_headers = self.unreadable_headers.saturating_add(1);
                if let Some(r) = self.requests.get_mut(index) {
                    r.headers_unreadable = true;
                }
            }
        }
    }

    fn retry_blocked(&mut self) {
        let blocked = std::mem::take(&mut self.blocked);
        for (side, index, block, origin) in blocked {
            let index = usize::try_from(index).unwrap_or(usize::MAX);
            match self.qpack[side].decode(&block) {
                Ok(fields) => self.apply(side, index, &fields, origin),
                Err(qpack::Error::Blocked) => {
                    self.blocked.push((side, index as u64, block, origin))
                }
                Err(_) => {
                    self.unreadable_headers = self.unreadable_headers.saturating_add(1);
                    if let Some(r) = self.requests.get_mut(index) {
                        r.headers_unreadable = true;
                    }
                }
            }
        }
    }

    fn apply(&mut self, side: Side, index: usize, fields: &[qpack::Field], origin: Origin) {
        let Some(r) = self.requests.get_mut(index) else {
            return;
        };
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        match side {
            Side::Client => {
                if r.method.is_none() {
                    r.method = get(":method");
                    r.path = get(":path");
                    r.authority = get(":authority").or_else(|| get("host"));
                    r.headers_at = Some(origin);
                }
            }
            Side::Server => {
                let status = get(":status").and_then(|s| s.parse::<u16>().ok());
                match status {
                    Some(s) if (100..200).contains(&s) => r.interim = r.interim.saturating_add(1),
                    Some(s) if r.status.is_none() => {
                        r.status = Some(s);
                        r.alt_svc = get("alt-svc");
                    }
                    _ => {}
                }
            }
        }
    }

    /// RESET_STREAM from `side`.
    pub fn reset(&mut self, side: Side, id: u64, _origin: Origin) {
        if let Some((index, _)) = self.bidi.get(&id) {
            if let Some(r) = self.requests.get_mut(*index) {
                r.reset.get_or_insert(side);
            }
        }
    }

    /// Header blocks still waiting for encoder-stream data at the end.
    pub fn blocked_headers(&self) -> usize {
        self.blocked.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Ts;

    fn o(frame: u64) -> Origin {
        Origin {
            frame,
            ts: Ts::default(),
        }
    }

    #[test]
    fn request_and_response() {
        let mut h = H3Conn::default();
        // HEADERS (static: :method GET, :scheme https, :path /) with :authority literal "a".
        let block = [0x00, 0x00, 0xd1, 0xd7, 0xc1, 0x50, 0x01, b'a'];
        let mut req = vec![0x01, block.len() as u8];
        req.extend_from_slice(&block);
        // Deliver out of order: the second half first.
        h.stream(Side::Client, 0, 4, &req[4..], true, o(2));
        h.stream(Side::Client, 0, 0, &req[..4], false, o(3));
        // Response: HEADERS :status 200 (static 25), then DATA of 5 bytes.
        let resp = [0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x05, 1, 2, 3, 4, 5];
        h.stream(Side::Server, 0, 0, &resp, true, o(4));
        let r = &h.requests[0];
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/"));
        assert_eq!(r.authority.as_deref(), Some("a"));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.response_body_bytes, 5);
        assert_eq!(r.end.map(|e| e.frame), Some(2));
        assert_eq!(r.response_end.map(|e| e.frame), Some(4));
        // Streams past the kept requests are counted, not remembered; out-of-order bytes are
        // held within the connection's allowance.
        let mut many = H3Conn::default();
        for i in 0..(MAX_REQUESTS as u64 + 50) {
            many.stream(Side::Client, i * 4, 0, &req, true, o(7));
        }
        assert_eq!(many.requests.len(), MAX_REQUESTS);
        assert_eq!(many.requests_not_kept, 50);
        assert!(many.bidi.len() <= MAX_REQUESTS);
        for i in 0..100u64 {
            many.stream(Side::Server, i * 4, 1 << 20, &[0u8; 8000], false, o(8));
        }
        assert!(many
            .held_budget
            .is_some_and(|b| b <= MAX_HELD_PER_CONNECTION));
        // Junk never panics.
        h.stream(Side::Client, 4, 0, &[0xff; 40], true, o(5));
        h.stream(Side::Client, 2, 0, &[0x02, 0xff, 0xff], false, o(6));
    }
}
