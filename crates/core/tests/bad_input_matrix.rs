//! The bad-input matrix (issue 6): real lab captures damaged in the ways files get damaged, and
//! hand-made lies. Each case: no panic, the clear message it should give (error or warning or
//! note, naming the frame or offset), and the report of everything that could be read.

mod common;

use connscope_core::{analyze_bytes, Report};
use std::path::PathBuf;

fn lab(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/lab/captures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A little-endian µs pcap as records: (offset of the record header, caplen).
fn records(pcap: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push((off, caplen));
        off += 16 + caplen;
    }
    assert_eq!(off, pcap.len(), "a well-formed little-endian pcap");
    out
}

/// A pcap made of the given records (header bytes and data as they are, possibly altered).
fn rebuild(
    pcap: &[u8],
    recs: &[(usize, usize)],
    mut each: impl FnMut(usize, &mut Vec<u8>, &[u8]),
) -> Vec<u8> {
    let mut out = pcap[..24].to_vec();
    for (i, &(off, caplen)) in recs.iter().enumerate() {
        each(i, &mut out, &pcap[off..off + 16 + caplen]);
    }
    out
}

fn warning<'a>(r: &'a Report, code: &str) -> &'a connscope_core::report::Warning {
    r.warnings
        .iter()
        .find(|w| w.code == code)
        .unwrap_or_else(|| panic!("no `{code}` warning in {:?}", r.warnings))
}

fn requests(r: &Report) -> usize {
    r.connections
        .iter()
        .map(|c| c.http.as_ref().map_or(0, |h| h.requests.len()))
        .sum()
}

/// The offset of the first ClientHello's TLS record in the capture, and its frame number.
fn first_client_hello(pcap: &[u8], recs: &[(usize, usize)]) -> (usize, u64) {
    for (i, &(off, caplen)) in recs.iter().enumerate() {
        let f = &pcap[off + 16..off + 16 + caplen];
        if f.len() < 54 || f[12..14] != [0x08, 0x00] {
            continue;
        }
        let ihl = usize::from(f[14] & 0x0f) * 4;
        let doff = usize::from(f[14 + ihl + 12] >> 4) * 4;
        let p = 14 + ihl + doff;
        if f.len() > p + 9 && f[p] == 0x16 && f[p + 5] == 1 {
            return (off + 16 + p, i as u64 + 1);
        }
    }
    panic!("no ClientHello in the capture")
}

#[test]
fn truncated_at_every_997th_byte() {
    for name in ["plain-http-80.pcap", "cert-warning-clickthrough.pcap"] {
        let cap = lab(name);
        let whole = analyze_bytes(&cap);
        let mut cut = 997;
        while cut < cap.len() {
            let r = analyze_bytes(&cap[..cut]);
            // Cut inside a record: named, with its frame and an offset before the cut (a cut
            // exactly between two records is a shorter, clean file).
            if let Some(e) = &r.error {
                assert_eq!(e.code, "truncated", "{name} cut at {cut}: {e:?}");
                assert!(
                    e.offset < cut as u64 && e.frame.is_some(),
                    "{name} cut at {cut}: {e:?}"
                );
                assert!(e.message.contains("truncated"), "{}", e.message);
                assert_eq!(e.frame, Some(r.capture.packets + 1));
            }
            assert!(r.capture.packets < whole.capture.packets);
            // What was read is analysed: every connection starts in the packets before the cut.
            assert!(r.connections.len() <= whole.connections.len());
            assert!(r
                .connections
                .iter()
                .all(|c| c.first_frame <= r.capture.packets));
            cut += 997;
        }
    }
}

#[test]
fn a_record_claiming_4_gb() {
    let cap = lab("plain-http-80.pcap");
    let recs = records(&cap);
    let mut b = cap.clone();
    b[recs[5].0 + 8..recs[5].0 + 12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let r = analyze_bytes(&b);
    let e = r.error.as_ref().expect("a 4 GB record is an error");
    assert_eq!(e.code, "corrupt");
    assert_eq!((e.frame, e.offset), (Some(6), recs[5].0 as u64));
    assert!(
        e.message.contains("4294967280 captured bytes"),
        "{}",
        e.message
    );
    // The five packets before it are analysed.
    assert_eq!(r.capture.packets, 5);
    assert!(!r.connections.is_empty());
}

/// pcapng written from the lab capture's records: SHB, one IDB (Ethernet, µs), EPBs.
fn pcapng_of(
    cap: &[u8],
    recs: &[(usize, usize)],
    mut after: impl FnMut(usize, &mut Vec<u8>),
) -> Vec<u8> {
    fn block(out: &mut Vec<u8>, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend_from_slice(&len.to_le_bytes());
    }
    let mut out = Vec::new();
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    block(&mut out, 0x0a0d_0d0a, &shb);
    let mut idb = vec![1, 0, 0, 0];
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    block(&mut out, 1, &idb);
    for (i, &(off, caplen)) in recs.iter().enumerate() {
        let h = &cap[off..off + 16];
        let secs = u64::from(u32::from_le_bytes(h[0..4].try_into().unwrap()));
        let usecs = u64::from(u32::from_le_bytes(h[4..8].try_into().unwrap()));
        let t = secs * 1_000_000 + usecs;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(t as u32).to_le_bytes());
        epb.extend_from_slice(&(caplen as u32).to_le_bytes());
        epb.extend_from_slice(&h[12..16]);
        epb.extend_from_slice(&cap[off + 16..off + 16 + caplen]);
        block(&mut out, 6, &epb);
        after(i, &mut out);
    }
    out
}

