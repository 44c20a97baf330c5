//! The worker's status messages (everything but the report's buffers, see [`crate::codec`]):
//! serde types that `serde-wasm-bindgen` turns into plain JS objects (`{type: "progress",
//! bytes, …}`) in the worker and back into Rust in the page, so both sides share one definition
//! instead of reading fields by name.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Status {
    /// The worker's wasm is loaded (posted by `web/worker.js`).
    Ready,
    /// After each slice: bytes read of `total`, packets and connections so far.
    Progress {
        bytes: f64,
        total: f64,
        packets: f64,
        connections: f64,
    },
    /// The whole file is read; the report is being built.
    Finishing,
    /// The report has been sent: the analysis took `ms`; the worker's wasm memory is this big.
    Done {
        ms: f64,
        connections: f64,
        wasm_memory_bytes: f64,
    },
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON shape is the JS object shape (serde-wasm-bindgen follows serde's data model), and
    /// `web/worker.js` and the benchmark read these names.
    #[test]
    fn wire_shape() {
        let p = Status::Progress {
            bytes: 1.0,
            total: 2.0,
            packets: 3.0,
            connections: 4.0,
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"type":"progress","bytes":1.0,"total":2.0,"packets":3.0,"connections":4.0}"#
        );
        let ready: Status = serde_json::from_str(r#"{"type":"ready"}"#).unwrap();
        assert_eq!(ready, Status::Ready);
        let e: Status = serde_json::from_str(r#"{"type":"error","message":"boom"}"#).unwrap();
        assert_eq!(
            e,
            Status::Error {
                message: "boom".into()
            }
        );
        let d = serde_json::to_value(Status::Done {
            ms: 5.0,
            connections: 6.0,
            wasm_memory_bytes: 7.0,
        })
        .unwrap();
        assert_eq!(d["type"], "done");
        assert_eq!(d["wasm_memory_bytes"], 7.0);
    }
}
