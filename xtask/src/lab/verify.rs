//! Independent checks of the NetLog-derived connections: what tshark sees in the capture (decrypted
//! with the key log) and what nginx logged. Any disagreement is a mismatch the lab reports.

use super::explain::Connection;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// What was checked and what disagreed.
#[derive(Serialize, Default, Debug)]
pub struct Checks {
    /// TCP connections tshark finds (client SYNs).
    pub tshark_connections: usize,
    /// Connections derived from the NetLog.
    pub netlog_connections: usize,
    /// Requests tshark decodes (HTTP/1 request lines + HTTP/2 request HEADERS), all connections.
    pub tshark_requests: usize,
    /// Requests nginx logged.
    pub server_requests: usize,
    /// Ports whose ServerHello has the pre_shared_key extension (41): TLS 1.3 resumption.
    pub tshark_resumed_ports: Vec<u16>,
    /// Client alerts tshark decodes, as `port: description`.
    pub tshark_client_alerts: Vec<String>,
    /// Whether tshark can read those alerts WITHOUT the key log (false: they are encrypted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_alerts_readable_without_keys: Option<bool>,
    /// Every disagreement between NetLog, tshark and nginx; empty when all agree.
    pub mismatches: Vec<String>,
}

fn tshark(
    pcap: &Path,
    keys: Option<&Path>,
    filter: &str,
    fields: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(pcap);
    if let Some(k) = keys {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", k.display()));
    }
    cmd.args([
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run tshark: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect())
}

fn count_list(field: Option<&String>) -> usize {
    field
        .map(|f| f.split(',').filter(|s| !s.is_empty()).count())
        .unwrap_or(0)
}

/// Requests per client port from nginx's access log (`127.0.0.1:PORT ...` per line).
pub fn access_log_counts(text: &str) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(addr) = line.split_whitespace().next() else {
            continue;
        };
        if let Some(port) = addr.rsplit(':').next().and_then(|p| p.parse().ok()) {
            *counts.entry(port).or_insert(0) += 1;
        }
    }
    counts
}

