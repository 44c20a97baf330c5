//! QUIC (RFC 9000/9001, v2 RFC 9369) on one UDP flow. Every observer can remove the Initial
//! packets' protection (the keys come from the client's first Destination Connection ID), so
//! the ClientHello and ServerHello inside them are read without any secret: SNI, ALPN, offered
//! versions, PSK, resumption. With a key log the Handshake, 0-RTT and 1-RTT packets open too:
//! the rest of the TLS handshake, the close reason, and HTTP/3 requests per stream.
//!
//! Memory is per connection and bounded: CRYPTO reassembly windows (`crypto_stream`), a capped
//! list of handshake events, of idle gaps and of HTTP/3 requests (`http3`).

pub mod crypto_stream;
pub mod frames;
pub mod header;
pub mod http3;
pub mod qpack;

use crate::decrypt::crypto::{suite, AeadAlg, HashAlg};
use crate::decrypt::keylog::KeyLog;
use crate::decrypt::quic::{initial_keys, open_packet, open_unmasked, unmask, Opened, PacketKeys};
use crate::protocols::tls::hello::{
    client_hello, server_hello, ClientHelloFacts, ServerHelloFacts,
};
use crate::protocols::tls::names::handshake_name;
use crate::protocols::tls::HsEvent;
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;
use crypto_stream::CryptoStream;
use frames::Frame;
pub use header::{known_version, version_name, Kind, V1, V2};

/// Handshake events kept per connection.
const MAX_EVENTS: usize = 64;
/// Silences kept per connection (shown as idle phases).
const MAX_GAPS: usize = 8;
/// A silence at least this long is an idle gap.
pub const IDLE_GAP_SECS: f64 = 1.0;
/// Distinct long-header versions remembered.
const MAX_VERSIONS: usize = 4;
/// SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest.
const HRR_RANDOM_PREFIX: [u8; 4] = [0xcf, 0x21, 0xad, 0x74];

/// A CONNECTION_CLOSE frame.
#[derive(Debug, Clone)]
pub struct Close {
    pub side: Side,
    pub origin: Origin,
    /// Type 0x1d: an application (HTTP/3) error code; else a transport error code.
    pub application: bool,
    pub code: u64,
    pub reason: String,
    /// `initial`, `handshake` or `1rtt`: where it was seen.
    pub space: &'static str,
}

/// The TLS handshake carried in CRYPTO frames.
#[derive(Debug, Default)]
pub struct QuicTls {
    pub client_hello: Option<ClientHelloFacts>,
    /// The client random (32 bytes), the key log's index.
    pub client_random: Option<[u8; 32]>,
    pub server_hello: Option<ServerHelloFacts>,
    pub hello_retry: bool,
    pub events: Vec<HsEvent>,
    pub events_dropped: u32,
    /// ALPN chosen in EncryptedExtensions (read with the key log).
    pub alpn: Option<String>,
    pub finished: PerSide<bool>,
}

/// Whether the key log could open this connection's encrypted packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyState {
    /// No key log given (or the ClientHello was not seen): only Initial packets are readable.
    #[default]
    NoKeyLog,
    /// A key log was given, but it has no secrets for this connection's client random.
    Missing,
    /// Secrets found; packets opened with them.
    Found,
}

/// Packet keys of one space and direction: several candidates while the cipher suite is unknown
/// (the AEAD tag tells which one is right), one afterwards.
#[derive(Default)]
struct Slot {
    keys: Vec<PacketKeys>,
}

impl Slot {
    fn open(&mut self, packet: &[u8], pn_offset: usize, largest: Option<u64>) -> Option<Opened> {
        let (i, opened) = self
            .keys
            .iter()
            .enumerate()
            .find_map(|(i, k)| open_packet(k, packet, pn_offset, largest).map(|o| (i, o)))?;
        if self.keys.len() > 1 {
            let k = self.keys.swap_remove(i);
            self.keys = vec![k];
        }
        Some(opened)
    }
}

/// 1-RTT keys of one direction, with key updates (RFC 9001 §6).
#[derive(Default)]
struct OneRtt {
    slot: Slot,
    phase: bool,
    next: Option<PacketKeys>,
    previous: Option<PacketKeys>,
    updates: u32,
}

