#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
//! Capture framing: bytes of a pcap, pcapng or gzip-compressed file, fed in chunks of any size,
//! become numbered frames with their own timestamps and link types.
//!
//! Records are parsed in place from the caller's chunk; only a record that straddles two chunks
//! is copied (into `carry`), so memory stays at one record whatever the file size.

mod gzip;
pub mod linktype;
mod pcap;
mod pcapng;

use crate::bytes::{array, head, split, tail};
use crate::report::ReadError;
use crate::time::Ts;
use gzip::GzipLayer;

/// A record longer than this is treated as corruption rather than buffered: real link layers
/// stay far below it (Wireshark's own ceiling for most link types is 256 KiB).
pub(crate) const MAX_RECORD_LEN: usize = 16 * 1024 * 1024;

/// One packet as the capture file stores it.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based, counting packet records only (like Wireshark).
    pub number: u64,
    pub ts: Ts,
    /// LINKTYPE_* of the interface the packet was captured on.
    pub link_type: u32,
    /// Captured bytes (may be shorter than `orig_len` when the snaplen cut the packet).
    pub data: &'a [u8],
    pub orig_len: u32,
    /// Byte offset of the record in the (decompressed) file.
    pub offset: u64,
}

/// Receives what the reader finds.
pub trait CaptureSink {
    fn frame(&mut self, frame: &Frame<'_>);
    /// A pcapng Decryption Secrets Block (`secrets_type` e.g. 0x544c534b "TLSK" = NSS key log).
    fn secrets(&mut self, secrets_type: u32, data: &[u8]);
    /// Something odd but survivable; `code` aggregates repeats.
    fn warning(&mut self, code: &'static str, message: String, frame: Option<u64>, offset: u64);
}

/// What the reader learnt about the file.
#[derive(Debug, Clone, Default)]
pub struct CaptureInfo {
    pub format: Option<&'static str>,
    pub compression: Option<&'static str>,
    pub big_endian: Option<bool>,
    pub ts_resolution: Option<String>,
    /// Link types in order of first appearance.
    pub link_types: Vec<u32>,
    pub interfaces: u32,
    pub packets: u64,
    pub bytes: u64,
    pub file_bytes: u64,
    pub first_ts: Option<Ts>,
    pub last_ts: Option<Ts>,
    pub secrets_blocks: u32,
}

impl CaptureInfo {
    /// Records a packet's time; a time before the previous packet's is warned about (once per
    /// file, counted): the analysis keeps the file's order, so durations across it are off.
    fn stamp(&mut self, ts: Ts, number: u64, offset: u64, sink: &mut impl CaptureSink) {
        if let Some(prev) = self.last_ts.filter(|&p| ts < p) {
            sink.warning(
                "time_backwards",
                format!(
                    "frame {number} is stamped {:.6} s before the frame ahead of it: timestamps go backwards here; packets are analysed in the file's order",
                    prev.secs_since(ts)
                ),
                Some(number),
                offset,
            );
        }
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
    }

    fn add_link_type(&mut self, lt: u32) {
        if !self.link_types.contains(&lt) && self.link_types.len() < 64 {
            self.link_types.push(lt);
        }
    }
}

/// How much of a record the framer needs before it can act.
pub(crate) enum Need {
    /// At least this many bytes to learn the record's length.
    Header(usize),
    /// The whole record is this long.
    Record(usize),
}

/// The framing state: which file format, with its per-format state.
enum Format {
    Sniffing,
    Pcap(pcap::PcapFramer),
    PcapNg(pcapng::PcapNgFramer),
}

/// Streaming reader of capture bytes.
pub struct CaptureReader {
    /// Until the first bytes tell whether the file is gzip-compressed.
    sniff: Vec<u8>,
    sniffed: bool,
    gzip: Option<GzipLayer>,
    format: Format,
    /// A record that straddles chunks.
    carry: Vec<u8>,
    /// Offset (in the decompressed stream) of the first byte not yet consumed into a record.
    offset: u64,
    info: CaptureInfo,
    error: Option<ReadError>,
}

impl Default for CaptureReader {
    fn default() -> Self {
        Self::new()
    }
}

impl CaptureReader {
    pub fn new() -> Self {
        CaptureReader {
            sniff: Vec::new(),
            sniffed: false,
            gzip: None,
            format: Format::Sniffing,
            carry: Vec::new(),
            offset: 0,
            info: CaptureInfo::default(),
            error: None,
        }
    }

    pub fn info(&self) -> &CaptureInfo {
        &self.info
    }

    pub fn error(&self) -> Option<&ReadError> {
        self.error.as_ref()
    }

    /// Feeds the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8], sink: &mut impl CaptureSink) {
        if self.error.is_some() || chunk.is_empty() {
            return;
        }
        if !self.sniffed {
            // Two bytes tell gzip (1f 8b) from everything else.
            let take = 2usize.saturating_sub(self.sniff.len()).min(chunk.len());
            self.sniff.extend_from_slice(head(chunk, take));
            if self.sniff.len() < 2 {
                return;
            }
            self.sniffed = true;
            let head = std::mem::take(&mut self.sniff);
            if head == [0x1f, 0x8b] {
                self.info.compression = Some("gzip");
                self.gzip = Some(GzipLayer::new());
            }
            self.feed_raw(&head, sink);
            self.feed_raw(tail(chunk, take), sink);
        } else {
            self.feed_raw(chunk, sink);
        }
    }

    fn feed_raw(&mut self, bytes: &[u8], sink: &mut impl CaptureSink) {
        if bytes.is_empty() {
            return;
        }
        match self.gzip.take() {
            Some(mut gz) => {
                let result = gz.decompress(bytes, |out| self.frame_bytes(out, sink));
                if let Err(message) = result {
                    self.fail("gzip", message, None);
                }
                self.gzip = Some(gz);
            }
            None => self.frame_bytes(bytes, sink),
        }
    }

    /// Ends the input: reports a truncated last record or an empty / too-short file.
    pub fn finish(&mut self, sink: &mut impl CaptureSink) {
        if self.error.is_some() {
            return;
        }
        if !self.sniffed {
            let head = std::mem::take(&mut self.sniff);
            self.sniffed = true;
            self.frame_bytes(&head, sink);
        }
        if let Some(mut gz) = self.gzip.take() {
            let result = gz.finish(|out| self.frame_bytes(out, sink));
            if let Err(message) = result {
                self.fail("gzip", message, None);
                return;
            }
        }
        if self.error.is_some() {
            return;
        }
        if matches!(self.format, Format::Sniffing) {
            let message = if self.info.file_bytes == 0 && self.carry.is_empty() {
                "empty file (0 bytes): not a pcap or pcapng file".to_string()
            } else if self.carry.len() < 4 {
                format!(
                    "not a pcap or pcapng file: only {} byte{} ({})",
                    self.carry.len(),
                    if self.carry.len() == 1 { "" } else { "s" },
                    describe_start(&self.carry)
                )
            } else {
                format!(
                    "not a pcap or pcapng file ({})",
                    describe_start(&self.carry)
                )
            };
            self.fail("not_a_capture", message, None);
            return;
        }
        if !self.carry.is_empty() {
            let need = match self.need(&self.carry) {
                Ok(Need::Record(n)) | Ok(Need::Header(n)) => n,
                Err(_) => self.carry.len(),
            };
            let in_packet = self.info.packets.saturating_add(1);
            let message = format!(
                "file ends inside a record at offset {}: {} of {} bytes present (frame {} is cut short; the file was probably truncated)",
                self.offset,
                self.carry.len(),
                need,
                in_packet
            );
            self.fail("truncated", message, Some(in_packet));
        }
    }

    fn fail(&mut self, code: &str, message: String, frame: Option<u64>) {
        if self.error.is_none() {
            // What was read is what lies before the record that failed (a truncated last record
            // and data cut by a gzip error count: they were read): the same for every chunking,
            // unlike the count of bytes handed in so far.
            let partial = if code == "truncated" || code == "gzip" {
                self.carry.len() as u64
            } else {
                0
            };
            self.info.file_bytes = self.offset.saturating_add(partial);
            self.error = Some(ReadError {
                code: code.to_string(),
                message,
                offset: self.offset,
                frame,
            });
        }
    }

    fn need(&self, buf: &[u8]) -> Result<Need, (String, &'static str)> {
        match &self.format {
            Format::Sniffing => sniff_need(buf),
            Format::Pcap(p) => Ok(p.need(buf)),
            Format::PcapNg(p) => p.need(buf),
        }
    }

    /// Splits decompressed bytes into records, in place where possible.
    fn frame_bytes(&mut self, mut input: &[u8], sink: &mut impl CaptureSink) {
        if self.error.is_some() {
            return;
        }
        self.info.file_bytes = self.info.file_bytes.saturating_add(input.len() as u64);
        // First complete a record carried over from the previous chunk. The header is judged
        // again after every addition, also when the input runs out just as it completes: a
        // corrupt header must read as corrupt whatever the chunking, not as truncated at finish.
        while !self.carry.is_empty() {
            let need = match self.need(&self.carry) {
                Ok(need) => need,
                Err((message, code)) => return self.fail_need(code, message),
            };
            let n = match need {
                Need::Record(n) if self.carry.len() >= n => {
                    let record = std::mem::take(&mut self.carry);
                    self.record(head(&record, n), sink);
                    // Keep the allocation for the next straddling record.
                    self.carry = record;
                    self.carry.clear();
                    if self.error.is_some() {
                        return;
                    }
                    continue;
                }
                Need::Record(n) | Need::Header(n) => n,
            };
            if input.is_empty() || self.carry.len() >= n {
                return;
            }
            let take = n.saturating_sub(self.carry.len()).min(input.len());
            let (taken, rest) = split(input, take);
            self.carry.extend_from_slice(taken);
            input = rest;
        }
        while !input.is_empty() {
            match self.need(input) {
                Ok(Need::Record(n)) if n <= input.len() => {
                    let (record, rest) = split(input, n);
                    self.record(record, sink);
                    if self.error.is_some() {
                        return;
                    }
                    input = rest;
                }
                Ok(_) => {
                    self.carry.extend_from_slice(input);
                    return;
                }
                Err((message, code)) => return self.fail_need(code, message),
            }
        }
    }

    fn fail_need(&mut self, code: &'static str, message: String) {
        let frame = if matches!(self.format, Format::Sniffing) {
            None
        } else {
            Some(self.info.packets.saturating_add(1))
        };
        self.fail(code, message, frame);
    }

    fn record(&mut self, record: &[u8], sink: &mut impl CaptureSink) {
        let offset = self.offset;
        self.offset = self.offset.saturating_add(record.len() as u64);
        let result = match &mut self.format {
            Format::Sniffing => match sniff_format(record, &mut self.info) {
                Ok(Format::PcapNg(mut ng)) => {
                    let r = ng.record(record, offset, &mut self.info, sink);
                    self.format = Format::PcapNg(ng);
                    r
                }
                Ok(format) => {
                    self.format = format;
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Format::Pcap(p) => p.record(record, offset, &mut self.info, sink),
            Format::PcapNg(p) => p.record(record, offset, &mut self.info, sink),
        };
        if let Err((message, code)) = result {
            self.offset = offset;
            self.fail_need(code, message);
        }
    }
}

const PCAP_MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;

fn sniff_need(buf: &[u8]) -> Result<Need, (String, &'static str)> {
    let Some(magic) = array::<4>(buf, 0) else {
        return Ok(Need::Header(4));
    };
    let le = u32::from_le_bytes(magic);
    let be = u32::from_be_bytes(magic);
    if PCAP_MAGICS.contains(&le) || PCAP_MAGICS.contains(&be) {
        return Ok(Need::Record(pcap::FILE_HEADER_LEN));
    }
    if le == PCAPNG_SHB {
        return pcapng::shb_need(buf);
    }
    // Read a little more before giving up, so the message can say what the file is.
    if buf.len() < SNIFF_CONTEXT {
        return Ok(Need::Header(SNIFF_CONTEXT));
    }
    Err((
        format!("not a pcap or pcapng file ({})", describe_start(buf)),
        "not_a_capture",
    ))
}

/// Bytes looked at to name a file that is not a capture.
const SNIFF_CONTEXT: usize = 64;

fn sniff_format(header: &[u8], info: &mut CaptureInfo) -> Result<Format, (String, &'static str)> {
    if header.len() == pcap::FILE_HEADER_LEN {
        if let Ok(framer) = pcap::PcapFramer::from_header(header, info) {
            return Ok(Format::Pcap(framer));
        }
    }
    if header.get(..4) == Some(&PCAPNG_SHB.to_le_bytes()) {
        info.format = Some("pcapng");
        return Ok(Format::PcapNg(pcapng::PcapNgFramer::new()));
    }
    Err((
        format!("not a pcap or pcapng file ({})", describe_start(header)),
        "not_a_capture",
    ))
}

/// "starts with 89 50 4e 47 0d 0a 1a 0a, \x89PNG\r\n..." — what a human needs to recognise the file.
pub(crate) fn describe_start(bytes: &[u8]) -> String {
    let start = head(bytes, 8);
    if start.is_empty() {
        return "no bytes".to_string();
    }
    let hex: Vec<String> = start.iter().map(|b| format!("{b:02x}")).collect();
    let text: String = start
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    let kind = guess_file_kind(bytes);
    match kind {
        Some(kind) => format!(
            "starts with {} \"{}\": looks like {kind}",
            hex.join(" "),
            text
        ),
        None => format!("starts with {} \"{}\"", hex.join(" "), text),
    }
}

fn guess_file_kind(bytes: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| bytes.starts_with(p);
    if starts(b"\x89PNG") {
        Some("a PNG image")
    } else if starts(b"\xff\xd8\xff") {
        Some("a JPEG image")
    } else if starts(b"%PDF") {
        Some("a PDF document")
    } else if starts(b"PK\x03\x04") {
        Some("a ZIP archive")
    } else if starts(b"<!DOCTYPE") || starts(b"<!doctype") || starts(b"<html") || starts(b"<HTML") {
        Some("an HTML page")
    } else if starts(b"CLIENT_RANDOM") || starts(b"CLIENT_HANDSHAKE") || starts(b"SERVER_HANDSHAKE")
    {
        Some("a TLS key log (drop it together with its capture)")
    } else if bytes
        .iter()
        .take(64)
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        Some("a text file")
    } else {
        None
    }
}

/// Converts seconds + fraction (in `units_per_sec`) to a timestamp, saturating on nonsense.
pub(crate) fn ts_from_parts(secs: i64, frac: u64, units_per_sec: u64) -> Ts {
    let frac_ns = match units_per_sec {
        1_000_000_000 => i128::from(frac),
        ups => i128::from(frac)
            .saturating_mul(1_000_000_000)
            .checked_div(i128::from(ups))
            .unwrap_or(0),
    };
    let ns = i128::from(secs)
        .saturating_mul(1_000_000_000)
        .saturating_add(frac_ns);
    Ts::from_nanos(ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        frames: Vec<(u64, i64, u32, usize)>,
        secrets: usize,
    }
    impl CaptureSink for Collect {
        fn frame(&mut self, f: &Frame<'_>) {
            self.frames
                .push((f.number, f.ts.as_nanos(), f.link_type, f.data.len()));
        }
        fn secrets(&mut self, _: u32, _: &[u8]) {
            self.secrets += 1;
        }
        fn warning(&mut self, _: &'static str, _: String, _: Option<u64>, _: u64) {}
    }

    fn pcap_file(records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        for (s, us, data) in records {
            f.extend_from_slice(&s.to_le_bytes());
            f.extend_from_slice(&us.to_le_bytes());
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(data);
        }
        f
    }

    #[test]
    fn same_frames_for_every_chunk_size() {
        let file = pcap_file(&[(1, 5, b"abc"), (2, 6, &[7u8; 100]), (3, 7, b"")]);
        let mut whole = Collect::default();
        let mut r = CaptureReader::new();
        r.feed(&file, &mut whole);
        r.finish(&mut whole);
        assert!(r.error().is_none());
        assert_eq!(whole.frames.len(), 3);
        for size in 1..file.len() {
            let mut c = Collect::default();
            let mut r = CaptureReader::new();
            for chunk in file.chunks(size) {
                r.feed(chunk, &mut c);
            }
            r.finish(&mut c);
            assert!(r.error().is_none(), "chunk size {size}");
            assert_eq!(c.frames, whole.frames, "chunk size {size}");
        }
    }

    #[test]
    fn truncated_file_reports_offset_and_frame() {
        let file = pcap_file(&[(1, 5, b"abc"), (2, 6, &[7u8; 100])]);
        let cut = &file[..file.len() - 10];
        let mut c = Collect::default();
        let mut r = CaptureReader::new();
        r.feed(cut, &mut c);
        r.finish(&mut c);
        let e = r.error().expect("truncation is reported");
        assert_eq!(e.code, "truncated");
        assert_eq!(e.frame, Some(2));
        assert_eq!(e.offset, 24 + 16 + 3);
        assert_eq!(c.frames.len(), 1);
    }

    #[test]
    fn png_is_named() {
        let mut c = Collect::default();
        let mut r = CaptureReader::new();
        r.feed(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &mut c);
        r.finish(&mut c);
        let e = r.error().expect("error");
        assert_eq!(e.code, "not_a_capture");
        assert!(e.message.contains("PNG"), "{}", e.message);
        assert!(e.message.starts_with("not a pcap or pcapng file"));
    }

    #[test]
    fn empty_file() {
        let mut c = Collect::default();
        let mut r = CaptureReader::new();
        r.finish(&mut c);
        let e = r.error().expect("error");
        assert!(e.message.contains("empty file"), "{}", e.message);
    }

    #[test]
    fn huge_caplen_is_corruption_not_allocation() {
        let mut file = pcap_file(&[]);
        file.extend_from_slice(&1u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut c = Collect::default();
        let mut r = CaptureReader::new();
        r.feed(&file, &mut c);
        r.finish(&mut c);
        let e = r.error().expect("error");
        assert_eq!(e.code, "corrupt");
        assert_eq!(e.offset, 24);
        assert_eq!(e.frame, Some(1));
    }
}
