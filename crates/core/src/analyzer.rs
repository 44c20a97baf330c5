//! The sans-IO entry point: `Analyzer::feed` takes the capture in chunks of any size, `finish`
//! returns the report. No files, no clocks, no network: bytes in, facts out, the same facts for
//! every chunking.

use crate::capture::{CaptureReader, CaptureSink, Frame};
use crate::decode::{Decoder, IpAddr, Packet, TcpSegment, UdpDatagram, L4};
use crate::decrypt::keylog::KeyLog;
use crate::flows::{
    guess_client, is_server_port, tcp, ClientBy, Conn, FlowKey, FlowTable, Transport,
};
use crate::protocols::dns::{self, DnsFlow};
use crate::protocols::quic;
use crate::protocols::{guess, Env, Guess};
use crate::reassembly::Origin;
use crate::report::{Report, ReportBuilder, Side};
use crate::time::Ts;
use crate::warnings::Warnings;
use hashbrown::HashMap;

/// Bytes all connections together may hold out of order (per-direction caps apply too).
const HELD_BUDGET: usize = 64 * 1024 * 1024;
/// Decryption secrets kept from pcapng DSBs.
const MAX_SECRETS_BYTES: usize = 16 * 1024 * 1024;
/// Addresses remembered from DNS answers.
const MAX_DNS_ADDRESSES: usize = 200_000;
/// QUIC connection ids remembered to follow a connection onto a new path (migration).
const MAX_QUIC_CIDS: usize = 200_000;
/// Shortest connection id trusted to name one connection (shorter ones collide).
const MIN_MIGRATION_CID_LEN: usize = 4;
/// Connections followed in full; beyond this, packets of new flows are only counted.
pub const MAX_CONNECTIONS: usize = 150_000;

/// How far the analysis has come (for progress bars).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub packets: u64,
    pub connections: u64,
}

/// Streaming capture analyzer.
pub struct Analyzer {
    reader: CaptureReader,
    decoder: Decoder,
    state: State,
    bytes_fed: u64,
}

/// A name learnt from DNS for an address.
#[derive(Debug, Clone)]
pub struct DnsAnswer {
    pub name: String,
    pub ts: Ts,
    /// The frame of the answer.
    pub frame: u64,
    /// The query it answered (frame, time), when seen.
    pub query: Option<(u64, Ts)>,
}

/// Everything the analysis keeps besides the decoder.
pub(crate) struct State {
    flows: FlowTable,
    pub conns: Vec<Conn>,
    tcp_streams: u32,
    udp_streams: u32,
    pub warnings: Warnings,
    /// Address → names that resolved to it, in order of answer.
    pub dns_by_addr: HashMap<IpAddr, Vec<DnsAnswer>>,
    /// Name → addresses, in order of first answer (for the report's `dns` list).
    pub dns_names: Vec<(String, Vec<IpAddr>, u64)>,
    dns_name_index: HashMap<String, usize>,
    /// QUIC connection id → (connection, whether it is the server's id), once the handshake is
    /// over: a short-header packet on a new UDP flow addressed to one continues that connection.
    quic_cids: HashMap<Vec<u8>, (u32, bool)>,
    /// The lengths of the ids in `quic_cids` (a short header does not say its DCID's length).
    quic_cid_lens: Vec<usize>,
    /// Session secrets: from key logs the user gave, and from pcapng Decryption Secrets Blocks.
    pub keylog: KeyLog,
    secrets_bytes: usize,
    /// Key logs given with `add_keylog` (as opposed to found in the capture).
    pub keylogs_given: u32,
    held_budget: usize,
    pub untracked_packets: u64,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer {
            reader: CaptureReader::new(),
            decoder: Decoder::new(),
            state: State {
                flows: FlowTable::default(),
                conns: Vec::new(),
                tcp_streams: 0,
                udp_streams: 0,
                warnings: Warnings::default(),
                dns_by_addr: HashMap::new(),
                dns_names: Vec::new(),
                dns_name_index: HashMap::new(),
                quic_cids: HashMap::new(),
                quic_cid_lens: Vec::new(),
                keylog: KeyLog::default(),
                secrets_bytes: 0,
                keylogs_given: 0,
                held_budget: HELD_BUDGET,
                untracked_packets: 0,
            },
            bytes_fed: 0,
        }
    }

    /// Adds an NSS key log (SSLKEYLOGFILE): TLS connections whose secrets it holds are
    /// decrypted. Give it before feeding the capture.
    pub fn add_keylog(&mut self, text: &[u8]) {
        self.state.keylog.add(text);
        self.state.keylogs_given = self.state.keylogs_given.saturating_add(1);
    }

    /// Feeds the next chunk of the capture file (any size, any boundary).
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes_fed += chunk.len() as u64;
        let mut sink = Sink {
            decoder: &mut self.decoder,
            state: &mut self.state,
        };
        self.reader.feed(chunk, &mut sink);
    }

    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.bytes_fed,
            packets: self.reader.info().packets,
            connections: self.state.conns.len() as u64,
        }
    }

    /// Ends the input and returns the report (with the error, if reading stopped early).
    pub fn finish(mut self) -> Report {
        let mut sink = Sink {
            decoder: &mut self.decoder,
            state: &mut self.state,
        };
        self.reader.finish(&mut sink);
        let mut budget = self.state.held_budget;
        let env = Env {
            keys: Some(&self.state.keylog).filter(|k| !k.is_empty()),
        };
        for conn in &mut self.state.conns {
            tcp::flush(conn, &mut budget, &env);
        }
        ReportBuilder::new(self.reader.info(), self.reader.error().cloned(), self.state).build()
    }
}

