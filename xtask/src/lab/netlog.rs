//! Reading a Chromium NetLog (the JSON that `--log-net-log` writes) into a flat, ordered event list,
//! and writing the trimmed `<scenario>.netlog-min.json` that keeps only what the cause rules read.
//!
//! Event order matters more than time: Chromium's network stack logs from one thread, so the
//! position of an event in the file is a total order ("happened before"), while `time` only has
//! millisecond resolution. The rules compare positions (`idx`) and report times.

use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// NetLog event phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    None,
    Begin,
    End,
}

/// One NetLog event with its type and source type already turned into names.
#[derive(Clone, Debug)]
pub struct Event {
    /// Position in the file (0-based): the order the network stack logged it in.
    pub idx: usize,
    /// Milliseconds on Chromium's tick clock (as logged).
    pub time: i64,
    pub source_id: u64,
    pub source_type: String,
    pub name: String,
    pub phase: Phase,
    pub params: Value,
}

impl Event {
    pub fn param_str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str)
    }
    pub fn param_i64(&self, key: &str) -> Option<i64> {
        self.params.get(key).and_then(Value::as_i64)
    }
    pub fn param_bool(&self, key: &str) -> Option<bool> {
        self.params.get(key).and_then(Value::as_bool)
    }
    /// `params.source_dependency.id`, the link NetLog uses between sources.
    pub fn dependency(&self) -> Option<(u64, &str)> {
        let dep = self.params.get("source_dependency")?;
        let id = dep.get("id")?.as_u64()?;
        let ty = dep.get("type_name").and_then(Value::as_str).unwrap_or("");
        Some((id, ty))
    }
    pub fn net_error(&self) -> Option<i64> {
        self.param_i64("net_error")
    }
    pub fn is(&self, name: &str, phase: Phase) -> bool {
        self.name == name && self.phase == phase
    }
}

/// A parsed NetLog.
pub struct NetLog {
    pub events: Vec<Event>,
    /// The file's `constants` object (kept for the trimmed copy).
    pub constants: Value,
    net_errors: HashMap<i64, String>,
}

