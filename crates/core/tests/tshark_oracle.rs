//! Every capture in `../shared/captures` against tshark 4.0.17's output (the oracle files):
//! TCP streams (index, endpoints, frames, payload bytes, who sent SYN/FIN/RST), UDP streams,
//! TLS per stream (SNI, handshake message sequence, alerts, TLS 1.2 resumption, ALPN, versions,
//! session-id lengths), HTTP/1.x request and response counts and frames, h2c frames, QUIC flows.
//!
//! Where connscope differs from tshark on purpose, `intended_difference` says why.

mod common;

use common::oracle::{get, items, Oracle};
use connscope_core::report::{Connection, Report};
use std::collections::{BTreeMap, BTreeSet};

/// tshark's endpoint spelling: `ip:port`, IPv6 in brackets.
fn endpoint(ip: &str, port: u16) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn client(c: &Connection) -> String {
    endpoint(&c.client.ip, c.client.port)
}
fn server(c: &Connection) -> String {
    endpoint(&c.server.ip, c.server.port)
}

fn tcp_conn(r: &Report, stream: u32) -> Option<&Connection> {
    r.connections
        .iter()
        .find(|c| c.transport == "tcp" && c.stream == stream)
}
fn udp_conn(r: &Report, stream: u32) -> Option<&Connection> {
    r.connections
        .iter()
        .find(|c| c.transport != "tcp" && c.stream == stream)
}

/// Captures whose oracle was produced with TLS secrets (key log or pcapng DSB): tshark saw
/// decrypted handshake messages and alerts. connscope is compared twice on them: with the same
/// secrets (everything must match), and without (only what is visible without keys).
fn decrypted_in_oracle(stem: &str) -> bool {
    matches!(
        stem,
        "illustrated-tls12" | "illustrated-tls13" | "illustrated-quic" | "tls12-dsb"
    )
}

/// Differences on purpose.
fn intended_difference(stem: &str, what: &str) -> Option<&'static str> {
    match (stem, what) {
        // tshark has no STARTTLS support for IRC and shows no TLS; connscope follows the
        // STARTTLS command and reads the TLS 1.2 handshake after it (Zeek's ssl.log agrees).
        ("zeek-irc-starttls-sll", "tls") => {
            Some("IRC STARTTLS: TLS read after the upgrade, which tshark does not dissect")
        }
        // With its default heuristics tshark loses the client's 18 KB HEADERS+CONTINUATION
        // ("BoundErrorUnreassembled") and everything it would have parsed after it: 16 frames.
        // Decoded as HTTP/2 explicitly (`tshark -d tcp.port==80,http2`) tshark counts 21
        // frames (4 SETTINGS, 5 PRIORITY, 3 HEADERS, 1 CONTINUATION, 1 PUSH_PROMISE, 4 DATA,
        // 2 WINDOW_UPDATE, 1 GOAWAY), which is what connscope counts.
        ("arkime-h2c-prior-knowledge-loopback", "h2_frames") => Some("21"),
        _ => None,
    }
}

