//! The same report for every chunking: captures fed in random-sized chunks (down to one byte)
//! give exactly the report of the whole file.

mod common;

use proptest::prelude::*;
use std::sync::OnceLock;

/// (file bytes, report of the whole file) for a few varied captures.
fn inputs() -> &'static Vec<(String, Vec<u8>, connscope_core::Report)> {
    static INPUTS: OnceLock<Vec<(String, Vec<u8>, connscope_core::Report)>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let Some(files) = common::corpus() else {
            return Vec::new();
        };
        let wanted = [
            "ndpi-chrome-pageload-tls13-psk.pcap",
            "zeek-erspan-http-ntlm-401.pcap",
            "zeek-pcapng-multi-interface.pcapng",
            "tls12-dsb.pcapng",
            "zeek-http-pipelined.pcap",
            "arkime-h2c-prior-knowledge-loopback.pcap",
            "zeek-quic-go-0rtt-ppp.pcap",
        ];
        files
            .iter()
            .filter(|f| wanted.iter().any(|w| f.ends_with(w)))
            .map(|f| {
                let bytes = std::fs::read(f).unwrap();
                let report = connscope_core::analyze_bytes(&bytes);
                (common::stem(f), bytes, report)
            })
            .collect()
    })
}

fn feed_in_chunks(bytes: &[u8], sizes: &[usize]) -> connscope_core::Report {
    let mut a = connscope_core::Analyzer::new();
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = sizes[i % sizes.len()].max(1).min(bytes.len() - at);
        a.feed(&bytes[at..at + n]);
        at += n;
        i += 1;
    }
    a.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn any_chunking_gives_the_same_report(sizes in prop::collection::vec(1usize..5000, 1..40), pick in 0usize..16) {
        let inputs = inputs();
        if !inputs.is_empty() {
            let (name, bytes, whole) = &inputs[pick % inputs.len()];
            let chunked = feed_in_chunks(bytes, &sizes);
            prop_assert_eq!(&chunked, whole, "{} with chunk sizes {:?}", name, sizes);
        }
    }
}

#[test]
fn one_byte_at_a_time() {
    for (name, bytes, whole) in inputs() {
        assert_eq!(&feed_in_chunks(bytes, &[1]), whole, "{name}");
    }
}
