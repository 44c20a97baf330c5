//! HTTP/1.x in cleartext: message heads parsed with httparse, bodies skipped by
//! Content-Length, chunked coding or connection close, responses paired with requests in order
//! (pipelining detected), and the switches out of HTTP/1: `101` upgrades and CONNECT tunnels.

use crate::bytes::{head, tail};
use crate::notes::Notes;
use crate::reassembly::Origin;
use crate::report::Side;
use crate::side::PerSide;

/// A message head larger than this is not HTTP we should buffer (real ones are a few KiB).
const MAX_HEAD: usize = 64 * 1024;
/// Exchanges kept per connection; more are counted.
const MAX_EXCHANGES: usize = 4096;
/// Request targets and header values longer than this are shortened in the report.
const MAX_TEXT: usize = 2048;

#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub version: String,
    pub start: Option<Origin>,
    pub end: Option<Origin>,
    pub connection: Option<String>,
    pub keep_alive: Option<String>,
    pub www_authenticate: Option<String>,
    pub upgrade: Option<String>,
    pub location: Option<String>,
    pub alt_svc: Option<String>,
    pub body_bytes: u64,
    /// Body bytes lost in the capture (the response was seen, its body not all of it).
    pub missing_bytes: u64,
}

/// One request and (once seen) its response.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub method: String,
    pub target: String,
    pub host: Option<String>,
    pub version: String,
    pub start: Option<Origin>,
    pub end: Option<Origin>,
    pub connection: Option<String>,
    pub authorization: Option<String>,
    pub upgrade: Option<String>,
    pub pipelined: bool,
    /// 1xx responses before the final one.
    pub interim: u32,
    pub response: Option<Response>,
}

pub enum SwitchTo {
    /// `101 Switching Protocols` to h2c.
    H2c,
    /// A CONNECT tunnel was established.
    Tunnel,
    /// Another upgrade (WebSocket, ...): not parsed further.
    Opaque,
}