fn check_tcp(stem: &str, o: &Oracle, r: &Report, errors: &mut Vec<String>) {
    let rows = o.table(2);
    let ours = r
        .connections
        .iter()
        .filter(|c| c.transport == "tcp")
        .count();
    if ours != rows.len() {
        errors.push(format!(
            "{stem}: {} TCP streams, tshark has {}",
            ours,
            rows.len()
        ));
    }
    for row in &rows {
        let stream: u32 = get(row, "tcp.stream").parse().unwrap();
        let Some(c) = tcp_conn(r, stream) else {
            errors.push(format!("{stem}: tcp.stream {stream} missing"));
            continue;
        };
        let (a, b) = (get(row, "A(first sender)"), get(row, "B"));
        let ends: BTreeSet<String> = [client(c), server(c)].into();
        if ends != [a.to_string(), b.to_string()].into() {
            errors.push(format!(
                "{stem}: tcp.stream {stream}: endpoints {ends:?}, tshark {a} {b}"
            ));
            continue;
        }
        let frames: u64 = get(row, "frames").parse().unwrap();
        if c.packets != frames {
            errors.push(format!(
                "{stem}: tcp.stream {stream}: {} frames, tshark {frames}",
                c.packets
            ));
        }
        let a_is_client = client(c) == a && (a != b);
        let (ab, ba) = if a_is_client || a == b {
            (c.bytes_client, c.bytes_server)
        } else {
            (c.bytes_server, c.bytes_client)
        };
        let (oab, oba): (u64, u64) = (
            get(row, "payload_A2B").parse().unwrap(),
            get(row, "payload_B2A").parse().unwrap(),
        );
        if (ab, ba) != (oab, oba) {
            errors.push(format!(
                "{stem}: tcp.stream {stream}: payload {ab}/{ba}, tshark {oab}/{oba}"
            ));
        }
        let t = c.tcp.as_ref().unwrap();
        let side_of = |letter: char| -> bool {
            letter == 'A' && a_is_client || letter == 'B' && !a_is_client
        };
        let flags = |col: &str| -> (bool, bool) {
            let v = get(row, col);
            let client_sent = v.chars().any(&side_of);
            let server_sent = v.chars().any(|l| !side_of(l));
            (client_sent, server_sent)
        };
        let fin = (t.fin_client.is_some(), t.fin_server.is_some());
        let rst = (t.rst_client.is_some(), t.rst_server.is_some());
        if a != b {
            if fin != flags("FIN_from") {
                errors.push(format!(
                    "{stem}: tcp.stream {stream}: FIN (client, server) {fin:?}, tshark {}",
                    get(row, "FIN_from")
                ));
            }
            if rst != flags("RST_from") {
                errors.push(format!(
                    "{stem}: tcp.stream {stream}: RST (client, server) {rst:?}, tshark {}",
                    get(row, "RST_from")
                ));
            }
            let syn_from_client = flags("SYN_from").0;
            if syn_from_client != (t.syn.is_some()) {
                errors.push(format!(
                    "{stem}: tcp.stream {stream}: client SYN {:?}, tshark SYN_from {}",
                    t.syn,
                    get(row, "SYN_from")
                ));
            }
        }
    }
}

fn check_udp(stem: &str, o: &Oracle, r: &Report, errors: &mut Vec<String>) {
    let rows = o.table(3);
    let ours = r
        .connections
        .iter()
        .filter(|c| c.transport != "tcp")
        .count();
    if ours != rows.len() {
        errors.push(format!(
            "{stem}: {} UDP streams, tshark has {}",
            ours,
            rows.len()
        ));
    }
    for row in &rows {
        let stream: u32 = get(row, "udp.stream").parse().unwrap();
        let Some(c) = udp_conn(r, stream) else {
            errors.push(format!("{stem}: udp.stream {stream} missing"));
            continue;
        };
        let ends: BTreeSet<String> = [client(c), server(c)].into();
        let theirs: BTreeSet<String> = [
            get(row, "A(first sender)").to_string(),
            get(row, "B").to_string(),
        ]
        .into();
        // The oracle's awk prints `ip.src` when present, else `ipv6.src`: for IPv6 carried in an
        // IPv4 tunnel (ERSPAN) it prints the tunnel's IPv4 addresses with the inner ports.
        let ports = |s: &BTreeSet<String>| -> BTreeSet<String> {
            s.iter()
                .map(|e| e.rsplit(':').next().unwrap_or("").to_string())
                .collect()
        };
        let tunnel_artifact = c.client.ip.contains(':')
            && !theirs.iter().any(|e| e.starts_with('['))
            && ports(&ends) == ports(&theirs);
        if ends != theirs && !tunnel_artifact {
            errors.push(format!(
                "{stem}: udp.stream {stream}: endpoints {ends:?}, tshark {theirs:?}"
            ));
        }
        let frames: u64 = get(row, "frames").parse().unwrap();
        if c.packets != frames {
            errors.push(format!(
                "{stem}: udp.stream {stream}: {} frames, tshark {frames}",
                c.packets
            ));
        }
    }
}

