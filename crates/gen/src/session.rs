//! One TCP connection (with its DNS lookup) as a sequence of flights: each flight is the bytes one
//! side sends in a row (MSS-sized segments) and the other side's ACKs, with the occasional
//! out-of-order or retransmitted segment. Flights are generated lazily, at most [`FLIGHT_BYTES`]
//! of payload at a time, so a session holds a few tens of kilobytes whatever it transfers.

use crate::capture::{TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN};
use crate::http::{self, Framing};
use crate::rng::Rng;
use crate::world::{HostKind, World};
use crate::{dns, tls, Stats};
use std::collections::VecDeque;

/// Payload bytes generated per flight (a long response is several flights).
pub const FLIGHT_BYTES: usize = 64 * 1024;
/// TCP payload per full segment (MSS 1460 minus the 12-byte timestamp option).
pub const MSS: usize = 1448;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// Client side is 0, server side 1.
pub const CLIENT: usize = 0;
pub const SERVER: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PktKind {
    /// SYN or SYN-ACK: MSS, SACK permitted, timestamps, window scale.
    Syn,
    /// Any other TCP segment (timestamps option).
    Tcp,
    /// RST without options.
    Rst,
    /// DNS over UDP to the resolver.
    Dns,
}

/// One packet to write: who sends it, when, the TCP fields and where its payload lies in the
/// session's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Pkt {
    pub at: u64,
    pub side: usize,
    pub kind: PktKind,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub off: u32,
    pub len: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Dns,
    Connect,
    ClientHello,
    ServerHello,
    ClientFinished,
    ServerFinished,
    /// TLS 1.3: the server's two NewSessionTicket records before the first response.
    Tickets,
    Request,
    Response,
    Abort,
    Close,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseKind {
    ClientFin,
    ServerFin,
    ClientRst,
}

/// One request/response exchange, planned when the session starts.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    resource: u8,
    post_body: u32,
    /// Bytes of the request as the application writes it (TLS: inside records).
    request_len: u32,
    status: u16,
    framing: Framing,
    body: u64,
    think: u64,
}

/// A response being written out over several flights.
#[derive(Debug, Clone, Copy, Default)]
struct Writing {
    head_done: bool,
    left: u64,
    /// Chunked: the terminating `0\r\n\r\n` is still to be written.
    last_chunk: bool,
    records: u32,
}

pub struct Session {
    rng: Rng,
    pub client: usize,
    pub host: usize,
    pub cport: u16,
    pub sport: u16,
    pub dns_port: u16,
    kind: HostKind,
    pub nxt: [u32; 2],
    pub ip_id: [u16; 2],
    pub ts_off: [u32; 2],
    pub last_tsval: [u32; 2],
    rtt: u64,
    /// Nanoseconds per byte on the wire (the connection's bottleneck bandwidth).
    ns_per_byte: u64,
    pub queue: VecDeque<Pkt>,
    pub buf: Vec<u8>,
    scratch: Vec<Pkt>,
    stage: Stage,
    /// Time of the last data segment of the previous flight: the next flight starts after it.
    t: u64,
    exchanges: Vec<Exchange>,
    ex: usize,
    writing: Writing,
    resumed: bool,
    reject_cert: bool,
    refused: bool,
    syn_retransmit: bool,
    close: CloseKind,
    close_notify: bool,
    session_id: [u8; 32],
    pub reused_port: bool,
    /// Rough wire size of the whole session (used to stop starting sessions near the target size).
    pub planned_wire: u64,
    /// The session ended with a FIN exchange (its 4-tuple may be reused later).
    pub closed_cleanly: bool,
}

/// Size classes (min, max, weight) of what one connection transfers: mostly small objects...
const SMALL: [(u64, u64, u64); 3] = [(100, 1_000, 30), (1_000, 10_000, 45), (10_000, 60_000, 25)];
/// ...and a few bulk downloads.
const BULK: [(u64, u64, u64); 3] = [
    (100_000, 1_000_000, 70),
    (1_000_000, 8_000_000, 25),
    (8_000_000, 40_000_000, 5),
];

/// Mean of the classes' sizes once capped at `max`.
fn class_mean(classes: &[(u64, u64, u64)], max: u64) -> u64 {
    let w: u64 = classes.iter().map(|c| c.2).sum();
    let capped = |lo: u64, hi: u64| {
        if max >= hi {
            (lo + hi) / 2
        } else if max <= lo {
            max
        } else {
            ((max - lo) * ((lo + max) / 2) + (hi - max) * max) / (hi - lo)
        }
    };
    classes.iter().map(|c| capped(c.0, c.1) * c.2).sum::<u64>() / w
}

