//! HTTP/2 frames in cleartext (h2c, by prior knowledge or by an HTTP/1.1 Upgrade): frames counted
//! by type, streams identified from HEADERS, GOAWAY and RST_STREAM noted. Payloads are skipped.

use super::H2_PREFACE;
use crate::bytes::{fill, head, tail};
use crate::notes::Notes;
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;

/// Stream ids kept per connection.
const MAX_STREAMS: usize = 10_000;
/// Largest frame payload the protocol allows (SETTINGS_MAX_FRAME_SIZE ceiling, 2^24-1).
const MAX_FRAME: u32 = (1 << 24) - 1;

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

#[derive(Default)]
struct FrameReader {
    /// Client preface bytes still expected.
    preface_left: usize,
    header: [u8; 9],
    header_len: usize,
    payload_left: u32,
    dead: bool,
}

/// One HTTP/2 frame header as seen.
#[derive(Debug, Clone, Copy)]
pub struct FrameSeen {
    pub side: Side,
    pub kind: u8,
    pub stream: u32,
    pub origin: Origin,
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
    /// First frame per stream id that opened it (HEADERS from the client), for timings.
    pub first_headers: Vec<(u32, Origin)>,
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
        let i = side;
        while !data.is_empty() && !self.dirs[i].dead {
            let d = &mut self.dirs[i];
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
                let take = (d.payload_left as usize).min(data.len());
                d.payload_left = d.payload_left.saturating_sub(take as u32);
                data = tail(data, take);
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
            let kind = h[3];
            let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
            if len > MAX_FRAME {
                d.dead = true;
                return;
            }
            d.payload_left = len;
            self.frame(FrameSeen {
                side,
                kind,
                stream,
                origin,
            });
        }
    }

    fn frame(&mut self, f: FrameSeen) {
        self.frames = self.frames.saturating_add(1);
        if let Some(n) = self.by_type.get_mut(usize::from(f.kind).min(10)) {
            *n = n.saturating_add(1);
        }
        match f.kind {
            1 if f.stream != 0 => {
                if let Err(at) = self.streams.binary_search(&f.stream) {
                    if self.streams.len() < MAX_STREAMS {
                        self.streams.insert(at, f.stream);
                        if f.side == Side::Client {
                            self.first_headers.push((f.stream, f.origin));
                        }
                    }
                }
            }
            3 => self.rst_streams = self.rst_streams.saturating_add(1),
            7 => self.goaway = true,
            _ => {}
        }
    }

    pub fn gap(&mut self, side: Side, len: u64, origin: Origin, notes: &mut Notes) {
        let i = side;
        let d = &mut self.dirs[i];
        if d.dead {
            return;
        }
        if d.header_len == 0 && d.preface_left == 0 && len <= u64::from(d.payload_left) {
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
