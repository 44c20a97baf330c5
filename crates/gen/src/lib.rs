//! connscope-gen: a deterministic generator of realistic captures, for the benchmark and the
//! memory tests. Same [`Config`] (seed, size, format, ...) → byte-identical file.
//!
//! # What the traffic looks like
//! A capture taken at the gateway of a LAN of `clients` machines (10.20.x.y, Ethernet, one
//! interface, microsecond timestamps starting 2027-03-01 12:00:00 UTC) talking to `hosts` named
//! servers (`www1.bench.example`, `api3.bench.example`, ... on 198.18.0.0/15, some behind a CNAME):
//! - **DNS over UDP** to the resolver (10.20.255.53): an A and an AAAA query from one source
//!   port on the first contact between a client and a host (and now and then again), answered
//!   with the server address (through a CNAME for some hosts) and an empty AAAA.
//! - **TCP** with real headers: SYN/SYN-ACK with MSS, SACK-permitted, timestamps and window
//!   scale; 1448-byte segments (MSS 1460 minus timestamps) with consistent seq/ack; the receiver
//!   ACKs every second segment; IPv4 and TCP/UDP checksums are correct. About 0.2 % of segment
//!   pairs arrive swapped (out of order), some flights carry a retransmitted segment, 0.5 % of
//!   SYNs are retransmitted, 0.7 % of connections are refused (SYN → RST), 3 % end with the
//!   client's RST, the rest with a FIN exchange started by either side (a server keep-alive
//!   timeout or `Connection: close`, or the client going idle). Clients allocate ephemeral ports
//!   in sequence and now and then reuse the port of a closed connection to the same server.
//! - **TLS 1.3** (60 % of hosts): a Chrome- or Firefox-like ClientHello (SNI, ALPN h2/http1.1,
//!   supported_versions, x25519 key_share, GREASE and padding for Chrome), ServerHello + CCS +
//!   encrypted flight; about 45 % of repeat connections resume with a PSK (pre_shared_key in
//!   both hellos). **TLS 1.2** (25 %): ServerHello with the chosen ALPN, Certificate with a real
//!   DER chain (ECDSA or RSA leaf + CA), ServerKeyExchange (x25519, signed), ServerHelloDone,
//!   ClientKeyExchange/CCS/Finished, NewSessionTicket; some repeat connections resume by session
//!   id; 0.8 % of full handshakes end in a fatal `bad_certificate` alert (the user saw a
//!   certificate warning). Application data in records that start at ~1.4 kB and grow to 16 kB,
//!   with close_notify alerts before most FINs.
//! - **HTTP/1.1 in the clear** (15 %): keep-alive connections of 1–24 GET (and some POST)
//!   exchanges with browser-like headers; responses 200/204/301/304/404 with `Content-Length` or
//!   chunked bodies (text for HTML/JS/CSS/JSON, random bytes for images and downloads).
//! - **Sizes**: most connections move a few kilobytes; a heavy tail of bulk downloads (100 kB to
//!   40 MB) is mixed in so that the mean matches `target_bytes / connections`.
//!
//! Memory is constant whatever the size: `concurrency` sessions at a time, each generating at
//! most 64 KiB of payload ahead.

mod capture;
mod dns;
mod http;
mod rng;
mod session;
mod tls;
mod world;

pub use capture::Format;

use capture::{CaptureWriter, TcpHeader, L3};
use rng::Rng;
use session::{PktKind, Session, SizeModel, CLIENT};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Write};
use world::World;

/// Version of the generated traffic: bumped whenever the same configuration would give other
/// bytes (cached captures carry it in their names).
pub const VERSION: u32 = 1;

/// Unix time of the first packet: 2027-03-01 12:00:00 UTC (inside the embedded certificates'
/// validity).
pub const START_UNIX: u64 = 1_803_902_400;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// File size to reach (the file ends within a few percent of it, once every connection it
    /// started has closed).
    pub target_bytes: u64,
    pub format: Format,
    /// TCP connections to aim for (default: one per 100 kB of target size).
    pub connections: Option<u64>,
    pub clients: u32,
    pub hosts: u32,
    /// Sessions in progress at the same time.
    pub concurrency: u32,
}

impl Config {
    pub fn new(target_bytes: u64, format: Format) -> Config {
        Config {
            seed: 1,
            target_bytes,
            format,
            connections: None,
            clients: 200,
            hosts: 300,
            concurrency: 256,
        }
    }

    /// The number of connections aimed at.
    pub fn planned_connections(&self) -> u64 {
        self.connections
            .unwrap_or(self.target_bytes / 100_000)
            .max(1)
    }
}

