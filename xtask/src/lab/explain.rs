//! From a Chromium NetLog to "why does each TCP connection exist": the mechanical rules that turn
//! NetLog events into one cause per socket. tests/lab/README.md states the same rules in prose;
//! keep the two in step.
//!
//! The model, built in one pass over the events:
//! - a **socket** (`SOCKET` source) with its TCP connect (local port = the capture's client port),
//!   TLS handshake result, `SOCKET_IN_USE` intervals and the reason the pool closed it;
//! - its **connect job** (`SSL_CONNECT_JOB` / `TRANSPORT_CONNECT_JOB`, the socket's
//!   `SOCKET_ALIVE` dependency) with the pool group (`group_id`) and whether it was created inside a
//!   preconnect (`SOCKET_POOL_CONNECTING_N_SOCKETS` of a stream job whose controller has
//!   `is_preconnect: true`);
//! - **stream jobs** (`HTTP_STREAM_JOB`) binding a socket (`SOCKET_POOL_BOUND_TO_SOCKET`) or an
//!   HTTP/2 session (`HTTP2_SESSION_POOL_*`) to a URL request (`HTTP_STREAM_JOB_BOUND_TO_REQUEST`);
//! - **requests**: each `HTTP_TRANSACTION_SEND_REQUEST_HEADERS` (HTTP/1) or
//!   `HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS` of a `URL_REQUEST`, on the socket of the stream
//!   job last bound to that URL request; the status comes from the next
//!   `HTTP_TRANSACTION_READ_RESPONSE_HEADERS`.

use super::netlog::{Event, NetLog, Phase};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One TCP connection of the capture and why Chromium opened it.
#[derive(Serialize, Clone, Debug)]
pub struct Connection {
    /// `quic` for a QUIC session (its `client_port` is then the client's UDP port); absent for
    /// TCP.
    #[serde(skip_serializing_if = "is_tcp")]
    pub transport: String,
    /// The client's TCP port: the key that ties this entry to a connection in the capture.
    pub client_port: u16,
    /// Server address as `ip:port`.
    pub server: String,
    /// Host of the URL (from the socket pool group).
    pub host: String,
    /// One id from the cause vocabulary (README "Cause vocabulary").
    pub cause: String,
    /// Which NetLog events and parameters the cause rests on.
    pub netlog_evidence: String,
    /// Set when the rules could not decide, or to say something the cause alone does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Requests Chromium sent on this connection (HTTP/1 request heads, HTTP/2 streams).
    pub requests: usize,
    /// Each request as `METHOD path -> status` in the order sent.
    pub request_list: Vec<String>,
    /// tshark's `tcp.stream` for this connection (filled in by the tshark check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_stream: Option<u64>,
    /// tshark's `udp.stream` of a QUIC session (filled in by the tshark check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp_stream: Option<u64>,
    /// Requests nginx logged for this client port (independent count from the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_requests: Option<usize>,
    /// "preconnect", "request" or "backup_job": what created the connect job.
    pub opened_by: String,
    /// URL of the preconnect's stream job controller, if `opened_by` is "preconnect".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preconnect_url: Option<String>,
    /// The socket pool group (`group_id`), e.g. `https://a.test <https://a.test same_site>`; a
    /// `pm/` prefix means privacy mode (anonymous requests).
    pub pool_group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    /// Milliseconds from the first TCP connect of the scenario (NetLog clock).
    pub opened_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_request_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<i64>,
    /// `SOCKET_POOL_CLOSING_SOCKET` reason, or the HTTP/2 session's close description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    /// NetLog source id of the socket (to find it in the NetLog viewer).
    pub netlog_socket: u64,
}

fn is_tcp(t: &str) -> bool {
    t == "tcp"
}

#[derive(Serialize, Clone, Debug)]
pub struct TlsFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// NetLog `SSL_CONNECT` `is_resumed` (TLS 1.3: PSK accepted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// Handshake error, e.g. `ERR_CERT_AUTHORITY_INVALID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Alert the client sent (`SSL_ALERT_SENT`), e.g. `fatal certificate_unknown(46)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_alert: Option<String>,
}

/// The result of reading one NetLog.
pub struct Analysis {
    pub connections: Vec<Connection>,
    /// NetLog sources worth keeping in the trimmed log.
    pub keep_sources: BTreeSet<u64>,
}

#[derive(Default, Debug)]
struct Socket {
    id: u64,
    connect_job: Option<u64>,
    alive_begin: usize,
    alive_end: Option<(usize, i64)>,
    tcp_begin: Option<(usize, i64)>,
    tcp_end: Option<(usize, i64)>,
    local_port: Option<u16>,
    remote: Option<String>,
    ssl_end: Option<(usize, i64)>,
    ssl_error: Option<i64>,
    tls_version: Option<String>,
    alpn: Option<String>,
    resumed: Option<bool>,
    alert: Option<String>,
    in_use: Vec<(usize, Option<usize>)>,
    close_reason: Option<String>,
    session: Option<u64>,
}

/// A QUIC session (`QUIC_SESSION` source): its UDP port, host and life.
#[derive(Default, Debug)]
struct QuicSession {
    id: u64,
    begin: Option<(usize, i64)>,
    end: Option<(usize, i64)>,
    host: String,
    port: i64,
    local_port: Option<u16>,
    remote: Option<String>,
    close_reason: Option<String>,
}

#[derive(Default, Debug)]
struct ConnectJob {
    begin: usize,
    created: usize,
    group: String,
    backup: bool,
}

#[derive(Default, Debug)]
struct StreamJob {
    first_idx: usize,
    /// `HTTP_STREAM_JOB` begin `type`: `main` (TCP), `alternative` (QUIC from Alt-Svc),
    /// `dns_alpn_h3` (QUIC from a DNS HTTPS record), ...; empty for preconnect jobs.
    kind: String,
    /// `BOUND_TO_QUIC_SESSION_POOL_JOB`: the QUIC session pool job this (QUIC) job waits on.
    quic_pool_job: Option<u64>,
    /// `SOCKET_POOL_BOUND_TO_CONNECT_JOB`: the connect job it waited on (a race's losing TCP
    /// job is never bound to its socket, only to the connect job that made it).
    connect_job: Option<u64>,
    controller: Option<u64>,
    socket: Option<u64>,
    session: Option<u64>,
    preconnect_group: Option<String>,
    connecting: Option<(usize, Option<usize>)>,
}

