//! Streaming gzip (`.pcap.gz`, `.pcapng.gz`): decompressed in bounded pieces so that a small
//! hostile input cannot expand into gigabytes held at once.

use crate::bytes::split;
use flate2::write::MultiGzDecoder;
use std::io::Write;

/// Input is decompressed this many bytes at a time; with deflate's ~1000:1 ceiling the output
/// of one step stays around 16 MiB at worst.
const STEP: usize = 16 * 1024;

pub(super) struct GzipLayer {
    decoder: MultiGzDecoder<Vec<u8>>,
    spare: Vec<u8>,
    /// Compressed bytes not yet given to the decoder: it is fed in [`STEP`]-sized pieces aligned
    /// to the compressed stream, not to the caller's chunks, so it sees the same calls however
    /// the file arrives. On corrupt data, how much it has decoded before noticing depends on
    /// those calls (found by fuzzing: F2, F4).
    pending: Vec<u8>,
}

impl GzipLayer {
    pub(super) fn new() -> Self {
        GzipLayer {
            decoder: MultiGzDecoder::new(Vec::with_capacity(256 * 1024)),
            spare: Vec::new(),
            pending: Vec::with_capacity(STEP),
        }
    }

    /// Decompresses `input`, handing every piece of output to `out`.
    pub(super) fn decompress(
        &mut self,
        mut input: &[u8],
        mut out: impl FnMut(&[u8]),
    ) -> Result<(), String> {
        while !input.is_empty() {
            let (taken, rest) = split(input, STEP.saturating_sub(self.pending.len()));
            self.pending.extend_from_slice(taken);
            input = rest;
            if self.pending.len() >= STEP {
                self.step(&mut out)?;
            }
        }
        Ok(())
    }

    fn step(&mut self, out: &mut impl FnMut(&[u8])) -> Result<(), String> {
        let written = self.decoder.write_all(&self.pending);
        self.pending.clear();
        if let Err(e) = written {
            // Hand on what was decoded before the corrupt bytes, also what the decoder still
            // holds.
            let _ = self.decoder.flush();
            self.drain(out);
            return Err(format!("gzip data is corrupt: {e}"));
        }
        self.drain(out);
        Ok(())
    }

    pub(super) fn finish(&mut self, mut out: impl FnMut(&[u8])) -> Result<(), String> {
        if !self.pending.is_empty() {
            self.step(&mut out)?;
        }
        let result = self.decoder.try_finish();
        if result.is_err() {
            let _ = self.decoder.flush();
        }
        self.drain(&mut out);
        result.map_err(|e| format!("gzip stream ends early or is corrupt: {e}"))
    }

    fn drain(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.decoder.get_ref().is_empty() {
            return;
        }
        // Swap buffers so the decoder keeps an allocation while we read the output.
        std::mem::swap(self.decoder.get_mut(), &mut self.spare);
        out(&self.spare);
        self.spare.clear();
    }
}