struct Sink<'a> {
    decoder: &'a mut Decoder,
    state: &'a mut State,
}

impl CaptureSink for Sink<'_> {
    fn frame(&mut self, frame: &Frame<'_>) {
        let origin = Origin {
            frame: frame.number,
            ts: frame.ts,
        };
        match self.decoder.decode(frame.link_type, frame.data, frame.ts) {
            Ok(Packet { src, dst, l4 }) => match l4 {
                L4::Tcp(seg) => self.state.tcp(src, dst, &seg, origin),
                L4::Udp(dg) => self.state.udp(src, dst, &dg, origin),
                L4::Other(_) => {}
            },
            Err(e) => {
                if let Some(code) = e.code() {
                    let n = frame.number;
                    self.state.warnings.add(
                        code,
                        || format!("frame {n}: {}", e.message()),
                        Some(n),
                        Some(frame.offset),
                    );
                }
            }
        }
    }

    fn secrets(&mut self, secrets_type: u32, data: &[u8]) {
        let s = &mut *self.state;
        // 0x544c534b "TLSK": an NSS key log (pcapng spec §4.7).
        if secrets_type == 0x544c_534b
            && s.secrets_bytes.saturating_add(data.len()) <= MAX_SECRETS_BYTES
        {
            s.secrets_bytes = s.secrets_bytes.saturating_add(data.len());
            s.keylog.add(data);
        }
    }

    fn warning(&mut self, code: &'static str, message: String, frame: Option<u64>, offset: u64) {
        self.state
            .warnings
            .add(code, || message, frame, Some(offset));
    }
}

/// Who the first payload says sent it: a ClientHello or request comes from the client.
fn payload_role(payload: &[u8]) -> Option<Side> {
    match guess(payload) {
        Guess::Tls => match payload.get(5) {
            Some(1) => Some(Side::Client),
            Some(2) => Some(Side::Server),
            _ => None,
        },
        Guess::HttpRequest | Guess::H2Preface => Some(Side::Client),
        Guess::HttpResponse => Some(Side::Server),
        _ => None,
    }
}

impl State {
    fn can_track(&mut self, origin: Origin) -> bool {
        if self.conns.len() < MAX_CONNECTIONS {
            return true;
        }
        self.untracked_packets += 1;
        self.warnings.add(
            "connection_limit",
            || format!("more than {MAX_CONNECTIONS} connections: from frame {} on, packets of new connections are counted but not analysed", origin.frame),
            Some(origin.frame),
            None,
        );
        false
    }