/// The connection stops speaking HTTP/1; `rest` are the bytes after the switch.
pub struct Switch {
    pub to: SwitchTo,
    pub rest: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

#[derive(Default)]
struct Reader {
    head: Vec<u8>,
    head_start: Option<Origin>,
    body: Option<Body>,
    /// A chunk-size or trailer line being read.
    line: Vec<u8>,
    /// Which message the body belongs to: index into exchanges (requests) or responses.
    current: Option<Target>,
    dead: bool,
    /// Lost the message boundaries in a gap: waiting for a segment that starts a new message.
    resync: bool,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Request(usize),
    Response(usize),
    Unmatched(usize),
}

#[derive(Default)]
pub struct Http1Conn {
    dirs: PerSide<Reader>,
    pub exchanges: Vec<Exchange>,
    pub unmatched: Vec<Response>,
    pub dropped: u64,
    /// Index of the first exchange still waiting for its (final) response.
    next_response: usize,
    pub pipelined: bool,
    last_origin: PerSide<Option<Origin>>,
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    format!("{}…", &s[..end])
}

fn header<'a>(headers: &'a [httparse::Header<'a>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| clip(String::from_utf8_lossy(h.value).trim()))
}

fn has_token(value: &Option<String>, token: &str) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// First word of an auth header: the scheme, never the credentials.
fn scheme(value: Option<String>) -> Option<String> {
    value.and_then(|v| v.split_whitespace().next().map(str::to_string))
}

fn version(v: Option<u8>) -> String {
    match v {
        Some(0) => "HTTP/1.0".into(),
        _ => "HTTP/1.1".into(),
    }
}

/// How the message body is delimited (RFC 9112 §6.3).
fn body_of(headers: &[httparse::Header<'_>]) -> Option<Body> {
    let te = header(headers, "transfer-encoding");
    if te
        .as_deref()
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Some(Body::Chunked(Chunk::Size));
    }
    match header(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(0) => None,
        Some(n) => Some(Body::Length(n)),
        None => None,
    }
}

enum Parsed {
    Partial,
    Complete(usize),
    Invalid(String),
}

impl Http1Conn {
    /// Feeds bytes of one direction; returns a switch out of HTTP/1 when one happens.
    pub fn data(
        &mut self,
        side: Side,
        mut data: &[u8],
        origin: Origin,
        notes: &mut Notes,
    ) -> Option<Switch> {
        let i = side;
        self.last_origin[i] = Some(origin);
        while !data.is_empty() && !self.dirs[i].dead {
            if self.dirs[i].resync {
                // Only a segment that begins a message ends the wait: nothing inside bodies is
                // mistaken for a message start.
                let starts = match side {
                    Side::Client => super::guess(data) == super::Guess::HttpRequest,
                    Side::Server => data.starts_with(b"HTTP/1."),
                };
                if !starts {
                    return None;
                }
                self.dirs[i].resync = false;
                notes.add(
                    "resync",
                    format!(
                        "HTTP {} stream picked up again at frame {} after the lost bytes",
                        side.as_str(),
                        origin.frame
                    ),
                    Some(origin.frame),
                );
            }
            if let Some(body) = self.dirs[i].body {
                data = self.body(side, body, data, origin);
                continue;
            }
            let r = &mut self.dirs[i];
            if r.head.is_empty() {
                // Blank lines between messages are allowed (RFC 9112 §2.2).
                let skip = data
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                data = tail(data, skip);
                if data.is_empty() {
                    break;
                }
                r.head_start = Some(origin);
            }
            let before = r.head.len();
            let room = MAX_HEAD.saturating_sub(before);
            // Most heads arrive whole in one segment: parse them where they lie, and copy only
            // a head split across segments (whose buffer is then freed once it is parsed).
            let parsed = if before == 0 {
                self.head(side, head(data, room), origin)
            } else {
                r.head.extend_from_slice(head(data, room));
                let buf = std::mem::take(&mut r.head);
                let parsed = self.head(side, &buf, origin);
                self.dirs[i].head = buf;
                parsed
            };
            let r = &mut self.dirs[i];
            if before == 0 && matches!(parsed, Parsed::Partial) {
                r.head.extend_from_slice(head(data, room));
            }
            match parsed {
                Parsed::Partial if r.head.len() >= MAX_HEAD => {
                    r.dead = true;
                    notes.add(
                        "http_unparsed",
                        format!("HTTP {} head longer than {} KiB at frame {}: the rest of that direction is not read", if side == Side::Client { "request" } else { "response" }, MAX_HEAD / 1024, origin.frame),
                        Some(origin.frame),
                    );
                    return None;
                }
                Parsed::Partial => return None,
                Parsed::Invalid(why) => {
                    r.dead = true;
                    notes.add("http_unparsed", format!("not HTTP/1 at frame {} ({why}); the rest of that direction is not read", origin.frame), Some(origin.frame));
                    return None;
                }
                Parsed::Complete(n) => {
                    let used = n.saturating_sub(before);
                    r.head = Vec::new();
                    data = tail(data, used);
                    if let Some(to) = self.switch_after_head(side) {
                        return Some(Switch {
                            to,
                            rest: data.to_vec(),
                        });
                    }
                }
            }
        }
        None
    }

    /// Bytes lost in the capture.
    pub fn gap(&mut self, side: Side, len: u64, origin: Origin, notes: &mut Notes) {
        let i = side;
        let r = &mut self.dirs[i];
        if r.dead {
            return;
        }
        if r.resync {
            return;
        }
        let lost_in_body = match r.body {
            Some(Body::UntilClose) => len,
            Some(Body::Length(n)) => len.min(n),
            _ => 0,
        };
        self.add_missing(side, lost_in_body);
        let r = &mut self.dirs[i];
        match r.body {
            Some(Body::UntilClose) => return,
            Some(Body::Length(n)) if len < n => {
                r.body = Some(Body::Length(n.saturating_sub(len)));
                return;
            }
            Some(Body::Length(n)) if len == n => {
                r.body = None;
                self.message_done(side, origin);
                return;
            }
            _ => {}
        }
        // The message being read cannot be finished; wait for the next one to start.
        r.body = None;
        r.current = None;
        r.head = Vec::new();
        r.line.clear();
        r.resync = true;
        notes.add(
            "gap",
            format!("{len} bytes of the {} stream were not captured (frame {}): HTTP messages are looked for again from the next segment that starts one", side.as_str(), origin.frame),
            Some(origin.frame),
        );
    }

    fn add_missing(&mut self, side: Side, n: u64) {
        if n == 0 || side != Side::Server {
            return;
        }
        let r = match self.dirs.server.current {
            Some(Target::Response(k)) => {
                self.exchanges.get_mut(k).and_then(|e| e.response.as_mut())
            }
            Some(Target::Unmatched(k)) => self.unmatched.get_mut(k),
            _ => None,
        };
        if let Some(r) = r {
            r.missing_bytes = r.missing_bytes.saturating_add(n);
        }
    }

