//! What the rules look at: each connection reduced to times and facts that matter for "why does
//! it exist", derived from the report (so the same rules run on decrypted facts later).

use crate::report::{Connection, Side};
use std::borrow::Cow;

/// Two exchanges closer than this belong to one busy stretch: a browser sends the next queued
/// request as soon as the previous response ends, so such a gap is not idleness.
const BUSY_MERGE_SECS: f64 = 0.010;

/// How a connection's TLS handshake (or plain TCP set-up) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// Usable: TCP established (cleartext) or TLS handshake completed.
    Ready,
    /// The client gave up during the TLS handshake.
    AbortedByClient,
    /// The server refused or failed the handshake.
    AbortedByServer,
    /// RST in answer to the SYN.
    Refused,
    /// SYNs only.
    Unanswered,
    /// Still in progress when the capture ended, or seen only partly.
    Unknown,
}

/// A connection as the rules see it. One exists per connection while the rules run, so it
/// holds what they compare across connections; what a rule reads of one connection only is
/// derived from `conn` when asked.
#[derive(Debug, Clone)]
pub struct View<'a> {
    pub conn: &'a Connection,
    pub id: u32,
    pub stream: u32,
    pub tcp: bool,
    pub tls: bool,
    /// A QUIC connection (UDP flow with QUIC packets).
    pub quic: bool,
    pub host_label: Cow<'a, str>,
    pub client_ip: &'a str,
    pub server_ip: &'a str,
    pub server_port: u16,
    /// When the client started it (its SYN, else its first packet).
    pub opened: f64,
    pub opened_frame: u64,
    /// The client's SYN, when the capture has it.
    pub syn_frame: Option<u64>,
    /// When it became usable (TLS handshake done, else TCP handshake done).
    pub ready: Option<f64>,
    pub setup: Setup,
    /// Start of each request (cleartext HTTP requests, or client turns of TLS records).
    pub requests: Vec<(f64, u64)>,
    /// The requests are counted from TLS record turns (no keys): an estimate.
    pub requests_estimated: bool,
    /// Stretches with a request in flight: [first request byte, end of its response].
    pub busy: Vec<(f64, f64)>,
    /// First FIN or RST, who sent it, whether it was a RST, and its frame.
    pub closed: Option<(f64, Side, bool, u64)>,
    pub end: f64,
    /// Target of the first request, when requests are visible (cleartext or decrypted).
    pub first_target: Option<&'a str>,
    /// The last response asked to close the connection (`Connection: close` / HTTP/1.0).
    pub response_said_close: bool,
    pub resumed: Option<&'a str>,
    pub alpn: Option<&'a str>,
    pub ipv6: bool,
    /// The first response that advertised HTTP/3 (`Alt-Svc: h3=...`): its time and frame.
    pub alt_svc_h3: Option<(f64, u64)>,
}

