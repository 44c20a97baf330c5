//! Input formats of the fuzz targets, std only, so that the core's regression test
//! (`crates/core/tests/fuzz_regressions.rs`) can include this very file with `#[path]` and
//! replay a saved input exactly as the target saw it:
//!
//! - `chunk_plan`: the chunk sizes in front of a `chunked` input;
//! - `Script` / `build_capture`: a `tls` / `http1` input, the payload of one synthetic TCP
//!   connection written as an Ethernet pcap.
#![allow(dead_code)]

/// Splits a `chunked` input into chunk sizes and the capture bytes.
///
/// Byte 0: `n = byte0 % 16` size bytes follow (0 means one-byte chunks). Each size byte `s`
/// gives a chunk of `s + 1` bytes when `s < 128` (1..=128), otherwise `(s - 127) * 512` bytes
/// (512..=65536). Sizes repeat cyclically until the capture is used up.
pub fn chunk_plan(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (vec![1], data);
    };
    let n = usize::from(first % 16).min(rest.len());
    let (sizes, capture) = rest.split_at(n);
    let mut out: Vec<usize> = sizes
        .iter()
        .map(|&s| {
            if s < 128 {
                usize::from(s) + 1
            } else {
                usize::from(s - 127) * 512
            }
        })
        .collect();
    if out.is_empty() {
        out.push(1);
    }
    (out, capture)
}

// ---------------------------------------------------------------------------------------------
// Synthetic TCP connection
// ---------------------------------------------------------------------------------------------

/// A classic pcap (microseconds, little-endian) being written in memory.
pub struct PcapWriter {
    bytes: Vec<u8>,
}

impl PcapWriter {
    pub fn new(link_type: u32) -> Self {
        let mut bytes = Vec::with_capacity(4096);
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&262_144u32.to_le_bytes());
        bytes.extend_from_slice(&link_type.to_le_bytes());
        PcapWriter { bytes }
    }

    pub fn packet(&mut self, ts_us: u64, frame: &[u8]) {
        self.bytes
            .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(frame);
    }

    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// Option bits of byte 1 of a stream script.
pub mod opt {
    /// No three-way handshake: the capture joins the connection mid-stream.
    pub const NO_HANDSHAKE: u8 = 0x01;
    /// Both sides close with FIN at the end.
    pub const FIN_AT_END: u8 = 0x02;
    /// The server resets the connection at the end.
    pub const RST_AT_END: u8 = 0x04;
    /// IPv6 instead of IPv4.
    pub const IPV6: u8 = 0x08;
    /// The client uses the well-known port too (client guessing cannot lean on ports).
    pub const SAME_PORTS: u8 = 0x10;
    /// The first record is not stream data but an NSS key log given to the analyzer
    /// (`Analyzer::add_keylog`) before the capture: real handshakes then decrypt.
    pub const KEYLOG: u8 = 0x20;
}

/// Bits of a record header byte of a stream script.
pub mod rec {
    /// Set: server → client. Clear: client → server.
    pub const FROM_SERVER: u8 = 0x01;
    /// The record's segments are sent last first (out of order, held by reassembly).
    pub const REVERSED: u8 = 0x02;
    /// Every segment is sent twice (retransmissions).
    pub const DUPLICATED: u8 = 0x04;
    /// The first segment is never sent (lost bytes: a gap in the stream).
    pub const LOSE_FIRST: u8 = 0x08;
    /// Bits 4..=7: idle time before the record, class 0..=15.
    pub const IDLE_SHIFT: u8 = 4;
}

/// One record of a stream script: who sends which bytes, and how they travel.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub header: u8,
    pub data: &'a [u8],
}

/// A stream script: the fuzz input format of the `tls` and `http1` targets.
///
/// ```text
/// byte 0   segment size: 0 → 1460, 1..=127 → that many bytes, 128..=255 → (b-127)*256
/// byte 1   options (`opt::*`)
/// records  header byte (`rec::*`), u16 big-endian length, that many bytes (a short last
///          record takes what is left); with `opt::KEYLOG` the first record is a key log
/// ```
#[derive(Debug, Clone)]
pub struct Script<'a> {
    pub seg_size: usize,
    pub options: u8,
    pub records: Vec<Record<'a>>,
}

pub fn seg_size(b: u8) -> usize {
    match b {
        0 => 1460,
        1..=127 => usize::from(b),
        _ => usize::from(b - 127) * 256,
    }
}