#[test]
fn pcapng_with_an_unknown_block_and_a_bad_block_length() {
    let cap = lab("plain-http-80.pcap");
    let recs = records(&cap);
    let whole = analyze_bytes(&cap);
    let clean = analyze_bytes(&pcapng_of(&cap, &recs, |_, _| {}));
    assert!(clean.error.is_none(), "{:?}", clean.error);
    assert_eq!(clean.connections.len(), whole.connections.len());
    // An unknown block type after packet 10: skipped, everything else read.
    let unknown = analyze_bytes(&pcapng_of(&cap, &recs, |i, out| {
        if i == 9 {
            out.extend_from_slice(&0x0bad_b10cu32.to_le_bytes());
            out.extend_from_slice(&16u32.to_le_bytes());
            out.extend_from_slice(b"odd!");
            out.extend_from_slice(&16u32.to_le_bytes());
        }
    }));
    assert!(unknown.error.is_none(), "{:?}", unknown.error);
    assert_eq!(unknown.capture.packets, whole.capture.packets);
    assert_eq!(unknown.connections.len(), whole.connections.len());
    assert_eq!(requests(&unknown), requests(&whole));
    // A block after packet 20 whose length is not a multiple of 4: the file is corrupt from
    // there, the 20 packets before it are analysed.
    let mut at = 0;
    let bad = analyze_bytes(&pcapng_of(&cap, &recs, |i, out| {
        if i == 19 {
            at = out.len();
            out.extend_from_slice(&6u32.to_le_bytes());
            out.extend_from_slice(&13u32.to_le_bytes());
            out.extend_from_slice(&[0; 9]);
        }
    }));
    let e = bad.error.as_ref().expect("a bad block length is an error");
    assert_eq!(e.code, "corrupt", "{e:?}");
    assert_eq!((e.offset, e.frame), (at as u64, Some(21)), "{e:?}");
    assert!(e.message.contains("13"), "{}", e.message);
    assert_eq!(bad.capture.packets, 20);
    assert!(!bad.connections.is_empty());
}

#[test]
fn unknown_link_type() {
    let mut cap = lab("plain-http-80.pcap");
    cap[20..24].copy_from_slice(&147u32.to_le_bytes());
    let r = analyze_bytes(&cap);
    assert!(r.error.is_none());
    assert_eq!(r.capture.packets, 43);
    assert!(r.connections.is_empty());
    let w = warning(&r, "unknown_link_type");
    assert_eq!(w.count, 43);
    assert!(
        w.message
            .contains("link type linktype-147 (147) is not supported"),
        "{}",
        w.message
    );
}