impl OneRtt {
    fn open(&mut self, packet: &[u8], pn_offset: usize, largest: Option<u64>) -> Option<Opened> {
        if self.slot.keys.len() > 1 {
            return self.slot.open(packet, pn_offset, largest);
        }
        let current = self.slot.keys.first()?;
        let (first, pn_len) = unmask(current, packet, pn_offset)?;
        let phase = first & 0x04 != 0;
        if phase == self.phase {
            if let Some(o) = open_unmasked(current, packet, pn_offset, first, pn_len, largest) {
                return Some(o);
            }
            return self
                .previous
                .as_ref()
                .and_then(|p| open_unmasked(p, packet, pn_offset, first, pn_len, largest));
        }
        if self.next.is_none() {
            self.next = current.next_phase();
        }
        let next = self.next.as_ref()?;
        let opened = open_unmasked(next, packet, pn_offset, first, pn_len, largest);
        if opened.is_some() {
            let next = self.next.take()?;
            let old = std::mem::replace(&mut self.slot.keys, vec![next]);
            self.previous = old.into_iter().next();
            self.phase = phase;
            self.updates = self.updates.saturating_add(1);
            return opened;
        }
        // A late packet of the previous phase.
        self.previous
            .as_ref()
            .and_then(|p| open_unmasked(p, packet, pn_offset, first, pn_len, largest))
    }
}

/// Largest packet number opened, per space and direction.
#[derive(Default)]
struct Largest {
    initial: PerSide<Option<u64>>,
    handshake: PerSide<Option<u64>>,
    app: PerSide<Option<u64>>,
}

/// Decryption state (dropped keys stay small: a few AES key schedules).
#[derive(Default)]
struct Crypto {
    /// The DCID the Initial keys come from, per version.
    initial_dcid: Option<Vec<u8>>,
    initial: Vec<(u32, PerSide<Slot>)>,
    rekey_next_client_initial: bool,
    handshake: PerSide<Slot>,
    zero_rtt: Slot,
    one_rtt: PerSide<OneRtt>,
    looked_up: bool,
    largest: Largest,
    initial_stream: PerSide<CryptoStream>,
    handshake_stream: PerSide<CryptoStream>,
    app_stream: PerSide<CryptoStream>,
}

/// Packet counts of one kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub packets: u64,
    /// Bytes of these packets (headers included).
    pub bytes: u64,
    pub decrypted: u64,
    pub undecryptable: u64,
}

/// Everything learnt about one QUIC connection (one UDP flow).
#[derive(Default)]
pub struct QuicFlow {
    /// The first version of a long header other than version negotiation.
    pub version: u32,
    /// Long-header versions in order of appearance (compatible version negotiation shows two).
    pub versions: Vec<u32>,
    pub client_dcid: Option<Vec<u8>>,
    pub client_scid: Option<Vec<u8>>,
    /// The server's Source Connection ID (the client's Destination CID after the handshake).
    pub server_scid: Option<Vec<u8>>,
    pub initial: Counts,
    pub handshake: Counts,
    pub zero_rtt: Counts,
    pub short: PerSide<Counts>,
    pub retry: Option<Origin>,
    pub version_negotiation: Option<Origin>,
    /// Versions the server offered in its Version Negotiation packet.
    pub negotiation_versions: Vec<u32>,
    pub first_initial: PerSide<Option<Origin>>,
    pub first_handshake: PerSide<Option<Origin>>,
    pub last_handshake: PerSide<Option<Origin>>,
    pub first_short: PerSide<Option<Origin>>,
    pub last_short: PerSide<Option<Origin>>,
    pub first_zero_rtt: Option<Origin>,
    pub handshake_done: Option<Origin>,
    pub close: Option<Close>,
    /// Silences of at least `IDLE_GAP_SECS`: (last packet before, first packet after).
    pub gaps: Vec<(Origin, Origin)>,
    last_seen: Option<Origin>,
    /// NEW_CONNECTION_ID frames per side (decrypted): connection ids offered for migration.
    pub new_connection_ids: PerSide<u32>,
    /// Short-header packets whose DCID was not the handshake's (the peer switched ids).
    pub other_dcid_packets: PerSide<u64>,
    /// 1-RTT key updates seen per side.
    pub key_updates: PerSide<u32>,
    pub tls: QuicTls,
    pub keys: KeyState,
    /// CRYPTO bytes that did not fit the reassembly window.
    pub crypto_dropped: u64,
    pub h3: Option<Box<http3::H3Conn>>,
    /// This flow continues another QUIC connection on a new path (connection migration):
    /// (its connection id in the report, its udp.stream, the connection id seen).
    pub continues: Option<(u32, u32, Vec<u8>)>,
    /// The connection ids were handed to the analyzer (to recognise migration).
    ids_registered: bool,
    crypto: Crypto,
}

