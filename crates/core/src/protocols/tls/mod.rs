//! TLS on one TCP connection: the record layer of each direction, the plaintext handshake
//! (tls-parser), certificates (x509-parser), alerts, and application-data records counted by
//! direction and grouped into turns (request/response rhythm, visible even without keys).

mod cert;
pub(crate) mod hello;
pub mod names;

use crate::bytes::{array, fill, split, tail};
use crate::decrypt::tls::{NoKeys, TlsDecryptor};
use crate::notes::Notes;
use crate::protocols::{App, ConnLog, Env};
use crate::reassembly::Origin;
use crate::report::{CertificateFacts, Side};
use crate::side::PerSide;
pub use hello::{ClientHelloFacts, ServerHelloFacts};

/// TLSPlaintext/TLSCiphertext length limit: 2^14 + 2048 (RFC 5246 §6.2.3), plus slack for
/// stacks that overshoot by a little.
const MAX_RECORD: usize = 16384 + 2048 + 256;
/// Handshake messages larger than this are not buffered (certificate chains stay far below).
const MAX_HANDSHAKE_MESSAGE: usize = 512 * 1024;
/// Events kept per connection (a renegotiating or chatty connection is summarised).
const MAX_EVENTS: usize = 64;
const MAX_ALERTS: usize = 16;
/// Application-data turns kept per connection.
pub const MAX_TURNS: usize = 512;
/// Records in one direction this far apart belong to different turns.
const TURN_GAP_SECS: f64 = 1.0;
/// Encrypted alert size in TLS 1.3: 2 bytes + content type + 16-byte AEAD tag.
const TLS13_ENCRYPTED_ALERT_LEN: usize = 19;

const CT_CCS: u8 = 20;
const CT_ALERT: u8 = 21;
const CT_HANDSHAKE: u8 = 22;
const CT_APP_DATA: u8 = 23;
const CT_HEARTBEAT: u8 = 24;

/// A handshake message, a ChangeCipherSpec, or an encrypted handshake record.
#[derive(Debug, Clone)]
pub struct HsEvent {
    pub kind: &'static str,
    pub code: Option<u8>,
    pub origin: Origin,
    pub side: Side,
}

#[derive(Debug, Clone)]
pub struct AlertEvent {
    pub side: Side,
    pub level: Option<u8>,
    pub description: Option<u8>,
    pub encrypted: bool,
    pub origin: Origin,
}

/// Application-data records in one direction.
#[derive(Debug, Clone, Default)]
pub struct AppData {
    pub records: u64,
    pub bytes: u64,
    pub first: Option<Origin>,
    pub last: Option<Origin>,
}

/// A run of application-data records in one direction.
#[derive(Debug, Clone)]
pub struct Turn {
    pub side: Side,
    pub first: Origin,
    pub last: Origin,
    pub records: u32,
    pub bytes: u64,
}

/// Everything learnt from the TLS conversation.
#[derive(Debug, Default)]
pub struct TlsFactsRaw {
    pub client_hello: Option<ClientHelloFacts>,
    /// A HelloRetryRequest came first (TLS 1.3).
    pub hello_retry: bool,
    pub server_hello: Option<ServerHelloFacts>,
    pub events: Vec<HsEvent>,
    pub events_dropped: u32,
    pub alerts: Vec<AlertEvent>,
    pub certificate: Option<CertificateFacts>,
    pub chain_len: u32,
    /// ChangeCipherSpec sent, per side (client, server).
    pub ccs: PerSide<bool>,
    /// Encrypted Finished (or, in TLS 1.3, the client's first encrypted record) per side.
    pub finished: PerSide<bool>,
    pub app: PerSide<AppData>,
    pub turns: Vec<Turn>,
    pub turns_dropped: u32,
    /// The server sent Certificate / ServerKeyExchange (a full handshake, TLS ≤ 1.2).
    pub server_sent_certificate: bool,
    /// A NewSessionTicket arrived in plaintext (TLS ≤ 1.2).
    pub new_session_ticket: bool,
    /// The first records were not a handshake (capture started mid-connection).
    pub joined_mid_stream: bool,
    /// ALPN the server chose in EncryptedExtensions (TLS 1.3, read with the keys).
    pub alpn_encrypted: Option<String>,
    /// Records opened with the key log, per side.
    pub decrypted_records: PerSide<u64>,
}