fn sample(rng: &mut Rng, classes: &[(u64, u64, u64)]) -> u64 {
    let total: u64 = classes.iter().map(|c| c.2).sum();
    let mut x = rng.below(total);
    for c in classes {
        if x < c.2 {
            return rng.range(c.0, c.1);
        }
        x -= c.2;
    }
    classes[0].0
}

/// How response bytes per connection are drawn for a wanted mean: a mixture of the small and
/// the bulk classes (bulk share in parts per million), or small objects scaled down.
#[derive(Debug, Clone, Copy)]
pub struct SizeModel {
    bulk_ppm: u64,
    /// Small sizes are multiplied by `small_num / 1000` (below 1000 only for tiny targets).
    small_num: u64,
    /// No connection moves more (a small file is not one bulk download).
    max: u64,
}

impl SizeModel {
    /// Sizes with this mean (per connection), none above `max`.
    pub fn for_mean(mean: u64, max: u64) -> SizeModel {
        let ms = class_mean(&SMALL, max);
        let mb = class_mean(&BULK, max).max(ms + 1);
        if mean <= ms {
            SizeModel {
                bulk_ppm: 0,
                small_num: (mean * 1000 / ms).max(1),
                max,
            }
        } else {
            SizeModel {
                bulk_ppm: ((mean - ms) * 1_000_000 / (mb - ms)).min(1_000_000),
                small_num: 1000,
                max,
            }
        }
    }

    fn sample(&self, rng: &mut Rng) -> u64 {
        let n = if rng.below(1_000_000) < self.bulk_ppm {
            sample(rng, &BULK)
        } else {
            sample(rng, &SMALL) * self.small_num / 1000
        };
        n.min(self.max)
    }
}

/// Frame bytes on the wire for `payload` bytes of stream data in one direction, ACKs included.
fn wire(payload: u64) -> u64 {
    let segs = payload.div_ceil(MSS as u64);
    payload + segs * 82 + segs.div_ceil(2) * 82
}

/// What a new session needs from the world.
pub struct Start {
    pub client: usize,
    pub host: usize,
    pub cport: u16,
    pub reused_port: bool,
    pub first_contact: bool,
    pub requery: bool,
    pub at: u64,
}

impl Session {
    pub fn new(mut rng: Rng, s: &Start, w: &World, sizes: SizeModel) -> Session {
        let host = &w.hosts[s.host];
        let kind = host.kind;
        let resumed = !s.first_contact
            && match kind {
                HostKind::Tls13 => rng.chance(450),
                HostKind::Tls12 => host.tickets && rng.chance(300),
                HostKind::Http => false,
            };
        let reject_cert = kind == HostKind::Tls12 && !resumed && rng.chance(8);
        let refused = rng.chance(7);
        let n = {
            let mut n = 1;
            while n < 24 && rng.chance(650) {
                n += 1;
            }
            n
        };
        let budget = sizes.sample(&mut rng);
        let mut weights = [0u64; 24];
        for wt in weights.iter_mut().take(n) {
            *wt = rng.range(1, 100);
        }
        let wsum: u64 = weights.iter().sum();
        let mut exchanges = Vec::with_capacity(n);
        let mut planned_wire = 800; // handshake and close segments
        for (i, wt) in weights.iter().take(n).enumerate() {
            let mut body = budget * wt / wsum;
            let resource = if i == 0 {
                0
            } else if body > 2_000_000 {
                5
            } else {
                rng.range(1, 5) as u8
            };
            let post = kind == HostKind::Http && i > 0 && rng.chance(50);
            let post_body = if post {
                rng.range(64, 16_000) as u32
            } else {
                0
            };
            let status = if post {
                200
            } else {
                match rng.below(1000) {
                    0..=59 => 304,
                    60..=89 => 404,
                    90..=109 => 204,
                    110..=119 if i == 0 => 301,
                    _ => 200,
                }
            };
            let framing = match status {
                204 | 304 => Framing::None,
                404 | 301 => {
                    body = rng.range(120, 600);
                    Framing::ContentLength(body)
                }
                _ if kind == HostKind::Http && rng.chance(400) => Framing::Chunked,
                _ => Framing::ContentLength(body),
            };
            if framing == Framing::None {
                body = 0;
            }
            let request_len = match kind {
                HostKind::Http => 0,
                _ => rng.range(90, 900) as u32 + post_body,
            };
            let think = if i == 0 {
                0
            } else {
                rng.range(200 * US, 300 * MS)
            };
            planned_wire += wire(u64::from(request_len.max(420) + post_body)) + wire(body + 300);
            exchanges.push(Exchange {
                resource,
                post_body,
                request_len,
                status,
                framing,
                body,
                think,
            });
        }
        planned_wire += match kind {
            HostKind::Tls13 if resumed => 1_200,
            HostKind::Tls13 => 3_000,
            HostKind::Tls12 => 3_600,
            HostKind::Http => 0,
        };
        let close = match rng.below(1000) {
            0..=29 => CloseKind::ClientRst,
            30..=449 => CloseKind::ServerFin,
            _ => CloseKind::ClientFin,
        };
        let do_dns = s.first_contact || s.requery;
        if do_dns {
            planned_wire += 400;
        }
        let bw_mbps = *rng.pick(&[20u64, 50, 100, 100, 200, 500, 1000]);
        let isn = [rng.next_u32(), rng.next_u32()];
        Session {
            client: s.client,
            host: s.host,
            cport: s.cport,
            sport: if kind == HostKind::Http { 80 } else { 443 },
            dns_port: rng.range(1024, 65535) as u16,
            kind,
            nxt: isn,
            ip_id: [rng.next_u32() as u16, rng.next_u32() as u16],
            ts_off: [rng.next_u32(), rng.next_u32()],
            last_tsval: [0, 0],
            rtt: u64::from(host.rtt_us) * US,
            ns_per_byte: 8_000 / bw_mbps,
            queue: VecDeque::with_capacity(64),
            buf: Vec::with_capacity(FLIGHT_BYTES + 20_000),
            scratch: Vec::with_capacity(128),
            stage: if do_dns { Stage::Dns } else { Stage::Connect },
            t: s.at,
            exchanges,
            ex: 0,
            writing: Writing::default(),
            resumed,
            reject_cert,
            refused,
            syn_retransmit: rng.chance(5),
            close,
            close_notify: rng.chance(700),
            session_id: [0; 32],
            reused_port: s.reused_port,
            planned_wire: if refused { 300 } else { planned_wire },
            closed_cleanly: false,
            rng,
        }
    }

