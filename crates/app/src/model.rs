//! What the page derives from a report: the time origin, which host group each connection is in,
//! the values the filters offer, and the filtered, sorted, grouped list of rows that both the
//! connection list and the waterfall show.

use crate::format;
use connscope_core::report::{Connection, Report};
use std::cell::OnceCell;

/// The cause filter's value for connections without an explanation.
pub const NO_CAUSE: &str = "(no explanation yet)";

/// A loaded report and what the views need from it.
pub struct Model {
    pub report: Report,
    pub file_name: String,
    pub file_size: u64,
    /// Time origin of every axis: the capture's first packet.
    pub t0: f64,
    /// The capture's last packet.
    pub t1: f64,
    /// Host group index of each connection (by connection id).
    pub group_of: Vec<u32>,
    /// Distinct host names, most connections first (then by name).
    pub hosts: Vec<String>,
    /// Distinct `Connection.protocol` values, sorted.
    pub protocols: Vec<String>,
    /// Distinct explanation causes, sorted, plus [`NO_CAUSE`] when some connection has none.
    pub causes: Vec<String>,
    /// Lower-case text each connection is searched in (built on the first search).
    haystack: OnceCell<Vec<String>>,
    /// Wall time the worker needed, in ms.
    pub analysis_ms: f64,
    /// Names of the key logs the analysis used (their contents stay in the worker).
    pub keylogs: Vec<String>,
    /// The analysis worker's wasm memory when it finished.
    pub wasm_memory_bytes: f64,
}

/// Views compare models by identity: a model never changes once built.
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Model {
    pub fn new(report: Report, file_name: String, file_size: u64, analysis_ms: f64) -> Model {
        let starts = report.connections.iter().map(|c| c.start);
        let ends = report.connections.iter().map(|c| c.end);
        let t0 = report
            .capture
            .first_ts
            .unwrap_or_else(|| starts.fold(f64::INFINITY, f64::min));
        let t0 = if t0.is_finite() { t0 } else { 0.0 };
        let t1 = report
            .capture
            .last_ts
            .unwrap_or_else(|| ends.fold(t0, f64::max))
            .max(t0);
        let mut group_of = vec![u32::MAX; report.connections.len()];
        for (g, host) in report.hosts.iter().enumerate() {
            for &id in &host.connections {
                if let Some(slot) = group_of.get_mut(id as usize) {
                    *slot = g as u32;
                }
            }
        }
        let mut per_host: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for h in &report.hosts {
            *per_host.entry(h.host.as_str()).or_default() += h.connections.len();
        }
        let mut ranked: Vec<(&str, usize)> = per_host.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let hosts: Vec<String> = ranked.into_iter().map(|(h, _)| h.to_string()).collect();
        let mut protocols: Vec<String> = Vec::new();
        let mut causes: Vec<String> = Vec::new();
        let mut unexplained = false;
        for c in &report.connections {
            if !protocols.contains(&c.protocol) {
                protocols.push(c.protocol.clone());
            }
            match &c.explanation {
                Some(e) if !causes.iter().any(|k| *k == *e.cause) => {
                    causes.push(e.cause.to_string())
                }
                Some(_) => {}
                None => unexplained = true,
            }
        }
        protocols.sort();
        causes.sort();
        if unexplained {
            causes.push(NO_CAUSE.to_string());
        }
        Model {
            report,
            file_name,
            file_size,
            t0,
            t1,
            group_of,
            hosts,
            protocols,
            causes,
            haystack: OnceCell::new(),
            analysis_ms,
            keylogs: Vec::new(),
            wasm_memory_bytes: 0.0,
        }
    }

    /// Uses search texts made while the report arrived (one per connection, by id), so the first
    /// search does not have to make them all at once.
    pub fn with_search_texts(self, texts: Vec<String>) -> Model {
        if texts.len() == self.report.connections.len() {
            let _ = self.haystack.set(texts);
        }
        self
    }

    pub fn with_keylogs(mut self, names: Vec<String>) -> Model {
        self.keylogs = names;
        self
    }

    pub fn with_wasm_memory(mut self, bytes: f64) -> Model {
        self.wasm_memory_bytes = bytes;
        self
    }

    /// Connections with encrypted contents (TLS or QUIC), and how many of them were decrypted.
    pub fn decryption(&self) -> (usize, usize) {
        let mut encrypted = 0;
        let mut decrypted = 0;
        for c in &self.report.connections {
            let (enc, dec) = match (&c.tls, &c.quic) {
                (Some(t), _) => (true, t.decrypted),
                (None, Some(q)) => (true, q.decrypted_packets > 0),
                _ => (false, false),
            };
            encrypted += usize::from(enc);
            decrypted += usize::from(dec);
        }
        (encrypted, decrypted)
    }

    pub fn conn(&self, id: u32) -> Option<&Connection> {
        self.report.connections.get(id as usize)
    }

    /// The host group a connection belongs to.
    pub fn group_host(&self, id: u32) -> Option<&str> {
        let g = *self.group_of.get(id as usize)?;
        self.report.hosts.get(g as usize).map(|h| h.host.as_str())
    }

    pub fn duration(&self) -> f64 {
        self.t1 - self.t0
    }

    fn haystack(&self) -> &[String] {
        self.haystack.get_or_init(|| {
            self.report
                .connections
                .iter()
                .map(|c| search_text(c, self.group_host(c.id)))
                .collect()
        })
    }
}

