//! How the report crosses the worker boundary.
//!
//! The worker encodes the report once with postcard (compact, serde-driven, no field names) into
//! a few `ArrayBuffer`s that are *transferred* to the page (no copy), and the page decodes each
//! one straight into the core's own `Report` types. Each buffer is one message, so the page
//! decodes in slices of [`BATCH`] connections, one task each: the main thread never runs one long
//! decode, however big the capture.
//!
//! The head (everything but the connections) travels first, then the connections in order. The
//! JSON export is made in the worker from its own copy (`serde_json`, exactly like the CLI).
//!
//! postcard is not self-describing: the page and the worker are built from the same source, and
//! `tests::roundtrip_*` check that the report survives the trip unchanged (a report type that
//! used `skip_serializing_if` or `flatten` would fail there first).

use connscope_core::report::{
    CaptureSummary, Connection, DnsName, HostGroup, ReadError, Report, Warning,
};
use serde::{Deserialize, Serialize};

/// Connections per message.
pub const BATCH: usize = 400;

/// What the page receives first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub schema_version: u32,
    pub generator: String,
    pub capture: CaptureSummary,
    pub hosts: Vec<HostGroup>,
    pub dns: Vec<DnsName>,
    pub warnings: Vec<Warning>,
    pub error: Option<ReadError>,
    /// How many connections follow.
    pub connections: u64,
}

/// The same fields as [`Head`], borrowed (the worker encodes without cloning the report).
#[derive(Serialize)]
struct HeadRef<'a> {
    schema_version: u32,
    generator: &'a str,
    capture: &'a CaptureSummary,
    hosts: &'a [HostGroup],
    dns: &'a [DnsName],
    warnings: &'a [Warning],
    error: &'a Option<ReadError>,
    connections: u64,
}

pub fn encode_head(r: &Report) -> Result<Vec<u8>, String> {
    let head = HeadRef {
        schema_version: r.schema_version,
        generator: &r.generator,
        capture: &r.capture,
        hosts: &r.hosts,
        dns: &r.dns,
        warnings: &r.warnings,
        error: &r.error,
        connections: r.connections.len() as u64,
    };
    postcard::to_allocvec(&head).map_err(|e| format!("cannot encode the report: {e}"))
}

pub fn encode_connections(c: &[Connection]) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(c).map_err(|e| format!("cannot encode connections: {e}"))
}

pub fn decode_head(b: &[u8]) -> Result<Head, String> {
    postcard::from_bytes(b).map_err(|e| format!("cannot decode the report from the worker: {e}"))
}

pub fn decode_connections(b: &[u8]) -> Result<Vec<Connection>, String> {
    postcard::from_bytes(b).map_err(|e| format!("cannot decode connections from the worker: {e}"))
}

/// Collects the messages of one report on the page.
#[derive(Default)]
pub struct Assembler {
    head: Option<Head>,
    connections: Vec<Connection>,
}

impl Assembler {
    pub fn head(&mut self, bytes: &[u8]) -> Result<(), String> {
        let head = decode_head(bytes)?;
        self.connections = Vec::with_capacity(head.connections.min(2_000_000) as usize);
        self.head = Some(head);
        Ok(())
    }

    pub fn connections(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.head.is_none() {
            return Err("connections arrived before the report head".into());
        }
        self.connections.extend(decode_connections(bytes)?);
        Ok(())
    }

    /// Connections received so far.
    pub fn received(&self) -> usize {
        self.connections.len()
    }

    /// The head, once received.
    pub fn head_ref(&self) -> Option<&Head> {
        self.head.as_ref()
    }

    /// The connections received so far.
    pub fn received_connections(&self) -> &[Connection] {
        &self.connections
    }

    pub fn expected(&self) -> Option<u64> {
        self.head.as_ref().map(|h| h.connections)
    }

    pub fn finish(self) -> Result<Report, String> {
        let head = self.head.ok_or("the worker sent no report")?;
        if head.connections != self.connections.len() as u64 {
            return Err(format!(
                "the worker announced {} connections but sent {}",
                head.connections,
                self.connections.len()
            ));
        }
        Ok(Report {
            schema_version: head.schema_version,
            generator: head.generator,
            capture: head.capture,
            connections: self.connections,
            hosts: head.hosts,
            dns: head.dns,
            warnings: head.warnings,
            error: head.error,
        })
    }
}

/// Encodes a whole report into the messages the page expects: head, then batches (the worker
/// encodes and posts them one at a time; the tests take them all at once).
#[cfg(test)]
pub fn encode_all(r: &Report) -> Result<Vec<Vec<u8>>, String> {
    let mut out = vec![encode_head(r)?];
    for chunk in r.connections.chunks(BATCH) {
        out.push(encode_connections(chunk)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn roundtrip(report: &Report) {
        let parts = encode_all(report).unwrap();
        let mut a = Assembler::default();
        a.head(&parts[0]).unwrap();
        for p in &parts[1..] {
            a.connections(p).unwrap();
        }
        let back = a.finish().unwrap();
        assert_eq!(&back, report);
    }

    fn captures(dir: PathBuf) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        v.retain(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "gz")
            )
        });
        v.sort();
        v
    }

    #[test]
    fn roundtrip_lab_captures() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/captures");
        let files = captures(dir);
        assert!(!files.is_empty(), "no lab captures found");
        for f in files {
            let mut report = connscope_core::analyze_bytes(&std::fs::read(&f).unwrap());
            roundtrip(&report);
            // Explanations are filled by the explanation engine; make sure they travel too.
            if let Some(c) = report.connections.first_mut() {
                c.explanation = Some(sample_explanation().into());
            }
            roundtrip(&report);
        }
    }

    fn sample_explanation() -> connscope_core::report::Explanation {
        use connscope_core::report::{Attribute, Evidence, Explanation, Rule};
        Explanation {
            cause: "retry_after_cert_warning".into(),
            headline: "Retry after the certificate warning".into(),
            details: "The user proceeded.".into(),
            evidence: vec![Evidence {
                text: "alert".into(),
                frame: Some(15),
                ts: Some(1.5),
                connection: Some(0),
            }],
            rule: Some(Rule {
                id: "r".into(),
                text: "t".into(),
                source: "s".into(),
            }),
            confidence: "high".into(),
            related: vec![0, 1],
            attributes: vec![Attribute {
                key: "closed_by".into(),
                text: "server".into(),
            }],
        }
    }

    #[test]
    fn roundtrip_corpus_captures() {
        // The shared corpus sits next to the repository on the project's machines.
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
        for f in captures(dir) {
            let report = connscope_core::analyze_bytes(&std::fs::read(&f).unwrap());
            roundtrip(&report);
        }
    }

    #[test]
    fn roundtrip_error_report() {
        roundtrip(&connscope_core::analyze_bytes(b"not a capture at all"));
    }

    #[test]
    fn incomplete_is_an_error() {
        let report = connscope_core::analyze_bytes(
            &std::fs::read(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../tests/lab/captures/cert-warning-clickthrough.pcap"),
            )
            .unwrap(),
        );
        let parts = encode_all(&report).unwrap();
        let mut a = Assembler::default();
        assert!(a.connections(&parts[1]).is_err());
        a.head(&parts[0]).unwrap();
        assert!(a.finish().is_err());
    }
}