    /// The side closed: a body delimited by the close ends here.
    pub fn close(&mut self, side: Side, _origin: Origin) {
        let i = side;
        if self.dirs[i].body == Some(Body::UntilClose) {
            self.dirs[i].body = None;
            let last = self.last_origin[i];
            if let Some(o) = last {
                self.message_done(side, o);
            }
        }
    }

    fn body<'d>(&mut self, side: Side, body: Body, data: &'d [u8], origin: Origin) -> &'d [u8] {
        let i = side;
        let (consumed, next) = match body {
            Body::Length(n) => {
                let take = (n.min(data.len() as u64)) as usize;
                let left = n.saturating_sub(take as u64);
                (
                    take,
                    if left == 0 {
                        None
                    } else {
                        Some(Body::Length(left))
                    },
                )
            }
            Body::UntilClose => (data.len(), Some(Body::UntilClose)),
            Body::Chunked(state) => self.chunked(i, state, data),
        };
        // Chunk-size lines and trailers are framing, not body.
        let framing = matches!(
            body,
            Body::Chunked(Chunk::Size | Chunk::DataEnd | Chunk::Trailer)
        );
        if !framing {
            self.add_body_bytes(side, consumed as u64);
        }
        self.dirs[i].body = next;
        if next.is_none() {
            self.message_done(side, origin);
        }
        tail(data, consumed)
    }

    /// Advances the chunked decoder; returns bytes consumed and the next state (`None` = done).
    fn chunked(&mut self, i: Side, state: Chunk, data: &[u8]) -> (usize, Option<Body>) {
        let r = &mut self.dirs[i];
        match state {
            Chunk::Data(n) => {
                let take = (n.min(data.len() as u64)) as usize;
                let left = n.saturating_sub(take as u64);
                (
                    take,
                    Some(Body::Chunked(if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    })),
                )
            }
            Chunk::Size | Chunk::DataEnd | Chunk::Trailer => {
                let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                    if r.line.len() < 1024 {
                        r.line.extend_from_slice(data);
                    }
                    return (data.len(), Some(Body::Chunked(state)));
                };
                if r.line.len() < 1024 {
                    r.line.extend_from_slice(head(data, nl));
                }
                let line = String::from_utf8_lossy(&r.line).trim().to_string();
                r.line.clear();
                let next = match state {
                    Chunk::DataEnd => Some(Chunk::Size),
                    Chunk::Size => {
                        let hex = line.split(';').next().unwrap_or("").trim();
                        match u64::from_str_radix(hex, 16) {
                            Ok(0) => Some(Chunk::Trailer),
                            Ok(n) => Some(Chunk::Data(n)),
                            // Not chunked after all: give up on this body, it runs to the close.
                            Err(_) => return (nl.saturating_add(1), Some(Body::UntilClose)),
                        }
                    }
                    _ if line.is_empty() => None,
                    _ => Some(Chunk::Trailer),
                };
                (nl.saturating_add(1), next.map(Body::Chunked))
            }
        }
    }

    fn add_body_bytes(&mut self, side: Side, n: u64) {
        if side == Side::Server {
            if let Some(Target::Response(k)) = self.dirs.server.current {
                if let Some(r) = self.exchanges.get_mut(k).and_then(|e| e.response.as_mut()) {
                    r.body_bytes = r.body_bytes.saturating_add(n);
                }
            }
        }
    }

    fn message_done(&mut self, side: Side, origin: Origin) {
        let i = side;
        match self.dirs[i].current.take() {
            Some(Target::Request(k)) => {
                if let Some(e) = self.exchanges.get_mut(k) {
                    e.end = Some(origin);
                }
            }
            Some(Target::Response(k)) => {
                if let Some(r) = self.exchanges.get_mut(k).and_then(|e| e.response.as_mut()) {
                    r.end = Some(origin);
                }
            }
            Some(Target::Unmatched(k)) => {
                if let Some(r) = self.unmatched.get_mut(k) {
                    r.end = Some(origin);
                }
            }
            None => {}
        }
    }

    fn head(&mut self, side: Side, buf: &[u8], origin: Origin) -> Parsed {
        match side {
            Side::Client => self.request_head(buf, origin),
            Side::Server => self.response_head(buf, origin),
        }
    }

    fn request_head(&mut self, buf: &[u8], origin: Origin) -> Parsed {
        let r = &self.dirs.client;
        let mut small = [httparse::EMPTY_HEADER; 64];
        let mut big;
        let mut req = httparse::Request::new(&mut small);
        let mut status = req.parse(buf);
        if matches!(status, Err(httparse::Error::TooManyHeaders)) {
            big = vec![httparse::EMPTY_HEADER; 512];
            req = httparse::Request::new(&mut big);
            status = req.parse(buf);
        }
        let n = match status {
            Ok(httparse::Status::Partial) => return Parsed::Partial,
            Ok(httparse::Status::Complete(n)) => n,
            Err(e) => return Parsed::Invalid(e.to_string()),
        };
        let start = r.head_start.unwrap_or(origin);
        let body = body_of(req.headers);
        let pipelined = self
            .exchanges
            .iter()
            .rev()
            .any(|e| e.response.as_ref().is_none_or(|r| r.end.is_none()));
        let e = Exchange {
            method: req.method.unwrap_or("").to_string(),
            target: clip(req.path.unwrap_or("")),
            host: header(req.headers, "host"),
            version: version(req.version),
            start: Some(start),
            end: None,
            connection: header(req.headers, "connection"),
            authorization: scheme(
                header(req.headers, "authorization")
                    .or_else(|| header(req.headers, "proxy-authorization")),
            ),
            upgrade: header(req.headers, "upgrade"),
            pipelined,
            interim: 0,
            response: None,
        };
        self.pipelined |= pipelined;
        if self.exchanges.len() < MAX_EXCHANGES {
            self.exchanges.push(e);
            self.dirs.client.current =
                Some(Target::Request(self.exchanges.len().saturating_sub(1)));
        } else {
            self.dropped = self.dropped.saturating_add(1);
            self.dirs.client.current = None;
        }
        match body {
            Some(b) => self.dirs.client.body = Some(b),
            None => self.message_done(Side::Client, origin),
        }
        Parsed::Complete(n)
    }

    fn response_head(&mut self, buf: &[u8], origin: Origin) -> Parsed {
        let r = &self.dirs.server;
        let mut small = [httparse::EMPTY_HEADER; 64];
        let mut big;
        let mut resp = httparse::Response::new(&mut small);
        let mut status = resp.parse(buf);
        if matches!(status, Err(httparse::Error::TooManyHeaders)) {
            big = vec![httparse::EMPTY_HEADER; 512];
            resp = httparse::Response::new(&mut big);
            status = resp.parse(buf);
        }
        let n = match status {
            Ok(httparse::Status::Partial) => return Parsed::Partial,
            Ok(httparse::Status::Complete(n)) => n,
            Err(e) => return Parsed::Invalid(e.to_string()),
        };
        let code = resp.code.unwrap_or(0);
        let start = r.head_start.unwrap_or(origin);
        let response = Response {
            status: code,
            reason: clip(resp.reason.unwrap_or("")),
            version: version(resp.version),
            start: Some(start),
            end: None,
            connection: header(resp.headers, "connection"),
            keep_alive: header(resp.headers, "keep-alive"),
            www_authenticate: if code == 407 {
                scheme(header(resp.headers, "proxy-authenticate"))
            } else {
                scheme(header(resp.headers, "www-authenticate"))
            },
            upgrade: header(resp.headers, "upgrade"),
            location: header(resp.headers, "location"),
            alt_svc: header(resp.headers, "alt-svc"),
            body_bytes: 0,
            missing_bytes: 0,
        };
        let mut body = body_of(resp.headers);
        let close = has_token(&response.connection, "close")
            || (resp.version == Some(0) && !has_token(&response.connection, "keep-alive"));
        let request = self.exchanges.get(self.next_response);
        let method = request.map(|e| e.method.as_str()).unwrap_or("");
        if method == "HEAD" || code == 204 || code == 304 || (100..200).contains(&code) {
            body = None;
        } else if body.is_none()
            && (close
                || resp
                    .headers
                    .iter()
                    .all(|h| !h.name.eq_ignore_ascii_case("content-length")))
        {
            // No length: the body runs to the close (RFC 9112 §6.3 rule 8).
            body = Some(Body::UntilClose);
        }
        if (100..200).contains(&code) && code != 101 {
            if let Some(e) = self.exchanges.get_mut(self.next_response) {
                e.interim = e.interim.saturating_add(1);
            }
            // Counted as a response of its own only for totals; the final one follows.
            self.dirs.server.current = None;
            return Parsed::Complete(n);
        }
        match self.exchanges.get_mut(self.next_response) {
            Some(e) => {
                e.response = Some(response);
                self.dirs.server.current = Some(Target::Response(self.next_response));
                self.next_response = self.next_response.saturating_add(1);
            }
            None if self.unmatched.len() < MAX_EXCHANGES => {
                self.unmatched.push(response);
                self.dirs.server.current =
                    Some(Target::Unmatched(self.unmatched.len().saturating_sub(1)));
            }
            None => {
                self.dropped = self.dropped.saturating_add(1);
                self.dirs.server.current = None;
            }
        }
        match body {
            Some(b) => self.dirs.server.body = Some(b),
            None => self.message_done(Side::Server, origin),
        }
        Parsed::Complete(n)
    }

    /// After a response head: does the connection leave HTTP/1?
    fn switch_after_head(&mut self, side: Side) -> Option<SwitchTo> {
        if side != Side::Server {
            return None;
        }
        let e = self.exchanges.get(self.next_response.checked_sub(1)?)?;
        let r = e.response.as_ref()?;
        if r.status == 101 {
            let h2c = r
                .upgrade
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case("h2c"));
            return Some(if h2c { SwitchTo::H2c } else { SwitchTo::Opaque });
        }
        if e.method.eq_ignore_ascii_case("CONNECT") && (200..300).contains(&r.status) {
            self.dirs.server.body = None;
            return Some(SwitchTo::Tunnel);
        }
        None
    }

    /// Every response counted, interim ones included (as tshark counts them).
    pub fn response_count(&self) -> usize {
        self.exchanges
            .iter()
            .map(|e| (e.interim as usize).saturating_add(usize::from(e.response.is_some())))
            .fold(self.unmatched.len(), usize::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Ts;

    fn o(frame: u64) -> Origin {
        Origin {
            frame,
            ts: Ts::default(),
        }
    }

    #[test]
    fn keep_alive_chunked_and_pipelining() {
        let mut h = Http1Conn::default();
        let mut notes = Notes::default();
        h.data(
            Side::Client,
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            o(1),
            &mut notes,
        );
        h.data(
            Side::Server,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            o(2),
            &mut notes,
        );
        h.data(
            Side::Server,
            b"lo\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc",
            o(3),
            &mut notes,
        );
        assert_eq!(h.exchanges.len(), 2);
        assert!(h.exchanges[1].pipelined);
        let r0 = h.exchanges[0].response.as_ref().unwrap();
        assert_eq!(
            (r0.status, r0.end.unwrap().frame, r0.body_bytes),
            (200, 3, 5)
        );
        let r1 = h.exchanges[1].response.as_ref().unwrap();
        assert_eq!((r1.status, r1.end.unwrap().frame), (404, 3));
    }

    #[test]
    fn head_and_304_have_no_body_and_close_delimits() {
        let mut h = Http1Conn::default();
        let mut notes = Notes::default();
        h.data(
            Side::Client,
            b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
            o(1),
            &mut notes,
        );
        h.data(
            Side::Server,
            b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
            o(2),
            &mut notes,
        );
        h.data(Side::Client, b"GET / HTTP/1.0\r\n\r\n", o(3), &mut notes);
        h.data(
            Side::Server,
            b"HTTP/1.0 200 OK\r\n\r\nbody",
            o(4),
            &mut notes,
        );
        assert!(h.exchanges[1].response.as_ref().unwrap().end.is_none());
        h.close(Side::Server, o(5));
        assert_eq!(
            h.exchanges[1].response.as_ref().unwrap().end.unwrap().frame,
            4
        );
        assert_eq!(h.response_count(), 2);
    }

    #[test]
    fn auth_scheme_only() {
        let mut h = Http1Conn::default();
        let mut notes = Notes::default();
        h.data(
            Side::Client,
            b"GET / HTTP/1.1\r\nAuthorization: Basic dGVzdDpmYWls\r\n\r\n",
            o(1),
            &mut notes,
        );
        h.data(Side::Server, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n", o(2), &mut notes);
        assert_eq!(h.exchanges[0].authorization.as_deref(), Some("Basic"));
        assert_eq!(
            h.exchanges[0]
                .response
                .as_ref()
                .unwrap()
                .www_authenticate
                .as_deref(),
            Some("Basic")
        );
    }

    #[test]
    fn upgrade_to_h2c_switches() {
        let mut h = Http1Conn::default();
        let mut notes = Notes::default();
        h.data(
            Side::Client,
            b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
            o(1),
            &mut notes,
        );
        let s = h.data(
            Side::Server,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04",
            o(2),
            &mut notes,
        );
        let s = s.expect("switch");
        assert!(matches!(s.to, SwitchTo::H2c));
        assert_eq!(s.rest, b"\x00\x00\x00\x04");
    }
}