/// The lower-case text a connection is found by: stream, endpoints, host, protocol, how it
/// closed, cause and headline, SNI, HTTP requests.
pub fn search_text(c: &Connection, group_host: Option<&str>) -> String {
    let mut s = format!(
        "#{} {} {} {} {} {} {} {}",
        c.stream,
        format::endpoint(&c.client.ip, c.client.port),
        format::endpoint(&c.server.ip, c.server.port),
        c.host.as_deref().unwrap_or(""),
        c.protocol,
        c.transport,
        format::close(c),
        group_host.unwrap_or(""),
    );
    if let Some(e) = &c.explanation {
        s.push(' ');
        s.push_str(&e.cause);
        s.push(' ');
        s.push_str(&e.headline);
    }
    if let Some(sni) = c.tls.as_ref().and_then(|t| t.sni.as_deref()) {
        s.push(' ');
        s.push_str(sni);
    }
    if let Some(h) = &c.http {
        for r in h.requests.iter().take(50) {
            s.push(' ');
            s.push_str(&r.method);
            s.push(' ');
            s.push_str(&r.target);
            if let Some(host) = &r.host {
                s.push(' ');
                s.push_str(host);
            }
        }
    }
    s.to_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// First packet (the capture's order).
    #[default]
    Start,
    Stream,
    Duration,
    Bytes,
    Protocol,
    Cause,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Start,
        SortKey::Stream,
        SortKey::Duration,
        SortKey::Bytes,
        SortKey::Protocol,
        SortKey::Cause,
    ];
    pub fn id(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Stream => "stream",
            SortKey::Duration => "duration",
            SortKey::Bytes => "bytes",
            SortKey::Protocol => "protocol",
            SortKey::Cause => "cause",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Start => "Start time",
            SortKey::Stream => "Stream number",
            SortKey::Duration => "Duration",
            SortKey::Bytes => "Bytes",
            SortKey::Protocol => "Protocol",
            SortKey::Cause => "Cause",
        }
    }
    pub fn from_id(id: &str) -> SortKey {
        SortKey::ALL
            .into_iter()
            .find(|k| k.id() == id)
            .unwrap_or_default()
    }
}

/// What the user asked to see.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub text: String,
    pub host: Option<String>,
    pub protocol: Option<String>,
    pub cause: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    /// Group rows by client → host.
    pub ungrouped: bool,
}

impl Query {
    pub fn is_filtered(&self) -> bool {
        !self.text.trim().is_empty()
            || self.host.is_some()
            || self.protocol.is_some()
            || self.cause.is_some()
    }
}

/// One line of the list or the waterfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A host group's header: group index and how many of its connections are shown.
    Group { group: u32, shown: u32 },
    /// A connection (its id).
    Conn(u32),
}

fn cause_of(c: &Connection) -> &str {
    c.explanation
        .as_ref()
        .map(|e| &*e.cause)
        .unwrap_or(NO_CAUSE)
}

