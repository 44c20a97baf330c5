//! Bad input never panics and always says what went wrong, where, with the report of
//! everything before it.

mod common;

use connscope_core::analyze_bytes;

#[test]
fn not_captures_are_named() {
    for (bytes, expect) in [
        (&b""[..], "empty file"),
        (&b"\xd4"[..], "only 1 byte "),
        (&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10"[..], "PNG"),
        (&b"<!DOCTYPE html><html><body>hi</body></html>"[..], "HTML"),
        (&b"just some notes\nabout a capture\n"[..], "text file"),
        (&b"CLIENT_RANDOM 0011 2233\n"[..], "key log"),
    ] {
        let r = analyze_bytes(bytes);
        let e = r
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{bytes:?} accepted"));
        assert_eq!(e.code, "not_a_capture", "{bytes:?}");
        assert!(e.message.contains(expect), "{:?}: {}", bytes, e.message);
        assert!(r.connections.is_empty());
    }
}

#[test]
fn empty_capture_is_fine() {
    let Some(files) = common::corpus() else {
        return;
    };
    let f = files
        .iter()
        .find(|f| f.ends_with("zeek-empty.pcap"))
        .unwrap();
    let r = common::analyze(f);
    assert!(r.error.is_none());
    assert_eq!(r.capture.packets, 0);
    assert!(r.connections.is_empty());
}

#[test]
fn tcpdump_heap_overflow_sample() {
    let Some(files) = common::corpus() else {
        return;
    };
    let f = files
        .iter()
        .find(|f| f.ends_with("tcpdump-tcp-heapoverflow-malformed.pcap"))
        .unwrap();
    let r = common::analyze(f);
    assert!(r.error.is_none(), "{:?}", r.error);
    // tshark gives the garbage segment a stream (its header length nibble claims 60 bytes).
    assert_eq!(r.connections.len(), 1);
    assert_eq!(
        r.connections[0].bytes_client + r.connections[0].bytes_server,
        12256
    );
}

/// Cut every capture at many offsets: never a panic, a `truncated` (or `corrupt`) error with
/// an offset inside the file, and connections only from what came before the cut.
#[test]
fn truncated_captures_keep_what_came_before() {
    let Some(files) = common::corpus() else {
        return;
    };
    let mut cuts = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let whole = analyze_bytes(&bytes);
        let step = (bytes.len() / 40).max(1);
        for cut in (1..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
            let r = analyze_bytes(&bytes[..cut]);
            cuts += 1;
            if let Some(e) = &r.error {
                assert!(
                    e.offset <= cut as u64,
                    "{}: offset {} past cut {cut}",
                    f.display(),
                    e.offset
                );
                assert!(!e.message.is_empty());
            }
            assert!(r.capture.packets <= whole.capture.packets);
            assert!(
                r.connections.len() <= whole.connections.len(),
                "{} cut at {cut}",
                f.display()
            );
        }
    }
    assert!(cuts > 1000);
}

#[test]
fn truncated_mid_record_is_reported_with_frame() {
    let Some(files) = common::corpus() else {
        return;
    };
    let f = files
        .iter()
        .find(|f| f.ends_with("ndpi-safari-pageload-tls12-sessionid.pcap"))
        .unwrap();
    let bytes = std::fs::read(f).unwrap();
    // 10 bytes short: inside the last record, whatever its size.
    let r = analyze_bytes(&bytes[..bytes.len() - 10]);
    let e = r.error.expect("truncation reported");
    assert_eq!(e.code, "truncated");
    assert_eq!(e.frame, Some(168));
    assert!(e.message.contains("truncated"), "{}", e.message);
    assert_eq!(r.capture.packets, 167);
    assert_eq!(r.connections.len(), 7);
}