/// Handshake types tshark can show without keys: everything before ChangeCipherSpec in
/// TLS ≤ 1.2 (Finished is encrypted), only the hellos in TLS 1.3.
fn visible_without_keys(types: &[u8], tls13: bool) -> Vec<u8> {
    types
        .iter()
        .copied()
        .filter(|&t| {
            if tls13 {
                t == 1 || t == 2 || t == 6
            } else {
                t != 20
            }
        })
        .collect()
}

fn check_tls(stem: &str, o: &Oracle, r: &Report, exact: bool, errors: &mut Vec<String>) {
    let keyed = !exact;
    let rows = o.table(5);
    let mut seen = BTreeSet::new();
    for row in &rows {
        let s = get(row, "stream");
        let Some((proto, n)) = s.split_once(':') else {
            continue;
        };
        let n: u32 = n.parse().unwrap();
        let c = if proto == "tcp" {
            tcp_conn(r, n)
        } else {
            udp_conn(r, n)
        };
        // QUIC (udp:): the handshake read from the CRYPTO frames of the Initial packets
        // (opened without secrets) and, with the key log, of the Handshake packets. SNI,
        // ALPN, offered versions and message types are compared like TLS over TCP.
        seen.insert((proto == "udp", n));
        let Some(tls) = c.and_then(|c| c.tls.as_ref()) else {
            errors.push(format!(
                "{stem}: {s}: no TLS found, tshark shows a handshake"
            ));
            continue;
        };
        let sni = get(row, "sni");
        if tls.sni.as_deref().unwrap_or("") != sni {
            errors.push(format!("{stem}: {s}: SNI {:?}, tshark {sni:?}", tls.sni));
        }
        let theirs: Vec<u8> = items(&get(row, "hs_types_in_order").replace(' ', ";"))
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let version_13 = tls
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("TLS 1.3"));
        let theirs = if keyed {
            visible_without_keys(&theirs, version_13)
        } else {
            theirs
        };
        let ours: Vec<u8> = tls.handshake.iter().filter_map(|m| m.code).collect();
        if ours != theirs {
            errors.push(format!(
                "{stem}: {s}: handshake types {ours:?}, tshark {theirs:?}"
            ));
        }
        let their_alerts: Vec<(String, String)> = items(get(row, "alert_level"))
            .into_iter()
            .zip(items(get(row, "alert_desc")))
            .collect();
        let our_alerts: BTreeSet<(String, String)> = tls
            .alerts
            .iter()
            .filter(|a| a.level.is_some())
            .map(|a| {
                (
                    if a.level.as_deref() == Some("fatal") {
                        "2"
                    } else {
                        "1"
                    }
                    .to_string(),
                    a.code.unwrap_or(0).to_string(),
                )
            })
            .collect();
        let theirs_set: BTreeSet<(String, String)> = their_alerts.into_iter().collect();
        let alerts_ok = if keyed {
            our_alerts.is_subset(&theirs_set)
        } else {
            our_alerts == theirs_set
        };
        if !alerts_ok {
            errors.push(format!(
                "{stem}: {s}: plaintext alerts {our_alerts:?}, tshark {theirs_set:?}"
            ));
        }
        let resumed_12 = tls.resumed && !version_13;
        if resumed_12 != (get(row, "resumed") == "1") {
            errors.push(format!(
                "{stem}: {s}: TLS 1.2 resumed {resumed_12}, tshark {:?}",
                get(row, "resumed")
            ));
        }
        let mut alpn: BTreeSet<String> = tls.alpn_offered.iter().cloned().collect();
        alpn.extend(tls.alpn.iter().cloned());
        let their_alpn: BTreeSet<String> = items(get(row, "alpn")).into_iter().collect();
        if alpn != their_alpn && !(keyed && alpn.is_subset(&their_alpn)) {
            errors.push(format!("{stem}: {s}: ALPN {alpn:?}, tshark {their_alpn:?}"));
        }
        let grease = |v: &String| {
            let n = u16::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0);
            n & 0x0f0f == 0x0a0a
        };
        let their_versions: BTreeSet<String> = items(get(row, "supported_versions"))
            .into_iter()
            .filter(|v| !grease(v))
            .collect();
        let our_offered: BTreeSet<String> = if their_versions.is_empty() {
            BTreeSet::new()
        } else {
            tls.versions_offered.iter().cloned().collect()
        };
        if !our_offered.is_subset(&their_versions)
            || (!their_versions.is_empty() && our_offered.is_empty())
        {
            errors.push(format!(
                "{stem}: {s}: offered versions {our_offered:?}, tshark {their_versions:?}"
            ));
        }
        let their_sid: BTreeSet<String> = items(get(row, "session_id_len")).into_iter().collect();
        if let Some(len) = tls.client_session_id_len {
            if !their_sid.contains(&len.to_string()) {
                errors.push(format!(
                    "{stem}: {s}: ClientHello session id length {len}, tshark {their_sid:?}"
                ));
            }
        }
    }
    // Connections where we see TLS but tshark does not.
    for c in r.connections.iter().filter(|c| c.tls.is_some()) {
        let udp = c.transport != "tcp";
        if !seen.contains(&(udp, c.stream)) && intended_difference(stem, "tls").is_none() {
            errors.push(format!(
                "{stem}: {}:{}: connscope found TLS, tshark shows none",
                if udp { "udp" } else { "tcp" },
                c.stream
            ));
        }
    }
}

