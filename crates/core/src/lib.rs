//! connscope-core: from capture bytes to connections, their TCP / TLS / HTTP facts, and why
//! each connection exists.
//!
//! ```
//! let mut analyzer = connscope_core::Analyzer::new();
//! analyzer.feed(&[]); // feed the file in chunks of any size
//! let report = analyzer.finish();
//! assert_eq!(report.error.as_ref().map(|e| e.code.as_str()), Some("not_a_capture"));
//! ```
//!
//! The data flow, one module per step: `capture` (pcap/pcapng/gzip framing) → `decode`
//! (link, IP, tunnels, TCP/UDP headers) → `flows` (connection table, lifecycle) →
//! `reassembly` (ordered byte streams) → `protocols` (TLS, HTTP/1, h2c, DNS, QUIC headers) →
//! `report` (the serde model everyone shares).

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]

mod analyzer;
mod bytes;
pub mod capture;
pub mod decode;
pub mod decrypt;
pub mod explain;
mod flows;
mod notes;
pub mod protocols;
#[cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
mod reassembly;
pub mod report;
mod side;
mod time;
mod warnings;

pub use analyzer::{Analyzer, Progress, MAX_CONNECTIONS};
pub use report::Report;
pub use time::Ts;

/// Analyses a whole capture held in memory (convenience for tests and small files).
pub fn analyze_bytes(bytes: &[u8]) -> Report {
    let mut a = Analyzer::new();
    a.feed(bytes);
    a.finish()
}
