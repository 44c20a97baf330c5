//! Capture formats: the same packets in pcap (µs/ns, little/big endian), pcapng (several
//! interfaces, per-interface timestamp resolution, EPB/SPB/OPB, DSB, unknown blocks, both byte
//! orders) and gzip give the same connections.

mod common;

use connscope_core::report::{Connection, Report};
use std::io::Write;

/// Packets of a little-endian microsecond pcap: (ts_sec, ts_usec, orig_len, data).
struct Pcap {
    link_type: u32,
    packets: Vec<(u32, u32, u32, Vec<u8>)>,
}

fn read_pcap(bytes: &[u8]) -> Pcap {
    let u32le = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    assert_eq!(
        u32le(bytes, 0),
        0xa1b2c3d4,
        "test input must be a little-endian µs pcap"
    );
    let link_type = u32le(bytes, 20);
    let mut at = 24;
    let mut packets = Vec::new();
    while at + 16 <= bytes.len() {
        let (s, us, cap, orig) = (
            u32le(bytes, at),
            u32le(bytes, at + 4),
            u32le(bytes, at + 8) as usize,
            u32le(bytes, at + 12),
        );
        packets.push((s, us, orig, bytes[at + 16..at + 16 + cap].to_vec()));
        at += 16 + cap;
    }
    Pcap { link_type, packets }
}

fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}
fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn write_pcap(p: &Pcap, be: bool, nanos: bool) -> Vec<u8> {
    let mut f = Vec::new();
    put32(&mut f, if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 }, be);
    put16(&mut f, 2, be);
    put16(&mut f, 4, be);
    put32(&mut f, 0, be);
    put32(&mut f, 0, be);
    put32(&mut f, 262144, be);
    put32(&mut f, p.link_type, be);
    for (s, us, orig, data) in &p.packets {
        put32(&mut f, *s, be);
        put32(&mut f, if nanos { us * 1000 } else { *us }, be);
        put32(&mut f, data.len() as u32, be);
        put32(&mut f, *orig, be);
        f.extend_from_slice(data);
    }
    f
}

fn block(out: &mut Vec<u8>, ty: u32, body: &[u8], be: bool) {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    put32(out, ty, be);
    put32(out, len, be);
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    put32(out, len, be);
}

#[derive(Clone, Copy, PartialEq)]
enum Packets {
    Enhanced,
    /// Every third packet in an Obsolete Packet Block.
    WithObsolete,
    Simple,
}

