//! The report: the one structure the CLI prints (`connscope analyze FILE --json`), the page renders
//! and the user exports. Field names say what they mean; times are epoch seconds (µs precision),
//! frame numbers are 1-based like Wireshark's, and `stream` equals tshark's `tcp.stream` /
//! `udp.stream` so `tcp.stream eq N` finds the same connection in Wireshark.
//!
//! Everything here is plain data (no behaviour beyond small helpers) so that it crosses the
//! wasm/JS boundary and the JSON export unchanged.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Text that is usually a fixed word of the vocabulary (no allocation), sometimes built.
pub type Text = Cow<'static, str>;

mod build;
mod quic;
pub mod text;

pub(crate) use build::ReportBuilder;

/// Version of this schema; bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole analysis of one capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// `connscope <version>`.
    pub generator: String,
    pub capture: CaptureSummary,
    /// Every TCP connection and UDP flow, in order of first packet (`id` is the index).
    pub connections: Vec<Connection>,
    /// Connections grouped by client address and host name.
    pub hosts: Vec<HostGroup>,
    /// Names learnt from DNS answers: which addresses each name resolved to.
    pub dns: Vec<DnsName>,
    /// Problems met while reading, aggregated per kind (first frame and a count).
    pub warnings: Vec<Warning>,
    /// Set when reading stopped before the end of the input (corrupt or truncated file, not a
    /// capture). Everything read before the problem is still in the report.
    pub error: Option<ReadError>,
}

/// Facts about the capture file itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureSummary {
    /// `pcap` or `pcapng` (`unknown` when the file is not a capture).
    pub format: String,
    /// `gzip` when the file was compressed.
    pub compression: Option<String>,
    /// `little` or `big` (byte order of the file's headers).
    pub byte_order: Option<String>,
    /// Timestamp resolution of the (first) interface: `us`, `ns`, or `10^-N s` / `2^-N s`.
    pub timestamp_resolution: Option<String>,
    /// Link types of the interfaces, in order of first appearance.
    pub link_types: Vec<LinkType>,
    /// Number of interfaces (1 for pcap).
    pub interfaces: u32,
    /// Packets (frames) read.
    pub packets: u64,
    /// Captured bytes of all packets (sum of captured lengths).
    pub bytes: u64,
    /// Bytes of the capture file read (after decompression). When reading stopped at an error:
    /// the bytes before the record that failed (plus a cut-short last record, or what a corrupt
    /// gzip stream gave before its error).
    pub file_bytes: u64,
    pub first_ts: Option<f64>,
    pub last_ts: Option<f64>,
    /// Decryption Secrets Blocks found in a pcapng file (kept for decryption).
    pub decryption_secrets: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkType {
    /// LINKTYPE_* number.
    pub id: u32,
    /// Short name as Wireshark's `capinfos` prints it (`ether`, `linux-sll`, `null`, ...).
    pub name: String,
}

/// Which side of a connection sent something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// An address and port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub ip: String,
    pub port: u16,
}

/// A frame number with its time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameTime {
    pub frame: u64,
    pub ts: f64,
}

/// One TCP connection or UDP flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Index in `Report::connections`.
    pub id: u32,
    /// `tcp`, `udp` or `quic` (a UDP flow recognised as QUIC).
    pub transport: Text,
    /// tshark's `tcp.stream` (for TCP) or `udp.stream` (for UDP and QUIC).
    pub stream: u32,
    pub client: Endpoint,
    pub server: Endpoint,
    /// How the client was told apart from the server: `syn` (sent the SYN), `syn_ack` (received
    /// the SYN-ACK), `port` (the lower, well-known port is the server's), `first_packet`.
    pub client_by: Text,
    /// Best name for the server: TLS SNI, else HTTP Host, else a DNS answer, else none.
    pub host: Option<String>,
    /// Where `host` came from: `sni`, `http_host`, `h2_authority`, `dns`.
    pub host_source: Option<Text>,
    /// Application protocol, shortest honest label: `TLS 1.3 + h2`, `HTTP/1.1`, `h2c`, `DNS`, ...
    pub protocol: String,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start: f64,
    pub end: f64,
    pub packets: u64,
    pub packets_client: u64,
    pub packets_server: u64,
    /// Transport payload bytes sent by the client (as the headers claim; snaplen-cut bytes count).
    pub bytes_client: u64,
    pub bytes_server: u64,
    pub tcp: Option<Box<TcpFacts>>,
    pub quic: Option<Box<QuicFacts>>,
    pub tls: Option<Box<TlsFacts>>,
    pub http: Option<Box<HttpFacts>>,
    pub dns: Option<Box<DnsFacts>>,
    /// The connection's life on one time axis (TCP handshake, TLS handshake, exchanges, idle, close).
    pub phases: Vec<Phase>,
    /// Why this connection exists (filled by the explanation engine).
    pub explanation: Option<Box<Explanation>>,
    /// Things the analyzer could not read on this connection (gaps, truncated payloads, limits).
    pub notes: Vec<Note>,
}