    fn tcp(&mut self, src: IpAddr, dst: IpAddr, seg: &TcpSegment<'_>, origin: Origin) {
        let s = (src, seg.src_port);
        let d = (dst, seg.dst_port);
        let key = FlowKey::new(Transport::Tcp, s, d);
        let id = match self.flows.get(&key) {
            Some(id) => {
                let Some(conn) = self.conns.get_mut(id as usize) else {
                    return;
                };
                let side = conn.side_of(s);
                let reuse = conn
                    .tcp
                    .as_ref()
                    .is_some_and(|t| t.is_port_reuse(side, seg));
                if reuse {
                    let mut budget = self.held_budget;
                    let env = Env {
                        keys: Some(&self.keylog).filter(|k| !k.is_empty()),
                    };
                    tcp::flush(conn, &mut budget, &env);
                    match self.new_tcp(key, s, d, seg, origin) {
                        Some(id) => id,
                        None => return,
                    }
                } else {
                    id
                }
            }
            None => match self.new_tcp(key, s, d, seg, origin) {
                Some(id) => id,
                None => return,
            },
        };
        let Some(conn) = self.conns.get_mut(id as usize) else {
            return;
        };
        let mut side = conn.side_of(s);
        if conn.client_by.is_weak() && conn.app.is_undecided() && !seg.payload.is_empty() {
            if let Some(role) = payload_role(seg.payload) {
                if role != side {
                    conn.flip(ClientBy::Payload);
                    side = role;
                } else {
                    conn.client_by = ClientBy::Payload;
                }
            }
        }
        let bytes = if seg.has_seg_len {
            u64::from(seg.seg_len)
        } else {
            0
        };
        conn.touch(side, origin, bytes);
        let env = Env {
            keys: Some(&self.keylog).filter(|k| !k.is_empty()),
        };
        tcp::segment(conn, side, seg, origin, &mut self.held_budget, &env);
    }

    fn new_tcp(
        &mut self,
        key: FlowKey,
        s: (IpAddr, u16),
        d: (IpAddr, u16),
        seg: &TcpSegment<'_>,
        origin: Origin,
    ) -> Option<u32> {
        if !self.can_track(origin) {
            return None;
        }
        let (client, server, by) = if seg.flags.is_syn_only() {
            (s, d, ClientBy::Syn)
        } else if seg.flags.is_syn_ack() {
            (d, s, ClientBy::SynAck)
        } else {
            guess_client(s, d)
        };
        let id = self.conns.len() as u32;
        let mut conn = Conn::new(
            id,
            Transport::Tcp,
            self.tcp_streams,
            client,
            server,
            by,
            origin,
        );
        let mut tcp: Box<crate::flows::TcpState> = Box::default();
        if client != s {
            tcp.zeek.started_by_responder();
        }
        conn.tcp = Some(tcp);
        self.tcp_streams += 1;
        self.conns.push(conn);
        self.flows.insert(key, id);
        Some(id)
    }