impl NetLog {
    /// Parses NetLog JSON. A log cut short (browser killed before it closed the file) is repaired by
    /// closing the event array after the last complete event.
    pub fn parse(text: &str) -> Result<NetLog, String> {
        let root: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(first) => {
                let repaired = repair_truncated(text).ok_or_else(|| {
                    format!("NetLog is not JSON ({first}) and cannot be repaired")
                })?;
                serde_json::from_str(&repaired)
                    .map_err(|e| format!("NetLog is not JSON ({first}); repair failed: {e}"))?
            }
        };
        let constants = root
            .get("constants")
            .cloned()
            .ok_or("NetLog has no `constants`")?;
        let names = |key: &str| -> Result<HashMap<i64, String>, String> {
            let map = constants
                .get(key)
                .and_then(Value::as_object)
                .ok_or_else(|| format!("NetLog constants lack `{key}`"))?;
            Ok(map
                .iter()
                .filter_map(|(k, v)| Some((v.as_i64()?, k.clone())))
                .collect())
        };
        let event_types = names("logEventTypes")?;
        let source_types = names("logSourceType")?;
        let net_errors = names("netError").unwrap_or_default();
        let raw = root
            .get("events")
            .and_then(Value::as_array)
            .ok_or("NetLog has no `events` array")?;
        let mut events = Vec::with_capacity(raw.len());
        for (idx, e) in raw.iter().enumerate() {
            let num = |v: Option<&Value>| -> i64 {
                match v {
                    Some(Value::String(s)) => s.parse().unwrap_or(0),
                    Some(v) => v.as_i64().unwrap_or(0),
                    None => 0,
                }
            };
            let ty = num(e.get("type"));
            let source = e.get("source");
            let source_id = source
                .and_then(|s| s.get("id"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let source_ty = num(source.and_then(|s| s.get("type")));
            let phase = match num(e.get("phase")) {
                1 => Phase::Begin,
                2 => Phase::End,
                _ => Phase::None,
            };
            let mut params = e.get("params").cloned().unwrap_or(Value::Null);
            // Give every source_dependency its type's name, so rules need no numbers.
            if let Some(dep) = params
                .get_mut("source_dependency")
                .and_then(Value::as_object_mut)
            {
                let dep_ty = dep.get("type").and_then(Value::as_i64).unwrap_or(-1);
                let name = source_types.get(&dep_ty).cloned().unwrap_or_default();
                dep.insert("type_name".into(), Value::String(name));
            }
            events.push(Event {
                idx,
                time: num(e.get("time")),
                source_id,
                source_type: source_types
                    .get(&source_ty)
                    .cloned()
                    .unwrap_or_else(|| source_ty.to_string()),
                name: event_types
                    .get(&ty)
                    .cloned()
                    .unwrap_or_else(|| ty.to_string()),
                phase,
                params,
            });
        }
        Ok(NetLog {
            events,
            constants,
            net_errors,
        })
    }

    /// `ERR_CERT_AUTHORITY_INVALID` for -202, or the number if the log has no name for it.
    pub fn error_name(&self, code: i64) -> String {
        self.net_errors
            .get(&code)
            .cloned()
            .unwrap_or_else(|| format!("net error {code}"))
    }

    /// The trimmed copy: the events whose source and type the cause rules read (see `KEEP`), with
    /// bulky parameters dropped and header lists cut to the lines that matter, plus just the
    /// constants needed to read them back. The result is itself a NetLog `cargo xtask lab --reextract`
    /// can derive the same expected file from.
    pub fn minimized(&self, keep_sources: &BTreeSet<u64>) -> Value {
        let mut used_types = BTreeSet::new();
        let mut events = Vec::new();
        let rev = |key: &str| -> HashMap<String, i64> {
            self.constants
                .get(key)
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_i64()?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let type_ids = rev("logEventTypes");
        let source_ids = rev("logSourceType");
        for e in &self.events {
            if !keep_sources.contains(&e.source_id) || !keep_event(&e.source_type, &e.name) {
                continue;
            }
            let Some(&ty) = type_ids.get(&e.name) else {
                continue;
            };
            used_types.insert(e.name.clone());
            let mut params = e.params.clone();
            if !e.name.starts_with("SSL_ALERT_") {
                trim_params(&mut params);
            }
            let mut obj = Map::new();
            if !params.is_null() && params.as_object().is_none_or(|m| !m.is_empty()) {
                obj.insert("params".into(), params);
            }
            obj.insert(
                "phase".into(),
                Value::from(match e.phase {
                    Phase::None => 0,
                    Phase::Begin => 1,
                    Phase::End => 2,
                }),
            );
            let source_ty = source_ids.get(&e.source_type).copied().unwrap_or(0);
            obj.insert(
                "source".into(),
                serde_json::json!({"id": e.source_id, "type": source_ty}),
            );
            obj.insert("time".into(), Value::String(e.time.to_string()));
            obj.insert("type".into(), Value::from(ty));
            events.push(Value::Object(obj));
        }
        let mut constants = Map::new();
        let event_types: Map<String, Value> = used_types
            .iter()
            .filter_map(|n| Some((n.clone(), Value::from(*type_ids.get(n)?))))
            .collect();
        constants.insert("logEventTypes".into(), Value::Object(event_types));
        for key in [
            "logSourceType",
            "logEventPhase",
            "timeTickOffset",
            "logFormatVersion",
            "logCaptureMode",
        ] {
            if let Some(v) = self.constants.get(key) {
                constants.insert(key.into(), v.clone());
            }
        }
        // Only the error names that occur, and the client's version and command line.
        let mut errors = Map::new();
        for e in &self.events {
            if keep_sources.contains(&e.source_id) {
                if let Some(code) = e.net_error() {
                    if let Some(name) = self.net_errors.get(&code) {
                        errors.insert(name.clone(), Value::from(code));
                    }
                }
            }
        }
        constants.insert("netError".into(), Value::Object(errors));
        if let Some(ci) = self.constants.get("clientInfo").and_then(Value::as_object) {
            let mut keep = Map::new();
            for key in [
                "name",
                "version",
                "version_mod",
                "cl",
                "os_type",
                "command_line",
            ] {
                if let Some(v) = ci.get(key) {
                    keep.insert(key.into(), v.clone());
                }
            }
            constants.insert("clientInfo".into(), Value::Object(keep));
        }
        serde_json::json!({ "constants": constants, "events": events })
    }
}

/// Which (source type, event) pairs the trimmed NetLog keeps: everything the rules in
/// `explain.rs` read, and nothing else.
fn keep_event(source_type: &str, name: &str) -> bool {
    match source_type {
        "SOCKET" => matches!(
            name,
            "SOCKET_ALIVE"
                | "TCP_CONNECT"
                | "SSL_CONNECT"
                | "SSL_ALERT_SENT"
                | "SSL_ALERT_RECEIVED"
                | "SSL_HANDSHAKE_ERROR"
                | "SOCKET_IN_USE"
                | "SOCKET_POOL_CLOSING_SOCKET"
                | "SOCKET_CLOSED"
        ),
        "SSL_CONNECT_JOB" | "TRANSPORT_CONNECT_JOB" => matches!(
            name,
            "CONNECT_JOB"
                | "SOCKET_POOL_CONNECT_JOB_CREATED"
                | "SSL_CONNECT_JOB_CONNECT"
                | "CONNECT_JOB_SET_SOCKET"
        ),
        "HTTP_STREAM_JOB_CONTROLLER" => matches!(
            name,
            "HTTP_STREAM_JOB_CONTROLLER"
                | "HTTP_STREAM_JOB_CONTROLLER_ALT_SVC_FOUND"
                | "HTTP_STREAM_JOB_DELAYED"
        ),
        "HTTP_STREAM_JOB" => {
            matches!(
                name,
                "HTTP_STREAM_JOB"
                    | "HTTP_STREAM_JOB_INIT_CONNECTION"
                    | "TCP_CLIENT_SOCKET_POOL_REQUESTED_SOCKET"
                    | "TCP_CLIENT_SOCKET_POOL_REQUESTED_SOCKETS"
                    | "SOCKET_POOL_CONNECTING_N_SOCKETS"
                    | "SOCKET_POOL_BOUND_TO_CONNECT_JOB"
                    | "SOCKET_POOL_BOUND_TO_SOCKET"
                    | "SOCKET_POOL_REUSED_AN_EXISTING_SOCKET"
                    | "SOCKET_POOL_STALLED_MAX_SOCKETS_PER_GROUP"
                    | "HTTP_STREAM_JOB_BOUND_TO_REQUEST"
                    | "HTTP_STREAM_REQUEST_PROTO"
                    | "BOUND_TO_QUIC_SESSION_POOL_JOB"
                    | "HTTP_STREAM_JOB_ORPHANED"
                    | "HTTP_STREAM_JOB_RESUMED"
            ) || name.starts_with("HTTP2_SESSION_POOL_")
        }
        "HTTP2_SESSION" => matches!(
            name,
            "HTTP2_SESSION"
                | "HTTP2_SESSION_INITIALIZED"
                | "HTTP2_SESSION_SEND_HEADERS"
                | "HTTP2_SESSION_RECV_GOAWAY"
                | "HTTP2_SESSION_CLOSE"
        ),
        // QUIC (scenarios quic-*): the session, its UDP port, its end and why.
        "QUIC_SESSION" => matches!(
            name,
            "QUIC_SESSION" | "QUIC_SESSION_PACKET_RECEIVED" | "QUIC_SESSION_CLOSED"
        ),
        t if t.starts_with("QUIC_SESSION_POOL") && t.ends_with("JOB") => {
            name == "QUIC_SESSION_CREATED"
        }
        "URL_REQUEST" => matches!(
            name,
            "REQUEST_ALIVE"
                | "HTTP_TRANSACTION_SEND_REQUEST_HEADERS"
                | "HTTP_TRANSACTION_HTTP2_SEND_REQUEST_HEADERS"
                | "HTTP_TRANSACTION_QUIC_SEND_REQUEST_HEADERS"
                | "HTTP_TRANSACTION_READ_RESPONSE_HEADERS"
                | "HTTP_STREAM_REQUEST_BOUND_TO_JOB"
                | "HTTP_STREAM_REQUEST_BOUND_TO_QUIC_SESSION"
                | "AUTH_BOUND_TO_CONTROLLER"
        ),
        _ => false,
    }
}

/// Header lines worth keeping in the trimmed log (lower-case names, pseudo-headers always kept).
const KEEP_HEADERS: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "authorization",
    "www-authenticate",
    "content-length",
    "cache-control",
];

/// Drops raw bytes (SSL alerts keep theirs: two bytes, read by the rules) and cuts header lists.
fn trim_params(params: &mut Value) {
    let Some(obj) = params.as_object_mut() else {
        return;
    };
    obj.remove("bytes");
    if let Some(Value::Array(headers)) = obj.get_mut("headers") {
        let mut kept = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let Some(line) = h.as_str() else { continue };
            let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
            let status_line = i == 0 && line.starts_with("HTTP/");
            if status_line || line.starts_with(':') || KEEP_HEADERS.contains(&name.as_str()) {
                kept.push(h.clone());
            }
        }
        *headers = kept;
    }
}

/// Closes a NetLog whose writer was killed: cut after the last complete event object and close
/// the array and the root object.
fn repair_truncated(text: &str) -> Option<String> {
    let start = text.find("\"events\"")?;
    let cut = text[start..].rfind("},")? + start;
    Some(format!("{}}}]}}", &text[..cut]))
}
