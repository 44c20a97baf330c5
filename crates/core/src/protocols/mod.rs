#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
//! Application protocols on a reassembled TCP byte stream, recognised by content (not by port):
//! TLS, HTTP/1.x, HTTP/2 in cleartext, and STARTTLS upgrades of line protocols. Each parser
//! consumes bytes as they come, keeps only what it must (a partial header, a handshake message)
//! and skips bodies and encrypted payloads without copying them.

pub mod dns;
pub mod h2;
pub mod http1;
pub mod quic;
pub mod tls;

use crate::bytes::{head, tail};
use crate::notes::Notes;
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;

/// What the parsers may consult besides the bytes: the session secrets, when given.
#[derive(Default, Clone, Copy)]
pub struct Env<'a> {
    pub keys: Option<&'a crate::decrypt::keylog::KeyLog>,
}

/// What outlives a parser switch: notes, the HTTP/1 conversation before an Upgrade or CONNECT,
/// and whether the stream was upgraded by STARTTLS.
#[derive(Default)]
pub struct ConnLog {
    pub notes: Notes,
    pub http_before: Option<Box<http1::Http1Conn>>,
    pub starttls: bool,
}

/// Bytes kept per direction while deciding what a stream carries.
const DETECT_BYTES: usize = 24;
/// Bytes a server may send before the client speaks while the protocol is still undecided.
const SERVER_FIRST_BYTES: usize = 16 * 1024;
/// A text protocol is watched for STARTTLS this far into the stream, then left alone.
const STARTTLS_WATCH_BYTES: u64 = 16 * 1024;

/// What the bytes of a connection turned out to be.
#[derive(Default)]
pub enum App {
    /// No payload yet (most connections of a SYN flood stay here: no allocation).
    #[default]
    Empty,
    Detecting(Box<Detect>),
    Tls(Box<tls::TlsConn>),
    Http(Box<http1::Http1Conn>),
    H2c(Box<h2::H2Conn>),
    /// A line protocol (SMTP, IMAP, POP3, IRC, FTP, XMPP) watched for a STARTTLS upgrade.
    Text(Box<TextWatch>),
    /// Nothing we parse: bytes are counted by the transport, not read.
    Opaque,
}

/// First bytes of each direction, until the protocol is known.
#[derive(Default)]
pub struct Detect {
    pending: PerSide<Vec<u8>>,
    first: PerSide<Option<Origin>>,
}

/// What the first bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    Tls,
    HttpRequest,
    HttpResponse,
    H2Preface,
    Text,
    Other,
    /// Too few bytes to tell.
    NeedMore,
}

const HTTP_METHODS: [&[u8]; 16] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"CONNECT ",
    b"TRACE ",
    b"PATCH ",
    b"PROPFIND ",
    b"PROPPATCH ",
    b"MKCOL ",
    b"COPY ",
    b"MOVE ",
    b"LOCK ",
    b"UNLOCK ",
];
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A TLS record header: handshake (or alert / CCS), version 3.x, sane length.
pub fn looks_like_tls(b: &[u8]) -> Guess {
    match (b.first(), b.get(1), b.get(2)) {
        (Some(t), Some(3), Some(&minor)) if (20..=23).contains(t) && minor <= 4 => Guess::Tls,
        (Some(t), Some(3) | None, None) if (20..=23).contains(t) => Guess::NeedMore,
        (None, _, _) => Guess::NeedMore,
        _ => Guess::Other,
    }
}

pub fn guess(b: &[u8]) -> Guess {
    let Some(&first) = b.first() else {
        return Guess::NeedMore;
    };
    if first == 0x16 || (first == 0x15 && b.len() >= 3) {
        match looks_like_tls(b) {
            Guess::Other => {}
            g => return g,
        }
    }
    if b.starts_with(H2_PREFACE) {
        return Guess::H2Preface;
    }
    if H2_PREFACE.starts_with(b) {
        return Guess::NeedMore;
    }
    if HTTP_METHODS.iter().any(|m| b.starts_with(m)) {
        return Guess::HttpRequest;
    }
    if b.starts_with(b"HTTP/1.") {
        return Guess::HttpResponse;
    }
    if b"HTTP/1.".starts_with(b) || HTTP_METHODS.iter().any(|m| m.starts_with(b)) {
        return Guess::NeedMore;
    }
    if b.iter()
        .take(DETECT_BYTES)
        .all(|&c| c.is_ascii_graphic() || c == b' ' || c == b'\r' || c == b'\n' || c == b'\t')
    {
        if b.len() >= 4 {
            return Guess::Text;
        }
        return Guess::NeedMore;
    }
    Guess::Other
}