impl std::fmt::Debug for QuicFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuicFlow")
            .field("version", &self.version)
            .field("initial", &self.initial)
            .field("short", &self.short)
            .finish_non_exhaustive()
    }
}

impl QuicFlow {
    /// Once the handshake is over (1-RTT packets flow), the connection ids that name this
    /// connection: (id, whether it is the server's). Given once.
    pub fn ids_to_register(&mut self) -> Option<Vec<(Vec<u8>, bool)>> {
        if self.ids_registered || self.short.client.packets == 0 && self.short.server.packets == 0 {
            return None;
        }
        self.ids_registered = true;
        let mut ids = Vec::new();
        if let Some(s) = &self.server_scid {
            ids.push((s.clone(), true));
        }
        if let Some(c) = &self.client_scid {
            ids.push((c.clone(), false));
        }
        Some(ids)
    }

    /// A flow for the same connection on a new path: it knows the connection ids (so short
    /// headers parse), not the keys (its packets are counted, not decrypted).
    pub fn continuation(&self, from: u32, stream: u32, cid: &[u8]) -> QuicFlow {
        QuicFlow {
            version: self.version,
            versions: self.versions.clone(),
            client_scid: self.client_scid.clone(),
            server_scid: self.server_scid.clone(),
            continues: Some((from, stream, cid.to_vec())),
            ids_registered: true,
            ..Default::default()
        }
    }
}

/// The Destination CID length of short headers in the direction `side` sends.
fn short_dcid_len(q: &QuicFlow, side: Side) -> Option<usize> {
    match side {
        Side::Client => q.server_scid.as_ref().map(Vec::len),
        Side::Server => q.client_scid.as_ref().map(Vec::len),
    }
}

impl QuicFlow {
    /// Reads one datagram sent by `side`.
    pub fn datagram(&mut self, side: Side, payload: &[u8], origin: Origin, keys: Option<&KeyLog>) {
        if let Some(last) = self.last_seen {
            if origin.ts.secs_since(last.ts) >= IDLE_GAP_SECS && self.gaps.len() < MAX_GAPS {
                self.gaps.push((last, origin));
            }
        }
        self.last_seen = Some(origin);
        let dcid_len = short_dcid_len(self, side);
        for p in header::packets(payload, dcid_len) {
            self.packet(side, &p, origin, keys);
        }
    }

    fn note_version(&mut self, v: u32) {
        if v == 0 {
            return;
        }
        if self.version == 0 {
            self.version = v;
        }
        if !self.versions.contains(&v) && self.versions.len() < MAX_VERSIONS {
            self.versions.push(v);
        }
    }