impl TlsFactsRaw {
    pub fn negotiated(&self) -> Option<u16> {
        self.server_hello.as_ref().map(|s| s.version)
    }

    pub fn is_tls13(&self) -> bool {
        self.negotiated().is_some_and(names::is_tls13)
    }

    fn push_event(&mut self, kind: &'static str, code: Option<u8>, origin: Origin, side: Side) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(HsEvent {
                kind,
                code,
                origin,
                side,
            });
        } else {
            self.events_dropped = self.events_dropped.saturating_add(1);
        }
    }

    fn app_record(&mut self, side: Side, len: usize, start: Origin, end: Origin) {
        let a = &mut self.app[side];
        a.records = a.records.saturating_add(1);
        a.bytes = a.bytes.saturating_add(len as u64);
        a.first.get_or_insert(start);
        a.last = Some(end);
        // A long silence splits a turn: a record after it is a new message, not more of the same.
        let continues = |t: &Turn| t.side == side && start.ts.secs_since(t.last.ts) < TURN_GAP_SECS;
        if let Some(t) = self.turns.last_mut().filter(|t| continues(t)) {
            t.last = end;
            t.records = t.records.saturating_add(1);
            t.bytes = t.bytes.saturating_add(len as u64);
        } else if self.turns.len() < MAX_TURNS {
            self.turns.push(Turn {
                side,
                first: start,
                last: end,
                records: 1,
                bytes: len as u64,
            });
        } else {
            self.turns_dropped = self.turns_dropped.saturating_add(1);
        }
    }
}

/// The record layer of one direction.
#[derive(Default)]
struct RecordReader {
    header: [u8; 5],
    header_len: usize,
    /// Body bytes still to come in the current record.
    remaining: usize,
    content_type: u8,
    record_len: usize,
    record_start: Option<Origin>,
    /// The body of the current record, when it is one we read (handshake, alert, CCS).
    body: Vec<u8>,
    /// Handshake messages that span records.
    handshake: Vec<u8>,
    /// This direction encrypts (after its ChangeCipherSpec, or TLS 1.3 after ServerHello).
    encrypted: bool,
    /// Lost the record boundaries: nothing more is read in this direction.
    dead: bool,
    records: u64,
}

/// What the decrypted application data carries (HTTP/1.1 or HTTP/2), with its own notes.
#[derive(Default)]
pub struct Inner {
    pub app: App,
    pub log: ConnLog,
}

/// TLS parser state of one connection.
#[derive(Default)]
pub struct TlsConn {
    dirs: PerSide<RecordReader>,
    pub facts: TlsFactsRaw,
    decryptor: Option<Box<TlsDecryptor>>,
    /// The application protocol inside, once records can be decrypted.
    pub inner: Option<Box<Inner>>,
    warned_decrypt_failure: PerSide<bool>,
}

impl TlsConn {
    pub fn data(
        &mut self,
        side: Side,
        mut data: &[u8],
        origin: Origin,
        notes: &mut Notes,
        env: &Env<'_>,
    ) {
        let i = side;
        while !data.is_empty() && !self.dirs[i].dead {
            let keep_app_data = self.decryptor.is_some();
            let d = &mut self.dirs[i];
            if d.header_len < 5 {
                if d.header_len == 0 {
                    d.record_start = Some(origin);
                }
                let take = fill(&mut d.header, &mut d.header_len, data);
                data = tail(data, take);
                if d.header_len < 5 {
                    return;
                }
                let h = d.header;
                let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
                let valid =
                    (CT_CCS..=CT_HEARTBEAT).contains(&h[0]) && h[1] == 3 && len <= MAX_RECORD;
                if !valid {
                    d.dead = true;
                    let what = if d.records == 0 {
                        "does not start with a TLS record"
                    } else {
                        "stops looking like TLS records"
                    };
                    notes.add(
                        "tls_unparsed",
                        format!("the {} stream {what} at frame {} (bytes {:02x?}); the rest of that direction is not read", side.as_str(), origin.frame, &h),
                        Some(origin.frame),
                    );
                    if d.records == 0 && self.facts.client_hello.is_none() {
                        self.facts.joined_mid_stream = true;
                    }
                    return;
                }
                d.content_type = h[0];
                d.record_len = len;
                d.remaining = len;
                d.body.clear();
                if len == 0 {
                    self.end_record(side, origin, notes, env);
                }
                continue;
            }
            let (taken, rest) = split(data, d.remaining);
            // Application data is skipped, not copied, unless there are keys to read it.
            if d.content_type != CT_APP_DATA || keep_app_data {
                d.body.extend_from_slice(taken);
            }
            d.remaining = d.remaining.saturating_sub(taken.len());
            data = rest;
            if d.remaining == 0 {
                self.end_record(side, origin, notes, env);
            }
        }
    }