/// pcapng with two interfaces: interface 0 is a decoy (another link type) unless SPBs are
/// used (they always belong to interface 0); `tsresol` is the packet interface's resolution.
fn write_pcapng(p: &Pcap, be: bool, tsresol: u8, kind: Packets) -> Vec<u8> {
    let mut f = Vec::new();
    // Section header: byte-order magic, version 1.0, unknown section length.
    let mut shb = Vec::new();
    put32(&mut shb, 0x1a2b3c4d, be);
    put16(&mut shb, 1, be);
    put16(&mut shb, 0, be);
    shb.extend_from_slice(&[0xff; 8]);
    block(&mut f, 0x0a0d0d0a, &shb, be);
    let idb = |link: u32, resol: Option<u8>| {
        let mut b = Vec::new();
        put16(&mut b, link as u16, be);
        put16(&mut b, 0, be);
        put32(&mut b, 0, be);
        if let Some(r) = resol {
            put16(&mut b, 9, be); // if_tsresol
            put16(&mut b, 1, be);
            b.extend_from_slice(&[r, 0, 0, 0]);
            put16(&mut b, 0, be); // opt_endofopt
            put16(&mut b, 0, be);
        }
        b
    };
    let iface = if kind == Packets::Simple {
        block(&mut f, 1, &idb(p.link_type, None), be);
        0u32
    } else {
        block(&mut f, 1, &idb(147, None), be);
        block(&mut f, 1, &idb(p.link_type, Some(tsresol)), be);
        1
    };
    // Something a reader must skip, and a secrets block it must keep.
    block(&mut f, 0x0000_1234, b"unknown block body", be);
    let mut dsb = Vec::new();
    put32(&mut dsb, 0x544c534b, be);
    let secret = b"CLIENT_RANDOM 00 11\n";
    put32(&mut dsb, secret.len() as u32, be);
    dsb.extend_from_slice(secret);
    block(&mut f, 0x0000_000a, &dsb, be);
    let units_per_sec: u128 = if tsresol & 0x80 != 0 {
        1u128 << (tsresol & 0x7f)
    } else {
        10u128.pow(u32::from(tsresol))
    };
    for (n, (s, us, orig, data)) in p.packets.iter().enumerate() {
        let units = (u128::from(*s) * 1_000_000 + u128::from(*us)) * units_per_sec / 1_000_000;
        let (hi, lo) = ((units >> 32) as u32, units as u32);
        let mut b = Vec::new();
        match kind {
            Packets::Simple => {
                put32(&mut b, *orig, be);
                b.extend_from_slice(data);
                block(&mut f, 3, &b, be);
            }
            Packets::WithObsolete if n % 3 == 2 => {
                put16(&mut b, iface as u16, be);
                put16(&mut b, 0, be);
                put32(&mut b, hi, be);
                put32(&mut b, lo, be);
                put32(&mut b, data.len() as u32, be);
                put32(&mut b, *orig, be);
                b.extend_from_slice(data);
                block(&mut f, 2, &b, be);
            }
            _ => {
                put32(&mut b, iface, be);
                put32(&mut b, hi, be);
                put32(&mut b, lo, be);
                put32(&mut b, data.len() as u32, be);
                put32(&mut b, *orig, be);
                b.extend_from_slice(data);
                block(&mut f, 6, &b, be);
            }
        }
    }
    f
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// What must not depend on the container: every connection's identity, counts and facts.
fn shape(c: &Connection) -> String {
    format!(
        "{} {} {}:{} {}:{} {} {}/{} {}/{} {:?} {:?}",
        c.transport,
        c.stream,
        c.client.ip,
        c.client.port,
        c.server.ip,
        c.server.port,
        c.protocol,
        c.packets_client,
        c.packets_server,
        c.bytes_client,
        c.bytes_server,
        c.tls
            .as_ref()
            .map(|t| (&t.sni, t.handshake.len(), t.resumed, &t.outcome)),
        c.http.as_ref().map(|h| h
            .requests
            .iter()
            .map(|r| (&r.target, r.status))
            .collect::<Vec<_>>()),
    )
}

fn analyze(bytes: &[u8]) -> Report {
    let r = connscope_core::analyze_bytes(bytes);
    assert!(r.error.is_none(), "{:?}", r.error);
    r
}

const SAMPLES: [&str; 4] = [
    "ndpi-safari-pageload-tls12-sessionid.pcap",
    "zeek-http-keepalive-reuse.pcap",
    "zeek-wikipedia-pageload.pcap",
    "zeek-ff52-tls13-unknown-ca-reconnect.pcap",
];

#[test]
fn pcap_variants_and_gzip_give_the_same_report() {
    if common::corpus().is_none() {
        return;
    }
    for name in SAMPLES {
        let bytes = std::fs::read(common::corpus_dir().join(name)).unwrap();
        let base = analyze(&bytes);
        assert!(!base.connections.is_empty());
        let p = read_pcap(&bytes);
        for (be, nanos) in [(true, false), (false, true), (true, true)] {
            let r = analyze(&write_pcap(&p, be, nanos));
            assert_eq!(r.connections, base.connections, "{name} be={be} ns={nanos}");
            assert_eq!(
                r.capture.byte_order.as_deref(),
                Some(if be { "big" } else { "little" })
            );
            assert_eq!(
                r.capture.timestamp_resolution.as_deref(),
                Some(if nanos { "ns" } else { "us" })
            );
        }
        let gz = analyze(&gzip(&bytes));
        assert_eq!(gz.connections, base.connections, "{name} gzip");
        assert_eq!(gz.capture.compression.as_deref(), Some("gzip"));
        assert_eq!(gz.capture.file_bytes, bytes.len() as u64);
    }
}

#[test]
fn pcapng_variants_give_the_same_connections() {
    if common::corpus().is_none() {
        return;
    }
    for name in SAMPLES {
        let bytes = std::fs::read(common::corpus_dir().join(name)).unwrap();
        let base = analyze(&bytes);
        let base_shape: Vec<String> = base.connections.iter().map(shape).collect();
        let p = read_pcap(&bytes);
        for be in [false, true] {
            // Nanosecond interface: times are exact, so everything matches.
            let ns = analyze(&write_pcapng(&p, be, 9, Packets::WithObsolete));
            assert_eq!(ns.connections, base.connections, "{name} pcapng ns be={be}");
            assert_eq!(ns.capture.format, "pcapng");
            assert_eq!(ns.capture.interfaces, 2);
            assert_eq!(ns.capture.link_types.len(), 2);
            assert_eq!(ns.capture.decryption_secrets, 1);
            assert!(
                ns.warnings.iter().any(|w| w.code == "unknown_block"),
                "{:?}",
                ns.warnings
            );
            // Binary fractions of a second (2^-20 s): times shift by < 1 µs, facts do not.
            let bin = analyze(&write_pcapng(&p, be, 0x80 | 20, Packets::Enhanced));
            assert_eq!(
                bin.connections.iter().map(shape).collect::<Vec<_>>(),
                base_shape,
                "{name} 2^-20 be={be}"
            );
            assert_eq!(
                bin.capture.timestamp_resolution.as_deref(),
                Some("us"),
                "first interface's resolution"
            );
            // Simple packet blocks carry no time at all.
            let spb = analyze(&write_pcapng(&p, be, 6, Packets::Simple));
            assert_eq!(
                spb.connections.iter().map(shape).collect::<Vec<_>>(),
                base_shape,
                "{name} SPB be={be}"
            );
        }
    }
}

#[test]
fn gzip_of_pcapng_and_truncated_gzip() {
    let Some(files) = common::corpus() else {
        return;
    };
    let ng = files
        .iter()
        .find(|f| f.ends_with("zeek-pcapng-multi-interface.pcapng"))
        .unwrap();
    let bytes = std::fs::read(ng).unwrap();
    let base = analyze(&bytes);
    let gz = gzip(&bytes);
    assert_eq!(analyze(&gz).connections, base.connections);
    let cut = connscope_core::analyze_bytes(&gz[..gz.len() / 2]);
    let e = cut.error.expect("a cut gzip stream is reported");
    assert!(e.code == "gzip" || e.code == "truncated", "{e:?}");
}