/// Compares connections with tshark's reading of the capture and nginx's log; fills in `tcp_stream`
/// and `server_requests`.
pub fn check(
    conns: &mut [Connection],
    pcap: &Path,
    keys: &Path,
    access_log: &str,
) -> Result<Checks, String> {
    let mut checks = Checks {
        netlog_connections: conns.len(),
        ..Default::default()
    };
    let server = access_log_counts(access_log);
    checks.server_requests = server.values().sum();

    // Connections: client SYNs.
    let syns = tshark(
        pcap,
        None,
        "tcp.flags.syn==1 && tcp.flags.ack==0",
        &["tcp.stream", "tcp.srcport"],
    )?;
    let mut stream_of = BTreeMap::new();
    for row in &syns {
        if let (Some(stream), Some(port)) = (row.first(), row.get(1)) {
            if let (Ok(stream), Ok(port)) = (stream.parse::<u64>(), port.parse::<u16>()) {
                stream_of.entry(port).or_insert(stream);
            }
        }
    }
    checks.tshark_connections = stream_of.len();
    let netlog_ports: BTreeSet<u16> = conns
        .iter()
        .filter(|c| c.transport == "tcp")
        .map(|c| c.client_port)
        .collect();
    for port in stream_of.keys() {
        if !netlog_ports.contains(port) {
            checks
                .mismatches
                .push(format!("port {port}: in the capture, not in the NetLog"));
        }
    }

    // Requests per client port, decrypted.
    let rows = tshark(
        pcap,
        Some(keys),
        "http.request || http2.headers.method",
        &["tcp.srcport", "http.request.method", "http2.headers.method"],
    )?;
    let mut tshark_requests: BTreeMap<u16, usize> = BTreeMap::new();
    for row in &rows {
        let Some(port) = row.first().and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        let h2 = count_list(row.get(2));
        let n = if h2 > 0 { h2 } else { count_list(row.get(1)) };
        *tshark_requests.entry(port).or_insert(0) += n;
    }
    checks.tshark_requests = tshark_requests.values().sum();

    // TLS 1.3 resumption: ServerHello (type 2) with pre_shared_key (41).
    let hellos = tshark(
        pcap,
        None,
        "tls.handshake.type==2",
        &["tcp.dstport", "tls.handshake.extension.type"],
    )?;
    let mut resumed = BTreeSet::new();
    for row in &hellos {
        let Some(port) = row.first().and_then(|p| p.parse::<u16>().ok()) else {
            continue;
        };
        if row
            .get(1)
            .is_some_and(|types| types.split(',').any(|t| t == "41"))
        {
            resumed.insert(port);
        }
    }
    checks.tshark_resumed_ports = resumed.iter().copied().collect();

    // Client alerts, with and without the key log.
    let alert_fields = [
        "tcp.srcport",
        "tcp.dstport",
        "tls.alert_message.level",
        "tls.alert_message.desc",
    ];
    let alerts = tshark(pcap, Some(keys), "tls.alert_message", &alert_fields)?;
    let mut client_alerts: BTreeMap<u16, String> = BTreeMap::new();
    for row in &alerts {
        let (Some(src), Some(dst)) = (row.first(), row.get(1)) else {
            continue;
        };
        if !netlog_ports.contains(&src.parse().unwrap_or(0)) || dst.parse::<u16>().is_err() {
            continue;
        }
        let port: u16 = src.parse().unwrap_or(0);
        client_alerts.insert(
            port,
            format!(
                "level {} desc {}",
                row.get(2).map_or("", |s| s),
                row.get(3).map_or("", |s| s)
            ),
        );
    }
    checks.tshark_client_alerts = client_alerts
        .iter()
        .map(|(p, a)| format!("{p}: {a}"))
        .collect();
    if !client_alerts.is_empty() {
        let plain = tshark(pcap, None, "tls.alert_message", &alert_fields)?;
        let plain_ports: BTreeSet<u16> = plain
            .iter()
            .filter_map(|r| r.first().and_then(|p| p.parse().ok()))
            .collect();
        checks.client_alerts_readable_without_keys =
            Some(client_alerts.keys().all(|p| plain_ports.contains(p)));
    }

    // QUIC sessions: the client's Initial packets (tshark 4.0 does not decode HTTP/3 requests,
    // so only nginx-side counts, from the aioquic server's log, are compared for them).
    let quic_rows = tshark(
        pcap,
        None,
        "quic.long.packet_type==0",
        &["udp.stream", "udp.srcport"],
    )?;
    let mut udp_stream_of = BTreeMap::new();
    for row in &quic_rows {
        if let (Some(Ok(stream)), Some(Ok(port))) = (
            row.first().map(|s| s.parse::<u64>()),
            row.get(1).map(|p| p.parse::<u16>()),
        ) {
            udp_stream_of.entry(port).or_insert(stream);
        }
    }
    let all_ports: BTreeSet<u16> = conns.iter().map(|c| c.client_port).collect();
    for c in conns.iter_mut().filter(|c| c.transport == "quic") {
        let port = c.client_port;
        c.udp_stream = udp_stream_of.get(&port).copied();
        if c.udp_stream.is_none() {
            checks.mismatches.push(format!(
                "udp port {port}: QUIC session in the NetLog, not in the capture"
            ));
        }
        let srv = server.get(&port).copied().unwrap_or(0);
        c.server_requests = Some(srv);
        if srv != c.requests {
            checks.mismatches.push(format!(
                "udp port {port}: NetLog {} requests, the HTTP/3 server logged {srv}",
                c.requests
            ));
        }
    }

    for c in conns.iter_mut().filter(|c| c.transport == "tcp") {
        let port = c.client_port;
        c.tcp_stream = stream_of.get(&port).copied();
        if c.tcp_stream.is_none() {
            checks
                .mismatches
                .push(format!("port {port}: in the NetLog, not in the capture"));
        }
        let srv = server.get(&port).copied().unwrap_or(0);
        c.server_requests = Some(srv);
        if srv != c.requests {
            checks.mismatches.push(format!(
                "port {port}: NetLog {} requests, nginx logged {srv}",
                c.requests
            ));
        }
        let ts = tshark_requests.get(&port).copied().unwrap_or(0);
        if ts != c.requests {
            checks.mismatches.push(format!(
                "port {port}: NetLog {} requests, tshark decodes {ts}",
                c.requests
            ));
        }
        if let Some(tls) = &c.tls {
            let tls13 = tls.version.as_deref() == Some("TLS 1.3");
            if tls13 && tls.error.is_none() && tls.resumed == Some(true) && !resumed.contains(&port)
            {
                checks.mismatches.push(format!(
                    "port {port}: NetLog is_resumed, but no pre_shared_key in ServerHello"
                ));
            }
            if tls.resumed == Some(false) && resumed.contains(&port) {
                checks.mismatches.push(format!(
                    "port {port}: ServerHello has pre_shared_key, NetLog not resumed"
                ));
            }
            if tls.client_alert.is_some() && !client_alerts.contains_key(&port) {
                checks.mismatches.push(format!(
                    "port {port}: NetLog SSL_ALERT_SENT, tshark decodes no client alert"
                ));
            }
        }
    }
    for (port, n) in &server {
        if !all_ports.contains(port) {
            checks.mismatches.push(format!(
                "port {port}: nginx logged {n} requests, not in the NetLog"
            ));
        }
    }
    Ok(checks)
}
