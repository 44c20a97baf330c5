//! HTTP/2 frames (RFC 9113): in cleartext (h2c, by prior knowledge or an HTTP/1.1 Upgrade) and
//! inside decrypted TLS. Frames are counted by type; header blocks are decoded with HPACK
//! (loona-hpack) so every stream becomes a request with its method, authority, path, status and
//! timings; DATA payloads are skipped, not copied.

use super::http1::{Exchange, Response};
use super::H2_PREFACE;
use crate::bytes::{be32, fill, head, split, tail};
use crate::notes::Notes;
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;
use hashbrown::HashMap;

/// Stream ids kept per connection.
const MAX_STREAMS: usize = 10_000;
/// Requests (streams) kept per connection.
const MAX_EXCHANGES: usize = 4096;
/// Largest frame payload the protocol allows (SETTINGS_MAX_FRAME_SIZE ceiling, 2^24-1).
const MAX_FRAME: u32 = (1 << 24) - 1;
/// A header block (HEADERS + CONTINUATION) larger than this is not decoded.
const MAX_HEADER_BLOCK: usize = 256 * 1024;
/// HPACK dynamic table size a peer may ask for (memory per connection).
const MAX_HPACK_TABLE: usize = 64 * 1024;

pub const FRAME_TYPES: [&str; 10] = [
    "DATA",
    "HEADERS",
    "PRIORITY",
    "RST_STREAM",
    "SETTINGS",
    "PUSH_PROMISE",
    "PING",
    "GOAWAY",
    "WINDOW_UPDATE",
    "CONTINUATION",
];

const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const PUSH_PROMISE: u8 = 5;
const GOAWAY: u8 = 7;
const CONTINUATION: u8 = 9;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY_FLAG: u8 = 0x20;

#[derive(Default)]
struct FrameReader {
    /// Client preface bytes still expected.
    preface_left: usize,
    header: [u8; 9],
    header_len: usize,
    payload_left: u32,
    /// The current frame's payload, when it is one we read (HEADERS, CONTINUATION, PUSH_PROMISE).
    payload: Option<Vec<u8>>,
    kind: u8,
    flags: u8,
    stream: u32,
    /// A header block being assembled: (stream, frame type that opened it, flags, promised stream).
    block: Vec<u8>,
    block_start: Option<(u32, u8, u8, u32, Origin)>,
    hpack: Option<loona_hpack::Decoder<'static>>,
    hpack_broken: bool,
    dead: bool,
}

#[derive(Default)]
pub struct H2Conn {
    dirs: PerSide<FrameReader>,
    pub started_by_upgrade: bool,
    pub frames: u64,
    /// Counts per frame type 0..=9, then "other".
    pub by_type: [u64; 11],
    pub streams: Vec<u32>,
    pub goaway: bool,
    pub rst_streams: u64,
    /// One exchange per stream that carried a request, in order of its first HEADERS.
    pub exchanges: Vec<Exchange>,
    pub exchanges_dropped: u64,
    by_stream: HashMap<u32, usize>,
}

/// What a decoded header block says.
#[derive(Default)]
struct Fields {
    method: Option<String>,
    path: Option<String>,
    authority: Option<String>,
    status: Option<u16>,
    other: Vec<(String, String)>,
}

fn text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.len() > 2048 {
        let mut end = 2048;
        while !s.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        format!("{}…", s.get(..end).unwrap_or(""))
    } else {
        s.into_owned()
    }
}

impl H2Conn {
    pub fn prior_knowledge() -> Self {
        let mut h = H2Conn::default();
        h.dirs.client.preface_left = H2_PREFACE.len();
        h
    }

    /// After `101 Switching Protocols`: the client still sends the preface (RFC 7540 §3.2).
    pub fn upgraded() -> Self {
        let mut h = Self::prior_knowledge();
        h.started_by_upgrade = true;
        // Stream 1 carries the response to the upgraded request.
        h.streams.push(1);
        h
    }

