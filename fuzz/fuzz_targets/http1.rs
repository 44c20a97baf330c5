//! HTTP/1.x (and h2c, STARTTLS, whatever the content says) through the public API: the fuzz
//! bytes are a stream script (`connscope_fuzz::Script`) carried by one TCP connection to
//! port 80 in a synthetic pcap.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    connscope_fuzz::run_stream(data, 50_000, 80);
});
