//! Connections: the flow table (stream numbers identical to tshark's `tcp.stream` and
//! `udp.stream`), who is the client, per-direction counters, and per-transport state.

pub mod tcp;
mod zeek;

use crate::decode::IpAddr;
use crate::protocols::dns::DnsFlow;
use crate::protocols::quic::QuicFlow;
use crate::protocols::{App, ConnLog};
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;
use hashbrown::HashMap;
use std::hash::{Hash, Hasher};

pub use tcp::TcpState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
}

/// A flow's key, the same whichever way a packet travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    transport: Transport,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl FlowKey {
    pub fn new(transport: Transport, a: (IpAddr, u16), b: (IpAddr, u16)) -> Self {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        FlowKey { transport, lo, hi }
    }
}

impl Hash for FlowKey {
    /// Every packet hashes its key: a few wide words instead of a dozen small writes (the
    /// derived hash wrote each address byte slice with its length).
    fn hash<H: Hasher>(&self, state: &mut H) {
        let ports = u64::from(self.lo.1) << 17
            | u64::from(self.hi.1) << 1
            | u64::from(self.transport == Transport::Udp);
        let wide = |a: IpAddr| match a {
            IpAddr::V4(b) => u128::from(u32::from_be_bytes(b)) | 1 << 127,
            IpAddr::V6(b) => u128::from_be_bytes(b),
        };
        match (self.lo.0, self.hi.0) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                state.write_u64(
                    u64::from(u32::from_be_bytes(a)) << 32 | u64::from(u32::from_be_bytes(b)),
                );
            }
            (a, b) => {
                state.write_u128(wide(a));
                state.write_u128(wide(b));
            }
        }
        state.write_u64(ports);
    }
}

/// How the client was told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientBy {
    Syn,
    SynAck,
    Port,
    FirstPacket,
    /// The first payload looked like a client's (a ClientHello, a request line, a DNS query).
    Payload,
}

impl ClientBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientBy::Syn => "syn",
            ClientBy::SynAck => "syn_ack",
            ClientBy::Port => "port",
            ClientBy::FirstPacket => "first_packet",
            ClientBy::Payload => "payload",
        }
    }
    /// Weak guesses may be corrected by the first payload.
    pub fn is_weak(self) -> bool {
        matches!(self, ClientBy::Port | ClientBy::FirstPacket)
    }
}

/// One connection (TCP) or flow (UDP).
pub struct Conn {
    pub id: u32,
    pub transport: Transport,
    pub stream: u32,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub client_by: ClientBy,
    pub first: Origin,
    pub last: Origin,
    pub packets: PerSide<u64>,
    pub bytes: PerSide<u64>,
    pub tcp: Option<Box<TcpState>>,
    pub quic: Option<Box<QuicFlow>>,
    pub dns: Option<Box<DnsFlow>>,
    pub app: App,
    pub log: ConnLog,
}

/// Ports that say "server" when no SYN does (well-known services and their common variants).
pub fn is_server_port(port: u16) -> bool {
    port < 1024
        || matches!(
            port,
            1080 | 1433
                | 1521
                | 3128
                | 3306
                | 3389
                | 5060
                | 5222
                | 5353
                | 5355
                | 5432
                | 6379
                | 6667
                | 8000
                | 8008
                | 8080
                | 8088
                | 8443
                | 8888
                | 9000
                | 9090
                | 9200
                | 9443
                | 11211
                | 27017
        )
}

impl Conn {
    pub fn new(
        id: u32,
        transport: Transport,
        stream: u32,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        client_by: ClientBy,
        origin: Origin,
    ) -> Self {
        Conn {
            id,
            transport,
            stream,
            client,
            server,
            client_by,
            first: origin,
            last: origin,
            packets: PerSide::default(),
            bytes: PerSide::default(),
            tcp: None,
            quic: None,
            dns: None,
            app: App::default(),
            log: ConnLog::default(),
        }
    }

    /// Which side sent a packet from `src`.
    pub fn side_of(&self, src: (IpAddr, u16)) -> Side {
        if src == self.client {
            Side::Client
        } else {
            Side::Server
        }
    }

    /// Swaps client and server (a weak guess corrected before any payload was read).
    pub fn flip(&mut self, by: ClientBy) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.packets.swap();
        self.bytes.swap();
        if let Some(t) = self.tcp.as_mut() {
            t.flip();
        }
        self.client_by = by;
    }

    pub fn touch(&mut self, side: Side, origin: Origin, bytes: u64) {
        self.packets[side] += 1;
        self.bytes[side] = self.bytes[side].saturating_add(bytes);
        if origin.ts >= self.last.ts || origin.frame > self.last.frame {
            self.last = origin;
        }
    }
}

/// Guesses the client of a flow whose first packet is not a SYN: the side on a server port.
pub fn guess_client(
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
) -> ((IpAddr, u16), (IpAddr, u16), ClientBy) {
    if dst.0.is_group() {
        return (src, dst, ClientBy::FirstPacket);
    }
    match (is_server_port(src.1), is_server_port(dst.1)) {
        (true, false) => (dst, src, ClientBy::Port),
        (false, true) => (src, dst, ClientBy::Port),
        (true, true) if src.1 < dst.1 => (dst, src, ClientBy::Port),
        _ => (src, dst, ClientBy::FirstPacket),
    }
}

/// The table of live flows: key → index into the connection list.
#[derive(Default)]
pub struct FlowTable {
    map: HashMap<FlowKey, u32>,
    /// The last flow looked up: consecutive packets mostly belong to one flow (a download and
    /// its ACKs), and comparing a key costs less than hashing it.
    last: Option<(FlowKey, u32)>,
}

impl FlowTable {
    pub fn get(&mut self, key: &FlowKey) -> Option<u32> {
        if let Some((k, id)) = self.last {
            if k == *key {
                return Some(id);
            }
        }
        let id = self.map.get(key).copied()?;
        self.last = Some((*key, id));
        Some(id)
    }
    pub fn insert(&mut self, key: FlowKey, id: u32) {
        self.map.insert(key, id);
        self.last = Some((key, id));
    }
}