    pub fn data(&mut self, side: Side, mut data: &[u8], origin: Origin, notes: &mut Notes) {
        while !data.is_empty() && !self.dirs[side].dead {
            let d = &mut self.dirs[side];
            if d.preface_left > 0 {
                let take = d.preface_left.min(data.len());
                let at = H2_PREFACE.len().saturating_sub(d.preface_left);
                let expected = H2_PREFACE
                    .get(at..at.saturating_add(take))
                    .unwrap_or_default();
                if head(data, take) != expected {
                    d.dead = true;
                    notes.add(
                        "h2_unparsed",
                        format!(
                            "HTTP/2 connection preface expected at frame {}",
                            origin.frame
                        ),
                        Some(origin.frame),
                    );
                    return;
                }
                d.preface_left = d.preface_left.saturating_sub(take);
                data = tail(data, take);
                continue;
            }
            if d.payload_left > 0 {
                let (taken, rest) = split(data, d.payload_left as usize);
                if let Some(p) = d.payload.as_mut() {
                    p.extend_from_slice(taken);
                }
                d.payload_left = d.payload_left.saturating_sub(taken.len() as u32);
                data = rest;
                if d.payload_left == 0 {
                    self.frame_done(side, origin, notes);
                }
                continue;
            }
            let take = fill(&mut d.header, &mut d.header_len, data);
            data = tail(data, take);
            if d.header_len < 9 {
                return;
            }
            d.header_len = 0;
            let h = d.header;
            let len = u32::from_be_bytes([0, h[0], h[1], h[2]]);
            if len > MAX_FRAME {
                d.dead = true;
                return;
            }
            d.kind = h[3];
            d.flags = h[4];
            d.stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            d.payload_left = len;
            let wanted = matches!(d.kind, HEADERS | CONTINUATION | PUSH_PROMISE);
            d.payload = wanted.then(Vec::new);
            let (kind, stream) = (d.kind, d.stream);
            self.count(kind, stream);
            if len == 0 {
                self.frame_done(side, origin, notes);
            }
        }
    }

    fn count(&mut self, kind: u8, stream: u32) {
        self.frames = self.frames.saturating_add(1);
        if let Some(n) = self.by_type.get_mut(usize::from(kind).min(10)) {
            *n = n.saturating_add(1);
        }
        match kind {
            HEADERS if stream != 0 => {
                if let Err(at) = self.streams.binary_search(&stream) {
                    if self.streams.len() < MAX_STREAMS {
                        self.streams.insert(at, stream);
                    }
                }
            }
            RST_STREAM => self.rst_streams = self.rst_streams.saturating_add(1),
            GOAWAY => self.goaway = true,
            _ => {}
        }
    }

    /// A frame's payload is complete.
    fn frame_done(&mut self, side: Side, origin: Origin, notes: &mut Notes) {
        let d = &mut self.dirs[side];
        let (kind, flags, stream) = (d.kind, d.flags, d.stream);
        let payload = d.payload.take();
        match kind {
            DATA if flags & END_STREAM != 0 => self.stream_ended(side, stream, origin),
            HEADERS | PUSH_PROMISE => {
                let Some(p) = payload else { return };
                let mut body: &[u8] = &p;
                let mut promised = 0;
                if flags & PADDED != 0 {
                    let pad = usize::from(body.first().copied().unwrap_or(0));
                    body = head(
                        tail(body, 1),
                        body.len().saturating_sub(1).saturating_sub(pad),
                    );
                }
                if kind == HEADERS && flags & PRIORITY_FLAG != 0 {
                    body = tail(body, 5);
                }
                if kind == PUSH_PROMISE {
                    promised = be32(body, 0).unwrap_or(0) & 0x7fff_ffff;
                    body = tail(body, 4);
                }
                let d = &mut self.dirs[side];
                d.block.clear();
                d.block.extend_from_slice(head(body, MAX_HEADER_BLOCK));
                d.block_start = Some((stream, kind, flags, promised, origin));
                if flags & END_HEADERS != 0 {
                    self.header_block(side, origin, notes);
                }
            }
            CONTINUATION => {
                let Some(p) = payload else { return };
                let d = &mut self.dirs[side];
                if d.block.len().saturating_add(p.len()) <= MAX_HEADER_BLOCK {
                    d.block.extend_from_slice(&p);
                }
                if flags & END_HEADERS != 0 {
                    self.header_block(side, origin, notes);
                }
            }
            _ => {}
        }
    }