    /// Generates the next flight into the queue (`now`: time of the last packet written).
    /// Returns false when the session is over.
    pub fn next_flight(&mut self, now: u64, w: &World, st: &mut Stats) -> bool {
        self.buf.clear();
        self.scratch.clear();
        while self.queue.is_empty() {
            if self.stage == Stage::Done {
                return false;
            }
            self.step(now, w, st);
        }
        true
    }

    fn push(&mut self, at: u64, side: usize, kind: PktKind, flags: u8, off: usize, len: usize) {
        let seq = self.nxt[side];
        let ack = if flags & TCP_ACK != 0 {
            self.nxt[1 - side]
        } else {
            0
        };
        self.scratch.push(Pkt {
            at,
            side,
            kind,
            seq,
            ack,
            flags,
            off: off as u32,
            len: len as u32,
        });
    }

    /// Moves the flight built in `scratch` into the queue, in time order.
    fn commit(&mut self) {
        self.scratch.sort_by_key(|p| p.at);
        self.queue.extend(self.scratch.drain(..));
    }

    fn ack_delay(&self, receiver: usize) -> u64 {
        // The capture point is at the client: its ACKs leave at once, the server's come a
        // round trip after the data left the client.
        if receiver == CLIENT {
            30 * US
        } else {
            self.rtt
        }
    }