impl<'a> View<'a> {
    pub fn from_connection(c: &'a Connection) -> View<'a> {
        let tcp = c.transport == "tcp";
        let quic = c.transport == "quic";
        let tls = c.tls.is_some();
        let name = c.host.as_deref().unwrap_or(&c.server.ip);
        let host_label: Cow<'a, str> = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        let opened = c
            .tcp
            .as_ref()
            .and_then(|t| t.syn)
            .map(|s| s.ts)
            .unwrap_or(c.start);
        let opened_frame = c
            .tcp
            .as_ref()
            .and_then(|t| t.syn)
            .map(|s| s.frame)
            .unwrap_or(c.first_frame);
        let phase_end = |kind: &str| c.phases.iter().find(|p| p.kind == kind).map(|p| p.end);
        let setup = setup_of(c);
        let ready = match setup {
            Setup::Ready => phase_end("quic_handshake")
                .or(phase_end("tls_handshake"))
                .or(phase_end("tcp_handshake"))
                .or(Some(opened)),
            _ => None,
        };
        // Exchanges from the phases: requests and busy stretches.
        let mut exchanges: Vec<(u32, f64, f64, u64)> = Vec::new();
        for p in &c.phases {
            let Some(x) = p.exchange else { continue };
            match exchanges.iter_mut().find(|e| e.0 == x) {
                Some(e) => {
                    e.1 = e.1.min(p.start);
                    e.2 = e.2.max(p.end);
                }
                None => exchanges.push((x, p.start, p.end, p.first_frame)),
            }
        }
        exchanges.sort_by(|a, b| a.1.total_cmp(&b.1));
        let requests: Vec<(f64, u64)> = exchanges.iter().map(|e| (e.1, e.3)).collect();
        let mut busy: Vec<(f64, f64)> = Vec::new();
        for e in &exchanges {
            match busy.last_mut() {
                Some(b) if e.1 - b.1 <= BUSY_MERGE_SECS => b.1 = b.1.max(e.2),
                _ => busy.push((e.1, e.2)),
            }
        }
        let closed = c.tcp.as_ref().and_then(|t| {
            [
                (t.fin_client, Side::Client, false),
                (t.fin_server, Side::Server, false),
                (t.rst_client, Side::Client, true),
                (t.rst_server, Side::Server, true),
            ]
            .into_iter()
            .filter_map(|(f, side, rst)| f.map(|f| (f.ts, side, rst, f.frame)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
        });
        // QUIC: a CONNECTION_CLOSE, when visible (QUIC has no RST; an idle timeout is silent).
        let closed = closed.or_else(|| {
            c.quic
                .as_ref()
                .and_then(|q| q.close.as_ref())
                .map(|cl| (cl.ts, cl.from, false, cl.frame))
        });
        let http = c.http.as_ref();
        let first_target = http
            .and_then(|h| h.requests.first())
            .map(|r| r.target.as_str());
        let response_said_close = http.and_then(|h| h.requests.last()).is_some_and(|r| {
            r.response_connection
                .as_deref()
                .is_some_and(|v| v.to_ascii_lowercase().contains("close"))
                || (r.response_version.as_deref() == Some("HTTP/1.0")
                    && !r
                        .response_connection
                        .as_deref()
                        .is_some_and(|v| v.to_ascii_lowercase().contains("keep-alive")))
        });
        View {
            conn: c,
            id: c.id,
            stream: c.stream,
            tcp,
            tls,
            host_label,
            client_ip: &c.client.ip,
            server_ip: &c.server.ip,
            server_port: c.server.port,
            opened,
            opened_frame,
            syn_frame: c.tcp.as_ref().and_then(|t| t.syn).map(|s| s.frame),
            ready,
            setup,
            requests_estimated: tls && http.is_none(),
            requests,
            busy,
            closed,
            end: c.end,
            first_target,
            response_said_close,
            resumed: c
                .tls
                .as_ref()
                .filter(|t| t.resumed)
                .and_then(|t| t.resumption.as_deref()),
            alpn: c.tls.as_ref().and_then(|t| t.alpn.as_deref()),
            ipv6: c.server.ip.contains(':'),
            quic,
            alt_svc_h3: http.and_then(|h| {
                h.requests.iter().find_map(|r| {
                    let a = r.alt_svc.as_deref()?;
                    advertises_h3(a).then_some((r.response_ts?, r.response_frame?))
                })
            }),
        }
    }

    /// The client sent application data: TLS application-data records, or (cleartext) any
    /// payload, readable as requests or not.
    pub fn client_sent_data(&self) -> bool {
        match &self.conn.tls {
            Some(t) => t.app_data_client.records > 0,
            None => self.conn.bytes_client > 0,
        }
    }

    /// A connection a browser would open for the web: HTTP seen on it, an HTTP ALPN offered, or
    /// a web port. Browser habits (preconnects) say nothing about IRC or SMTP.
    pub fn web(&self) -> bool {
        const WEB_PORTS: [u16; 7] = [80, 443, 8000, 8008, 8080, 8443, 8888];
        let c = self.conn;
        c.http.is_some()
            || self.quic
            || WEB_PORTS.contains(&self.server_port)
            || c.tls.as_ref().is_some_and(|t| {
                t.alpn_offered
                    .iter()
                    .any(|a| a == "h2" || a.starts_with("http/") || a.starts_with("h3"))
            })
    }

    /// Connections of one group could share requests: same client, host, port and transport
    /// (`tcp`, `tls` or `quic`: a browser keeps QUIC sessions apart from its TCP socket pool).
    pub fn group(&self) -> (&'a str, &str, u16, &'static str) {
        let transport = if self.quic {
            "quic"
        } else if self.tls {
            "tls"
        } else {
            "tcp"
        };
        (
            self.client_ip,
            &self.host_label,
            self.server_port,
            transport,
        )
    }

    /// The last 401/407 on this connection: status, response frame and time, and the target of
    /// the request it answered.
    pub fn challenge(&self) -> Option<(u16, u64, f64, &'a str)> {
        self.conn
            .http
            .as_ref()?
            .requests
            .iter()
            .rev()
            .find_map(|r| {
                let s = r.status.filter(|s| *s == 401 || *s == 407)?;
                Some((s, r.response_frame?, r.response_ts?, r.target.as_str()))
            })
    }

    /// Redirects: `Location`, response frame and time.
    pub fn redirects(&self) -> impl Iterator<Item = (&'a str, u64, f64)> + 'a {
        let requests = self.conn.http.as_ref().map_or(&[][..], |h| &h.requests[..]);
        requests
            .iter()
            .filter(|r| r.status.is_some_and(|s| (300..400).contains(&s)))
            .filter_map(|r| Some((r.location.as_deref()?, r.response_frame?, r.response_ts?)))
    }

    /// DNS answers carried by this flow that advertise HTTP/3 (HTTPS/SVCB records with `alpn`
    /// containing h3): (name, answer time, frame).
    pub fn https_records_h3(&self) -> impl Iterator<Item = (&'a str, f64, u64)> + 'a {
        let queries = self.conn.dns.as_ref().map_or(&[][..], |d| &d.queries[..]);
        queries
            .iter()
            .filter(|q| {
                q.answers.iter().any(|a| {
                    a.starts_with("HTTPS")
                        && a.split_whitespace()
                            .any(|w| w.strip_prefix("alpn=").is_some_and(advertises_h3))
                })
            })
            .filter_map(|q| Some((q.name.as_str(), q.response_ts?, q.response_frame?)))
    }

    /// Seconds between becoming usable and the first request.
    pub fn idle_before_first_request(&self) -> Option<f64> {
        Some(self.requests.first()?.0 - self.ready?)
    }

    /// A request was in flight at `t`.
    pub fn busy_at(&self, t: f64) -> bool {
        self.busy.iter().any(|&(a, b)| a <= t && t <= b)
    }

    /// A request started within `window` seconds before `t` (or is in flight at `t`).
    pub fn recently_used(&self, t: f64, window: f64) -> bool {
        self.busy.iter().any(|&(a, b)| a <= t && t - b <= window)
    }

    /// Closed (FIN or RST seen) before `t`.
    pub fn closed_before(&self, t: f64) -> bool {
        self.closed.is_some_and(|c| c.0 <= t)
    }

    /// Open (started, not yet closed) at `t`.
    pub fn open_at(&self, t: f64) -> bool {
        self.opened <= t && !self.closed_before(t)
    }

    pub fn label(&self) -> String {
        format!("#{}", self.stream)
    }
}

/// An Alt-Svc value or an `alpn` list that names HTTP/3 (`h3`, or a draft `h3-29`).
pub fn advertises_h3(v: &str) -> bool {
    v.split([',', ';', '=', ' ', '"'])
        .any(|t| t == "h3" || t.starts_with("h3-"))
}

fn setup_of(c: &Connection) -> Setup {
    if let Some(t) = &c.tcp {
        match t.close.as_ref() {
            "refused" => return Setup::Refused,
            "unanswered" => return Setup::Unanswered,
            _ => {}
        }
    }
    match &c.tls {
        Some(tls) => match tls.outcome.as_ref() {
            "completed" => Setup::Ready,
            "aborted_by_client" => Setup::AbortedByClient,
            "aborted_by_server" => Setup::AbortedByServer,
            _ => Setup::Unknown,
        },
        None => match (&c.tcp, &c.quic) {
            (Some(t), _) if t.syn_ack.is_some() || t.syn.is_none() => Setup::Ready,
            (Some(_), _) => Setup::Unknown,
            // QUIC without a readable handshake: usable once both sides sent 1-RTT packets.
            (None, Some(q))
                if q.short_header_packets_client > 0 && q.short_header_packets_server > 0 =>
            {
                Setup::Ready
            }
            (None, Some(_)) => Setup::Unknown,
            (None, None) => Setup::Ready,
        },
    }
}