    /// A complete header block: decode it (HPACK state must see every block, in order).
    fn header_block(&mut self, side: Side, end: Origin, notes: &mut Notes) {
        let d = &mut self.dirs[side];
        let Some((stream, kind, flags, promised, start)) = d.block_start.take() else {
            return;
        };
        let block = std::mem::take(&mut d.block);
        if d.hpack_broken {
            return;
        }
        let decoder = d.hpack.get_or_insert_with(|| {
            let mut dec = loona_hpack::Decoder::new();
            dec.set_max_allowed_table_size(MAX_HPACK_TABLE);
            dec
        });
        let mut fields = Fields::default();
        let decoded = decoder.decode_with_cb(&block, |name, value| match &*name {
            b":method" => fields.method = Some(text(&value)),
            b":path" => fields.path = Some(text(&value)),
            b":authority" => fields.authority = Some(text(&value)),
            b":status" => {
                fields.status = std::str::from_utf8(&value)
                    .ok()
                    .and_then(|s| s.parse().ok())
            }
            n if fields.other.len() < 16
                && matches!(
                    n,
                    b"authorization" | b"www-authenticate" | b"location" | b"alt-svc" | b"upgrade"
                ) =>
            {
                fields.other.push((text(n), text(&value)))
            }
            _ => {}
        });
        if decoded.is_err() {
            d.hpack_broken = true;
            notes.add("h2_unparsed", format!("HTTP/2 header block on stream {stream} (frame {}) does not decode: later headers in that direction are not read", end.frame), Some(end.frame));
            return;
        }
        match (side, kind) {
            (Side::Client, HEADERS) => {
                self.request(stream, fields, start, end, flags & END_STREAM != 0)
            }
            (Side::Server, PUSH_PROMISE) => self.request(promised, fields, start, end, true),
            (Side::Server, HEADERS) => {
                self.response(stream, fields, start, end, flags & END_STREAM != 0)
            }
            _ => {}
        }
    }

    fn request(&mut self, stream: u32, f: Fields, start: Origin, end: Origin, ended: bool) {
        if self.by_stream.contains_key(&stream) {
            // Trailers on an open request.
            if ended {
                self.stream_ended(Side::Client, stream, end);
            }
            return;
        }
        if self.exchanges.len() >= MAX_EXCHANGES {
            self.exchanges_dropped = self.exchanges_dropped.saturating_add(1);
            return;
        }
        let field = |name: &str| {
            f.other
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        self.by_stream.insert(stream, self.exchanges.len());
        self.exchanges.push(Exchange {
            method: f.method.clone().unwrap_or_default(),
            target: f.path.clone().unwrap_or_default(),
            host: f.authority.clone(),
            version: "HTTP/2".into(),
            start: Some(start),
            end: ended.then_some(end),
            connection: None,
            authorization: field("authorization")
                .and_then(|v| v.split_whitespace().next().map(str::to_string)),
            upgrade: None,
            pipelined: false,
            interim: 0,
            response: None,
        });
    }

    fn response(&mut self, stream: u32, f: Fields, start: Origin, end: Origin, ended: bool) {
        let Some(&i) = self.by_stream.get(&stream) else {
            return;
        };
        let Some(e) = self.exchanges.get_mut(i) else {
            return;
        };
        let field = |name: &str| {
            f.other
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let status = f.status.unwrap_or(0);
        if (100..200).contains(&status) {
            e.interim = e.interim.saturating_add(1);
            return;
        }
        match e.response.as_mut() {
            // A second header block on the stream: trailers.
            Some(r) => {
                if ended {
                    r.end = Some(end);
                }
            }
            None => {
                e.response = Some(Response {
                    status,
                    reason: String::new(),
                    version: "HTTP/2".into(),
                    start: Some(start),
                    end: ended.then_some(end),
                    www_authenticate: field("www-authenticate")
                        .and_then(|v| v.split_whitespace().next().map(str::to_string)),
                    location: field("location"),
                    alt_svc: field("alt-svc"),
                    ..Response::default()
                })
            }
        }
    }

    fn stream_ended(&mut self, side: Side, stream: u32, at: Origin) {
        let Some(&i) = self.by_stream.get(&stream) else {
            return;
        };
        let Some(e) = self.exchanges.get_mut(i) else {
            return;
        };
        match side {
            Side::Client => e.end = Some(at),
            Side::Server => {
                if let Some(r) = e.response.as_mut() {
                    r.end = Some(at);
                }
            }
        }
    }

    pub fn gap(&mut self, side: Side, len: u64, origin: Origin, notes: &mut Notes) {
        let d = &mut self.dirs[side];
        if d.dead {
            return;
        }
        if d.header_len == 0
            && d.preface_left == 0
            && d.payload.is_none()
            && len <= u64::from(d.payload_left)
        {
            d.payload_left = d.payload_left.saturating_sub(len as u32);
            return;
        }
        d.dead = true;
        notes.add(
            "gap",
            format!("{len} bytes of the {} stream were not captured (frame {}): HTTP/2 frames after it are not read", side.as_str(), origin.frame),
            Some(origin.frame),
        );
    }

    /// Frame counts by type name, sorted by name.
    pub fn frames_by_type(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .by_type
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(t, &n)| {
                (
                    FRAME_TYPES.get(t).copied().unwrap_or("OTHER").to_string(),
                    n,
                )
            })
            .collect();
        v.sort();
        v
    }
}