#[derive(Default, Debug, Clone)]
struct Controller {
    begin: usize,
    end: Option<usize>,
    is_preconnect: bool,
    url: String,
    allowed_bad_certs: Vec<String>,
}

#[derive(Debug, Clone)]
struct Request {
    idx: usize,
    time: i64,
    url_request: u64,
    job: Option<u64>,
    socket: Option<u64>,
    /// The QUIC session that carried it (HTTP/3).
    quic_session: Option<u64>,
    method: String,
    path: String,
    /// `Host` / `:authority` as sent.
    authority: String,
    authorization: bool,
    status: Option<u16>,
    status_idx: Option<usize>,
}

/// Builds the model and applies the rules.
pub fn analyze(log: &NetLog) -> Analysis {
    let mut sockets: HashMap<u64, Socket> = HashMap::new();
    let mut jobs: HashMap<u64, ConnectJob> = HashMap::new();
    let mut streams: HashMap<u64, StreamJob> = HashMap::new();
    let mut controllers: HashMap<u64, Controller> = HashMap::new();
    let mut sessions: HashMap<u64, (Option<u64>, Option<String>)> = HashMap::new();
    let mut requests: Vec<Request> = Vec::new();
    let mut current_job: HashMap<u64, u64> = HashMap::new();
    let mut url_of_request: HashMap<u64, String> = HashMap::new();
    let mut quic: HashMap<u64, QuicSession> = HashMap::new();
    let mut pool_session: HashMap<u64, u64> = HashMap::new();
    let mut request_quic: HashMap<u64, u64> = HashMap::new();

    for e in &log.events {
        match e.source_type.as_str() {
            "SOCKET" => socket_event(sockets.entry(e.source_id).or_default(), e),
            "SSL_CONNECT_JOB" | "TRANSPORT_CONNECT_JOB" => {
                let j = jobs.entry(e.source_id).or_default();
                if e.is("CONNECT_JOB", Phase::Begin) {
                    j.begin = e.idx;
                } else if e.name == "SOCKET_POOL_CONNECT_JOB_CREATED" {
                    j.created = e.idx;
                    j.group = e.param_str("group_id").unwrap_or("").to_string();
                    j.backup = e.param_bool("backup_job").unwrap_or(false);
                }
            }
            "HTTP_STREAM_JOB_CONTROLLER" => {
                if e.is("HTTP_STREAM_JOB_CONTROLLER", Phase::Begin) {
                    let allowed = e
                        .params
                        .get("allowed_bad_certs")
                        .and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    controllers.insert(
                        e.source_id,
                        Controller {
                            begin: e.idx,
                            end: None,
                            is_preconnect: e.param_bool("is_preconnect").unwrap_or(false),
                            url: e.param_str("url").unwrap_or("").to_string(),
                            allowed_bad_certs: allowed,
                        },
                    );
                } else if e.is("HTTP_STREAM_JOB_CONTROLLER", Phase::End) {
                    if let Some(c) = controllers.get_mut(&e.source_id) {
                        c.end = Some(e.idx);
                    }
                }
            }
            "HTTP_STREAM_JOB" => {
                let s = streams.entry(e.source_id).or_insert_with(|| StreamJob {
                    first_idx: e.idx,
                    ..Default::default()
                });
                match (e.name.as_str(), e.phase) {
                    ("HTTP_STREAM_JOB", Phase::Begin) => {
                        s.controller = e.dependency().map(|d| d.0);
                        s.kind = e.param_str("type").unwrap_or("").to_string();
                    }
                    ("BOUND_TO_QUIC_SESSION_POOL_JOB", _) => {
                        s.quic_pool_job = e.dependency().map(|d| d.0)
                    }
                    ("TCP_CLIENT_SOCKET_POOL_REQUESTED_SOCKETS", _) => {
                        s.preconnect_group = e.param_str("group_id").map(String::from)
                    }
                    ("SOCKET_POOL_CONNECTING_N_SOCKETS", Phase::Begin) => {
                        s.connecting = Some((e.idx, None))
                    }
                    ("SOCKET_POOL_CONNECTING_N_SOCKETS", Phase::End) => {
                        if let Some((b, _)) = s.connecting {
                            s.connecting = Some((b, Some(e.idx)));
                        }
                    }
                    ("SOCKET_POOL_BOUND_TO_SOCKET", _) => s.socket = e.dependency().map(|d| d.0),
                    ("SOCKET_POOL_BOUND_TO_CONNECT_JOB", _) => {
                        s.connect_job = e.dependency().map(|d| d.0)
                    }
                    ("HTTP_STREAM_JOB_BOUND_TO_REQUEST", _) => {
                        if let Some((r, _)) = e.dependency() {
                            current_job.insert(r, e.source_id);
                        }
                    }
                    (name, _) if name.starts_with("HTTP2_SESSION_POOL_") => {
                        if let Some((id, "HTTP2_SESSION")) = e.dependency() {
                            s.session = Some(id);
                        }
                    }
                    _ => {}
                }
            }
            "QUIC_SESSION" => {
                let q = quic.entry(e.source_id).or_insert_with(|| QuicSession {
                    id: e.source_id,
                    ..Default::default()
                });
                match (e.name.as_str(), e.phase) {
                    ("QUIC_SESSION", Phase::Begin) => {
                        q.begin = Some((e.idx, e.time));
                        q.host = e.param_str("host").unwrap_or("").to_string();
                        q.port = e.param_i64("port").unwrap_or(0);
                    }
                    ("QUIC_SESSION", Phase::End) => q.end = Some((e.idx, e.time)),
                    ("QUIC_SESSION_PACKET_RECEIVED", _) if q.local_port.is_none() => {
                        q.local_port = e
                            .param_str("self_address")
                            .and_then(|a| a.rsplit(':').next())
                            .and_then(|p| p.parse().ok());
                        q.remote = e.param_str("peer_address").map(String::from);
                    }
                    ("QUIC_SESSION_CLOSED", _) if q.close_reason.is_none() => {
                        q.close_reason = e.param_str("details").map(String::from);
                    }
                    _ => {}
                }
            }
            t if t.starts_with("QUIC_SESSION_POOL")
                && t.ends_with("JOB")
                && e.name == "QUIC_SESSION_CREATED" =>
            {
                if let Some((session, _)) = e.dependency() {
                    pool_session.insert(e.source_id, session);
                }
            }
            "HTTP2_SESSION" => {
                let s = sessions.entry(e.source_id).or_default();
                if e.name == "HTTP2_SESSION_INITIALIZED" {
                    s.0 = e.dependency().map(|d| d.0);
                } else if e.name == "HTTP2_SESSION_CLOSE" {
                    s.1 = e
                        .param_str("description")
                        .map(|d| format!("HTTP/2 session closed: {d}"));
                } else if e.name == "HTTP2_SESSION_RECV_GOAWAY" && s.1.is_none() {
                    s.1 = Some("HTTP/2 GOAWAY received".into());
                }
            }
            "URL_REQUEST" => match e.name.as_str() {
                "HTTP_STREAM_REQUEST_BOUND_TO_QUIC_SESSION" => {
                    if let Some((session, _)) = e.dependency() {
                        request_quic.insert(e.source_id, session);
                    }
                }
                "REQUEST_ALIVE" if e.phase == Phase::Begin => {
                    url_of_request
                        .insert(e.source_id, e.param_str("url").unwrap_or("").to_string());
                }
                "HTTP_TRANSACTION_SEND_REQUEST_HEADERS"
                | "HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS"
                | "HTTP_TRANSACTION_QUIC_SEND_REQUEST_HEADERS" => {
                    let (method, path, authority, authorization) = request_head(e);
                    requests.push(Request {
                        idx: e.idx,
                        time: e.time,
                        url_request: e.source_id,
                        job: current_job.get(&e.source_id).copied(),
                        socket: None,
                        quic_session: None,
                        method,
                        path,
                        authority,
                        authorization,
                        status: None,
                        status_idx: None,
                    });
                }
                "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" => {
                    if let Some(r) = requests
                        .iter_mut()
                        .rev()
                        .find(|r| r.url_request == e.source_id)
                    {
                        if r.status.is_none() {
                            r.status = response_status(e);
                            r.status_idx = Some(e.idx);
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    // Resolve each request's socket: the stream job's socket, or the socket under its HTTP/2 session.
    for r in &mut requests {
        let Some(job) = r.job.and_then(|j| streams.get(&j)) else {
            r.quic_session = request_quic.get(&r.url_request).copied();
            continue;
        };
        r.socket = job
            .socket
            .or_else(|| job.session.and_then(|s| sessions.get(&s)).and_then(|s| s.0));
        if r.socket.is_none() {
            r.quic_session = request_quic.get(&r.url_request).copied().or_else(|| {
                job.quic_pool_job
                    .and_then(|p| pool_session.get(&p))
                    .copied()
            });
        }
        if let (Some(sock), Some(session)) = (r.socket, job.session) {
            if let Some(s) = sockets.get_mut(&sock) {
                s.session = Some(session);
            }
        }
    }
    for (sid, (sock, reason)) in &sessions {
        if let Some(s) = sock.and_then(|id| sockets.get_mut(&id)) {
            s.session = Some(*sid);
            if reason.is_some() {
                s.close_reason = reason.clone();
            }
        }
    }
    // A preconnect stream job has no HTTP_STREAM_JOB event naming its controller: take the
    // preconnect controller open when the job logged its first event.
    for s in streams.values_mut() {
        if s.controller.is_none() && s.preconnect_group.is_some() {
            s.controller = controllers
                .iter()
                .filter(|(_, c)| {
                    c.is_preconnect
                        && c.begin < s.first_idx
                        && c.end.is_none_or(|end| end > s.first_idx)
                })
                .max_by_key(|(_, c)| c.begin)
                .map(|(id, _)| *id);
        }
    }

    // Only sockets whose TCP connect succeeded are in the capture.
    let mut socks: Vec<&Socket> = sockets
        .values()
        .filter(|s| s.local_port.is_some())
        .collect();
    socks.sort_by_key(|s| s.tcp_begin.map(|t| t.0).unwrap_or(s.alive_begin));
    let t0 = socks
        .iter()
        .filter_map(|s| s.tcp_begin.map(|t| t.1))
        .min()
        .unwrap_or(0);

    // QUIC sessions that exchanged packets (the capture has them as UDP flows), and the pool jobs
    // that created them: a QUIC job whose pool job made no such session raced nothing visible.
    let mut quics: Vec<&QuicSession> = quic
        .values()
        .filter(|q| q.local_port.is_some() && q.begin.is_some())
        .collect();
    quics.sort_by_key(|q| q.begin.map(|b| b.0));
    let live_pool_jobs: BTreeSet<u64> = pool_session
        .iter()
        .filter(|(_, sess)| quics.iter().any(|q| q.id == **sess))
        .map(|(job, _)| *job)
        .collect();
    let ctx = Ctx {
        live_pool_jobs: &live_pool_jobs,
        log,
        sockets: &socks,
        jobs: &jobs,
        streams: &streams,
        controllers: &controllers,
        requests: &requests,
    };
    let mut connections: Vec<Connection> = socks.iter().map(|s| ctx.explain(s, t0)).collect();
    for q in &quics {
        connections.push(ctx.explain_quic(q, &quics, &pool_session, t0));
    }
    // Stable: TCP entries keep their order; QUIC sessions go where they opened.
    connections.sort_by_key(|c| c.opened_ms);

    // Sources for the trimmed log: the sockets, their connect jobs and sessions, the stream jobs that
    // touched them or their groups, those jobs' controllers, and the URL requests they served.
    let groups: BTreeSet<&str> = socks
        .iter()
        .filter_map(|s| s.connect_job.and_then(|j| jobs.get(&j)))
        .map(|j| j.group.as_str())
        .collect();
    let mut keep = BTreeSet::new();
    for s in &socks {
        keep.insert(s.id);
        keep.extend(s.connect_job);
        keep.extend(s.session);
    }
    let kept_sockets: BTreeSet<u64> = socks.iter().map(|s| s.id).collect();
    let kept_sessions: BTreeSet<u64> = socks.iter().filter_map(|s| s.session).collect();
    for (id, j) in &streams {
        let touches = j.socket.is_some_and(|s| kept_sockets.contains(&s))
            || j.session.is_some_and(|s| kept_sessions.contains(&s))
            || j.preconnect_group
                .as_deref()
                .is_some_and(|g| groups.contains(g));
        if touches {
            keep.insert(*id);
            keep.extend(j.controller);
        }
    }
    for r in &requests {
        if r.socket.is_some_and(|s| kept_sockets.contains(&s)) || r.quic_session.is_some() {
            keep.insert(r.url_request);
        }
    }
    // QUIC: the sessions, the pool jobs that created them, the stream jobs bound to those pool
    // jobs (alternative jobs), and every job of those jobs' controllers (the racing main jobs).
    let kept_pool_jobs = &live_pool_jobs;
    keep.extend(quics.iter().map(|q| q.id));
    keep.extend(kept_pool_jobs.iter().copied());
    let racing: BTreeSet<u64> = streams
        .values()
        .filter(|j| j.quic_pool_job.is_some_and(|p| kept_pool_jobs.contains(&p)))
        .filter_map(|j| j.controller)
        .collect();
    for (id, j) in &streams {
        if j.quic_pool_job.is_some_and(|p| kept_pool_jobs.contains(&p))
            || j.controller.is_some_and(|c| racing.contains(&c))
        {
            keep.insert(*id);
            keep.extend(j.controller);
        }
    }
    for (url_request, job) in &current_job {
        if keep.contains(job) {
            keep.insert(*url_request);
        }
    }
    Analysis {
        connections,
        keep_sources: keep,
    }
}

fn socket_event(s: &mut Socket, e: &Event) {
    s.id = e.source_id;
    match (e.name.as_str(), e.phase) {
        ("SOCKET_ALIVE", Phase::Begin) => {
            s.alive_begin = e.idx;
            s.connect_job = e.dependency().map(|d| d.0);
        }
        ("SOCKET_ALIVE", Phase::End) => s.alive_end = Some((e.idx, e.time)),
        ("TCP_CONNECT", Phase::Begin) => s.tcp_begin = Some((e.idx, e.time)),
        ("TCP_CONNECT", Phase::End) => {
            s.tcp_end = Some((e.idx, e.time));
            s.local_port = e
                .param_str("local_address")
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok());
            s.remote = e.param_str("remote_address").map(String::from);
        }
        ("SSL_CONNECT", Phase::End) => {
            s.ssl_end = Some((e.idx, e.time));
            s.ssl_error = e.net_error();
            s.tls_version = e.param_str("version").map(String::from);
            s.alpn = e.param_str("next_proto").map(String::from);
            s.resumed = e.param_bool("is_resumed");
        }
        ("SSL_ALERT_SENT", _) => s.alert = e.param_str("bytes").map(describe_alert),
        ("SOCKET_IN_USE", Phase::Begin) => s.in_use.push((e.idx, None)),
        ("SOCKET_IN_USE", Phase::End) => {
            if let Some(last) = s.in_use.last_mut() {
                last.1 = Some(e.idx);
            }
        }
        ("SOCKET_POOL_CLOSING_SOCKET", _) if s.close_reason.is_none() => {
            s.close_reason = e.param_str("reason").map(String::from);
        }
        _ => {}
    }
}

/// Method, path, authority and whether an Authorization header was sent.
fn request_head(e: &Event) -> (String, String, String, bool) {
    let headers: Vec<&str> = e
        .params
        .get("headers")
        .and_then(|h| h.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    // "Name: value" (HTTP/1, any case) or ":name: value" (HTTP/2 pseudo-headers).
    let header = |name: &str| {
        headers.iter().find_map(|h| {
            let split_at = match h.strip_prefix(':') {
                Some(rest) => rest.find(':')? + 1,
                None => h.find(':')?,
            };
            let (n, v) = h.split_at(split_at);
            n.eq_ignore_ascii_case(name)
                .then(|| v[1..].trim().to_string())
        })
    };
    let auth = header("authorization").is_some();
    if let Some(line) = e.param_str("line") {
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("?").to_string();
        let path = parts.next().unwrap_or("?").to_string();
        return (method, path, header("host").unwrap_or_default(), auth);
    }
    let get = |name: &str| header(name).unwrap_or_else(|| "?".into());
    (
        get(":method"),
        get(":path"),
        header(":authority").unwrap_or_default(),
        auth,
    )
}

fn response_status(e: &Event) -> Option<u16> {
    let first = e.params.get("headers")?.as_array()?.first()?.as_str()?;
    first.split_whitespace().nth(1)?.parse().ok()
}

/// `SSL_ALERT_SENT` carries the two alert bytes in base64.
fn describe_alert(b64: &str) -> String {
    let bytes = base64_decode(b64);
    match bytes.as_slice() {
        [level, desc, ..] => {
            let level = if *level == 2 { "fatal" } else { "warning" };
            let name = match desc {
                0 => "close_notify",
                40 => "handshake_failure",
                42 => "bad_certificate",
                43 => "unsupported_certificate",
                44 => "certificate_revoked",
                45 => "certificate_expired",
                46 => "certificate_unknown",
                48 => "unknown_ca",
                50 => "decode_error",
                51 => "decrypt_error",
                70 => "protocol_version",
                80 => "internal_error",
                90 => "user_canceled",
                _ => "alert",
            };
            format!("{level} {name}({desc})")
        }
        _ => format!("alert bytes {b64}"),
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// `https://a.test <https://a.test same_site>` → ("https://a.test", "a.test", privacy prefix).
fn parse_group(group: &str) -> (String, String, String) {
    let first = group.split(' ').next().unwrap_or("");
    let (prefix, dest) = match first.find("://") {
        Some(scheme_at) => match first[..scheme_at].rfind('/') {
            Some(slash) => (&first[..slash], &first[slash + 1..]),
            None => ("", first),
        },
        None => ("", first),
    };
    let host_port = dest.split("://").nth(1).unwrap_or(dest);
    let host = if host_port.starts_with('[') {
        host_port
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
            .to_string()
    } else {
        host_port.split(':').next().unwrap_or("").to_string()
    };
    (dest.to_string(), host, prefix.to_string())
}

struct Ctx<'a> {
    /// QUIC session pool jobs whose session is in the capture.
    live_pool_jobs: &'a BTreeSet<u64>,
    log: &'a NetLog,
    sockets: &'a [&'a Socket],
    jobs: &'a HashMap<u64, ConnectJob>,
    streams: &'a HashMap<u64, StreamJob>,
    controllers: &'a HashMap<u64, Controller>,
    requests: &'a [Request],
}

/// How a connect job came to be.
enum Opener {
    /// Created inside a preconnect stream job's `SOCKET_POOL_CONNECTING_N_SOCKETS`.
    Preconnect {
        url: String,
    },
    Backup,
    Request,
}

impl Ctx<'_> {
    fn group(&self, s: &Socket) -> &str {
        s.connect_job
            .and_then(|j| self.jobs.get(&j))
            .map(|j| j.group.as_str())
            .unwrap_or("")
    }

    /// Position at which the socket's connect job began: "when it was opened" for every comparison.
    fn t_open(&self, s: &Socket) -> usize {
        s.connect_job
            .and_then(|j| self.jobs.get(&j))
            .map(|j| j.begin)
            .unwrap_or(s.alive_begin)
    }

    fn connected_idx(&self, s: &Socket) -> Option<usize> {
        match s.ssl_end {
            Some((idx, _)) => s.ssl_error.is_none().then_some(idx),
            None => s.tcp_end.map(|t| t.0),
        }
    }

    fn opener(&self, s: &Socket) -> Opener {
        let Some(job) = s.connect_job.and_then(|j| self.jobs.get(&j)) else {
            return Opener::Request;
        };
        for st in self.streams.values() {
            let (Some(group), Some((b, e))) = (&st.preconnect_group, st.connecting) else {
                continue;
            };
            if *group == job.group && b < job.created && e.is_none_or(|e| job.created < e) {
                let url = st
                    .controller
                    .and_then(|c| self.controllers.get(&c))
                    .map(|c| c.url.clone())
                    .unwrap_or_default();
                return Opener::Preconnect { url };
            }
        }
        if job.backup {
            Opener::Backup
        } else {
            Opener::Request
        }
    }

    fn requests_on(&self, s: &Socket) -> Vec<&Request> {
        self.requests
            .iter()
            .filter(|r| r.socket == Some(s.id))
            .collect()
    }

    fn port(&self, s: &Socket) -> String {
        s.local_port
            .map(|p| p.to_string())
            .unwrap_or_else(|| "?".into())
    }

    /// The controllers that raced QUIC against this TCP socket: a `main` stream job bound the
    /// socket, and the same controller had a QUIC job (`alternative` / `dns_alpn_h3`) waiting on
    /// a QUIC session pool job.
    fn race_for_socket(&self, s: &Socket) -> Option<String> {
        self.streams.iter().find_map(|(id, j)| {
            let bound = j.socket == Some(s.id);
            let waited = s.connect_job.is_some() && j.connect_job == s.connect_job;
            if !(bound || waited) || j.kind != "main" {
                return None;
            }
            let c = j.controller?;
            let (alt_id, alt) = self.streams.iter().find(|(_, o)| {
                o.controller == Some(c)
                    && o.quic_pool_job.is_some_and(|p| self.live_pool_jobs.contains(&p))
                    && (o.kind == "alternative" || o.kind == "dns_alpn_h3")
            })?;
            let url = self.controllers.get(&c).map(|c| c.url.as_str()).unwrap_or("");
            Some(format!(
                "HTTP_STREAM_JOB {id} type=main {} this socket; its controller {c} ({url}) also ran \
                 HTTP_STREAM_JOB {alt_id} type={} (BOUND_TO_QUIC_SESSION_POOL_JOB {}): TCP and QUIC \
                 raced, {} won",
                if bound { "bound (SOCKET_POOL_BOUND_TO_SOCKET)" } else { "waited on the connect job of (SOCKET_POOL_BOUND_TO_CONNECT_JOB)" },
                alt.kind,
                alt.quic_pool_job.unwrap_or(0),
                if bound { "TCP" } else { "QUIC" }
            ))
        })
    }

    /// The controller of the `main` job that bound this socket logged
    /// `HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND` with `is_broken: true`.
    fn fallback_for_socket(&self, s: &Socket) -> Option<String> {
        self.streams.iter().find_map(|(id, j)| {
            if j.socket != Some(s.id) || j.kind != "main" {
                return None;
            }
            let c = j.controller?;
            self.log.events.iter().find_map(|e| {
                (e.source_id == c
                    && e.name == "HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND"
                    && e.param_bool("is_broken") == Some(true))
                .then(|| {
                    format!(
                        "HTTP_STREAM_JOB {id} type=main bound this socket; its controller {c} logged \
                         HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND alt_svc \"{}\" is_broken true: \
                         QUIC had failed, TCP only",
                        e.param_str("alt_svc").unwrap_or("")
                    )
                })
            })
        })
    }

    /// A QUIC session: why it exists.
    /// Q1: the first QUIC session to its host, created for a QUIC job that an Alt-Svc
    /// (`HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND`) or a DNS HTTPS record started →
    /// `protocol_switch`. Q2: a request's controller raced a TCP main job against it →
    /// `protocol_race`. Q3: an earlier QUIC session to the host had ended → `replaces_closed`.
    /// Otherwise `unknown`.
    fn explain_quic(
        &self,
        q: &QuicSession,
        all: &[&QuicSession],
        pool_session: &HashMap<u64, u64>,
        t0: i64,
    ) -> Connection {
        let rel = |t: i64| t - t0;
        let begin = q.begin.map(|b| b.0).unwrap_or(0);
        let pool_jobs: Vec<u64> = pool_session
            .iter()
            .filter(|(_, s)| **s == q.id)
            .map(|(j, _)| *j)
            .collect();
        // The QUIC stream jobs that waited on this session's pool job, and their controllers.
        let jobs: Vec<(&u64, &StreamJob)> = self
            .streams
            .iter()
            .filter(|(_, j)| j.quic_pool_job.is_some_and(|p| pool_jobs.contains(&p)))
            .collect();
        let controllers: BTreeSet<u64> = jobs.iter().filter_map(|(_, j)| j.controller).collect();
        let first_ctrl = jobs
            .iter()
            .min_by_key(|(_, j)| j.first_idx)
            .and_then(|(_, j)| j.controller)
            .and_then(|c| self.controllers.get(&c));
        let alt_svc: Option<String> = controllers.iter().find_map(|c| {
            self.log.events.iter().find_map(|e| {
                (e.source_id == *c && e.name == "HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND")
                    .then(|| e.param_str("alt_svc").unwrap_or("").to_string())
            })
        });
        let dns_alpn = jobs.iter().any(|(_, j)| j.kind == "dns_alpn_h3");
        let earlier: Vec<&&QuicSession> = all
            .iter()
            .filter(|o| {
                o.id != q.id && o.host == q.host && o.begin.map(|b| b.0).unwrap_or(0) < begin
            })
            .collect();
        let race = controllers.iter().find_map(|c| {
            self.streams
                .iter()
                .find(|(_, j)| {
                    j.controller == Some(*c)
                        && j.kind == "main"
                        && (j.socket.is_some() || j.connect_job.is_some())
                })
                .map(|(id, j)| (*c, *id, j.socket.or(j.connect_job).unwrap_or(0)))
        });
        let reqs: Vec<&Request> = self
            .requests
            .iter()
            .filter(|r| r.quic_session == Some(q.id))
            .collect();
        let failed = q
            .close_reason
            .as_deref()
            .filter(|d| d.contains("TLS handshake failure"));
        let (cause, evidence, note) = if let Some(d) = failed {
            // Q0: the QUIC handshake failed (as R1 for TCP).
            (
                if d.contains("CERTIFICATE_VERIFY_FAILED") || d.contains("certificate") {
                    "cert_rejected"
                } else {
                    "handshake_failed"
                },
                format!("QUIC_SESSION_CLOSED details \"{d}\""),
                None,
            )
        } else if earlier.is_empty() && (alt_svc.is_some() || dns_alpn) {
            (
                "protocol_switch",
                match &alt_svc {
                    Some(a) => format!(
                        "first QUIC_SESSION to {}; its QUIC job's controller logged \
                         HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND alt_svc \"{a}\"",
                        q.host
                    ),
                    None => format!("first QUIC_SESSION to {}; created for a dns_alpn_h3 job (DNS HTTPS record)", q.host),
                },
                race.map(|(c, j, sock)| {
                    format!("controller {c} raced it against TCP: main job {j} (socket / connect job {sock})")
                }),
            )
        } else if let Some((c, j, sock)) = race {
            (
                "protocol_race",
                format!(
                    "controller {c} ran a QUIC job on this session and HTTP_STREAM_JOB {j} type=main \
                     (TCP socket / connect job {sock})"
                ),
                None,
            )
        } else if let Some(prev) = earlier
            .iter()
            .filter(|o| o.end.is_some_and(|e| e.0 < begin))
            .max_by_key(|o| o.end.map(|e| e.0))
        {
            (
                "replaces_closed",
                format!(
                    "QUIC_SESSION {} to {} ended before this one began",
                    prev.id, q.host
                ),
                None,
            )
        } else {
            (
                "unknown",
                "no rule matched".to_string(),
                Some("QUIC session with no visible reason".into()),
            )
        };
        let request_list: Vec<String> = reqs
            .iter()
            .map(|r| {
                let status = r
                    .status
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "no response".into());
                format!("{} {} -> {status}", r.method, r.path)
            })
            .collect();
        Connection {
            transport: "quic".into(),
            client_port: q.local_port.unwrap_or(0),
            server: q.remote.clone().unwrap_or_default(),
            host: q.host.clone(),
            cause: cause.to_string(),
            netlog_evidence: evidence,
            note,
            requests: reqs.len(),
            request_list,
            tcp_stream: None,
            udp_stream: None,
            server_requests: None,
            opened_by: if first_ctrl.is_some_and(|c| c.is_preconnect) {
                "preconnect"
            } else {
                "request"
            }
            .to_string(),
            preconnect_url: first_ctrl
                .filter(|c| c.is_preconnect)
                .map(|c| c.url.clone()),
            pool_group: format!("quic://{}:{}", q.host, q.port),
            tls: Some(TlsFacts {
                version: Some("TLS 1.3".into()),
                alpn: None,
                resumed: None,
                error: None,
                client_alert: None,
            }),
            opened_ms: rel(q.begin.map(|b| b.1).unwrap_or(t0)),
            connected_ms: None,
            first_request_ms: reqs.first().map(|r| rel(r.time)),
            closed_ms: q.end.map(|e| rel(e.1)),
            close_reason: q.close_reason.clone(),
            netlog_socket: q.id,
        }
    }

    fn explain(&self, s: &Socket, t0: i64) -> Connection {
        let group = self.group(s).to_string();
        let (_dest, host, _privacy) = parse_group(&group);
        let reqs = self.requests_on(s);
        let opener = self.opener(s);
        let (cause, evidence, note) = self.cause(s, &group, &reqs, &opener);
        let rel = |t: i64| t - t0;
        let tls = s.ssl_end.map(|_| TlsFacts {
            version: s.tls_version.clone(),
            alpn: s.alpn.clone(),
            resumed: s.resumed,
            error: s.ssl_error.map(|e| self.log.error_name(e)),
            client_alert: s.alert.clone(),
        });
        let connected = match (s.ssl_end, s.ssl_error) {
            (Some((_, t)), None) => Some(rel(t)),
            (Some(_), Some(_)) => None,
            (None, _) => s.tcp_end.map(|t| rel(t.1)),
        };
        let request_list: Vec<String> = reqs
            .iter()
            .map(|r| {
                let status = r
                    .status
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "no response".into());
                let auth = if r.authorization {
                    " [Authorization]"
                } else {
                    ""
                };
                // Another host on this connection (HTTP/2 coalescing): say which.
                let other = if r.authority.is_empty()
                    || r.authority == host
                    || r.authority.starts_with(&format!("{host}:"))
                {
                    String::new()
                } else {
                    format!("//{}", r.authority)
                };
                format!("{} {other}{}{auth} -> {status}", r.method, r.path)
            })
            .collect();
        Connection {
            transport: "tcp".into(),
            client_port: s.local_port.unwrap_or(0),
            server: s.remote.clone().unwrap_or_default(),
            host,
            cause: cause.to_string(),
            netlog_evidence: evidence,
            note,
            requests: reqs.len(),
            request_list,
            tcp_stream: None,
            udp_stream: None,
            server_requests: None,
            opened_by: match &opener {
                Opener::Preconnect { .. } => "preconnect",
                Opener::Backup => "backup_job",
                Opener::Request => "request",
            }
            .to_string(),
            preconnect_url: match &opener {
                Opener::Preconnect { url } => Some(url.clone()),
                _ => None,
            },
            pool_group: group,
            tls,
            opened_ms: rel(s.tcp_begin.map(|t| t.1).unwrap_or(t0)),
            connected_ms: connected,
            first_request_ms: reqs.first().map(|r| rel(r.time)),
            closed_ms: s.alive_end.map(|t| rel(t.1)),
            close_reason: s.close_reason.clone(),
            netlog_socket: s.id,
        }
    }

    /// The rules, in priority order (README "NetLog → cause rules" numbers them the same way).
    fn cause(
        &self,
        s: &Socket,
        group: &str,
        reqs: &[&Request],
        opener: &Opener,
    ) -> (&'static str, String, Option<String>) {
        let t_open = self.t_open(s);
        let err = |code: i64| self.log.error_name(code);

        // R1: the TLS handshake failed.
        if let Some(code) = s.ssl_error {
            let alert = s
                .alert
                .as_deref()
                .map(|a| format!(", SSL_ALERT_SENT {a}"))
                .unwrap_or_default();
            if (-299..=-200).contains(&code) {
                let when = match opener {
                    Opener::Preconnect { url } => format!("connect job from a preconnect ({url})"),
                    _ => "connect job for a request".to_string(),
                };
                return (
                    "cert_rejected",
                    format!("SSL_CONNECT ended with {}{alert}; {when}", err(code)),
                    None,
                );
            }
            return (
                "handshake_failed",
                format!("SSL_CONNECT ended with {}{alert}", err(code)),
                None,
            );
        }

        // R1b: bound by the main (TCP) job of a request whose controller also ran an
        // alternative (QUIC) job: QUIC and TCP raced for that request.
        if let Some(ev) = self.race_for_socket(s) {
            return ("protocol_race", ev, None);
        }

        // R1c: the request's controller found Alt-Svc marked broken (QUIC failed before), so it
        // ran the TCP job alone: a fallback from QUIC.
        if let Some(ev) = self.fallback_for_socket(s) {
            return ("protocol_switch", ev, None);
        }

        // R2: never carried a request.
        if reqs.is_empty() {
            let why = match opener {
                Opener::Preconnect { url } => format!(
                    "connect job created inside SOCKET_POOL_CONNECTING_N_SOCKETS of a preconnect \
                     (HTTP_STREAM_JOB_CONTROLLER is_preconnect, url {url})"
                ),
                Opener::Backup => {
                    "backup connect job (SOCKET_POOL_CONNECT_JOB_CREATED backup_job)".into()
                }
                Opener::Request => {
                    "connect job for a request that was served by another socket".into()
                }
            };
            let closed = s
                .close_reason
                .as_deref()
                .map(|r| format!("; closed: \"{r}\""))
                .unwrap_or_default();
            return (
                "speculative_unused",
                format!("{why}; no request was ever sent on it{closed}"),
                None,
            );
        }
        let first = reqs[0];
        let first_url = self.url_of(first);

        // R3: preconnected, and the first request to use it is not the one the preconnect was for.
        let mut preconnect_note = None;
        if let Opener::Preconnect { url } = opener {
            let idle = self.connected_idx(s).map(|_| {
                let connected_t = s.ssl_end.or(s.tcp_end).map(|t| t.1).unwrap_or(first.time);
                first.time - connected_t
            });
            if *url != first_url {
                let repeat = self.challenge_before(first).map(|(status, other)| {
                    format!(
                        "its first request repeats one that got {status} on port {other}: the retry took this \
                         idle preconnected socket, no new connection was opened for it"
                    )
                });
                return (
                    "speculative_used_later",
                    format!(
                        "connect job created by a preconnect (HTTP_STREAM_JOB_CONTROLLER is_preconnect, url {url}); \
                         idle {} ms after the handshake, then first used by {} {}",
                        idle.unwrap_or(0),
                        first.method,
                        first_url
                    ),
                    repeat,
                );
            }
            preconnect_note = Some(format!(
                "the connect job came from the navigation's own preconnect (is_preconnect, url {url} = the \
                 first request's URL), so it is judged as opened by that request"
            ));
        }

        // Sockets of the same pool group opened before this one.
        let earlier: Vec<&&Socket> = self
            .sockets
            .iter()
            .filter(|o| o.id != s.id && self.group(o) == group && self.t_open(o) < t_open)
            .collect();

        // R4: retry after rejected certificate handshakes.
        let rejected: Vec<&&Socket> = earlier
            .iter()
            .copied()
            .filter(|o| o.ssl_error.is_some_and(|c| (-299..=-200).contains(&c)))
            .collect();
        if let Some(last_rejected) = rejected.iter().max_by_key(|o| self.t_open(o)) {
            let success_between = earlier.iter().any(|o| {
                o.ssl_end.is_some()
                    && o.ssl_error.is_none()
                    && self.t_open(o) > self.t_open(last_rejected)
            });
            if !success_between {
                let allowed = first
                    .job
                    .and_then(|j| self.streams.get(&j))
                    .and_then(|j| j.controller)
                    .and_then(|c| self.controllers.get(&c))
                    .map(|c| c.allowed_bad_certs.clone())
                    .unwrap_or_default();
                let mut times: Vec<i64> = rejected
                    .iter()
                    .filter_map(|o| o.tcp_begin.map(|t| t.1))
                    .collect();
                times.push(s.tcp_begin.map(|t| t.1).unwrap_or(0));
                times.sort_unstable();
                let pause = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
                let ports: Vec<String> = rejected.iter().map(|o| self.port(o)).collect();
                let code = rejected[0].ssl_error.unwrap_or(0);
                return (
                    "retry_after_cert_warning",
                    format!(
                        "first successful handshake in the group after {} rejected ones ({} on ports {}); \
                         the request's HTTP_STREAM_JOB_CONTROLLER has allowed_bad_certs {:?}; longest pause \
                         between these connects {} ms",
                        rejected.len(),
                        err(code),
                        ports.join(", "),
                        allowed,
                        pause
                    ),
                    preconnect_note,
                );
            }
        }

        // R5: the first request repeats one that got 401/407 on another socket, after that response.
        if let Some(challenged) = self.requests.iter().find(|r| {
            r.url_request == first.url_request
                && r.idx < first.idx
                && matches!(r.status, Some(401) | Some(407))
                && r.socket != Some(s.id)
                && r.status_idx.is_some_and(|i| i < t_open)
        }) {
            let other = challenged
                .socket
                .and_then(|id| self.sockets.iter().find(|o| o.id == id));
            let other_port = other.map(|o| self.port(o)).unwrap_or_else(|| "?".into());
            let closed = other
                .and_then(|o| o.close_reason.clone())
                .map(|r| format!(" (closed: \"{r}\")"))
                .unwrap_or_default();
            return (
                "auth_retry",
                format!(
                    "URL_REQUEST {} got {} on port {other_port}{closed} before this socket's connect job began; \
                     its next HTTP_TRANSACTION_SEND_REQUEST_HEADERS{} is the first request here",
                    first.url_request,
                    challenged.status.unwrap_or(0),
                    if first.authorization { " (with Authorization)" } else { "" }
                ),
                preconnect_note,
            );
        }

        let used_earlier: Vec<&&Socket> = earlier
            .iter()
            .copied()
            .filter(|o| o.ssl_error.is_none())
            .collect();
        // R6: first socket of its pool group (or of its host, if another group is open: separate pool).
        if used_earlier.is_empty() {
            let (dest, _, privacy) = parse_group(group);
            let other_pool = self.sockets.iter().find(|o| {
                let (odest, _, oprivacy) = parse_group(self.group(o));
                odest == dest
                    && oprivacy != privacy
                    && self.t_open(o) < t_open
                    && o.alive_end.is_none_or(|(end, _)| end > t_open)
            });
            if let Some(o) = other_pool {
                return (
                    "separate_pool",
                    format!(
                        "first socket of pool group \"{group}\" while port {} of group \"{}\" (same host, other \
                         privacy mode) was open",
                        self.port(o),
                        self.group(o)
                    ),
                    preconnect_note,
                );
            }
            return (
                "first_for_host",
                format!(
                    "no earlier socket in pool group \"{group}\"; first request {} {}",
                    first.method, first_url
                ),
                preconnect_note,
            );
        }

        // R7: an earlier socket of the group that carried requests had closed before this one opened.
        let closed: Vec<&&Socket> = used_earlier
            .iter()
            .copied()
            .filter(|o| {
                o.alive_end.is_some_and(|(end, _)| end < t_open) && !self.requests_on(o).is_empty()
            })
            .collect();
        if !closed.is_empty() {
            let list: Vec<String> = closed
                .iter()
                .map(|o| {
                    format!(
                        "{} (\"{}\")",
                        self.port(o),
                        o.close_reason.as_deref().unwrap_or("closed")
                    )
                })
                .collect();
            return (
                "replaces_closed",
                format!(
                    "earlier socket(s) of the group closed (SOCKET_ALIVE end) before this connect job began: {}",
                    list.join(", ")
                ),
                preconnect_note,
            );
        }

        // R8: others of the group were busy (SOCKET_IN_USE open) or still connecting.
        let busy: Vec<String> = used_earlier
            .iter()
            .filter(|o| {
                let open = o.alive_end.is_none_or(|(end, _)| end > t_open);
                let in_use = o
                    .in_use
                    .iter()
                    .any(|(b, e)| *b < t_open && e.is_none_or(|e| e > t_open));
                let connecting = self.connected_idx(o).is_none_or(|c| c > t_open);
                open && (in_use || connecting)
            })
            .map(|o| self.port(o))
            .collect();
        if !busy.is_empty() {
            return (
                "parallel_for_host",
                format!(
                    "when its connect job began, the group's other sockets were in use (SOCKET_IN_USE) or \
                     connecting: ports {}",
                    busy.join(", ")
                ),
                preconnect_note,
            );
        }

        // R9: none of the above.
        let ports: Vec<String> = used_earlier.iter().map(|o| self.port(o)).collect();
        (
            "unknown",
            format!(
                "earlier sockets of the group ({}) were open and idle when this one was opened",
                ports.join(", ")
            ),
            Some("NetLog shows no reason for this socket: no rule matched".into()),
        )
    }

    /// An earlier 401/407 to the same URL request on another socket: (status, that socket's port).
    fn challenge_before(&self, first: &Request) -> Option<(u16, String)> {
        let r = self.requests.iter().find(|r| {
            r.url_request == first.url_request
                && r.idx < first.idx
                && matches!(r.status, Some(401) | Some(407))
                && r.socket != first.socket
        })?;
        let port = r
            .socket
            .and_then(|id| self.sockets.iter().find(|o| o.id == id))
            .map(|o| self.port(o));
        Some((r.status.unwrap_or(0), port.unwrap_or_else(|| "?".into())))
    }

    fn url_of(&self, r: &Request) -> String {
        r.job
            .and_then(|j| self.streams.get(&j))
            .and_then(|j| j.controller)
            .and_then(|c| self.controllers.get(&c))
            .map(|c| c.url.clone())
            .unwrap_or_else(|| r.path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(
            parse_group("https://a.test <https://a.test same_site>"),
            ("https://a.test".into(), "a.test".into(), "".into())
        );
        assert_eq!(
            parse_group("pm/https://b.test:8443 <https://a.test cross_site>"),
            ("https://b.test:8443".into(), "b.test".into(), "pm".into())
        );
    }

    #[test]
    fn alerts() {
        assert_eq!(describe_alert("Ai4="), "fatal certificate_unknown(46)");
    }
}