/// TCP lifecycle facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpFacts {
    /// Zeek-style connection state: `S0`, `S1`, `SF`, `REJ`, `S2`, `S3`, `RSTO`, `RSTR`,
    /// `RSTOS0`, `RSTRH`, `SH`, `SHR`, `OTH`.
    pub conn_state: Text,
    /// Zeek-style history letters (upper case = client, lower case = server).
    pub history: String,
    pub syn: Option<FrameTime>,
    pub syn_ack: Option<FrameTime>,
    /// The client's ACK that completed the three-way handshake.
    pub ack: Option<FrameTime>,
    /// Round-trip time seen from the capture point: SYN → SYN-ACK → ACK, in seconds.
    pub rtt: Option<f64>,
    /// SYNs the client sent (more than 1 = SYN retransmissions, unanswered or slow server).
    pub syn_count: u32,
    pub retransmissions_client: u32,
    pub retransmissions_server: u32,
    pub fin_client: Option<FrameTime>,
    pub fin_server: Option<FrameTime>,
    pub rst_client: Option<FrameTime>,
    pub rst_server: Option<FrameTime>,
    /// Who closed first (sent the first FIN or RST); none when the capture shows no close.
    pub closed_by: Option<Side>,
    /// How it ended: `fin`, `rst`, `refused` (RST answering the SYN), `unanswered` (SYN only),
    /// or `open` (still open when the capture ended).
    pub close: Text,
    /// Seconds without payload in either direction before the close (idle time), if it closed.
    pub idle_before_close: Option<f64>,
}

/// QUIC facts (RFC 9000/9001, v2 RFC 9369). Initial packets are opened with the keys every
/// observer derives from the client's first Destination Connection ID, so the ClientHello and
/// ServerHello inside them fill `Connection.tls` (SNI, ALPN offered, versions, PSK, resumption)
/// without a key log; with one, Handshake, 0-RTT and 1-RTT packets open too (the rest of the
/// handshake, the close reason, HTTP/3 requests in `Connection.http`). For QUIC,
/// `tls.app_data_client` / `app_data_server` count 1-RTT (short-header) packets and their bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuicFacts {
    /// `1` (RFC 9000), `2` (RFC 9369), `draft-29`, ... as first seen in a long header.
    pub version: String,
    /// Every version seen in long headers, in order (compatible version negotiation from v1 to
    /// v2 shows `["1", "2"]`).
    pub versions: Vec<String>,
    /// Client's first Destination Connection ID (hex): the Initial keys come from it.
    pub dcid: Option<String>,
    /// Client's Source Connection ID (hex).
    pub scid: Option<String>,
    /// The server's Source Connection ID (hex): what the client's short-header packets address.
    pub server_cid: Option<String>,
    pub long_header_packets: u64,
    pub short_header_packets: u64,
    pub short_header_packets_client: u64,
    pub short_header_packets_server: u64,
    pub initial_packets: u64,
    pub handshake_packets: u64,
    pub zero_rtt_packets: u64,
    /// The server answered the first Initial with a Retry (address validation).
    pub retry: bool,
    /// The server answered with Version Negotiation.
    pub version_negotiation: bool,
    /// Versions the server listed in its Version Negotiation packet.
    pub negotiation_versions: Vec<String>,
    /// Initial packets whose protection was removed (no secret needed).
    pub initial_decrypted: u64,
    /// Handshake, 0-RTT and 1-RTT packets opened with the key log.
    pub decrypted_packets: u64,
    /// Handshake, 0-RTT and 1-RTT packets that stayed encrypted (no key log, no secrets for this
    /// connection, wrong secrets, or a short header whose connection id length is unknown).
    pub undecrypted_packets: u64,
    /// Key log status: `none` (no key log given, or no ClientHello seen), `missing` (the key log
    /// has no secrets for this connection's client random), `found`.
    pub keys: Text,
    /// The client's first Initial packet (the connection attempt).
    pub first_client_initial: Option<FrameTime>,
    /// The server's first Initial packet (its answer, one round trip later).
    pub first_server_initial: Option<FrameTime>,
    /// When the handshake was over as far as the capture shows: the client's Finished (with
    /// keys), else the server's HANDSHAKE_DONE, else the client's first 1-RTT packet once the
    /// server had sent 1-RTT packets too.
    pub handshake_confirmed: Option<FrameTime>,
    /// The first 0-RTT packet (early data sent before the handshake completed).
    pub zero_rtt_first: Option<FrameTime>,
    /// The first CONNECTION_CLOSE seen (in Initial/Handshake packets always; in 1-RTT packets
    /// only with the key log). None when the connection ended silently (idle timeout) or the
    /// close was encrypted.
    pub close: Option<QuicClose>,
    /// 1-RTT key updates (RFC 9001 §6), both directions.
    pub key_updates: u32,
    /// NEW_CONNECTION_ID frames (with keys): connection ids offered for later use (migration).
    pub new_connection_ids: u32,
    /// Short-header packets addressed to a connection id other than the handshake's: the peer
    /// moved to a new connection id on this path (connection migration shows as a new UDP flow).
    pub other_cid_packets: u64,
    /// This UDP flow continues the QUIC connection with this `id` on a new path (connection
    /// migration, RFC 9000 §9: a new address or port, the same connection id). Kept as its own
    /// flow (its own `udp.stream`, like tshark's); its packets are counted, not decrypted.
    pub continues_connection: Option<u32>,
}

