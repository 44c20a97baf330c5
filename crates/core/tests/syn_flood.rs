//! A SYN flood of a million connections: the connection cap holds memory down, the report says
//! it summarised, and nothing panics. Memory is measured with a counting allocator.

#![allow(unsafe_code)] // the counting allocator below

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const FLOOD: u32 = 1_000_000;
/// Ceiling for the analyzer's own allocations (the capture chunks fed to it are not counted:
/// they are generated on the fly).
const CEILING: usize = 320 << 20;

#[test]
fn a_million_syns_stay_under_the_ceiling() {
    let mut a = connscope_core::Analyzer::new();
    let mut p = common::synth::Pcap::default();
    a.feed(&std::mem::take(&mut p).finish());
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut chunk = Vec::with_capacity(1 << 20);
    for i in 0..FLOOD {
        let src = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let frame =
            common::synth::syn_frame(src, 40000 + (i % 20000) as u16, [192, 0, 2, 1], 443, i);
        let t = 1_000_000.0 + f64::from(i) * 1e-5;
        common::synth::pcap_record(&mut chunk, t, &frame);
        if chunk.len() >= 1 << 20 {
            a.feed(&chunk);
            chunk.clear();
        }
    }
    a.feed(&chunk);
    drop(chunk);
    let state = LIVE.load(Ordering::Relaxed) - base;
    let report = a.finish();
    let report_size = LIVE.load(Ordering::Relaxed) - base;
    eprintln!(
        "state before finish: {} MiB; report: {} MiB",
        state >> 20,
        report_size >> 20
    );
    let peak = PEAK.load(Ordering::Relaxed) - base;
    eprintln!(
        "peak analyzer memory for {FLOOD} SYNs: {} MiB; {} connections in the report",
        peak >> 20,
        report.connections.len()
    );
    assert_eq!(report.connections.len(), connscope_core::MAX_CONNECTIONS);
    assert!(
        report.warnings.iter().any(|w| w.code == "connection_limit"),
        "{:?}",
        report.warnings
    );
    assert!(
        peak < CEILING,
        "peak {} MiB over the {} MiB ceiling",
        peak >> 20,
        CEILING >> 20
    );
}
