//! connscope-worker: the Web Worker that runs the analysis, off the page's main thread.
//!
//! `web/worker.js` loads this module and hands it every message from the page:
//!
//! - `{type: "analyze", file: Blob, keylogs?: [Blob]}`: first hands every key log to
//!   `Analyzer::add_keylog` (the secrets live in this worker's memory only, and only until the
//!   next analysis; the report never contains them), then reads the capture in [`CHUNK`]-sized
//!   slices (`Blob.slice` + `arrayBuffer()`, the next slice is read while the current one is
//!   analysed), feeds each to `Analyzer::feed`, and
//!   posts `{type: "progress", bytes, total, packets, connections}` after each;
//!   `{type: "finishing"}` once the last slice is in; then `{type: "head", data}`,
//!   `{type: "connections", data}`… (postcard, transferred, see `connscope_app::codec`) and
//!   `{type: "done", ms, connections, wasm_memory_bytes}`. A 1 GB capture is never whole in
//!   memory: only the slice being analysed and the next one.
//! - `{type: "export"}`: posts `{type: "json", data}`: the report as the CLI's
//!   `connscope analyze FILE --json` prints it (pretty `serde_json`, trailing newline).
//!
//! Status messages (`progress`, `finishing`, `done`, `error`) are `connscope_app::messages::Status`
//! values, turned into plain objects by serde-wasm-bindgen. Failures are posted as
//! `{type: "error", message}`. Cancelling is the page terminating the
//! worker.

use connscope_app::codec;
use connscope_app::messages::Status;
use connscope_core::{Analyzer, Report};
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Blob, DedicatedWorkerGlobalScope};

/// Slice size. Chromium reads a 1 GB file at ~400 MB/s in 4 MiB slices and ~750 MB/s in
/// 16 MiB ones (per-slice overhead; measured in a worker, `docs/benchmarks.md`); 16 MiB keeps
/// memory modest (this buffer plus the slice being read) and progress smooth.
const CHUNK: f64 = 16.0 * 1024.0 * 1024.0;

thread_local! {
    /// The last finished report, kept for the JSON export.
    static LAST: RefCell<Option<Report>> = const { RefCell::new(None) };
}