fn check_http(stem: &str, o: &Oracle, r: &Report, exact: bool, errors: &mut Vec<String>) {
    #[derive(Default, Debug, PartialEq)]
    struct Counts {
        requests: Vec<u64>,
        responses: Vec<u64>,
    }
    let mut theirs: BTreeMap<u32, Counts> = BTreeMap::new();
    for row in o.table(6) {
        let stream: u32 = get(&row, "tcp.stream").parse().unwrap();
        let frame: u64 = get(&row, "frame.number").parse().unwrap();
        let e = theirs.entry(stream).or_default();
        for _ in items(get(&row, "http.request.method")) {
            e.requests.push(frame);
        }
        for _ in items(get(&row, "http.response.code")) {
            e.responses.push(frame);
        }
    }
    for c in r.connections.iter().filter(|c| c.transport == "tcp") {
        if !exact && c.tls.is_some() {
            // HTTP inside TLS, which tshark decrypted with the capture's secrets (issue 7).
            theirs.remove(&c.stream);
            continue;
        }
        let mut ours = Counts::default();
        if let Some(h) = &c.http {
            // Section [6] is HTTP/1.x; HTTP/2 streams are compared as frames in [7].
            for q in h
                .requests
                .iter()
                .filter(|q| q.version.starts_with("HTTP/1"))
            {
                ours.requests.push(q.end_frame);
                for _ in 0..q.interim_responses {
                    ours.responses.push(0);
                }
                // tshark shows a response only once it reassembled all of it; one whose body
                // lost bytes in the capture never shows there. connscope keeps it (with the
                // missing byte count), so it is left out of this comparison.
                if q.response_missing_bytes > 0 {
                    continue;
                }
                if let Some(f) = q.response_end_frame.or(q.response_frame) {
                    ours.responses.push(f);
                }
            }
            for u in h
                .unmatched_responses
                .iter()
                .filter(|u| u.missing_bytes == 0)
            {
                ours.responses.push(u.end_frame);
            }
        }
        ours.responses.sort();
        let t = theirs.remove(&c.stream).unwrap_or_default();
        if ours.requests.len() != t.requests.len() || ours.responses.len() != t.responses.len() {
            errors.push(format!(
                "{stem}: tcp:{}: {} requests / {} responses, tshark {} / {}",
                c.stream,
                ours.requests.len(),
                ours.responses.len(),
                t.requests.len(),
                t.responses.len()
            ));
        } else if ours.requests != t.requests {
            errors.push(format!(
                "{stem}: tcp:{}: request frames {:?}, tshark {:?}",
                c.stream, ours.requests, t.requests
            ));
        } else {
            // tshark shows a response in the frame that completed it (head and body).
            let mut theirs_r = t.responses.clone();
            theirs_r.sort();
            let ours_r: Vec<u64> = ours.responses.iter().copied().filter(|&f| f != 0).collect();
            let theirs_r: Vec<u64> = if ours_r.len() == theirs_r.len() {
                theirs_r
            } else {
                theirs_r
                    .into_iter()
                    .skip(ours.responses.len() - ours_r.len())
                    .collect()
            };
            if ours_r != theirs_r {
                errors.push(format!(
                    "{stem}: tcp:{}: response frames {:?}, tshark {:?}",
                    c.stream, ours_r, theirs_r
                ));
            }
        }
    }
    for (stream, t) in theirs {
        errors.push(format!(
            "{stem}: tcp:{stream}: tshark shows HTTP {t:?}, connscope none"
        ));
    }
}