/// What the generator wrote: the ground truth an analyzer should find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub bytes: u64,
    pub packets: u64,
    pub tcp_connections: u64,
    /// DNS lookups (A + AAAA from one random source port; a port a client draws twice joins the
    /// earlier UDP flow, so UDP flows can be slightly fewer).
    pub dns_lookups: u64,
    pub dns_queries: u64,
    /// Connections with a ClientHello.
    pub tls_handshakes: u64,
    pub tls13_full: u64,
    pub tls13_resumed: u64,
    pub tls12_full: u64,
    pub tls12_resumed: u64,
    /// TLS 1.2 handshakes the client aborted with a fatal alert after the certificate.
    pub tls_rejected: u64,
    /// Cleartext HTTP/1.1 requests (each answered).
    pub http_requests: u64,
    pub http_chunked_responses: u64,
    pub refused: u64,
    pub rst_closes: u64,
    pub syn_retransmissions: u64,
    pub retransmissions: u64,
    pub out_of_order: u64,
    pub port_reuses: u64,
    pub first_ts_us: u64,
    pub last_ts_us: u64,
}

impl Stats {
    /// `key=value` lines (stable order), for a sidecar file next to a generated capture.
    pub fn to_text(&self) -> String {
        let fields: [(&str, u64); 21] = [
            ("bytes", self.bytes),
            ("packets", self.packets),
            ("tcp_connections", self.tcp_connections),
            ("dns_lookups", self.dns_lookups),
            ("dns_queries", self.dns_queries),
            ("tls_handshakes", self.tls_handshakes),
            ("tls13_full", self.tls13_full),
            ("tls13_resumed", self.tls13_resumed),
            ("tls12_full", self.tls12_full),
            ("tls12_resumed", self.tls12_resumed),
            ("tls_rejected", self.tls_rejected),
            ("http_requests", self.http_requests),
            ("http_chunked_responses", self.http_chunked_responses),
            ("refused", self.refused),
            ("rst_closes", self.rst_closes),
            ("syn_retransmissions", self.syn_retransmissions),
            ("retransmissions", self.retransmissions),
            ("out_of_order", self.out_of_order),
            ("port_reuses", self.port_reuses),
            ("first_ts_us", self.first_ts_us),
            ("last_ts_us", self.last_ts_us),
        ];
        fields.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }
}

/// Parses `200M`, `1G`, `1.5G`, `64k`, `1000000` (powers of 1024 for k/M/G/T; `MB`/`GB` too).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (num, mult) = match lower.trim_end_matches("ib").trim_end_matches('b') {
        x if x.ends_with('k') => (&x[..x.len() - 1], 1u64 << 10),
        x if x.ends_with('m') => (&x[..x.len() - 1], 1 << 20),
        x if x.ends_with('g') => (&x[..x.len() - 1], 1 << 30),
        x if x.ends_with('t') => (&x[..x.len() - 1], 1 << 40),
        x => (x, 1),
    };
    let bad = || format!("bad size `{s}` (e.g. 200M, 1G, 1.5G)");
    match num.split_once('.') {
        None => num
            .parse::<u64>()
            .map_err(|_| bad())?
            .checked_mul(mult)
            .ok_or_else(bad),
        Some((int, frac)) => {
            let i: u64 = if int.is_empty() {
                0
            } else {
                int.parse().map_err(|_| bad())?
            };
            let digits = frac.len().min(6) as u32;
            let f: u64 = frac[..digits as usize].parse().map_err(|_| bad())?;
            Ok(i * mult + f * mult / 10u64.pow(digits))
        }
    }
}

/// Writes a capture to `out` (buffer it: the writer issues small writes) and returns what it
/// contains.
pub fn generate<W: Write>(cfg: &Config, out: W) -> io::Result<Stats> {
    let mut rng = Rng::new(cfg.seed ^ 0x636f_6e6e_7363_6f70);
    let mut world = World::new(
        &mut rng,
        cfg.clients.clamp(1, 60_000),
        cfg.hosts.max(1),
        START_UNIX,
    );
    let conns = cfg.planned_connections();
    // Mean wire bytes per connection, minus what the handshakes and small requests take.
    let per_conn = cfg.target_bytes / conns;
    let sizes = SizeModel::for_mean(
        per_conn.saturating_sub(3_500).max(300) * 100 / 107,
        (cfg.target_bytes / 40).max(10_000),
    );
    let mut writer = CaptureWriter::new(out, cfg.format)?;
    let mut stats = Stats::default();
    // Progress is counted in pcap bytes (16-byte record header + frame) whatever the format, so
    // that pcap and pcapng files of one configuration hold the same packets.
    let mut written = 24u64;
    let mut committed = written;
    let concurrency = cfg.concurrency.max(1) as usize;
    let mut slots: Vec<Option<Session>> = Vec::with_capacity(concurrency);
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::with_capacity(concurrency);
    let mut order = 0u64;
    let mut frame = Vec::with_capacity(2048);

    let start = |slot: usize,
                 at: u64,
                 world: &mut World,
                 rng: &mut Rng,
                 committed: &mut u64,
                 stats: &mut Stats|
     -> Option<Session> {
        if *committed >= cfg.target_bytes {
            return None;
        }
        let s = world.start(rng, at);
        let mut session = Session::new(rng.fork(), &s, world, sizes);
        *committed += session.planned_wire;
        let _ = slot;
        if session.next_flight(at, world, stats) {
            Some(session)
        } else {
            None
        }
    };

    for slot in 0..concurrency {
        let at = slot as u64 * 400_000; // staggered over the first 100 ms
        let s = start(slot, at, &mut world, &mut rng, &mut committed, &mut stats);
        if let Some(s) = &s {
            heap.push(Reverse((s.queue[0].at, order, slot)));
            order += 1;
        }
        slots.push(s);
    }

    while let Some(Reverse((at, _, slot))) = heap.pop() {
        let Some(session) = slots[slot].as_mut() else {
            continue;
        };
        let Some(pkt) = session.queue.pop_front() else {
            continue;
        };
        write_packet(&mut writer, &mut frame, session, &world, &pkt)?;
        written += 16 + frame.len() as u64;
        if stats.packets == 0 {
            stats.first_ts_us = START_UNIX * 1_000_000 + at / 1_000;
        }
        stats.packets += 1;
        stats.last_ts_us = START_UNIX * 1_000_000 + at / 1_000;
        if session.queue.is_empty() && !session.next_flight(at, &world, &mut stats) {
            world.ended(
                session.client,
                session.host,
                session.cport,
                session.closed_cleanly,
            );
            let gap = rng.range(0, 20_000_000);
            // Keep `committed` honest: what was written replaces the estimate.
            committed = committed.max(written);
            slots[slot] = start(
                slot,
                at + gap,
                &mut world,
                &mut rng,
                &mut committed,
                &mut stats,
            );
        }
        if let Some(s) = &slots[slot] {
            heap.push(Reverse((s.queue[0].at, order, slot)));
            order += 1;
        }
    }
    stats.bytes = writer.bytes;
    writer.finish()?;
    Ok(stats)
}

