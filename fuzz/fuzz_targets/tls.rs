//! TLS handshake parsing through the public API: the fuzz bytes are a stream script
//! (`connscope_fuzz::Script`) whose records become the payload of one TCP connection to port
//! 443 in a synthetic pcap, segmented, reordered, duplicated or cut as the script says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    connscope_fuzz::run_stream(data, 50_000, 443);
});
