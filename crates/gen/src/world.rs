//! The simulated network: clients on one LAN behind a gateway (the capture point), a resolver,
//! and named servers of three kinds (TLS 1.3, TLS 1.2, cleartext HTTP/1.1) with their own round
//! trip times, certificates and keep-alive habits.

use crate::capture::{Ip4, Mac};
use crate::rng::Rng;
use crate::session::Start;
use crate::tls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Tls13,
    Tls12,
    Http,
}

pub struct Host {
    pub name: String,
    /// The A answer goes through this CNAME (a CDN name), when set.
    pub cname: Option<String>,
    pub ip: Ip4,
    pub kind: HostKind,
    pub rtt_us: u32,
    /// IP TTL of its packets as seen at the capture point.
    pub ttl: u8,
    /// ECDSA certificate (else RSA).
    pub ecdsa: bool,
    pub alpn_h2: bool,
    /// Issues TLS 1.2 session tickets.
    pub tickets: bool,
    /// TLS 1.2: ServerHello..ServerHelloDone in one record (else one record per message).
    pub one_record: bool,
    pub server: &'static str,
    pub keepalive_s: u32,
    /// Answers the last request of a connection with `Connection: close`.
    pub sends_close: bool,
}

impl Host {
    pub fn leaf(&self) -> &'static [u8] {
        if self.ecdsa {
            tls::EC_LEAF_DER
        } else {
            tls::RSA_LEAF_DER
        }
    }
}

pub struct Client {
    pub ip: Ip4,
    pub mac: Mac,
    next_port: u16,
    /// The last connection that closed cleanly: (client port, host), a candidate for port reuse.
    last_closed: Option<(u16, usize)>,
    /// Hosts this client talked to lately (a page pulls from a handful of hosts).
    recent: [u32; 6],
    recent_len: usize,
    pub chrome: bool,
    pub curl: bool,
    pub user_agent: usize,
}

pub struct World {
    pub clients: Vec<Client>,
    pub hosts: Vec<Host>,
    /// Random bytes: ciphertext and compressed bodies are slices of it.
    pub random_pool: Vec<u8>,
    /// Text for HTML / JSON / CSS bodies.
    pub text_pool: Vec<u8>,
    /// (client, host) pairs that have talked (DNS cached, TLS session known).
    visited: Vec<u64>,
    pub resolver_ip: Ip4,
    pub resolver_rtt_us: u64,
    pub gateway_mac: Mac,
    /// Unix time of the first packet.
    pub start_unix: u64,
}

const PREFIXES: [&str; 12] = [
    "www",
    "api",
    "cdn",
    "static",
    "img",
    "auth",
    "media",
    "assets",
    "telemetry",
    "fonts",
    "video",
    "app",
];
const SERVERS: [&str; 4] = [
    "nginx/1.24.0",
    "Apache/2.4.58 (Debian)",
    "cloudflare",
    "envoy",
];
const WORDS: [&str; 24] = [
    "the",
    "connection",
    "client",
    "server",
    "request",
    "response",
    "cache",
    "stream",
    "packet",
    "window",
    "handshake",
    "session",
    "<div class=\"item\">",
    "</div>",
    "<p>",
    "</p>",
    "{\"id\":",
    "\"name\":",
    "\"value\":",
    "},",
    "function",
    "return",
    "var",
    "=>",
];