    /// Bytes lost in the capture: inside an application-data record this is harmless (its
    /// length is known); anywhere else the record boundaries are gone.
    pub fn gap(&mut self, side: Side, len: u64, origin: Origin, notes: &mut Notes) {
        let d = &mut self.dirs[side];
        if d.dead {
            return;
        }
        let inside_body = d.header_len == 5 && (len as usize) <= d.remaining;
        if inside_body && d.content_type == CT_APP_DATA && self.decryptor.is_none() {
            d.remaining = d.remaining.saturating_sub(len as usize);
            if d.remaining == 0 {
                self.end_record(side, origin, notes, &Env::default());
            }
            return;
        }
        d.dead = true;
        notes.add(
            "gap",
            format!(
                "{len} bytes of the {} stream were not captured (frame {}): TLS record boundaries are lost, later records in that direction are not read",
                side.as_str(),
                origin.frame
            ),
            Some(origin.frame),
        );
    }

    fn end_record(&mut self, side: Side, end: Origin, notes: &mut Notes, env: &Env<'_>) {
        let i = side;
        let d = &mut self.dirs[i];
        d.header_len = 0;
        d.records = d.records.saturating_add(1);
        let start = d.record_start.unwrap_or(end);
        let ct = d.content_type;
        let header = d.header;
        let body = std::mem::take(&mut d.body);
        // A protected record we have keys for: open it and read what is inside.
        if let Some(dec) = self.decryptor.as_mut() {
            if dec.protects(side, ct) {
                match dec.open(side, &header, &body) {
                    Some((inner_type, plain)) => {
                        self.facts.decrypted_records[side] =
                            self.facts.decrypted_records[side].saturating_add(1);
                        self.plaintext(side, inner_type, plain, end, notes, env);
                        return;
                    }
                    None if !self.warned_decrypt_failure[side] => {
                        self.warned_decrypt_failure[side] = true;
                        notes.add(
                            "decrypt_failed",
                            format!("a {} record at frame {} does not decrypt with the logged keys (wrong key log, or a key the log lacks); such records are shown as encrypted", side.as_str(), end.frame),
                            Some(end.frame),
                        );
                    }
                    None => {}
                }
            }
        }
        self.keyless_record(side, ct, body, start, end, notes, env);
    }

    /// A record as seen without keys.
    #[allow(clippy::too_many_arguments)]
    fn keyless_record(
        &mut self,
        side: Side,
        ct: u8,
        body: Vec<u8>,
        start: Origin,
        end: Origin,
        notes: &mut Notes,
        env: &Env<'_>,
    ) {
        let i = side;
        let encrypted = self.dirs[i].encrypted;
        match ct {
            CT_CCS => {
                self.facts.ccs[i] = true;
                self.facts.push_event("change_cipher_spec", None, end, side);
                if let Some(dec) = self.decryptor.as_mut() {
                    dec.change_cipher_spec(side);
                }
                // TLS 1.3 sends CCS only for middlebox compatibility; its encryption began at
                // ServerHello.
                if !self.facts.is_tls13() {
                    self.dirs[i].encrypted = true;
                }
            }
            CT_ALERT => {
                // Two bytes are a plaintext alert even after the handshake turned to encryption
                // (some stacks alert before installing keys); encrypted ones carry a MAC or tag.
                let plain = body.len() == 2;
                let _ = encrypted;
                if self.facts.alerts.len() < MAX_ALERTS {
                    self.facts.alerts.push(AlertEvent {
                        side,
                        level: body.first().copied().filter(|_| plain),
                        description: body.get(1).copied().filter(|_| plain),
                        encrypted: !plain,
                        origin: end,
                    });
                }
            }
            CT_HANDSHAKE => {
                if encrypted {
                    if self
                        .facts
                        .events
                        .iter()
                        .all(|e| !(e.side == side && e.kind == "encrypted_handshake"))
                    {
                        self.facts.finished[i] = true;
                    }
                    self.facts
                        .push_event("encrypted_handshake", None, end, side);
                } else {
                    let d = &mut self.dirs[i];
                    if d.handshake.len().saturating_add(body.len()) > MAX_HANDSHAKE_MESSAGE {
                        d.dead = true;
                        notes.add("limit", format!("TLS handshake message over {MAX_HANDSHAKE_MESSAGE} bytes at frame {}: not read", end.frame), Some(end.frame));
                        return;
                    }
                    d.handshake.extend_from_slice(&body);
                    self.handshake_messages(side, end, notes, env);
                }
            }
            CT_APP_DATA => self.app_data(side, start, end),
            _ => {}
        }
        let d = &mut self.dirs[i];
        if d.encrypted && self.decryptor.is_none() {
            // Without keys an encrypted direction has no more records to read into memory:
            // free its buffers (about 1.5 KB per connection, for the rest of its life).
            if d.handshake.is_empty() {
                d.handshake = Vec::new();
            }
        } else if d.body.capacity() == 0 {
            // Give the (empty) buffer back to keep its allocation for the next record.
            d.body = body;
            d.body.clear();
        }
    }

