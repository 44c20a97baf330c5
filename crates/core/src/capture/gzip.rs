//! Streaming gzip (`.pcap.gz`, `.pcapng.gz`): decompressed in bounded pieces so that a small
//! hostile input cannot expand into gigabytes held at once.

use flate2::write::MultiGzDecoder;
use std::io::Write;

/// Input is decompressed this many bytes at a time; with deflate's ~1000:1 ceiling the output
/// of one step stays around 16 MiB at worst.
const STEP: usize = 16 * 1024;

pub(super) struct GzipLayer {
    decoder: MultiGzDecoder<Vec<u8>>,
    spare: Vec<u8>,
}

impl GzipLayer {
    pub(super) fn new() -> Self {
        GzipLayer {
            decoder: MultiGzDecoder::new(Vec::with_capacity(256 * 1024)),
            spare: Vec::new(),
        }
    }

    /// Decompresses `input`, handing every piece of output to `out`.
    pub(super) fn decompress(
        &mut self,
        input: &[u8],
        mut out: impl FnMut(&[u8]),
    ) -> Result<(), String> {
        for step in input.chunks(STEP) {
            if let Err(e) = self.decoder.write_all(step) {
                // Hand on what was decoded before the corrupt bytes, also what the decoder still
                // holds: otherwise how much of it is framed would depend on the chunking.
                let _ = self.decoder.flush();
                self.drain(&mut out);
                return Err(format!("gzip data is corrupt: {e}"));
            }
            self.drain(&mut out);
        }
        Ok(())
    }

    pub(super) fn finish(&mut self, mut out: impl FnMut(&[u8])) -> Result<(), String> {
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
