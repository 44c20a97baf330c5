//! connscope-app: the page. Two wasm binaries come out of this crate:
//!
//! - `connscope-app` (`src/main.rs`): the Yew single-page app. It never parses captures itself.
//! - `connscope-worker` (`src/bin/worker.rs`): the Web Worker. It reads the dropped file in slices
//!   (`Blob.slice`, 16 MiB at a time), feeds `connscope_core::Analyzer`, posts progress, and sends
//!   the finished report back in postcard-encoded, transferred buffers (see [`codec`]).
//!
//! The modules below the UI are plain Rust and tested natively (`cargo test -p connscope-app`):
//! [`codec`] (the report, worker → page), [`messages`] (the worker's status messages),
//! [`files`] (capture or key log?), [`model`] (filter, sort, group), [`waterfall`] (timeline geometry),
//! [`svg`] (the SVG export), [`format`] (numbers and times).

pub mod codec;
pub mod files;
pub mod format;
pub mod messages;
pub mod model;
pub mod svg;
pub mod ui;
pub mod waterfall;