/// The rows for a query: filtered, sorted, and grouped by host group unless asked not to.
pub fn rows(m: &Model, q: &Query) -> Vec<Row> {
    let text = q.text.trim().to_lowercase();
    let hay = if text.is_empty() {
        None
    } else {
        Some(m.haystack())
    };
    let mut ids: Vec<u32> = m
        .report
        .connections
        .iter()
        .filter(|c| {
            q.host
                .as_deref()
                .is_none_or(|h| m.group_host(c.id) == Some(h))
                && q.protocol.as_deref().is_none_or(|p| c.protocol == p)
                && q.cause.as_deref().is_none_or(|k| cause_of(c) == k)
                && hay.is_none_or(|h| h.get(c.id as usize).is_some_and(|s| s.contains(&text)))
        })
        .map(|c| c.id)
        .collect();
    let conns = &m.report.connections;
    let key_cmp = |a: &u32, b: &u32| {
        let (x, y) = (&conns[*a as usize], &conns[*b as usize]);
        let ord = match q.sort {
            SortKey::Start => x.start.total_cmp(&y.start),
            SortKey::Stream => {
                (x.transport != "tcp", x.stream).cmp(&(y.transport != "tcp", y.stream))
            }
            SortKey::Duration => (x.end - x.start).total_cmp(&(y.end - y.start)),
            SortKey::Bytes => {
                (x.bytes_client + x.bytes_server).cmp(&(y.bytes_client + y.bytes_server))
            }
            SortKey::Protocol => x.protocol.cmp(&y.protocol),
            SortKey::Cause => cause_of(x).cmp(cause_of(y)),
        };
        let ord = if q.descending { ord.reverse() } else { ord };
        ord.then(a.cmp(b))
    };
    ids.sort_by(key_cmp);
    if q.ungrouped {
        return ids.into_iter().map(Row::Conn).collect();
    }
    // Groups in the order their first (sorted) member appears; members keep the sorted order.
    let groups = m.report.hosts.len();
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups + 1];
    let mut order: Vec<usize> = Vec::new();
    for id in ids {
        let g = (m.group_of.get(id as usize).copied().unwrap_or(u32::MAX) as usize).min(groups);
        if members[g].is_empty() {
            order.push(g);
        }
        members[g].push(id);
    }
    let mut out = Vec::with_capacity(m.report.connections.len() + order.len());
    for g in order {
        out.push(Row::Group {
            group: g as u32,
            shown: members[g].len() as u32,
        });
        out.extend(members[g].iter().map(|&id| Row::Conn(id)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn model(name: &str) -> Model {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/lab/captures")
            .join(name);
        let report = connscope_core::analyze_bytes(&std::fs::read(path).unwrap());
        Model::new(report, name.into(), 0, 0.0)
    }

    #[test]
    fn grouped_rows_cover_every_connection_once() {
        let m = model("preconnect-other-host.pcap");
        let rows = rows(&m, &Query::default());
        let conns: Vec<u32> = rows
            .iter()
            .filter_map(|r| match r {
                Row::Conn(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(conns.len(), m.report.connections.len());
        let headers = rows
            .iter()
            .filter(|r| matches!(r, Row::Group { .. }))
            .count();
        assert_eq!(headers, m.report.hosts.len());
        let mut sorted = conns.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), conns.len());
    }

    #[test]
    fn filters_and_sort() {
        let m = model("preconnect-other-host.pcap");
        let host = m.hosts[0].clone();
        let q = Query {
            host: Some(host.clone()),
            ungrouped: true,
            ..Query::default()
        };
        let r = rows(&m, &q);
        assert!(!r.is_empty());
        for row in &r {
            let Row::Conn(id) = row else {
                panic!("ungrouped rows are connections")
            };
            assert_eq!(m.group_host(*id), Some(host.as_str()));
        }
        let q = Query {
            text: "NO SUCH THING anywhere".into(),
            ..Query::default()
        };
        assert!(rows(&m, &q).is_empty());
        let q = Query {
            sort: SortKey::Stream,
            descending: true,
            ungrouped: true,
            ..Query::default()
        };
        let r = rows(&m, &q);
        assert_eq!(
            r.first(),
            Some(&Row::Conn(m.report.connections.last().unwrap().id))
        );
        // Searching by stream number finds it.
        let q = Query {
            text: "#0 ".into(),
            ungrouped: true,
            ..Query::default()
        };
        assert!(rows(&m, &q).contains(&Row::Conn(0)));
    }
}
