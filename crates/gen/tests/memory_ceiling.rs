//! Memory regression check: the core's heap follows the number of connections, not the size of
//! the capture. A generated capture with thousands of connections is analysed (fed in 1 MiB
//! chunks, then `finish`) under a counting allocator; the peak heap of the analysis must stay
//! under a fixed ceiling (a base plus a budget per connection), and four times the bytes must
//! not need more memory per connection.
//!
//! The capture is generated into memory first, so only the analysis is measured. (This test
//! lives in crates/gen because it needs the generator and its own global allocator.)

use connscope_core::Analyzer;
use connscope_gen::{generate, Config, Format};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Heap the analysis may use: a fixed base plus a budget per connection (TCP and UDP flows),
/// report included.
const BASE: usize = 2 << 20;
const PER_CONNECTION: usize = 5 << 10;

struct Measured {
    file_bytes: usize,
    connections: usize,
    peak: usize,
}

fn measure(target: u64, connections: u64) -> Measured {
    let mut cfg = Config::new(target, Format::Pcap);
    cfg.connections = Some(connections);
    cfg.seed = 5;
    let mut capture = Vec::with_capacity(target as usize + (target as usize) / 8);
    generate(&cfg, &mut capture).expect("generating into memory");
    let base = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut analyzer = Analyzer::new();
    for chunk in capture.chunks(1 << 20) {
        analyzer.feed(chunk);
    }
    let report = analyzer.finish();
    let peak = HEAP.peak_usage().saturating_sub(base);
    assert!(report.error.is_none(), "{:?}", report.error);
    Measured {
        file_bytes: capture.len(),
        connections: report.connections.len(),
        peak,
    }
}

#[test]
fn heap_is_flat_in_file_size_and_bounded_per_connection() {
    let small = measure(12 << 20, 2_500);
    let large = measure(48 << 20, 2_500);
    for m in [&small, &large] {
        let ceiling = BASE + PER_CONNECTION * m.connections;
        eprintln!(
            "{:.1} MB capture, {} connections: peak heap {:.2} MiB ({:.1} KiB per connection; ceiling {:.2} MiB)",
            m.file_bytes as f64 / 1e6,
            m.connections,
            m.peak as f64 / 1048576.0,
            m.peak as f64 / 1024.0 / m.connections as f64,
            ceiling as f64 / 1048576.0
        );
        assert!(
            m.peak <= ceiling,
            "peak heap {} B over the ceiling {} B",
            m.peak,
            ceiling
        );
    }
    assert!(large.file_bytes > 3 * small.file_bytes);
    // Planned alike, 4× the bytes: per connection, the heap may grow a little with the
    // connections' own facts (more requests, more record turns), never with the bytes.
    let per = |m: &Measured| m.peak as f64 / m.connections as f64;
    assert!(
        per(&large) <= 1.25 * per(&small) + 256.0,
        "4× the bytes: {:.0} B of heap per connection, 1×: {:.0} B",
        per(&large),
        per(&small)
    );
}