fn check_h2_quic(stem: &str, o: &Oracle, r: &Report, errors: &mut Vec<String>) {
    let mut h2_frames: BTreeMap<u32, u64> = BTreeMap::new();
    let mut quic_streams: BTreeSet<u32> = BTreeSet::new();
    for row in o.table(7) {
        if let Ok(s) = get(&row, "tcp.stream").parse::<u32>() {
            *h2_frames.entry(s).or_default() += items(get(&row, "http2.type")).len() as u64;
        }
        if let Ok(s) = get(&row, "udp.stream").parse::<u32>() {
            quic_streams.insert(s);
        }
    }
    for (stream, n) in h2_frames {
        let ours = tcp_conn(r, stream)
            .and_then(|c| c.http.as_ref())
            .and_then(|h| h.h2.as_ref())
            .map(|h| h.frames);
        let n = intended_difference(stem, "h2_frames")
            .and_then(|v| v.parse().ok())
            .unwrap_or(n);
        if ours != Some(n) {
            errors.push(format!(
                "{stem}: tcp:{stream}: {ours:?} HTTP/2 frames, tshark {n}"
            ));
        }
    }
    for stream in quic_streams {
        if udp_conn(r, stream).map(|c| c.transport.as_ref()) != Some("quic") {
            errors.push(format!("{stem}: udp:{stream}: not recognised as QUIC"));
        }
    }
    check_quic_headers(stem, o, r, errors);
}