/// A QUIC CONNECTION_CLOSE frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuicClose {
    pub from: Side,
    pub frame: u64,
    pub ts: f64,
    /// `transport` (frame type 0x1c) or `application` (0x1d, an HTTP/3 error code).
    pub kind: Text,
    pub code: u64,
    /// The error's name: `NO_ERROR`, `CRYPTO_ERROR (handshake_failure)`, `H3_NO_ERROR`, ...
    pub error: String,
    /// The reason phrase, as sent (often empty).
    pub reason: String,
    /// Packet number space it was seen in: `initial`, `handshake` or `1rtt`.
    pub space: Text,
}

/// TLS facts from the plaintext part of the handshake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// Negotiated version (`TLS 1.3`, `TLS 1.2`, `TLS 1.3 draft 16`, ...), none before ServerHello.
    pub version: Option<String>,
    pub sni: Option<String>,
    /// ALPN protocols the client offered.
    pub alpn_offered: Vec<String>,
    /// ALPN protocol the server chose, when visible (TLS ≤ 1.2; encrypted in TLS 1.3).
    pub alpn: Option<String>,
    /// Versions the client offered (supported_versions, else the ClientHello version), GREASE
    /// filtered, as hex codes (`0x0304`).
    pub versions_offered: Vec<String>,
    /// Cipher suite the server chose (IANA name when known, else hex).
    pub cipher: Option<String>,
    /// Length of the session id the client sent (0–32).
    pub client_session_id_len: Option<u8>,
    /// The server echoed the client's non-empty session id.
    pub session_id_echoed: bool,
    /// The client offered a non-empty session ticket (RFC 5077).
    pub ticket_offered: bool,
    /// The client offered a TLS 1.3 pre-shared key (extension 41).
    pub psk_offered: bool,
    /// The client offered 0-RTT early data (extension 42).
    pub early_data_offered: bool,
    /// The server accepted the PSK (ServerHello carries pre_shared_key).
    pub psk_accepted: bool,
    /// The session was resumed: TLS ≤ 1.2 by session-id echo or an accepted ticket (abbreviated
    /// handshake), TLS 1.3 only by the ServerHello `pre_shared_key` extension.
    pub resumed: bool,
    /// How: `session_id`, `ticket` or `psk`.
    pub resumption: Option<String>,
    /// `completed`, `aborted_by_client`, `aborted_by_server`, `incomplete` (capture ended or the
    /// connection closed quietly mid-handshake), or `unknown`.
    pub outcome: Text,
    /// The last handshake message before the abort (`certificate`, `server_hello`, ...).
    pub aborted_after: Option<String>,
    /// Every handshake message in order, with its frame (the frame that completed it).
    pub handshake: Vec<HandshakeMessage>,
    pub alerts: Vec<TlsAlert>,
    /// Leaf certificate (visible in TLS ≤ 1.2 only).
    pub certificate: Option<CertificateFacts>,
    /// Certificates in the chain the server sent.
    pub chain_len: u32,
    pub app_data_client: RecordCount,
    pub app_data_server: RecordCount,
    /// Records were decrypted with the session's secrets (key log or pcapng DSB): the
    /// handshake messages, alerts and HTTP shown were read inside the encryption.
    pub decrypted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandshakeMessage {
    /// `client_hello`, `server_hello`, `hello_retry_request`, `certificate`,
    /// `server_key_exchange`, `certificate_request`, `server_hello_done`, `certificate_verify`,
    /// `client_key_exchange`, `finished`, `new_session_ticket`, `encrypted_extensions`,
    /// `change_cipher_spec`, `encrypted_handshake` (an encrypted Finished or later message).
    #[serde(rename = "type")]
    pub kind: Text,
    /// Handshake type number (none for change_cipher_spec and encrypted messages).
    pub code: Option<u8>,
    pub frame: u64,
    pub ts: f64,
    pub from: Side,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsAlert {
    pub from: Side,
    /// `warning` / `fatal`; none when encrypted.
    pub level: Option<String>,
    /// RFC name (`unknown_ca`, `certificate_unknown`, `close_notify`, ...); none when encrypted.
    pub description: Option<String>,
    pub code: Option<u8>,
    /// The alert travelled encrypted (TLS 1.3 after ServerHello, or after ChangeCipherSpec).
    pub encrypted: bool,
    pub frame: u64,
    pub ts: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    /// RFC 3339 times.
    pub not_before: String,
    pub not_after: String,
    /// Issuer equals subject (and the key signs itself, when checkable).
    pub self_signed: bool,
}

/// Application-data records in one direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordCount {
    pub records: u64,
    pub bytes: u64,
    pub first: Option<FrameTime>,
    pub last: Option<FrameTime>,
}