impl App {
    /// The parser for what a TLS connection negotiated with ALPN (content decides otherwise).
    pub fn for_alpn(alpn: Option<&str>) -> App {
        match alpn {
            Some("h2") => App::H2c(Box::new(h2::H2Conn::prior_knowledge())),
            Some("http/1.1" | "http/1.0") => App::Http(Box::default()),
            _ => App::default(),
        }
    }

    /// Whether the protocol is still undecided.
    pub fn is_undecided(&self) -> bool {
        matches!(self, App::Empty | App::Detecting(_))
    }

    pub fn data(
        &mut self,
        side: Side,
        data: &[u8],
        origin: Origin,
        log: &mut ConnLog,
        env: &Env<'_>,
    ) {
        if data.is_empty() {
            return;
        }
        match self {
            App::Empty => {
                *self = App::Detecting(Box::default());
                self.data(side, data, origin, log, env);
            }
            App::Detecting(d) => {
                let i = side;
                d.first[i].get_or_insert(origin);
                let first_origin = d.first[i].unwrap_or(origin);
                // A server speaking first with something binary (an HTTP/2 SETTINGS frame before
                // the client's preface arrives, say) does not decide: the client's first bytes do.
                let server_first = side == Side::Server && d.pending.client.is_empty();
                let limit = if server_first {
                    SERVER_FIRST_BYTES
                } else {
                    DETECT_BYTES
                };
                let pending = &mut d.pending[i];
                let take = limit.saturating_sub(pending.len()).min(data.len());
                pending.extend_from_slice(head(data, take));
                let g = guess(pending);
                if server_first
                    && matches!(g, Guess::Other | Guess::NeedMore)
                    && pending.len() < SERVER_FIRST_BYTES
                    && take == data.len()
                {
                    return;
                }
                let next = match g {
                    Guess::NeedMore if pending.len() < DETECT_BYTES => return,
                    Guess::Tls => App::Tls(Box::default()),
                    Guess::HttpRequest | Guess::HttpResponse => App::Http(Box::default()),
                    Guess::H2Preface => App::H2c(Box::new(h2::H2Conn::prior_knowledge())),
                    Guess::Text => App::Text(Box::default()),
                    Guess::Other | Guess::NeedMore => App::Opaque,
                };
                // Replay what was held: the other direction's bytes first if they came first.
                let mine = std::mem::take(&mut d.pending[i]);
                let other_side = side.other();
                let theirs = std::mem::take(&mut d.pending[other_side]);
                let their_origin = d.first[other_side];
                *self = next;
                if let Some(o) = their_origin {
                    if !theirs.is_empty() && o.frame <= first_origin.frame {
                        self.data(other_side, &theirs, o, log, env);
                        self.data(side, &mine, first_origin, log, env);
                    } else {
                        self.data(side, &mine, first_origin, log, env);
                        self.data(other_side, &theirs, o, log, env);
                    }
                } else {
                    self.data(side, &mine, first_origin, log, env);
                }
                self.data(side, tail(data, take), origin, log, env);
            }
            App::Tls(t) => t.data(side, data, origin, &mut log.notes, env),
            App::Http(h) => {
                if let Some(switch) = h.data(side, data, origin, &mut log.notes) {
                    self.switch(switch, side, origin, log, env);
                }
            }
            App::H2c(h) => h.data(side, data, origin, &mut log.notes),
            App::Text(t) => {
                if let Some(rest_at) = t.data(side, data) {
                    log.starttls = true;
                    *self = App::Detecting(Box::default());
                    self.data(side, tail(data, rest_at), origin, log, env);
                }
            }
            App::Opaque => {}
        }
    }