    fn udp(&mut self, src: IpAddr, dst: IpAddr, dg: &UdpDatagram<'_>, origin: Origin) {
        let s = (src, dg.src_port);
        let d = (dst, dg.dst_port);
        let key = FlowKey::new(Transport::Udp, s, d);
        let id = match self.flows.get(&key) {
            Some(id) => id,
            None => {
                if !self.can_track(origin) {
                    return;
                }
                let (client, server, by) = guess_client(s, d);
                let id = self.conns.len() as u32;
                self.conns.push(Conn::new(
                    id,
                    Transport::Udp,
                    self.udp_streams,
                    client,
                    server,
                    by,
                    origin,
                ));
                self.udp_streams += 1;
                self.flows.insert(key, id);
                id
            }
        };
        let Some(conn) = self.conns.get_mut(id as usize) else {
            return;
        };
        let side = conn.side_of(s);
        conn.touch(side, origin, u64::from(dg.claimed_len));
        let ports = (conn.client.1, conn.server.1);
        if is_dns_port(ports.0) || is_dns_port(ports.1) {
            if let Some(m) = dns::parse(dg.payload) {
                conn.dns
                    .get_or_insert_with(|| Box::new(DnsFlow::default()))
                    .message(&m, origin.frame, origin.ts);
                if m.response {
                    // The query this answers (matched by id on the same flow).
                    let query = conn.dns.as_ref().and_then(|d| {
                        d.queries
                            .iter()
                            .rev()
                            .find(|q| {
                                q.id == m.id && q.response.is_some_and(|r| r.0 == origin.frame)
                            })
                            .filter(|q| q.frame != origin.frame)
                            .map(|q| (q.frame, q.ts))
                    });
                    self.learn_names(&m, origin, query);
                }
                return;
            }
        }
        // A flow that starts with a short header addressed to a known connection id continues
        // that QUIC connection on a new path (connection migration, RFC 9000 §9).
        let continued = match self.conns.get(id as usize) {
            Some(c) if c.quic.is_none() && quic::recognise(dg.payload).is_none() => {
                match self.continued_connection(dg.payload) {
                    Some(x) => Some(x),
                    None => return,
                }
            }
            _ => None,
        };
        let Some(conn) = self.conns.get_mut(id as usize) else {
            return;
        };
        let keys = Some(&self.keylog).filter(|k| !k.is_empty());
        if let Some((_, to_server, flow)) = continued {
            // The packet went to the server's id: its sender is the client.
            let sender_is_client = to_server;
            if (side == Side::Client) != sender_is_client && conn.client_by.is_weak() {
                conn.flip(ClientBy::Payload);
            }
            conn.quic = Some(flow);
        }
        if conn.quic.is_none() {
            let Some((version, initial)) = quic::recognise(dg.payload) else {
                return;
            };
            if version == 0 && !is_server_port(ports.1) {
                return;
            }
            // The Initial's sender is the client, whatever the ports suggested.
            if side == Side::Server && initial && conn.client_by.is_weak() {
                conn.flip(ClientBy::Payload);
            }
            conn.quic = Some(Box::default());
        }
        let side = conn.side_of(s);
        let mut register = None;
        if let Some(q) = conn.quic.as_mut() {
            q.datagram(side, dg.payload, origin, keys);
            register = q.ids_to_register();
        }
        if let Some(ids) = register {
            for (cid, is_server) in ids {
                if cid.len() < MIN_MIGRATION_CID_LEN || self.quic_cids.len() >= MAX_QUIC_CIDS {
                    continue;
                }
                if !self.quic_cid_lens.contains(&cid.len()) && self.quic_cid_lens.len() < 4 {
                    self.quic_cid_lens.push(cid.len());
                }
                self.quic_cids.entry(cid).or_insert((id, is_server));
            }
        }
    }

    /// The QUIC connection a short-header datagram on a new flow continues, if its DCID is one
    /// that connection used; with a QuicFlow that reads it.
    fn continued_connection(&self, payload: &[u8]) -> Option<(u32, bool, Box<quic::QuicFlow>)> {
        let first = *payload.first()?;
        if first & 0xc0 != 0x40 {
            return None;
        }
        self.quic_cid_lens.iter().find_map(|&len| {
            let dcid = payload.get(1..1usize.checked_add(len)?)?;
            let &(from, is_server) = self.quic_cids.get(dcid)?;
            let orig = self.conns.get(from as usize)?;
            let q = orig.quic.as_deref()?;
            Some((
                from,
                is_server,
                Box::new(q.continuation(from, orig.stream, dcid)),
            ))
        })
    }

    fn learn_names(&mut self, m: &dns::Message, origin: Origin, query: Option<(u64, Ts)>) {
        let Some((name, _)) = &m.question else { return };
        let name = name.trim_end_matches('.').to_string();
        if name.is_empty() {
            return;
        }
        for addr in &m.addresses {
            if self.dns_by_addr.len() >= MAX_DNS_ADDRESSES {
                break;
            }
            let ip = IpAddr::from_std(*addr);
            let answers = self.dns_by_addr.entry(ip).or_default();
            if answers.last().is_none_or(|a| a.name != name) && answers.len() < 8 {
                answers.push(DnsAnswer {
                    name: name.clone(),
                    ts: origin.ts,
                    frame: origin.frame,
                    query,
                });
            }
            let idx = match self.dns_name_index.get(&name) {
                Some(&i) => i,
                None => {
                    self.dns_names
                        .push((name.clone(), Vec::new(), origin.frame));
                    self.dns_name_index
                        .insert(name.clone(), self.dns_names.len() - 1);
                    self.dns_names.len() - 1
                }
            };
            if let Some((_, list, _)) = self.dns_names.get_mut(idx) {
                if !list.contains(&ip) && list.len() < 64 {
                    list.push(ip);
                }
            }
        }
    }
}

fn is_dns_port(p: u16) -> bool {
    matches!(p, 53 | 5353 | 5355)
}