impl<'a> Script<'a> {
    /// The key log given with the capture (`opt::KEYLOG`), if any.
    pub fn keylog(&self) -> Option<&'a [u8]> {
        if self.options & opt::KEYLOG != 0 {
            self.records.first().map(|r| r.data)
        } else {
            None
        }
    }

    /// The records carried by the TCP connection.
    pub fn stream(&self) -> &[Record<'a>] {
        let skip = usize::from(self.options & opt::KEYLOG != 0).min(self.records.len());
        &self.records[skip..]
    }

    pub fn parse(data: &'a [u8]) -> Script<'a> {
        let seg = data.first().copied().unwrap_or(0);
        let options = data.get(1).copied().unwrap_or(0);
        let mut rest = data.get(2..).unwrap_or(&[]);
        let mut records = Vec::new();
        while let Some((&header, tail)) = rest.split_first() {
            let len = match tail {
                [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
                _ => 0,
            };
            let body = tail.get(2..).unwrap_or(&[]);
            let take = len.min(body.len());
            records.push(Record {
                header,
                data: &body[..take],
            });
            rest = &body[take..];
        }
        Script {
            seg_size: seg_size(seg),
            options,
            records,
        }
    }
}

/// Serialises a script (used by the seed extractor and the regression tests).
pub fn write_script(seg_byte: u8, options: u8, records: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = vec![seg_byte, options];
    for (header, data) in records {
        for piece in data.chunks(u16::MAX as usize) {
            out.push(*header);
            out.extend_from_slice(&(piece.len() as u16).to_be_bytes());
            out.extend_from_slice(piece);
        }
    }
    out
}

struct Endpoint {
    addr4: [u8; 4],
    addr6: [u8; 16],
    port: u16,
    mac: [u8; 6],
    /// Next sequence number to send.
    seq: u32,
}

fn frame(
    ipv6: bool,
    from: &Endpoint,
    to: &Endpoint,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 40 + 20 + payload.len());
    f.extend_from_slice(&to.mac);
    f.extend_from_slice(&from.mac);
    let tcp_len = 20 + payload.len();
    if ipv6 {
        f.extend_from_slice(&[0x86, 0xdd]);
        f.extend_from_slice(&[0x60, 0, 0, 0]);
        f.extend_from_slice(&(tcp_len as u16).to_be_bytes());
        f.extend_from_slice(&[6, 64]);
        f.extend_from_slice(&from.addr6);
        f.extend_from_slice(&to.addr6);
    } else {
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&((20 + tcp_len) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&from.addr4);
        f.extend_from_slice(&to.addr4);
    }
    f.extend_from_slice(&from.port.to_be_bytes());
    f.extend_from_slice(&to.port.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// Idle time before a record, by class: mostly sub-second, a few long pauses (idle phases).
fn idle_us(class: u8) -> u64 {
    const US: [u64; 16] = [
        100,
        500,
        1_000,
        5_000,
        20_000,
        50_000,
        100_000,
        200_000,
        500_000,
        1_000_000,
        2_000_000,
        5_000_000,
        15_000_000,
        30_000_000,
        65_000_000,
        300_000_000,
    ];
    US[usize::from(class & 15)]
}

/// Builds an Ethernet pcap of one TCP connection from a stream script: client
/// 10.0.0.1:`client_port` ↔ server 10.0.0.2:`server_port` (or fd00::1 / fd00::2).
pub fn build_capture(script: &Script<'_>, client_port: u16, server_port: u16) -> Vec<u8> {
    let ipv6 = script.options & opt::IPV6 != 0;
    let mut c = Endpoint {
        addr4: [10, 0, 0, 1],
        addr6: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        port: if script.options & opt::SAME_PORTS != 0 {
            server_port
        } else {
            client_port
        },
        mac: [2, 0, 0, 0, 0, 1],
        seq: 1_000,
    };
    let mut s = Endpoint {
        addr4: [10, 0, 0, 2],
        addr6: [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        port: server_port,
        mac: [2, 0, 0, 0, 0, 2],
        seq: 5_000,
    };
    let mut p = PcapWriter::new(1);
    let mut t: u64 = 1_700_000_000_000_000;
    if script.options & opt::NO_HANDSHAKE == 0 {
        p.packet(t, &frame(ipv6, &c, &s, c.seq, 0, SYN, b""));
        c.seq = c.seq.wrapping_add(1);
        t += 1_000;
        p.packet(t, &frame(ipv6, &s, &c, s.seq, c.seq, SYN | ACK, b""));
        s.seq = s.seq.wrapping_add(1);
        t += 1_000;
        p.packet(t, &frame(ipv6, &c, &s, c.seq, s.seq, ACK, b""));
    }
    let seg = script.seg_size.max(1);
    for r in script.stream() {
        t += idle_us(r.header >> rec::IDLE_SHIFT);
        let from_server = r.header & rec::FROM_SERVER != 0;
        let (from, to) = if from_server {
            (&mut s, &mut c)
        } else {
            (&mut c, &mut s)
        };
        // (sequence number, bytes) of each segment, in stream order.
        let mut segs: Vec<(u32, &[u8])> = Vec::new();
        for piece in r.data.chunks(seg) {
            segs.push((from.seq, piece));
            from.seq = from.seq.wrapping_add(piece.len() as u32);
        }
        if r.header & rec::LOSE_FIRST != 0 && !segs.is_empty() {
            segs.remove(0);
        }
        if r.header & rec::REVERSED != 0 {
            segs.reverse();
        }
        let copies = if r.header & rec::DUPLICATED != 0 {
            2
        } else {
            1
        };
        for (seq, piece) in &segs {
            for _ in 0..copies {
                t += 100;
                p.packet(t, &frame(ipv6, from, to, *seq, to.seq, PSH | ACK, piece));
            }
        }
        // The other side acknowledges what it got.
        if !segs.is_empty() {
            t += 100;
            p.packet(t, &frame(ipv6, to, from, to.seq, from.seq, ACK, b""));
        }
    }
    if script.options & opt::FIN_AT_END != 0 {
        t += 1_000;
        p.packet(t, &frame(ipv6, &c, &s, c.seq, s.seq, FIN | ACK, b""));
        c.seq = c.seq.wrapping_add(1);
        t += 1_000;
        p.packet(t, &frame(ipv6, &s, &c, s.seq, c.seq, FIN | ACK, b""));
        s.seq = s.seq.wrapping_add(1);
        t += 1_000;
        p.packet(t, &frame(ipv6, &c, &s, c.seq, s.seq, ACK, b""));
    }
    if script.options & opt::RST_AT_END != 0 {
        t += 1_000;
        p.packet(t, &frame(ipv6, &s, &c, s.seq, c.seq, RST | ACK, b""));
    }
    p.finish()
}
