//! Seed extractor for the `tls` and `http1` targets: reads captures with the core's own
//! capture reader and decoder, follows each TCP connection's two byte streams (in order,
//! retransmissions dropped, lost bytes skipped), and writes each connection as a stream
//! script (`connscope_fuzz::Script`): TLS connections into the tls corpus, HTTP/1, h2c and
//! other text protocols into the http1 corpus.
//!
//! cargo run --release --example stream_seeds -- --tls DIR --http1 DIR [--max BYTES] CAPTURE...

use connscope_core::capture::{CaptureReader, CaptureSink, Frame};
use connscope_core::decode::{Decoder, IpAddr, L4};
use std::collections::HashMap;
use std::path::PathBuf;

type Key = ((IpAddr, u16), (IpAddr, u16));

#[derive(Default)]
struct Flow {
    /// The side that sent the first SYN (or the first packet seen).
    client: Option<(IpAddr, u16)>,
    /// Next expected sequence number per direction (0 = client → server).
    next: [Option<u32>; 2],
    /// (direction, bytes) in capture order, consecutive same-direction bytes merged.
    turns: Vec<(usize, Vec<u8>)>,
    size: usize,
}

struct Sink {
    decoder: Decoder,
    flows: HashMap<Key, Flow>,
    order: Vec<Key>,
    max: usize,
}