fn write_packet<W: Write>(
    writer: &mut CaptureWriter<W>,
    frame: &mut Vec<u8>,
    s: &mut Session,
    w: &World,
    p: &session::Pkt,
) -> io::Result<()> {
    let client = &w.clients[s.client];
    let host = &w.hosts[s.host];
    let from_client = p.side == CLIENT;
    let server_ip = if p.kind == PktKind::Dns {
        w.resolver_ip
    } else {
        host.ip
    };
    let l3 = L3 {
        src_mac: if from_client {
            client.mac
        } else {
            w.gateway_mac
        },
        dst_mac: if from_client {
            w.gateway_mac
        } else {
            client.mac
        },
        src: if from_client { client.ip } else { server_ip },
        dst: if from_client { server_ip } else { client.ip },
        ip_id: s.ip_id[p.side],
        ttl: if from_client || p.kind == PktKind::Dns {
            64
        } else {
            host.ttl
        },
    };
    s.ip_id[p.side] = s.ip_id[p.side].wrapping_add(1);
    let payload = &s.buf[p.off as usize..(p.off + p.len) as usize];
    let (sport, dport) = match p.kind {
        PktKind::Dns => (s.dns_port, 53),
        _ => (s.cport, s.sport),
    };
    let (sport, dport) = if from_client {
        (sport, dport)
    } else {
        (dport, sport)
    };
    if p.kind == PktKind::Dns {
        capture::udp_frame(frame, &l3, sport, dport, payload);
    } else {
        let tsval = ((p.at / 1_000_000) as u32).wrapping_add(s.ts_off[p.side]);
        let tsecr = s.last_tsval[1 - p.side];
        s.last_tsval[p.side] = tsval;
        let mut opts = [0u8; 20];
        let options: &[u8] = match p.kind {
            PktKind::Syn => {
                opts[..4].copy_from_slice(&[2, 4, 0x05, 0xb4]);
                opts[4..6].copy_from_slice(&[4, 2]);
                opts[6..8].copy_from_slice(&[8, 10]);
                opts[8..12].copy_from_slice(&tsval.to_be_bytes());
                opts[12..16].copy_from_slice(&tsecr.to_be_bytes());
                opts[16..20].copy_from_slice(&[1, 3, 3, 7]);
                &opts[..20]
            }
            PktKind::Tcp => {
                opts[..4].copy_from_slice(&[1, 1, 8, 10]);
                opts[4..8].copy_from_slice(&tsval.to_be_bytes());
                opts[8..12].copy_from_slice(&tsecr.to_be_bytes());
                &opts[..12]
            }
            _ => &[],
        };
        let window = match (p.kind, from_client) {
            (PktKind::Syn, true) => 64_240,
            (PktKind::Syn, false) => 65_160,
            (PktKind::Rst, _) => 0,
            (_, true) => 502,
            (_, false) => 509,
        };
        capture::tcp_frame(
            frame,
            &l3,
            &TcpHeader {
                sport,
                dport,
                seq: p.seq,
                ack: p.ack,
                flags: p.flags,
                window,
                options,
            },
            payload,
        );
    }
    writer.packet(START_UNIX * 1_000_000 + p.at / 1_000, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("200M"), Ok(200 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("64k"), Ok(65_536));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("x").is_err());
    }
}