/// HTTP/1.x in cleartext, or h2c.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpFacts {
    /// `HTTP/1.1`, `HTTP/1.0`, or `h2c`.
    pub version: String,
    pub requests: Vec<HttpRequest>,
    /// Responses that answered no request seen (e.g. request lost in the capture).
    pub unmatched_responses: Vec<HttpResponseOnly>,
    /// A request was sent before the previous response ended.
    pub pipelined: bool,
    /// Requests and responses beyond the per-connection limit, counted but not kept.
    pub requests_not_kept: u64,
    pub h2: Option<H2Facts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
    pub version: String,
    /// Frame carrying the first byte of the request, and its time.
    pub frame: u64,
    pub ts: f64,
    /// Frame where the request (head and body) was complete: Wireshark shows the request there.
    pub end_frame: u64,
    pub end_ts: f64,
    /// `Connection` header, as sent.
    pub connection: Option<String>,
    /// Authorization scheme only (`Basic`, `NTLM`, ...): credentials stay out of the report.
    pub authorization: Option<String>,
    pub upgrade: Option<String>,
    /// Sent before the previous response on this connection had ended.
    pub pipelined: bool,
    pub status: Option<u16>,
    pub reason: Option<String>,
    pub response_version: Option<String>,
    pub response_frame: Option<u64>,
    pub response_ts: Option<f64>,
    pub response_end_frame: Option<u64>,
    pub response_end_ts: Option<f64>,
    pub response_connection: Option<String>,
    pub keep_alive: Option<String>,
    /// Scheme of `WWW-Authenticate` / `Proxy-Authenticate` on 401/407 (`Basic`, `NTLM`, ...).
    pub www_authenticate: Option<String>,
    pub response_upgrade: Option<String>,
    pub location: Option<String>,
    pub alt_svc: Option<String>,
    pub response_body_bytes: Option<u64>,
    /// Response body bytes lost in the capture (0 when the whole response was seen).
    pub response_missing_bytes: u64,
    /// 1xx responses (100 Continue, ...) before the final one.
    pub interim_responses: u32,
}

/// A response that matched no request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpResponseOnly {
    pub status: u16,
    /// Body bytes lost in the capture.
    pub missing_bytes: u64,
    pub version: String,
    pub frame: u64,
    pub ts: f64,
    pub end_frame: u64,
}

