//! The capture layer alone (pcap, pcapng, gzip framing): `CaptureReader` with a sink that
//! records what it is given. Checks: no panic; frame numbers count 1, 2, 3...; every frame's
//! captured bytes stay within the record ceiling; the reader's counters match what the sink
//! saw; and feeding the same bytes in small chunks gives exactly the same frames, secrets,
//! warnings, counters and error.
#![no_main]

use connscope_core::capture::{CaptureReader, CaptureSink, Frame};
use libfuzzer_sys::fuzz_target;

/// What the sink saw, compact (a gzip input can decompress to many frames: keep digests).
#[derive(Debug, Default, PartialEq)]
struct Seen {
    frames: Vec<(u64, i64, u32, usize, u64, u32, u64)>,
    bytes: u64,
    secrets: Vec<(u32, usize, u64)>,
    warnings: Vec<(&'static str, String, Option<u64>, u64)>,
}

fn digest(b: &[u8]) -> u64 {
    // FNV-1a: enough to tell two payloads apart here.
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3)
    })
}

impl CaptureSink for Seen {
    fn frame(&mut self, f: &Frame<'_>) {
        assert_eq!(
            f.number,
            self.frames.len() as u64 + 1,
            "frame numbers must count up from 1"
        );
        assert!(
            f.data.len() <= 16 * 1024 * 1024,
            "frame {} has {} bytes",
            f.number,
            f.data.len()
        );
        self.bytes += f.data.len() as u64;
        self.frames.push((
            f.number,
            f.ts.as_nanos(),
            f.link_type,
            f.data.len(),
            digest(f.data),
            f.orig_len,
            f.offset,
        ));
    }
    fn secrets(&mut self, secrets_type: u32, data: &[u8]) {
        self.secrets.push((secrets_type, data.len(), digest(data)));
    }
    fn warning(&mut self, code: &'static str, message: String, frame: Option<u64>, offset: u64) {
        self.warnings.push((code, message, frame, offset));
    }
}

fn read(data: &[u8], chunk: usize) -> (Seen, String, String) {
    let mut reader = CaptureReader::new();
    let mut seen = Seen::default();
    for c in data.chunks(chunk.max(1)) {
        reader.feed(c, &mut seen);
    }
    reader.finish(&mut seen);
    let info = reader.info().clone();
    assert_eq!(
        info.packets,
        seen.frames.len() as u64,
        "packet count vs frames delivered"
    );
    assert!(info.link_types.len() <= 64);
    (seen, format!("{info:?}"), format!("{:?}", reader.error()))
}

fuzz_target!(|data: &[u8]| {
    let whole = read(data, data.len());
    // A chunk size that depends on the input, from 1 byte to a few hundred.
    let chunk = data.len() % 397 + 1;
    let chunked = read(data, chunk);
    let (w, c) = (&whole.0, &chunked.0);
    let at = |what: &str| {
        format!("chunks of {chunk} bytes read differently from the whole input: {what}")
    };
    assert_eq!(w.frames, c.frames, "{}", at("frames"));
    assert_eq!(w.secrets, c.secrets, "{}", at("secrets"));
    assert_eq!(w.warnings, c.warnings, "{}", at("warnings"));
    assert_eq!(whole.1, chunked.1, "{}", at("capture info"));
    assert_eq!(whole.2, chunked.2, "{}", at("read error"));
});
