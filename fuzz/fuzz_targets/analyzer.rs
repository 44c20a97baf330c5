//! The whole analyzer on arbitrary bytes: it must not panic, hang or grow without bound, and
//! its report must always serialise (and read back), and render as the CLI text view.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = connscope_core::analyze_bytes(data);
    connscope_fuzz::check_report(&report);
});