    fn packet(
        &mut self,
        side: Side,
        p: &header::Packet<'_>,
        origin: Origin,
        keys: Option<&KeyLog>,
    ) {
        self.note_version(p.version);
        match p.kind {
            Kind::VersionNegotiation => {
                self.version_negotiation.get_or_insert(origin);
                if self.negotiation_versions.is_empty() {
                    self.negotiation_versions = header::negotiation_versions(p);
                }
            }
            Kind::Retry => {
                self.retry.get_or_insert(origin);
                self.crypto.rekey_next_client_initial = true;
                self.server_scid = Some(p.scid.to_vec());
            }
            Kind::Initial => {
                self.initial.packets = self.initial.packets.saturating_add(1);
                self.first_initial[side].get_or_insert(origin);
                self.learn_cids(side, p);
                match self.open_initial(side, p) {
                    Some(o) => {
                        self.initial.decrypted = self.initial.decrypted.saturating_add(1);
                        self.frames(side, Space::Initial, &o.payload, origin, keys);
                    }
                    None => {
                        self.initial.undecryptable = self.initial.undecryptable.saturating_add(1)
                    }
                }
            }
            Kind::Handshake => {
                self.handshake.packets = self.handshake.packets.saturating_add(1);
                self.first_handshake[side].get_or_insert(origin);
                self.last_handshake[side] = Some(origin);
                self.learn_cids(side, p);
                self.look_up_keys(keys);
                let largest = self.crypto.largest.handshake[side];
                match self.crypto.handshake[side].open(p.bytes, p.pn_offset, largest) {
                    Some(o) => {
                        self.crypto.largest.handshake[side] =
                            Some(o.packet_number.max(largest.unwrap_or(0)));
                        self.handshake.decrypted = self.handshake.decrypted.saturating_add(1);
                        self.frames(side, Space::Handshake, &o.payload, origin, keys);
                    }
                    None => {
                        self.handshake.undecryptable =
                            self.handshake.undecryptable.saturating_add(1)
                    }
                }
            }
            Kind::ZeroRtt => {
                self.zero_rtt.packets = self.zero_rtt.packets.saturating_add(1);
                self.first_zero_rtt.get_or_insert(origin);
                self.look_up_keys(keys);
                let largest = self.crypto.largest.app.client;
                match self.crypto.zero_rtt.open(p.bytes, p.pn_offset, largest) {
                    Some(o) => {
                        self.zero_rtt.decrypted = self.zero_rtt.decrypted.saturating_add(1);
                        self.frames(Side::Client, Space::App, &o.payload, origin, keys);
                    }
                    None => {
                        self.zero_rtt.undecryptable = self.zero_rtt.undecryptable.saturating_add(1)
                    }
                }
            }
            Kind::Short => {
                let c = &mut self.short[side];
                c.packets = c.packets.saturating_add(1);
                c.bytes = c.bytes.saturating_add(p.bytes.len() as u64);
                self.first_short[side].get_or_insert(origin);
                self.last_short[side] = Some(origin);
                let expected = match side {
                    Side::Client => self.server_scid.as_deref(),
                    Side::Server => self.client_scid.as_deref(),
                };
                if expected.is_some_and(|e| e != p.dcid) {
                    self.other_dcid_packets[side] = self.other_dcid_packets[side].saturating_add(1);
                }
                if short_dcid_len(self, side).is_none() {
                    self.short[side].undecryptable =
                        self.short[side].undecryptable.saturating_add(1);
                    return;
                }
                self.look_up_keys(keys);
                let largest = self.crypto.largest.app[side];
                let one = &mut self.crypto.one_rtt[side];
                match one.open(p.bytes, p.pn_offset, largest) {
                    Some(o) => {
                        self.key_updates[side] = one.updates;
                        self.crypto.largest.app[side] =
                            Some(o.packet_number.max(largest.unwrap_or(0)));
                        let c = &mut self.short[side];
                        c.decrypted = c.decrypted.saturating_add(1);
                        self.frames(side, Space::App, &o.payload, origin, keys);
                    }
                    None => {
                        let c = &mut self.short[side];
                        c.undecryptable = c.undecryptable.saturating_add(1);
                    }
                }
            }
        }
    }

    fn learn_cids(&mut self, side: Side, p: &header::Packet<'_>) {
        match side {
            Side::Client => {
                if self.client_dcid.is_none() && p.kind == Kind::Initial {
                    self.client_dcid = Some(p.dcid.to_vec());
                }
                if self.client_scid.is_none() {
                    self.client_scid = Some(p.scid.to_vec());
                }
            }
            Side::Server => {
                if self.server_scid.is_none() || p.kind == Kind::Initial && self.retry.is_none() {
                    self.server_scid = Some(p.scid.to_vec());
                }
            }
        }
    }