    fn switch(
        &mut self,
        switch: http1::Switch,
        side: Side,
        origin: Origin,
        log: &mut ConnLog,
        env: &Env<'_>,
    ) {
        let http = std::mem::replace(self, App::Opaque);
        if let App::Http(http) = http {
            log.http_before = Some(http);
        }
        *self = match switch.to {
            http1::SwitchTo::H2c => App::H2c(Box::new(h2::H2Conn::upgraded())),
            // After CONNECT the tunnel may carry TLS: look again.
            http1::SwitchTo::Tunnel => App::Detecting(Box::default()),
            http1::SwitchTo::Opaque => App::Opaque,
        };
        self.data(side, &switch.rest, origin, log, env);
    }

    pub fn gap(&mut self, side: Side, len: u64, origin: Origin, log: &mut ConnLog) {
        match self {
            App::Empty | App::Detecting(_) => {
                log.notes.add(
                    "gap",
                    format!(
                        "{len} bytes missing at the start of the stream: protocol not identified"
                    ),
                    Some(origin.frame),
                );
                *self = App::Opaque;
            }
            App::Tls(t) => t.gap(side, len, origin, &mut log.notes),
            App::Http(h) => h.gap(side, len, origin, &mut log.notes),
            App::H2c(h) => h.gap(side, len, origin, &mut log.notes),
            App::Text(_) | App::Opaque => {}
        }
    }

    /// The side sent FIN or RST: messages delimited by the close end here.
    pub fn close(&mut self, side: Side, origin: Origin) {
        match self {
            App::Http(h) => h.close(side, origin),
            App::Tls(t) => t.close(side, origin),
            _ => {}
        }
    }
}

/// Watches a line protocol for STARTTLS (SMTP, IMAP, POP3 `STLS`, IRC, FTP `AUTH TLS`, XMPP).
#[derive(Default)]
pub struct TextWatch {
    seen: u64,
    /// The client asked to start TLS; the next TLS-looking bytes begin the handshake.
    requested: bool,
    line: Vec<u8>,
}

impl TextWatch {
    /// Returns the offset where TLS starts in `data`, if it does.
    fn data(&mut self, side: Side, data: &[u8]) -> Option<usize> {
        if self.seen > STARTTLS_WATCH_BYTES {
            return None;
        }
        self.seen = self.seen.saturating_add(data.len() as u64);
        if self.requested && side == Side::Client && looks_like_tls(data) == Guess::Tls {
            return Some(0);
        }
        if side == Side::Client {
            for &b in data {
                if b == b'\n' {
                    let line = String::from_utf8_lossy(&self.line).to_ascii_uppercase();
                    let t = line.trim();
                    if t.ends_with("STARTTLS")
                        || t == "STLS"
                        || t.starts_with("AUTH TLS")
                        || t.starts_with("AUTH SSL")
                        || t.contains("<STARTTLS")
                    {
                        self.requested = true;
                    }
                    self.line.clear();
                } else if self.line.len() < 256 {
                    self.line.push(b);
                }
            }
        }
        None
    }

    pub fn starttls_requested(&self) -> bool {
        self.requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses() {
        assert_eq!(guess(b"\x16\x03\x01\x02\x00"), Guess::Tls);
        assert_eq!(guess(b"\x16"), Guess::NeedMore);
        assert_eq!(guess(b"GE"), Guess::NeedMore);
        assert_eq!(guess(b"GET / HTTP/1.1\r\n"), Guess::HttpRequest);
        assert_eq!(guess(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Guess::H2Preface);
        assert_eq!(guess(b"PRI * HTTP/2"), Guess::NeedMore);
        assert_eq!(guess(b"HTTP/1.1 200 OK"), Guess::HttpResponse);
        assert_eq!(guess(b"220 smtp.example ESMTP"), Guess::Text);
        assert_eq!(guess(&[0, 1, 2, 3, 4]), Guess::Other);
    }
}
