//! Where the core's heap goes, by phase: `cargo run --release -p connscope-gen --example
//! heap_phases -- FILE` prints the heap held at the end of `feed` (parser state), by the finished
//! report, and at the peak of `finish` (report plus the explanation engine's working set), in
//! total and per connection. Counted by a global allocator, so the figures are exact and
//! independent of the system allocator's page reuse (unlike RSS).

use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: heap_phases FILE")?;
    let data = std::fs::read(&path)?;
    let base = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let mut analyzer = connscope_core::Analyzer::new();
    for chunk in data.chunks(1 << 20) {
        analyzer.feed(chunk);
    }
    let fed = HEAP.current_usage().saturating_sub(base);
    let report = analyzer.finish();
    let kept = HEAP.current_usage().saturating_sub(base);
    let peak = HEAP.peak_usage().saturating_sub(base);
    let n = report.connections.len().max(1) as f64;
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "{path}: {} connections\n  end of feed: {:.1} MB ({:.0} B per connection)\n  report:      {:.1} MB ({:.0} B per connection)\n  peak:        {:.1} MB ({:.0} B per connection)",
        report.connections.len(),
        mb(fed),
        fed as f64 / n,
        mb(kept),
        kept as f64 / n,
        mb(peak),
        peak as f64 / n
    );
    Ok(())
}
