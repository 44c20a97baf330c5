//! The page's side of the analysis worker (`web/worker.js` + the `connscope-worker` wasm).

use super::dom::{get, get_str, js_text};
use crate::messages::Status;
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

/// What the worker says.
pub enum WorkerEvent {
    Ready,
    Progress {
        bytes: f64,
        total: f64,
        packets: u64,
        connections: u64,
    },
    /// The whole file is read; the report is being built.
    Finishing,
    Head(Vec<u8>),
    Connections(Vec<u8>),
    Done {
        ms: f64,
        /// Size of the worker's wasm memory at the end (it never shrinks: the analysis' peak).
        wasm_memory_bytes: f64,
    },
    Json(Uint8Array),
    Error(String),
}

/// A running worker; terminated when dropped.
pub struct WorkerHandle {
    worker: Worker,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
}

fn bytes(data: &JsValue) -> Vec<u8> {
    let v = get(data, "data");
    v.dyn_ref::<Uint8Array>()
        .map(|a| a.to_vec())
        .unwrap_or_default()
}

impl WorkerHandle {
    pub fn spawn(on_event: Callback<WorkerEvent>) -> Result<WorkerHandle, String> {
        let opts = WorkerOptions::new();
        opts.set_type(WorkerType::Module);
        opts.set_name("connscope-analysis");
        // Relative to the page, so the app runs from any sub-path.
        let worker = Worker::new_with_options("./worker.js", &opts).map_err(|e| js_text(&e))?;
        let cb = on_event.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let event = match get_str(&data, "type").as_deref() {
                Some("head") => WorkerEvent::Head(bytes(&data)),
                Some("connections") => WorkerEvent::Connections(bytes(&data)),
                Some("json") => match get(&data, "data").dyn_into::<Uint8Array>() {
                    Ok(a) => WorkerEvent::Json(a),
                    Err(_) => WorkerEvent::Error("the worker sent no JSON".into()),
                },
                other => match serde_wasm_bindgen::from_value::<Status>(data) {
                    Ok(Status::Ready) => WorkerEvent::Ready,
                    Ok(Status::Progress {
                        bytes,
                        total,
                        packets,
                        connections,
                    }) => WorkerEvent::Progress {
                        bytes,
                        total,
                        packets: packets as u64,
                        connections: connections as u64,
                    },
                    Ok(Status::Finishing) => WorkerEvent::Finishing,
                    Ok(Status::Done {
                        ms,
                        wasm_memory_bytes,
                        ..
                    }) => WorkerEvent::Done {
                        ms,
                        wasm_memory_bytes,
                    },
                    Ok(Status::Error { message }) => WorkerEvent::Error(message),
                    Err(e) => WorkerEvent::Error(format!(
                        "unexpected message from the worker ({other:?}): {e}"
                    )),
                },
            };
            cb.emit(event);
        });
        let cb = on_event;
        let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            e.prevent_default();
            let msg = e.message();
            let msg = if msg.is_empty() {
                "the analysis worker stopped unexpectedly".to_string()
            } else {
                msg
            };
            cb.emit(WorkerEvent::Error(format!("The analysis crashed: {msg}")));
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        Ok(WorkerHandle {
            worker,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    }

    fn post(&self, kind: &str, extra: Option<(&str, &JsValue)>) -> Result<(), String> {
        let o = Object::new();
        let _ = Reflect::set(&o, &"type".into(), &JsValue::from_str(kind));
        if let Some((k, v)) = extra {
            let _ = Reflect::set(&o, &JsValue::from_str(k), v);
        }
        self.worker.post_message(&o).map_err(|e| js_text(&e))
    }

    /// Starts the analysis of a file (a `File` or a fetched sample `Blob`) with the key logs for
    /// its TLS and QUIC connections: the worker reads them itself, the capture slice by slice.
    pub fn analyze(&self, blob: &Blob, keylogs: &[Blob]) -> Result<(), String> {
        let o = Object::new();
        let _ = Reflect::set(&o, &"type".into(), &JsValue::from_str("analyze"));
        let _ = Reflect::set(&o, &"file".into(), blob.as_ref());
        let list: js_sys::Array = keylogs.iter().collect();
        let _ = Reflect::set(&o, &"keylogs".into(), &list);
        self.worker.post_message(&o).map_err(|e| js_text(&e))
    }

    pub fn export_json(&self) -> Result<(), String> {
        self.post("export", None)
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