#[test]
fn snaplen_truncated_payloads() {
    let cap = lab("plain-http-80.pcap");
    let recs = records(&cap);
    let whole = analyze_bytes(&cap);
    // Every packet cut to 80 bytes, as `tcpdump -s 80` writes it (orig_len stays).
    let cut = rebuild(&cap, &recs, |_, out, rec| {
        let keep = (rec.len() - 16).min(80);
        let mut h = rec[..16].to_vec();
        h[8..12].copy_from_slice(&(keep as u32).to_le_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(&rec[16..16 + keep]);
    });
    let r = analyze_bytes(&cut);
    assert!(r.error.is_none());
    // Connections and their TCP facts stand; the lost bytes are named per connection, and the
    // parsers never make requests out of them.
    assert_eq!(r.connections.len(), whole.connections.len());
    for (c, w) in r.connections.iter().zip(&whole.connections) {
        assert_eq!((c.stream, c.packets), (w.stream, w.packets));
        assert_eq!(
            c.bytes_client + c.bytes_server,
            w.bytes_client + w.bytes_server,
            "payload bytes count what was sent"
        );
    }
    let gaps: Vec<_> = r
        .connections
        .iter()
        .flat_map(|c| &c.notes)
        .filter(|n| n.code == "gap")
        .collect();
    assert!(!gaps.is_empty());
    assert!(
        gaps.iter()
            .all(|n| n.frame.is_some() && n.message.contains("not captured")),
        "{gaps:?}"
    );
    assert!(requests(&r) <= requests(&whole));
}

#[test]
fn tls_lengths_that_lie() {
    let cap = lab("cert-warning-clickthrough.pcap");
    let recs = records(&cap);
    let whole = analyze_bytes(&cap);
    let (p, frame) = first_client_hello(&cap, &recs);
    // The record claims 16 bytes: the rest of the hello reads as a record header that is none.
    let mut b = cap.clone();
    b[p + 3..p + 5].copy_from_slice(&16u16.to_be_bytes());
    let r = analyze_bytes(&b);
    assert_eq!(r.connections.len(), whole.connections.len());
    let c = &r.connections[0];
    let n = c
        .notes
        .iter()
        .find(|n| n.code == "tls_unparsed")
        .expect("a note on the connection");
    assert_eq!(n.frame, Some(frame));
    assert!(
        n.message.contains("stops looking like TLS records"),
        "{}",
        n.message
    );
    assert!(
        c.tls.as_ref().is_none_or(|t| t.sni.is_none()),
        "no SNI made up from a broken hello"
    );
    // The handshake message claims 16 MB: refused, said, not buffered.
    let mut b = cap.clone();
    b[p + 6..p + 9].copy_from_slice(&[0xff, 0xff, 0xff]);
    let r = analyze_bytes(&b);
    let n = r.connections[0]
        .notes
        .iter()
        .find(|n| n.code == "limit")
        .expect("a limit note");
    assert_eq!(n.frame, Some(frame));
    assert!(n.message.contains("claims 16777215 bytes"), "{}", n.message);
    // The other connections' facts are untouched (their explanations may cite the first).
    for (c, w) in r.connections.iter().zip(&whole.connections).skip(1) {
        assert_eq!((&c.tcp, &c.tls, &c.http), (&w.tcp, &w.tls, &w.http));
    }
}

#[test]
fn http_header_line_of_1_mb() {
    let mut p = common::synth::Pcap::default();
    let mut tcp = common::synth::Tcp::new(([10, 0, 0, 1], 50_000), ([10, 0, 0, 2], 80));
    tcp.open(&mut p, 1.0);
    let mut req = b"GET /big HTTP/1.1\r\nHost: example.test\r\nX-Huge: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 1 << 20));
    req.extend_from_slice(b"\r\n\r\n");
    let mut t = 1.01;
    for seg in req.chunks(1448) {
        tcp.client_sends(&mut p, t, seg);
        t += 0.0001;
    }
    tcp.server_sends(
        &mut p,
        t + 0.01,
        b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n",
    );
    let r = analyze_bytes(&p.finish());
    assert!(r.error.is_none());
    assert_eq!(r.connections.len(), 1);
    let c = &r.connections[0];
    // Read up to a limit and said so: no megabyte buffered per connection, no made-up request.
    let note = c
        .notes
        .iter()
        .find(|n| n.code == "limit" || n.code == "http_unparsed")
        .unwrap_or_else(|| panic!("a note: {:?}", c.notes));
    assert!(note.frame.is_some(), "{note:?}");
    assert!(c
        .http
        .as_ref()
        .is_none_or(|h| h.requests.iter().all(|r| r.target == "/big")));
}

#[test]
fn time_going_backwards() {
    let cap = lab("plain-http-80.pcap");
    let recs = records(&cap);
    let whole = analyze_bytes(&cap);
    let mut b = cap.clone();
    let at = recs[3].0;
    let s = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    b[at..at + 4].copy_from_slice(&(s - 3600).to_le_bytes());
    let r = analyze_bytes(&b);
    assert!(r.error.is_none());
    let w = warning(&r, "time_backwards");
    assert_eq!((w.count, w.frame), (1, Some(4)));
    assert!(
        w.message.contains("frame 4 is stamped 3599."),
        "{}",
        w.message
    );
    // Analysed in the file's order: the same connections, requests and closes.
    assert_eq!(r.connections.len(), whole.connections.len());
    assert_eq!(requests(&r), requests(&whole));
    assert!(whole.warnings.iter().all(|w| w.code != "time_backwards"));
}

#[test]
fn duplicated_packets() {
    let cap = lab("plain-http-80.pcap");
    let recs = records(&cap);
    let whole = analyze_bytes(&cap);
    let twice = rebuild(&cap, &recs, |_, out, rec| {
        out.extend_from_slice(rec);
        out.extend_from_slice(rec);
    });
    let r = analyze_bytes(&twice);
    assert!(r.error.is_none());
    assert_eq!(r.capture.packets, 2 * whole.capture.packets);
    // Same connections and requests; every copy with data counts as a retransmission.
    assert_eq!(r.connections.len(), whole.connections.len());
    assert_eq!(requests(&r), requests(&whole));
    for (c, w) in r.connections.iter().zip(&whole.connections) {
        assert_eq!(c.stream, w.stream);
        assert_eq!(
            c.http.as_ref().map(|h| h.requests.len()),
            w.http.as_ref().map(|h| h.requests.len())
        );
        let t = c.tcp.as_ref().unwrap();
        assert!(t.retransmissions_client + t.retransmissions_server > 0);
    }
}