    /// Initial keys for a version, derived from the DCID of the client's first Initial (or of
    /// its first Initial after a Retry).
    fn open_initial(&mut self, side: Side, p: &header::Packet<'_>) -> Option<Opened> {
        let c = &mut self.crypto;
        if side == Side::Client && (c.initial_dcid.is_none() || c.rekey_next_client_initial) {
            c.rekey_next_client_initial = false;
            c.initial_dcid = Some(p.dcid.to_vec());
            c.initial.clear();
            c.largest.initial = PerSide::default();
        }
        let dcid = c.initial_dcid.clone()?;
        if !c.initial.iter().any(|(v, _)| *v == p.version) {
            let (client, server) = initial_keys(p.version, &dcid)?;
            if c.initial.len() >= MAX_VERSIONS {
                return None;
            }
            c.initial.push((
                p.version,
                PerSide {
                    client: Slot { keys: vec![client] },
                    server: Slot { keys: vec![server] },
                },
            ));
        }
        let largest = c.largest.initial[side];
        let slots = c
            .initial
            .iter_mut()
            .find(|(v, _)| *v == p.version)
            .map(|(_, s)| s)?;
        let opened = slots[side].open(p.bytes, p.pn_offset, largest);
        let opened = match opened {
            Some(o) => Some(o),
            // A client Initial the first keys do not open: the capture may have missed the
            // first Initial or a Retry; its own DCID may be the right one.
            None if side == Side::Client && p.dcid != dcid.as_slice() => {
                let (client, server) = initial_keys(p.version, p.dcid)?;
                let o = open_packet(&client, p.bytes, p.pn_offset, None)?;
                c.initial_dcid = Some(p.dcid.to_vec());
                c.initial = vec![(
                    p.version,
                    PerSide {
                        client: Slot { keys: vec![client] },
                        server: Slot { keys: vec![server] },
                    },
                )];
                Some(o)
            }
            None => None,
        }?;
        let l = &mut c.largest.initial[side];
        *l = Some(opened.packet_number.max(l.unwrap_or(0)));
        Some(opened)
    }

    /// Fills the Handshake, 0-RTT and 1-RTT key slots from the key log, once the client random
    /// is known.
    fn look_up_keys(&mut self, keys: Option<&KeyLog>) {
        if self.crypto.looked_up {
            // The cipher may have become known since: narrow the candidates then.
            return;
        }
        let Some(random) = self.tls.client_random else {
            return;
        };
        let Some(log) = keys else {
            self.keys = KeyState::NoKeyLog;
            return;
        };
        self.crypto.looked_up = true;
        let Some(s) = log.get(&random) else {
            self.keys = KeyState::Missing;
            return;
        };
        self.keys = KeyState::Found;
        let version = self.versions.last().copied().unwrap_or(self.version);
        let suites: Vec<(AeadAlg, HashAlg)> = match self
            .tls
            .server_hello
            .as_ref()
            .and_then(|sh| suite(sh.cipher))
        {
            Some(s) => vec![s],
            None => [0x1301, 0x1302, 0x1303]
                .into_iter()
                .filter_map(suite)
                .collect(),
        };
        let make = |secret: &Option<Vec<u8>>| -> Vec<PacketKeys> {
            secret
                .as_ref()
                .map(|sec| {
                    suites
                        .iter()
                        .filter(|(_, h)| h.len() == sec.len())
                        .filter_map(|(a, h)| PacketKeys::from_secret(version, *a, *h, sec))
                        .collect()
                })
                .unwrap_or_default()
        };
        self.crypto.handshake.client.keys = make(&s.client_handshake);
        self.crypto.handshake.server.keys = make(&s.server_handshake);
        self.crypto.one_rtt.client.slot.keys = make(&s.client_traffic_0);
        self.crypto.one_rtt.server.slot.keys = make(&s.server_traffic_0);
        // 0-RTT uses the resumed session's suite, which this connection's ServerHello need not
        // name: try every TLS 1.3 suite.
        self.crypto.zero_rtt.keys = s
            .client_early
            .as_ref()
            .map(|sec| {
                [0x1301, 0x1302, 0x1303]
                    .into_iter()
                    .filter_map(suite)
                    .filter(|(_, h)| h.len() == sec.len())
                    .filter_map(|(a, h)| PacketKeys::from_secret(version, a, h, sec))
                    .collect()
            })
            .unwrap_or_default();
    }

    fn frames(
        &mut self,
        side: Side,
        space: Space,
        payload: &[u8],
        origin: Origin,
        keys: Option<&KeyLog>,
    ) {
        for f in frames::parse(payload) {
            match f {
                Frame::Crypto { offset, data } => {
                    let stream = match space {
                        Space::Initial => &mut self.crypto.initial_stream[side],
                        Space::Handshake => &mut self.crypto.handshake_stream[side],
                        Space::App => &mut self.crypto.app_stream[side],
                    };
                    stream.insert(offset, data);
                    let mut messages = Vec::new();
                    while let Some(m) = stream.next_message() {
                        if messages.len() >= 16 {
                            break;
                        }
                        messages.push(m);
                    }
                    let dropped = stream.dropped;
                    self.crypto_dropped = self.crypto_dropped.max(dropped);
                    for (ty, body) in messages {
                        self.message(side, ty, &body, origin, keys);
                    }
                }
                Frame::Stream {
                    id,
                    offset,
                    data,
                    fin,
                } if space == Space::App && self.is_h3() => {
                    self.h3
                        .get_or_insert_with(Box::default)
                        .stream(side, id, offset, data, fin, origin);
                }
                Frame::ResetStream { id } => {
                    if let Some(h3) = self.h3.as_mut() {
                        h3.reset(side, id, origin);
                    }
                }
                Frame::Close {
                    application,
                    code,
                    reason,
                    ..
                } if self.close.is_none() => {
                    let reason: String =
                        String::from_utf8_lossy(crate::bytes::head(reason, 200)).into_owned();
                    self.close = Some(Close {
                        side,
                        origin,
                        application,
                        code,
                        reason,
                        space: space.name(),
                    });
                }
                Frame::HandshakeDone => {
                    self.handshake_done.get_or_insert(origin);
                }
                Frame::NewConnectionId { .. } => {
                    self.new_connection_ids[side] = self.new_connection_ids[side].saturating_add(1);
                }
                _ => {}
            }
        }
    }