impl World {
    pub fn new(rng: &mut Rng, clients: u32, hosts: u32, start_unix: u64) -> World {
        let clients = (0..clients)
            .map(|c| {
                let ua = match rng.below(100) {
                    0..=64 => 0,
                    65..=84 => 1,
                    85..=94 => 2,
                    _ => 3,
                };
                Client {
                    ip: [10, 20, (c / 250) as u8, (c % 250 + 1) as u8],
                    mac: [0x02, 0x42, 0x0a, 0x14, (c >> 8) as u8, c as u8],
                    next_port: rng.range(32_768, 61_000) as u16,
                    last_closed: None,
                    recent: [0; 6],
                    recent_len: 0,
                    chrome: ua == 0,
                    curl: ua == 3,
                    user_agent: ua,
                }
            })
            .collect::<Vec<_>>();
        let n_ips = (hosts * 2 / 3).max(1);
        let hosts = (0..hosts)
            .map(|h| {
                let kind = match rng.below(100) {
                    0..=59 => HostKind::Tls13,
                    60..=84 => HostKind::Tls12,
                    _ => HostKind::Http,
                };
                let j = h % n_ips;
                let name = format!(
                    "{}{}.bench.example",
                    PREFIXES[(h % 12) as usize],
                    h / 12 + 1
                );
                let server = *rng.pick(&SERVERS);
                Host {
                    cname: rng
                        .chance(200)
                        .then(|| format!("edge{}.cdn.bench.example", j)),
                    name,
                    ip: [
                        198,
                        18 + (j / 62_500) as u8,
                        (j / 250 % 250) as u8,
                        (j % 250 + 1) as u8,
                    ],
                    kind,
                    rtt_us: *rng
                        .pick(&[800, 2_000, 8_000, 15_000, 25_000, 40_000, 90_000, 150_000])
                        + rng.range(0, 500) as u32,
                    ttl: *rng.pick(&[50, 52, 54, 56, 57, 59, 117, 244]),
                    ecdsa: rng.chance(600),
                    alpn_h2: rng.chance(800),
                    tickets: rng.chance(700),
                    one_record: rng.chance(300),
                    keepalive_s: if server.starts_with("Apache") {
                        5
                    } else {
                        *rng.pick(&[15, 60, 75])
                    },
                    sends_close: rng.chance(300),
                    server,
                }
            })
            .collect::<Vec<_>>();
        let mut random_pool = vec![0u8; 1 << 20];
        rng.fill(&mut random_pool);
        let mut text_pool = Vec::with_capacity(256 * 1024);
        while text_pool.len() < 256 * 1024 {
            text_pool.extend_from_slice(rng.pick(&WORDS).as_bytes());
            text_pool.push(if rng.chance(100) { b'\n' } else { b' ' });
        }
        let pairs = clients.len() * hosts.len();
        World {
            clients,
            hosts,
            random_pool,
            text_pool,
            visited: vec![0; pairs.div_ceil(64)],
            resolver_ip: [10, 20, 255, 53],
            resolver_rtt_us: 600,
            gateway_mac: [0x00, 0x1b, 0x21, 0x3a, 0x4c, 0x01],
            start_unix,
        }
    }

    /// Picks who talks to whom for a new session starting at `at`.
    pub fn start(&mut self, rng: &mut Rng, at: u64) -> Start {
        let client = rng.below(self.clients.len() as u64) as usize;
        let c = &mut self.clients[client];
        let host = if c.recent_len > 0 && rng.chance(600) {
            // Another connection to a host of the page being loaded.
            c.recent[rng.below(c.recent_len as u64) as usize] as usize
        } else {
            // Popularity: a few hosts get most connections.
            let a = rng.below(self.hosts.len() as u64);
            let h = rng.below(a + 1) as usize;
            if c.recent_len < c.recent.len() {
                c.recent_len += 1;
            }
            let n = c.recent.len();
            c.recent.copy_within(0..n - 1, 1);
            c.recent[0] = h as u32;
            h
        };
        let bit = client * self.hosts.len() + host;
        let first_contact = self.visited[bit / 64] & (1 << (bit % 64)) == 0;
        self.visited[bit / 64] |= 1 << (bit % 64);
        let c = &mut self.clients[client];
        let reuse = match c.last_closed {
            Some((port, h)) if h == host && rng.chance(100) => Some(port),
            _ => None,
        };
        let cport = match reuse {
            Some(p) => p,
            None => {
                let p = c.next_port;
                c.next_port += rng.range(1, 4) as u16;
                if c.next_port >= 61_000 {
                    c.next_port = 32_768 + (c.next_port - 61_000);
                }
                p
            }
        };
        if reuse.is_some() {
            c.last_closed = None;
        }
        Start {
            client,
            host,
            cport,
            reused_port: reuse.is_some(),
            first_contact,
            requery: !first_contact && rng.chance(30),
            at,
        }
    }

    /// A session ended: a cleanly closed one may see its port reused.
    pub fn ended(&mut self, client: usize, host: usize, cport: u16, clean: bool) {
        if clean {
            self.clients[client].last_closed = Some((cport, host));
        }
    }
}