    /// A TLS 1.3 handshake hides its later messages in application-data records: the server's
    /// flight after ServerHello, and the client's Finished (or an encrypted alert: 19 bytes).
    fn app_data(&mut self, side: Side, start: Origin, end: Origin) {
        let i = side;
        let len = self.dirs[i].record_len;
        let f = &mut self.facts;
        if f.is_tls13() && !f.finished.client {
            match side {
                Side::Server => {
                    f.push_event("encrypted_handshake", None, end, side);
                    f.finished.server = true;
                    return;
                }
                Side::Client => {
                    if len == TLS13_ENCRYPTED_ALERT_LEN {
                        if f.alerts.len() < MAX_ALERTS {
                            f.alerts.push(AlertEvent {
                                side,
                                level: None,
                                description: None,
                                encrypted: true,
                                origin: end,
                            });
                        }
                    } else {
                        f.finished.client = true;
                        f.push_event("encrypted_handshake", None, end, side);
                    }
                    return;
                }
            }
        }
        // After a TLS 1.3 handshake a record this size is an alert (close_notify, mostly):
        // two bytes of content would be an odd application write.
        if f.is_tls13() && len == TLS13_ENCRYPTED_ALERT_LEN {
            if f.alerts.len() < MAX_ALERTS {
                f.alerts.push(AlertEvent {
                    side,
                    level: None,
                    description: None,
                    encrypted: true,
                    origin: end,
                });
            }
            return;
        }
        f.app_record(side, len, start, end);
    }

    /// A decrypted record: handshake messages, an alert, or application data for the inner
    /// protocol.
    fn plaintext(
        &mut self,
        side: Side,
        ct: u8,
        plain: Vec<u8>,
        end: Origin,
        notes: &mut Notes,
        env: &Env<'_>,
    ) {
        match ct {
            CT_HANDSHAKE => {
                let d = &mut self.dirs[side];
                if d.handshake.len().saturating_add(plain.len()) > MAX_HANDSHAKE_MESSAGE {
                    d.dead = true;
                    return;
                }
                d.handshake.extend_from_slice(&plain);
                self.handshake_messages(side, end, notes, env);
            }
            CT_ALERT if self.facts.alerts.len() < MAX_ALERTS => {
                self.facts.alerts.push(AlertEvent {
                    side,
                    level: plain.first().copied(),
                    description: plain.get(1).copied(),
                    encrypted: true,
                    origin: end,
                });
            }
            CT_APP_DATA => {
                self.facts.app_record(side, plain.len(), end, end);
                let alpn = self
                    .facts
                    .server_hello
                    .as_ref()
                    .and_then(|s| s.alpn.as_deref())
                    .or(self.facts.alpn_encrypted.as_deref());
                let inner = self.inner.get_or_insert_with(|| {
                    Box::new(Inner {
                        app: App::for_alpn(alpn),
                        log: ConnLog::default(),
                    })
                });
                inner
                    .app
                    .data(side, &plain, end, &mut inner.log, &Env::default());
            }
            _ => {}
        }
    }