    /// HTTP/3 was offered (and, when visible, chosen).
    fn is_h3(&self) -> bool {
        let h3 = |a: &str| a == "h3" || a.starts_with("h3-");
        match &self.tls.alpn {
            Some(a) => h3(a),
            None => self
                .tls
                .client_hello
                .as_ref()
                .is_some_and(|c| c.alpn.iter().any(|a| h3(a))),
        }
    }

    fn message(&mut self, side: Side, ty: u8, body: &[u8], origin: Origin, keys: Option<&KeyLog>) {
        let mut kind = handshake_name(ty);
        match ty {
            1 if self.tls.client_hello.is_none() => {
                self.tls.client_hello = client_hello(body);
                self.tls.client_random = crate::bytes::array::<32>(body, 2);
            }
            2 => {
                let is_hrr = body.get(2..6) == Some(&HRR_RANDOM_PREFIX[..]);
                if is_hrr {
                    self.tls.hello_retry = true;
                    kind = "hello_retry_request";
                } else if self.tls.server_hello.is_none() {
                    self.tls.server_hello = server_hello(body);
                    // The cipher is known now: narrow key candidates found before it.
                    if self.crypto.looked_up {
                        self.crypto.looked_up = false;
                        self.look_up_keys(keys);
                    }
                }
            }
            8 => self.tls.alpn = encrypted_extensions_alpn(body),
            20 => {
                self.tls.finished[side] = true;
                if side == Side::Client {
                    self.crypto.initial_stream.client.release();
                    self.crypto.initial_stream.server.release();
                    self.crypto.handshake_stream.client.release();
                    self.crypto.handshake_stream.server.release();
                }
            }
            _ => {}
        }
        if self.tls.events.len() < MAX_EVENTS {
            self.tls.events.push(HsEvent {
                kind,
                code: Some(ty),
                origin,
                side,
            });
        } else {
            self.tls.events_dropped = self.tls.events_dropped.saturating_add(1);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Initial,
    Handshake,
    App,
}

impl Space {
    fn name(self) -> &'static str {
        match self {
            Space::Initial => "initial",
            Space::Handshake => "handshake",
            Space::App => "1rtt",
        }
    }
}

/// The ALPN protocol in EncryptedExtensions (extension 16: list length, then length-prefixed
/// names; the server names exactly one).
fn encrypted_extensions_alpn(body: &[u8]) -> Option<String> {
    use crate::bytes::be16;
    let len = usize::from(be16(body, 0)?);
    let mut exts = body.get(2..2usize.checked_add(len)?)?;
    while let (Some(ty), Some(l)) = (be16(exts, 0), be16(exts, 2)) {
        let data = exts.get(4..4usize.checked_add(usize::from(l))?)?;
        if ty == 16 {
            let n = usize::from(*data.get(2)?);
            return data
                .get(3..3usize.checked_add(n)?)
                .map(|p| String::from_utf8_lossy(p).into_owned());
        }
        exts = exts.get(4usize.checked_add(usize::from(l))?..)?;
    }
    None
}

/// Whether a datagram that opens a UDP flow looks like QUIC: a long header of a known version.
/// Returns whether it holds an Initial (its sender is then the client).
pub fn recognise(payload: &[u8]) -> Option<(u32, bool)> {
    let p = header::plausible_long_header(payload)?;
    Some((p.version, p.kind == Kind::Initial))
}