/// HTTP/2 frames seen in cleartext (h2c).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct H2Facts {
    /// `prior_knowledge` (connection preface) or `upgrade` (HTTP/1.1 Upgrade: h2c).
    pub started_by: String,
    pub frames: u64,
    /// Frame counts by type name (`DATA`, `HEADERS`, `SETTINGS`, ...), sorted by name.
    pub frames_by_type: Vec<(String, u64)>,
    /// Stream ids that carried HEADERS (requests and responses), ascending.
    pub streams: Vec<u32>,
    pub goaway: bool,
    pub rst_streams: u64,
}

/// DNS messages on a UDP flow (or TCP connection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsFacts {
    pub queries: Vec<DnsQuery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsQuery {
    pub id: u16,
    pub name: String,
    /// `A`, `AAAA`, `HTTPS`, ...
    pub qtype: String,
    pub frame: u64,
    pub ts: f64,
    pub response_frame: Option<u64>,
    pub response_ts: Option<f64>,
    /// `NOERROR`, `NXDOMAIN`, ...
    pub rcode: Option<String>,
    /// Answer data as text (`93.184.216.34`, `CNAME example.net`, ...).
    pub answers: Vec<String>,
}

/// One name and the addresses DNS answers gave for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsName {
    pub name: String,
    pub addresses: Vec<String>,
    pub first_frame: u64,
}

/// A span of a connection's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    /// `tcp_handshake`, `tls_handshake`, `request` (Request sent), `waiting` (Waiting / TTFB),
    /// `download` (Content Download), `idle`, `close`, `dns` (on a DNS flow: each query to its
    /// answer; on the first connection to an answered address: the lookup that served it, which
    /// lies before the connection's own start), and for QUIC: `quic_initial` (the
    /// client's first Initial until the server's first answer: the round trip that opens the
    /// connection), `quic_handshake` (from the server's answer until the handshake is done),
    /// `quic_1rtt` (first to last 1-RTT packet, when no HTTP/3 request could be read).
    pub kind: Text,
    pub start: f64,
    pub end: f64,
    pub first_frame: u64,
    /// Index of the request/response exchange this phase belongs to, if any.
    pub exchange: Option<u32>,
    /// Who acted (e.g. who closed).
    pub side: Option<Side>,
}

/// A note about something the analyzer could not read, with where it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Stable code: `gap`, `snaplen`, `tls_unparsed`, `http_unparsed`, `limit`, ...
    pub code: Text,
    pub message: String,
    pub frame: Option<u64>,
}

/// Connections grouped by client and host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostGroup {
    pub client: String,
    /// Host name (or the server address when no name is known).
    pub host: String,
    /// Server addresses (`ip:port`) seen for this host.
    pub servers: Vec<String>,
    /// Connection ids, in order.
    pub connections: Vec<u32>,
}

/// A problem met while reading, aggregated per code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub code: String,
    pub message: String,
    /// First frame it happened on.
    pub frame: Option<u64>,
    /// File offset (after decompression) of the first occurrence.
    pub offset: Option<u64>,
    pub count: u64,
}

/// Why reading stopped early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadError {
    /// `not_a_capture`, `truncated`, `corrupt`, `gzip`, `limit`.
    pub code: String,
    pub message: String,
    /// Byte offset in the (decompressed) file.
    pub offset: u64,
    /// The frame that could not be read (packets read so far + 1), when inside the packet data.
    pub frame: Option<u64>,
}

/// Why a connection exists, in plain words with evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Stable id from the cause vocabulary (`first_for_host`, `parallel_for_host`, ...).
    pub cause: Text,
    /// One sentence.
    pub headline: String,
    /// A paragraph a student can follow.
    pub details: String,
    pub evidence: Vec<Evidence>,
    /// The browser or server rule behind it, with its number.
    pub rule: Option<Rule>,
    /// `high`, `medium` or `low`.
    pub confidence: Text,
    /// Related connections (ids), e.g. the rejected attempts before a retry.
    pub related: Vec<u32>,
    /// Attributes shown alongside the cause (keep-alive reuse, resumption, who closed, ...).
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    pub frame: Option<u64>,
    pub ts: Option<f64>,
    /// Another connection this evidence points at.
    pub connection: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: Text,
    pub text: Text,
    pub source: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// Stable key: `requests`, `pipelining`, `h2_streams`, `resumption`, `idle_close`, `closed_by`, ...
    pub key: Text,
    pub text: String,
}