/// QUIC long headers per udp.stream (section [7]): packets per type, versions, and the
/// client's first Destination Connection ID (the one the Initial keys come from).
fn check_quic_headers(stem: &str, o: &Oracle, r: &Report, errors: &mut Vec<String>) {
    #[derive(Default)]
    struct Theirs {
        types: BTreeMap<String, u64>,
        versions: BTreeSet<u32>,
        first_dcid: Option<String>,
    }
    let mut theirs: BTreeMap<u32, Theirs> = BTreeMap::new();
    for row in o.table(7) {
        let Ok(s) = get(&row, "udp.stream").parse::<u32>() else {
            continue;
        };
        let t = theirs.entry(s).or_default();
        let types = items(get(&row, "quic.long.packet_type"));
        if t.first_dcid.is_none() && types.first().map(String::as_str) == Some("0") {
            t.first_dcid = items(get(&row, "quic.dcid")).into_iter().next();
        }
        for ty in types {
            *t.types.entry(ty).or_default() += 1;
        }
        for v in items(get(&row, "quic.version")) {
            t.versions
                .insert(u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap());
        }
    }
    let number = |name: &str| match name {
        "1" => 1,
        "2" => 0x6b33_43cf,
        n => n
            .strip_prefix("draft-")
            .map(|d| 0xff00_0000 | d.parse::<u32>().unwrap())
            .or_else(|| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
            .unwrap_or(0),
    };
    for (stream, t) in theirs {
        let Some(q) = udp_conn(r, stream).and_then(|c| c.quic.as_ref()) else {
            continue;
        };
        let count = |ty: &str| t.types.get(ty).copied().unwrap_or(0);
        let ours = (q.initial_packets, q.zero_rtt_packets, q.handshake_packets);
        let their = (count("0"), count("1"), count("2"));
        if ours != their {
            errors.push(format!(
                "{stem}: udp:{stream}: Initial/0-RTT/Handshake packets {ours:?}, tshark {their:?}"
            ));
        }
        let versions: BTreeSet<u32> = q.versions.iter().map(|v| number(v)).collect();
        if versions != t.versions {
            errors.push(format!(
                "{stem}: udp:{stream}: QUIC versions {versions:x?}, tshark {:x?}",
                t.versions
            ));
        }
        if q.dcid != t.first_dcid {
            errors.push(format!(
                "{stem}: udp:{stream}: client's first DCID {:?}, tshark {:?}",
                q.dcid, t.first_dcid
            ));
        }
    }
}

fn check_capture_info(stem: &str, o: &Oracle, r: &Report, errors: &mut Vec<String>) {
    let Some(rows) = o.sections.get(&1) else {
        return;
    };
    for row in rows {
        let line = row.join("\t");
        if let Some(n) = line.strip_prefix("Number of packets:") {
            let n: u64 = n.trim().parse().unwrap_or(0);
            if r.capture.packets != n {
                errors.push(format!(
                    "{stem}: {} packets, capinfos {n}",
                    r.capture.packets
                ));
            }
        }
    }
}

#[test]
fn every_capture_matches_tshark() {
    let Some(files) = common::corpus() else {
        return;
    };
    let corpus = common::corpus_dir();
    let mut errors = Vec::new();
    let mut checked = 0;
    for path in &files {
        let stem = common::stem(path);
        let oracle = Oracle::load(&corpus, &stem);
        // As tshark ran: with the capture's key log (`<stem>.keys`) and any DSB inside.
        let keys = std::fs::read(corpus.join(format!("{stem}.keys"))).ok();
        let report = common::analyze_with_keys(path, keys.as_deref());
        let exact = !decrypted_in_oracle(&stem)
            || report
                .connections
                .iter()
                .any(|c| c.tls.as_ref().is_some_and(|t| t.decrypted));
        check_capture_info(&stem, &oracle, &report, &mut errors);
        check_tcp(&stem, &oracle, &report, &mut errors);
        check_udp(&stem, &oracle, &report, &mut errors);
        check_tls(&stem, &oracle, &report, exact, &mut errors);
        check_http(&stem, &oracle, &report, exact, &mut errors);
        check_h2_quic(&stem, &oracle, &report, &mut errors);
        if keys.is_some() {
            // And without the key log: what a user without keys sees must still agree.
            let keyless = common::analyze(path);
            check_tls(
                &format!("{stem} (no keys)"),
                &oracle,
                &keyless,
                false,
                &mut errors,
            );
            check_http(
                &format!("{stem} (no keys)"),
                &oracle,
                &keyless,
                false,
                &mut errors,
            );
        }
        checked += 1;
    }
    eprintln!("compared {checked} captures with tshark's oracle");
    assert!(
        errors.is_empty(),
        "{} differences from tshark:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