    /// Sends `buf[from..to]` from `side` starting at `start`: MSS segments, the receiver's ACKs
    /// (every second segment, at once on a hole or a duplicate), perhaps a swapped pair or a
    /// retransmitted segment. Returns the time of the last data segment.
    fn data(&mut self, side: usize, start: u64, from: usize, to: usize, st: &mut Stats) -> u64 {
        let base = self.nxt[side];
        let n = (to - from).div_ceil(MSS);
        // Emission order: (segment index, retransmission?)
        let mut order: Vec<(usize, bool)> = (0..n).map(|i| (i, false)).collect();
        let mut i = 0;
        while i + 1 < order.len() {
            if self.rng.chance(2) {
                order.swap(i, i + 1);
                st.out_of_order += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        if n > 0 && self.rng.chance(4 + 2 * n.min(40) as u32) {
            let which = self.rng.below(n as u64) as usize;
            let at = (which + 3).min(order.len());
            order.insert(at, (which, true));
            st.retransmissions += 1;
        }
        let receiver = 1 - side;
        let ack_delay = self.ack_delay(receiver);
        let ack_seq = self.nxt[receiver];
        let mut t = start;
        let mut rcv = 0usize; // receiver: stream bytes in order so far
        let mut held: Vec<(usize, usize)> = Vec::new();
        let mut unacked = 0;
        let mut acks: Vec<(u64, u32)> = Vec::new();
        for (k, &(seg, _retx)) in order.iter().enumerate() {
            let off = seg * MSS;
            let len = (to - from - off).min(MSS);
            t += (len as u64 + 66) * self.ns_per_byte;
            let flags = if k + 1 == order.len() || len < MSS {
                TCP_ACK | TCP_PSH
            } else {
                TCP_ACK
            };
            self.scratch.push(Pkt {
                at: t,
                side,
                kind: PktKind::Tcp,
                seq: base.wrapping_add(off as u32),
                ack: ack_seq,
                flags,
                off: (from + off) as u32,
                len: len as u32,
            });
            if off == rcv {
                rcv += len;
                held.sort_unstable();
                while let Some(&(o, l)) = held.first() {
                    if o > rcv {
                        break;
                    }
                    rcv = rcv.max(o + l);
                    held.remove(0);
                }
                unacked += 1;
                if unacked >= 2 || !held.is_empty() {
                    acks.push((t + ack_delay, base.wrapping_add(rcv as u32)));
                    unacked = 0;
                }
            } else if off > rcv {
                held.push((off, len));
                acks.push((t + ack_delay, base.wrapping_add(rcv as u32)));
                unacked = 0;
            } else {
                // A duplicate: acknowledged at once.
                acks.push((t + ack_delay, base.wrapping_add(rcv as u32)));
                unacked = 0;
            }
        }
        if unacked > 0 {
            acks.push((t + ack_delay + 10 * US, base.wrapping_add(rcv as u32)));
        }
        self.nxt[side] = base.wrapping_add((to - from) as u32);
        let seq = self.nxt[receiver];
        for (at, ack) in acks {
            self.scratch.push(Pkt {
                at,
                side: receiver,
                kind: PktKind::Tcp,
                seq,
                ack,
                flags: TCP_ACK,
                off: 0,
                len: 0,
            });
        }
        t
    }

    /// Appends stream bytes to the buffer, sends them as one flight, and commits it.
    fn flight(&mut self, side: usize, start: u64, now: u64, from: usize, st: &mut Stats) {
        let start = start.max(now);
        let to = self.buf.len();
        self.t = self.data(side, start, from, to, st);
        self.commit();
    }

    fn step(&mut self, now: u64, w: &World, st: &mut Stats) {
        let host = &w.hosts[self.host];
        match self.stage {
            Stage::Dns => {
                let t = self.t.max(now);
                let id = self.rng.next_u32() as u16;
                let name = host.name.as_str();
                dns::query(&mut self.buf, id, name, dns::TYPE_A);
                let q1 = self.buf.len();
                dns::query(&mut self.buf, id.wrapping_add(1), name, dns::TYPE_AAAA);
                let q2 = self.buf.len();
                dns::response(
                    &mut self.buf,
                    id,
                    name,
                    dns::TYPE_A,
                    host.cname.as_deref(),
                    &[host.ip],
                    300,
                );
                let r1 = self.buf.len();
                dns::response(
                    &mut self.buf,
                    id.wrapping_add(1),
                    name,
                    dns::TYPE_AAAA,
                    None,
                    &[],
                    300,
                );
                let r2 = self.buf.len();
                let dns_rtt = w.resolver_rtt_us * US + self.rng.range(0, 3 * MS);
                for (at, side, a, b) in [
                    (t, CLIENT, 0, q1),
                    (t + 40 * US, CLIENT, q1, q2),
                    (t + dns_rtt, SERVER, q2, r1),
                    (t + dns_rtt + 60 * US, SERVER, r1, r2),
                ] {
                    self.scratch.push(Pkt {
                        at,
                        side,
                        kind: PktKind::Dns,
                        seq: 0,
                        ack: 0,
                        flags: 0,
                        off: a as u32,
                        len: (b - a) as u32,
                    });
                }
                self.t = t + dns_rtt + 200 * US;
                st.dns_queries += 2;
                st.dns_lookups += 1;
                self.commit();
                self.stage = Stage::Connect;
            }
            Stage::Connect => {
                let mut t = self.t.max(now);
                st.tcp_connections += 1;
                if self.reused_port {
                    st.port_reuses += 1;
                }
                self.push(t, CLIENT, PktKind::Syn, TCP_SYN, 0, 0);
                if self.syn_retransmit {
                    t += SEC;
                    self.push(t, CLIENT, PktKind::Syn, TCP_SYN, 0, 0);
                    st.syn_retransmissions += 1;
                }
                self.nxt[CLIENT] = self.nxt[CLIENT].wrapping_add(1);
                t += self.rtt;
                if self.refused {
                    self.push(t, SERVER, PktKind::Rst, TCP_RST | TCP_ACK, 0, 0);
                    st.refused += 1;
                    self.commit();
                    self.stage = Stage::Done;
                    return;
                }
                self.push(t, SERVER, PktKind::Syn, TCP_SYN | TCP_ACK, 0, 0);
                self.nxt[SERVER] = self.nxt[SERVER].wrapping_add(1);
                t += 40 * US;
                self.push(t, CLIENT, PktKind::Tcp, TCP_ACK, 0, 0);
                self.t = t;
                self.commit();
                self.stage = match self.kind {
                    HostKind::Http => Stage::Request,
                    _ => Stage::ClientHello,
                };
            }
            Stage::ClientHello => {
                let session_id: [u8; 32] = self.rng.bytes();
                let psk: [u8; 96] = self.rng.bytes();
                let chrome = w.clients[self.client].chrome;
                let alpn: &[&str] = if w.clients[self.client].curl {
                    &["http/1.1"]
                } else {
                    &["h2", "http/1.1"]
                };
                let ticket: Option<&[u8]> = match (self.kind, self.resumed) {
                    (HostKind::Tls12, true) => Some(&psk),
                    _ => Some(&[]),
                };
                tls::client_hello(
                    &mut self.buf,
                    &mut self.rng,
                    &tls::ClientHello {
                        sni: &host.name,
                        alpn,
                        tls13: true,
                        chrome,
                        session_id: &session_id,
                        ticket,
                        psk_identity: if self.kind == HostKind::Tls13 && self.resumed {
                            Some(&psk[..])
                        } else {
                            None
                        },
                    },
                );
                // The server echoes it (TLS 1.3 compatibility mode, or a TLS 1.2 resumption).
                self.session_id = session_id;
                let t = self.t + 100 * US;
                self.flight(CLIENT, t, now, 0, st);
                st.tls_handshakes += 1;
                self.stage = Stage::ServerHello;
            }
            Stage::ServerHello => {
                let session_id = self.session_id;
                let t = self.t + self.rtt + self.rng.range(200 * US, 3 * MS);
                match self.kind {
                    HostKind::Tls13 => {
                        tls::server_hello_13(
                            &mut self.buf,
                            &mut self.rng,
                            &session_id,
                            self.resumed,
                        );
                        let enc = if self.resumed {
                            // EncryptedExtensions + Finished.
                            40 + 36 + tls::TLS13_OVERHEAD
                        } else {
                            let chain = host.leaf().len() + tls::CA_DER.len() + 10 + 4;
                            let cv = if host.ecdsa { 80 } else { 264 };
                            40 + chain + cv + tls::TLS13_OVERHEAD
                        };
                        tls::encrypted(
                            &mut self.buf,
                            tls::CT_APP,
                            enc,
                            &w.random_pool,
                            &mut self.rng,
                        );
                        if !self.resumed {
                            tls::encrypted(
                                &mut self.buf,
                                tls::CT_APP,
                                36 + tls::TLS13_OVERHEAD,
                                &w.random_pool,
                                &mut self.rng,
                            );
                        }
                        if self.resumed {
                            st.tls13_resumed += 1;
                        } else {
                            st.tls13_full += 1;
                        }
                        self.flight(SERVER, t, now, 0, st);
                        self.stage = Stage::ClientFinished;
                    }
                    HostKind::Tls12 => {
                        let alpn = if w.clients[self.client].curl || !host.alpn_h2 {
                            "http/1.1"
                        } else {
                            "h2"
                        };
                        let cipher = if host.ecdsa { 0xc02b } else { 0xc02f };
                        if self.resumed {
                            tls::server_hello_12(
                                &mut self.buf,
                                &mut self.rng,
                                &session_id,
                                cipher,
                                Some(alpn),
                                false,
                            );
                            tls::change_cipher_spec(&mut self.buf, 0x0303);
                            tls::encrypted(
                                &mut self.buf,
                                tls::CT_HANDSHAKE,
                                40,
                                &w.random_pool,
                                &mut self.rng,
                            );
                            st.tls12_resumed += 1;
                        } else {
                            let new_id: [u8; 32] = self.rng.bytes();
                            if host.one_record {
                                // All four messages in one record: ServerHello first, then the rest.
                                let mut sh = Vec::with_capacity(128);
                                tls::server_hello_12(
                                    &mut sh,
                                    &mut self.rng,
                                    &new_id,
                                    cipher,
                                    Some(alpn),
                                    host.tickets,
                                );
                                let mut rest = Vec::with_capacity(2048);
                                tls::server_flight_12(
                                    &mut rest,
                                    &mut self.rng,
                                    host.leaf(),
                                    host.ecdsa,
                                    true,
                                );
                                let body_len = (sh.len() - 5) + (rest.len() - 5);
                                self.buf.extend_from_slice(&[tls::CT_HANDSHAKE, 3, 3]);
                                self.buf.extend_from_slice(&(body_len as u16).to_be_bytes());
                                self.buf.extend_from_slice(&sh[5..]);
                                self.buf.extend_from_slice(&rest[5..]);
                            } else {
                                tls::server_hello_12(
                                    &mut self.buf,
                                    &mut self.rng,
                                    &new_id,
                                    cipher,
                                    Some(alpn),
                                    host.tickets,
                                );
                                tls::server_flight_12(
                                    &mut self.buf,
                                    &mut self.rng,
                                    host.leaf(),
                                    host.ecdsa,
                                    false,
                                );
                            }
                            st.tls12_full += 1;
                        }
                        self.flight(SERVER, t, now, 0, st);
                        self.stage = if self.reject_cert {
                            Stage::Abort
                        } else {
                            Stage::ClientFinished
                        };
                    }
                    HostKind::Http => unreachable!("no TLS on cleartext hosts"),
                }
            }
            Stage::Abort => {
                // The user sees a certificate warning: the browser sends a fatal bad_certificate
                // alert and closes.
                tls::alert(&mut self.buf, 2, 42);
                let t = self.t + self.rng.range(300 * US, 2 * MS);
                self.flight(CLIENT, t, now, 0, st);
                st.tls_rejected += 1;
                self.close = CloseKind::ClientFin;
                self.close_notify = false;
                self.stage = Stage::Close;
            }
            Stage::ClientFinished => {
                let t = self.t + self.rng.range(100 * US, MS);
                match (self.kind, self.resumed) {
                    (HostKind::Tls12, false) => {
                        tls::client_key_exchange(&mut self.buf, &mut self.rng);
                        tls::change_cipher_spec(&mut self.buf, 0x0303);
                        tls::encrypted(
                            &mut self.buf,
                            tls::CT_HANDSHAKE,
                            40,
                            &w.random_pool,
                            &mut self.rng,
                        );
                        self.flight(CLIENT, t, now, 0, st);
                        self.stage = Stage::ServerFinished;
                    }
                    (HostKind::Tls12, true) => {
                        tls::change_cipher_spec(&mut self.buf, 0x0303);
                        tls::encrypted(
                            &mut self.buf,
                            tls::CT_HANDSHAKE,
                            40,
                            &w.random_pool,
                            &mut self.rng,
                        );
                        self.request_bytes(w, st);
                        self.flight(CLIENT, t, now, 0, st);
                        self.stage = Stage::Response;
                    }
                    _ => {
                        tls::change_cipher_spec(&mut self.buf, 0x0303);
                        tls::encrypted(
                            &mut self.buf,
                            tls::CT_APP,
                            36 + tls::TLS13_OVERHEAD,
                            &w.random_pool,
                            &mut self.rng,
                        );
                        self.request_bytes(w, st);
                        self.flight(CLIENT, t, now, 0, st);
                        self.stage = if self.resumed {
                            Stage::Response
                        } else {
                            Stage::Tickets
                        };
                    }
                }
            }
            Stage::ServerFinished => {
                if host.tickets {
                    tls::new_session_ticket_12(&mut self.buf, &mut self.rng);
                }
                tls::change_cipher_spec(&mut self.buf, 0x0303);
                tls::encrypted(
                    &mut self.buf,
                    tls::CT_HANDSHAKE,
                    40,
                    &w.random_pool,
                    &mut self.rng,
                );
                let t = self.t + self.rtt + self.rng.range(100 * US, MS);
                self.flight(SERVER, t, now, 0, st);
                self.stage = Stage::Request;
            }
            Stage::Tickets => {
                // Two NewSessionTicket messages, encrypted, right after the client's Finished.
                for _ in 0..2 {
                    tls::encrypted(
                        &mut self.buf,
                        tls::CT_APP,
                        250 + tls::TLS13_OVERHEAD,
                        &w.random_pool,
                        &mut self.rng,
                    );
                }
                let t = self.t + self.rtt;
                // The response follows in the same flight when it is small.
                self.response_bytes(w, st);
                self.flight(SERVER, t, now, 0, st);
                self.after_response_flight();
            }
            Stage::Request => {
                let think = self.exchanges[self.ex].think;
                let t = self.t + think + 50 * US;
                self.request_bytes(w, st);
                self.flight(CLIENT, t, now, 0, st);
                self.stage = Stage::Response;
            }
            Stage::Response => {
                let first = !self.writing.head_done;
                let t = if first {
                    self.t + self.rtt + self.rng.range(100 * US, 20 * MS)
                } else {
                    self.t
                };
                self.response_bytes(w, st);
                self.flight(SERVER, t, now, 0, st);
                self.after_response_flight();
            }
            Stage::Close => {
                self.close_flight(now, w, st);
                self.stage = Stage::Done;
            }
            Stage::Done => {}
        }
    }

    fn after_response_flight(&mut self) {
        let wr = self.writing;
        let done = wr.head_done && wr.left == 0 && !wr.last_chunk;
        if !done {
            self.stage = Stage::Response;
            return;
        }
        self.writing = Writing::default();
        self.ex += 1;
        self.stage = if self.ex < self.exchanges.len() {
            Stage::Request
        } else {
            Stage::Close
        };
    }

    /// The current exchange's request as stream bytes (HTTP head + body, or TLS records).
    fn request_bytes(&mut self, w: &World, st: &mut Stats) {
        let e = self.exchanges[self.ex];
        let host = &w.hosts[self.host];
        let last = self.ex + 1 == self.exchanges.len();
        match self.kind {
            HostKind::Http => {
                let c = &w.clients[self.client];
                let method = if e.post_body > 0 { "POST" } else { "GET" };
                let id = if e.resource == 0 {
                    0
                } else {
                    self.rng.next_u32() as u64
                };
                let close =
                    last && self.close == CloseKind::ServerFin && host.sends_close && c.curl;
                http::request(
                    &mut self.buf,
                    method,
                    &http::RESOURCES[e.resource as usize],
                    id,
                    &host.name,
                    http::USER_AGENTS[c.user_agent],
                    (e.post_body > 0).then_some(e.post_body as usize),
                    close,
                );
                st.http_requests += 1;
                if e.post_body > 0 {
                    let at = self
                        .rng
                        .below((w.text_pool.len() - e.post_body as usize) as u64)
                        as usize;
                    self.buf
                        .extend_from_slice(&w.text_pool[at..at + e.post_body as usize]);
                }
            }
            HostKind::Tls13 => tls::encrypted(
                &mut self.buf,
                tls::CT_APP,
                e.request_len as usize + tls::TLS13_OVERHEAD,
                &w.random_pool,
                &mut self.rng,
            ),
            HostKind::Tls12 => tls::encrypted(
                &mut self.buf,
                tls::CT_APP,
                e.request_len as usize + tls::TLS12_OVERHEAD,
                &w.random_pool,
                &mut self.rng,
            ),
        }
    }

    /// Writes up to [`FLIGHT_BYTES`] more of the current response.
    fn response_bytes(&mut self, w: &World, st: &mut Stats) {
        let e = self.exchanges[self.ex];
        let host = &w.hosts[self.host];
        let last = self.ex + 1 == self.exchanges.len();
        match self.kind {
            HostKind::Http => {
                if !self.writing.head_done {
                    let close = last && self.close == CloseKind::ServerFin && host.sends_close;
                    let date = http::http_date(w.start_unix + self.t / SEC);
                    let res = &http::RESOURCES[e.resource as usize];
                    let location = (e.status == 301).then(|| format!("https://{}/", host.name));
                    http::response_head(
                        &mut self.buf,
                        e.status,
                        host.server,
                        &date,
                        res.content_type,
                        e.framing,
                        close,
                        host.keepalive_s,
                        location.as_deref(),
                    );
                    self.writing = Writing {
                        head_done: true,
                        left: e.body,
                        last_chunk: e.framing == Framing::Chunked,
                        records: 0,
                    };
                    if e.framing == Framing::Chunked {
                        st.http_chunked_responses += 1;
                    }
                }
                let text = e.resource <= 2 || e.resource == 4 || e.status != 200;
                let pool: &[u8] = if text { &w.text_pool } else { &w.random_pool };
                while self.buf.len() < FLIGHT_BYTES
                    && (self.writing.left > 0 || self.writing.last_chunk)
                {
                    let room = FLIGHT_BYTES - self.buf.len();
                    match e.framing {
                        Framing::Chunked => {
                            if self.writing.left == 0 {
                                self.buf.extend_from_slice(b"0\r\n\r\n");
                                self.writing.last_chunk = false;
                                break;
                            }
                            let n = (self.rng.range(512, 16_384) as usize)
                                .min(self.writing.left as usize)
                                .min(room.max(512));
                            let n = n.min(self.writing.left as usize);
                            http::chunk_header(&mut self.buf, n);
                            let at = self.rng.below((pool.len() - n) as u64) as usize;
                            self.buf.extend_from_slice(&pool[at..at + n]);
                            self.buf.extend_from_slice(b"\r\n");
                            self.writing.left -= n as u64;
                        }
                        _ => {
                            let n = (self.writing.left as usize).min(room).min(pool.len() / 2);
                            let at = self.rng.below((pool.len() - n) as u64) as usize;
                            self.buf.extend_from_slice(&pool[at..at + n]);
                            self.writing.left -= n as u64;
                        }
                    }
                }
            }
            HostKind::Tls13 | HostKind::Tls12 => {
                let overhead = if self.kind == HostKind::Tls13 {
                    tls::TLS13_OVERHEAD
                } else {
                    tls::TLS12_OVERHEAD
                };
                if !self.writing.head_done {
                    // Response headers (HTTP/2 HEADERS or an HTTP/1.1 head), then the body.
                    let head = self.rng.range(60, 400) as usize;
                    tls::encrypted(
                        &mut self.buf,
                        tls::CT_APP,
                        head + overhead,
                        &w.random_pool,
                        &mut self.rng,
                    );
                    self.writing = Writing {
                        head_done: true,
                        left: e.body,
                        last_chunk: false,
                        records: 1,
                    };
                }
                while self.buf.len() < FLIGHT_BYTES && self.writing.left > 0 {
                    // Servers start with small records (about one segment) and grow to 16 KiB.
                    let max = if self.writing.records < 4 {
                        1_369
                    } else {
                        16_384
                    };
                    let n = (self.writing.left as usize).min(max);
                    tls::encrypted(
                        &mut self.buf,
                        tls::CT_APP,
                        n + overhead,
                        &w.random_pool,
                        &mut self.rng,
                    );
                    self.writing.left -= n as u64;
                    self.writing.records += 1;
                }
            }
        }
    }

    fn close_flight(&mut self, now: u64, w: &World, st: &mut Stats) {
        let host = &w.hosts[self.host];
        let closer = match self.close {
            CloseKind::ServerFin => SERVER,
            _ => CLIENT,
        };
        let idle = match self.close {
            CloseKind::ServerFin if host.sends_close && self.kind == HostKind::Http => 200 * US,
            CloseKind::ServerFin => u64::from(host.keepalive_s) * SEC,
            CloseKind::ClientFin => self.rng.range(5 * MS, 4 * SEC),
            CloseKind::ClientRst => self.rng.range(MS, 500 * MS),
        };
        let mut t = self.t.max(now) + idle;
        if self.close_notify && self.kind != HostKind::Http && self.close != CloseKind::ClientRst {
            let len = if self.kind == HostKind::Tls13 { 19 } else { 26 };
            let ct = if self.kind == HostKind::Tls13 {
                tls::CT_APP
            } else {
                tls::CT_ALERT
            };
            tls::encrypted(&mut self.buf, ct, len, &w.random_pool, &mut self.rng);
            t = self.data(closer, t, 0, self.buf.len(), st) + 20 * US;
        }
        let other = 1 - closer;
        if self.close == CloseKind::ClientRst {
            self.push(t, CLIENT, PktKind::Rst, TCP_RST | TCP_ACK, 0, 0);
            st.rst_closes += 1;
            self.commit();
            return;
        }
        // FIN from the closer; the other side answers with its own FIN (and ACK); last ACK.
        self.push(t, closer, PktKind::Tcp, TCP_FIN | TCP_ACK, 0, 0);
        self.nxt[closer] = self.nxt[closer].wrapping_add(1);
        let reply = t + if closer == CLIENT { self.rtt } else { 40 * US };
        self.push(reply, other, PktKind::Tcp, TCP_FIN | TCP_ACK, 0, 0);
        self.nxt[other] = self.nxt[other].wrapping_add(1);
        let last = reply + if closer == CLIENT { 30 * US } else { self.rtt };
        self.push(last, closer, PktKind::Tcp, TCP_ACK, 0, 0);
        self.closed_cleanly = true;
        self.commit();
    }
}