    /// The connection closed on `side`: an inner protocol delimited by the close ends here.
    pub fn close(&mut self, side: Side, origin: Origin) {
        if let Some(inner) = self.inner.as_mut() {
            inner.app.close(side, origin);
        }
    }

    fn handshake_messages(&mut self, side: Side, end: Origin, notes: &mut Notes, env: &Env<'_>) {
        let i = side;
        loop {
            let buf = &self.dirs[i].handshake;
            let Some(h) = array::<4>(buf, 0) else { return };
            let len = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if len.saturating_add(4) > MAX_HANDSHAKE_MESSAGE {
                self.dirs[i].dead = true;
                notes.add(
                    "limit",
                    format!(
                        "TLS handshake message claims {len} bytes at frame {}: not read",
                        end.frame
                    ),
                    Some(end.frame),
                );
                return;
            }
            let total = len.saturating_add(4);
            if buf.len() < total {
                return;
            }
            let msg: Vec<u8> = self.dirs[i].handshake.drain(..total).collect();
            self.message(side, &msg, end, notes, env);
            if self.dirs[i].dead {
                return;
            }
        }
    }

    fn message(&mut self, side: Side, msg: &[u8], end: Origin, notes: &mut Notes, env: &Env<'_>) {
        let Some(&code) = msg.first() else { return };
        let body = tail(msg, 4);
        let f = &mut self.facts;
        let mut kind = names::handshake_name(code);
        match code {
            1 => match hello::client_hello(body) {
                Some(ch) => {
                    // A second ClientHello answers a HelloRetryRequest: keep the first's offer.
                    if f.client_hello.is_none() {
                        f.client_hello = Some(ch);
                    }
                }
                None => notes.add(
                    "tls_unparsed",
                    format!("ClientHello at frame {} could not be parsed", end.frame),
                    Some(end.frame),
                ),
            },
            2 => match hello::server_hello(body) {
                Some(sh) if sh.is_hello_retry => {
                    kind = "hello_retry_request";
                    f.hello_retry = true;
                }
                Some(sh) => {
                    let tls13 = names::is_tls13(sh.version);
                    if let (Some(keys), Some(ch)) = (env.keys, f.client_hello.as_ref()) {
                        match TlsDecryptor::new(
                            sh.version,
                            sh.cipher,
                            &ch.random,
                            &sh.random,
                            keys.get(&ch.random),
                        ) {
                            Ok(d) => self.decryptor = Some(Box::new(d)),
                            Err(why) => notes.add("no_keys", no_keys_message(why), Some(end.frame)),
                        }
                    }
                    f.server_hello = Some(sh);
                    if tls13 {
                        // Everything after ServerHello is encrypted, both ways.
                        self.dirs.client.encrypted = true;
                        self.dirs.server.encrypted = true;
                        self.dirs.server.handshake.clear();
                    }
                }
                None => notes.add(
                    "tls_unparsed",
                    format!("ServerHello at frame {} could not be parsed", end.frame),
                    Some(end.frame),
                ),
            },
            6 => f.hello_retry = true,
            4 => f.new_session_ticket = true,
            8 => f.alpn_encrypted = hello::encrypted_extensions_alpn(body),
            11 => {
                f.server_sent_certificate = true;
                let parsed = if f.is_tls13() {
                    cert::leaf_certificate_13(body)
                } else {
                    cert::leaf_certificate(body)
                };
                if let Some((leaf, chain_len)) = parsed {
                    f.chain_len = chain_len;
                    f.certificate = leaf;
                }
            }
            12 | 14 => f.server_sent_certificate = true,
            20 => f.finished[side] = true,
            _ => {}
        }
        self.facts.push_event(kind, Some(code), end, side);
    }
}

fn no_keys_message(why: NoKeys) -> String {
    match why {
        NoKeys::NotLogged => "the key log has no secrets for this connection (its client random is not in it): records stay encrypted".into(),
        NoKeys::Suite(id) => format!("cipher suite {} is not one connscope decrypts (AES-GCM, ChaCha20-Poly1305 and AES-CBC with HMAC are): records stay encrypted", names::cipher_name(id)),
        NoKeys::Incomplete => "the key log lacks some secrets this connection needs (TLS 1.3 handshake or traffic secrets): records stay encrypted".into(),
        NoKeys::OldVersion => "TLS 1.0/1.1 records are not decrypted (only TLS 1.2 and 1.3)".into(),
    }
}
