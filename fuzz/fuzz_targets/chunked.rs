//! The same report for every chunking: the capture after the chunk plan (see
//! `connscope_fuzz::chunk_plan`) fed in those chunks must give exactly the whole-input report.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    connscope_fuzz::check_chunked(data);
});