fn main() {}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now() -> f64 {
    scope().performance().map(|p| p.now()).unwrap_or(0.0)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn message(kind: &str) -> Object {
    let o = Object::new();
    set(&o, "type", &JsValue::from_str(kind));
    o
}

/// Posts bytes as a transferred buffer (the page receives it without another copy).
fn post_bytes(kind: &str, bytes: &[u8]) {
    let o = message(kind);
    let arr = Uint8Array::from(bytes);
    set(&o, "data", &arr);
    let transfer = Array::of1(&arr.buffer());
    if let Err(e) = scope().post_message_with_transfer(&o, &transfer) {
        web_sys::console::error_1(&e);
    }
}

/// Posts a status message as the plain object serde-wasm-bindgen makes of it.
fn post_status(status: &Status) {
    match serde_wasm_bindgen::to_value(status) {
        Ok(v) => {
            if let Err(e) = scope().post_message(&v) {
                web_sys::console::error_1(&e);
            }
        }
        Err(e) => web_sys::console::error_1(&JsValue::from(e)),
    }
}

fn post_error(text: &str) {
    post_status(&Status::Error {
        message: text.to_string(),
    });
}

fn js_text(e: JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Entry point for every message from the page.
#[wasm_bindgen]
pub fn handle(msg: JsValue) {
    let kind = Reflect::get(&msg, &JsValue::from_str("type"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match kind.as_str() {
        "analyze" => {
            let file = Reflect::get(&msg, &JsValue::from_str("file")).ok();
            let keylogs: Vec<Blob> = Reflect::get(&msg, &JsValue::from_str("keylogs"))
                .ok()
                .and_then(|v| v.dyn_into::<Array>().ok())
                .map(|a| a.iter().filter_map(|k| k.dyn_into::<Blob>().ok()).collect())
                .unwrap_or_default();
            match file.and_then(|f| f.dyn_into::<Blob>().ok()) {
                Some(blob) => spawn_local(async move {
                    if let Err(e) = analyze(blob, keylogs).await {
                        post_error(&e);
                    }
                }),
                None => post_error("analyze: no file in the message"),
            }
        }
        "export" => export(),
        other => post_error(&format!("unknown message `{other}`")),
    }
}

/// Starts reading `[start, end)` of a blob; the browser reads it while the worker analyses.
fn read(blob: &Blob, start: f64, end: f64) -> Result<JsFuture, String> {
    let part = blob.slice_with_f64_and_f64(start, end).map_err(js_text)?;
    Ok(JsFuture::from(part.array_buffer()))
}

/// Waits for a read and copies its bytes into `buf` (resized to what was read).
async fn take(read: JsFuture, buf: &mut Vec<u8>) -> Result<(), String> {
    let data = read.await.map_err(js_text)?;
    let arr = Uint8Array::new(&data);
    buf.resize(arr.length() as usize, 0);
    arr.copy_to(buf);
    Ok(())
}

/// Size of this worker's wasm memory (the benchmark reads it from `done`).
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length() as f64)
        .unwrap_or(0.0)
}

fn post_progress(bytes: f64, total: f64, a: &Analyzer) {
    let p = a.progress();
    post_status(&Status::Progress {
        bytes,
        total,
        packets: p.packets as f64,
        connections: p.connections as f64,
    });
}

async fn analyze(blob: Blob, keylogs: Vec<Blob>) -> Result<(), String> {
    LAST.with(|l| l.borrow_mut().take());
    let started = now();
    let total = blob.size();
    let mut analyzer = Analyzer::new();
    let mut buf: Vec<u8> = Vec::new();
    for k in &keylogs {
        take(read(k, 0.0, k.size())?, &mut buf)
            .await
            .map_err(|e| format!("cannot read the key log: {e}"))?;
        analyzer.add_keylog(&buf);
        // Our copy is wiped; the secrets live on in the analyzer (and in the browser's read
        // buffer until it is collected), never in the report.
        buf.fill(0);
    }
    let mut done = 0.0;
    post_progress(0.0, total, &analyzer);
    let mut pending = (total > 0.0)
        .then(|| read(&blob, 0.0, CHUNK.min(total)))
        .transpose()?;
    while let Some(slice) = pending.take() {
        take(slice, &mut buf)
            .await
            .map_err(|e| format!("cannot read the file: {e}"))?;
        if buf.is_empty() {
            break;
        }
        done += buf.len() as f64;
        if done < total {
            // The browser reads the next slice while this one is analysed.
            pending = Some(read(&blob, done, (done + CHUNK).min(total))?);
        }
        analyzer.feed(&buf);
        post_progress(done, total, &analyzer);
    }
    drop(buf);
    // Everything is read; building the report (and the explanations) comes next.
    post_status(&Status::Finishing);
    let report = analyzer.finish();
    // One batch encoded at a time, posted (copied out of wasm memory) before the next: the
    // encoded report is never whole in the wasm heap next to the report itself.
    post_bytes("head", &codec::encode_head(&report)?);
    for batch in report.connections.chunks(codec::BATCH) {
        post_bytes("connections", &codec::encode_connections(batch)?);
    }
    let done = Status::Done {
        ms: now() - started,
        connections: report.connections.len() as f64,
        wasm_memory_bytes: wasm_memory_bytes(),
    };
    LAST.with(|l| *l.borrow_mut() = Some(report));
    post_status(&done);
    Ok(())
}

fn export() {
    let json = LAST.with(|l| {
        l.borrow().as_ref().map(|r| {
            serde_json::to_vec_pretty(r).map(|mut v| {
                v.push(b'\n');
                v
            })
        })
    });
    match json {
        Some(Ok(bytes)) => post_bytes("json", &bytes),
        Some(Err(e)) => post_error(&format!("cannot write the JSON report: {e}")),
        None => post_error("no report to export yet"),
    }
}