fn key(a: (IpAddr, u16), b: (IpAddr, u16)) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl CaptureSink for Sink {
    fn frame(&mut self, f: &Frame<'_>) {
        let Ok(p) = self.decoder.decode(f.link_type, f.data, f.ts) else {
            return;
        };
        let L4::Tcp(seg) = p.l4 else { return };
        let src = (p.src, seg.src_port);
        let dst = (p.dst, seg.dst_port);
        let k = key(src, dst);
        if !self.flows.contains_key(&k) {
            self.order.push(k);
        }
        let flow = self.flows.entry(k).or_default();
        if flow.client.is_none() {
            flow.client = Some(if seg.flags.is_syn_ack() { dst } else { src });
        }
        let dir = usize::from(flow.client != Some(src));
        let mut seq = seg.seq;
        if seg.flags.syn() {
            seq = seq.wrapping_add(1);
            flow.next[dir] = Some(seq);
        }
        if seg.payload.is_empty() || flow.size >= self.max {
            return;
        }
        let mut payload = seg.payload;
        match flow.next[dir] {
            None => {}
            Some(next) => {
                let ahead = seq.wrapping_sub(next) as i32;
                if ahead < 0 {
                    // Retransmission (partly new bytes are kept).
                    let old = ahead.unsigned_abs() as usize;
                    if old >= payload.len() {
                        return;
                    }
                    payload = &payload[old..];
                    seq = next;
                }
                // ahead > 0: bytes lost before this segment; the script just goes on.
            }
        }
        flow.next[dir] = Some(seq.wrapping_add(payload.len() as u32));
        let room = self.max - flow.size;
        let payload = &payload[..payload.len().min(room)];
        flow.size += payload.len();
        match flow.turns.last_mut() {
            Some((d, bytes)) if *d == dir => bytes.extend_from_slice(payload),
            _ => flow.turns.push((dir, payload.to_vec())),
        }
    }
    fn secrets(&mut self, _: u32, _: &[u8]) {}
    fn warning(&mut self, _: &'static str, _: String, _: Option<u64>, _: u64) {}
}

fn is_tls(b: &[u8]) -> bool {
    matches!(
        b,
        [0x16, 0x03, 0..=4, ..] | [0x17, 0x03, ..] | [0x15, 0x03, ..] | [0x14, 0x03, ..]
    )
}

fn is_text(b: &[u8]) -> bool {
    let n = b.len().min(16);
    n >= 4
        && b[..n]
            .iter()
            .all(|&c| c == b'\r' || c == b'\n' || c == b'\t' || (0x20..0x7f).contains(&c))
}

/// Hand-written conversations the captures lack: the switches out of HTTP/1 (h2c upgrade,
/// CONNECT, WebSocket), chunked coding with trailers, 100-continue, STARTTLS.
fn synthetic(dir: &std::path::Path) -> usize {
    const C: u8 = 0;
    const S: u8 = connscope_fuzz::rec::FROM_SERVER;
    // An h2c SETTINGS frame, HEADERS for stream 1 (HPACK: :status 200 indexed), DATA end.
    let h2_server: &[u8] = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88\x00\x00\x02\x00\x01\x00\x00\x00\x01hi";
    let h2_client: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00";
    let tls_hello: &[u8] = b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x00\x00\x02\x13\x01\x01\x00";
    let cases: Vec<(&str, Vec<(u8, &[u8])>)> = vec![
        ("h2c-upgrade", vec![
            (C, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
            (S, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
            (S, h2_server),
            (C, h2_client),
        ]),
        ("connect-tunnel", vec![
            (C, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
            (S, b"HTTP/1.1 200 Connection established\r\n\r\n"),
            (C, tls_hello),
        ]),
        ("websocket", vec![
            (C, b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            (S, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi"),
        ]),
        ("chunked-trailers", vec![
            (C, b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"),
            (S, b"HTTP/1.1 100 Continue\r\n\r\n"),
            (C, b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
            (C, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"),
            (S, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n"),
        ]),
        ("http10-close", vec![
            (C, b"GET / HTTP/1.0\r\n\r\n"),
            (S, b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>body until close</html>"),
        ]),
        ("smtp-starttls", vec![
            (S, b"220 mail.example ESMTP\r\n"),
            (C, b"EHLO me\r\n"),
            (S, b"250-mail.example\r\n250 STARTTLS\r\n"),
            (C, b"STARTTLS\r\n"),
            (S, b"220 Ready to start TLS\r\n"),
            (C, tls_hello),
        ]),
    ];
    for (name, records) in &cases {
        let script = connscope_fuzz::write_script(0, connscope_fuzz::opt::FIN_AT_END, records);
        std::fs::write(dir.join(format!("synthetic-{name}")), script).expect("write seed");
    }
    cases.len()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut tls_dir, mut http_dir, mut max) = (None, None, 16 * 1024);
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tls" => tls_dir = args.next().map(PathBuf::from),
            "--http1" => http_dir = args.next().map(PathBuf::from),
            "--max" => max = args.next().and_then(|m| m.parse().ok()).unwrap_or(max),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let (Some(tls_dir), Some(http_dir)) = (tls_dir, http_dir) else {
        eprintln!("usage: stream_seeds --tls DIR --http1 DIR [--max BYTES] CAPTURE...");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&tls_dir).expect("tls dir");
    std::fs::create_dir_all(&http_dir).expect("http1 dir");
    let (mut n_tls, mut n_http) = (0, 0);
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else {
            eprintln!("cannot read {}", file.display());
            continue;
        };
        let mut sink = Sink {
            decoder: Decoder::new(),
            flows: HashMap::new(),
            order: Vec::new(),
            max,
        };
        let mut reader = CaptureReader::new();
        reader.feed(&bytes, &mut sink);
        reader.finish(&mut sink);
        // The capture's key log (`name.keys` beside `name.pcap`), for a second, decrypting seed.
        let keylog = std::fs::read(file.with_extension("keys"))
            .ok()
            .filter(|k| k.len() <= 65_535);
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("capture")
            .to_string();
        for (i, k) in sink.order.iter().enumerate() {
            let flow = &sink.flows[k];
            let Some((_, first)) = flow.turns.first() else {
                continue;
            };
            let dir = if is_tls(first) {
                &tls_dir
            } else if is_text(first) {
                &http_dir
            } else {
                continue;
            };
            let records: Vec<(u8, &[u8])> = flow
                .turns
                .iter()
                .map(|(d, b)| (*d as u8, b.as_slice()))
                .collect();
            // 1460-byte segments, handshake, FIN at the end: the plain case; the fuzzer
            // varies segmenting, order and loss from there.
            let script = connscope_fuzz::write_script(0, connscope_fuzz::opt::FIN_AT_END, &records);
            let out = dir.join(format!("{stem}-{i}"));
            std::fs::write(&out, script).expect("write seed");
            if let (Some(k), true) = (&keylog, std::ptr::eq(dir, &tls_dir)) {
                let mut with_keys = vec![(0u8, k.as_slice())];
                with_keys.extend(records.iter().copied());
                let options = connscope_fuzz::opt::FIN_AT_END | connscope_fuzz::opt::KEYLOG;
                let script = connscope_fuzz::write_script(0, options, &with_keys);
                std::fs::write(dir.join(format!("{stem}-{i}-keys")), script).expect("write seed");
                n_tls += 1;
            }
            if std::ptr::eq(dir, &tls_dir) {
                n_tls += 1;
            } else {
                n_http += 1;
            }
        }
    }
    n_http += synthetic(&http_dir);
    eprintln!(
        "stream_seeds: {n_tls} tls seeds, {n_http} http1 seeds from {} captures",
        files.len()
    );
}
