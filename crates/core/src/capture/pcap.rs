//! Legacy pcap: a 24-byte file header, then records of a 16-byte header and the packet bytes.
//! Microsecond and nanosecond magics, both byte orders, and Kuznetzov's "modified" 24-byte
//! record headers.

use super::{ts_from_parts, CaptureInfo, CaptureSink, Frame, Need, MAX_RECORD_LEN};
use crate::bytes::{array, head};
use pcap_parser::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified};

pub(super) const FILE_HEADER_LEN: usize = 24;

pub(super) struct PcapFramer {
    big_endian: bool,
    units_per_sec: u64,
    modified: bool,
    link_type: u32,
    /// Frame check sequence bytes at the end of every packet, to be left out.
    fcs_len: usize,
    snaplen: u32,
    warned_over_snaplen: bool,
}

impl PcapFramer {
    pub(super) fn from_header(header: &[u8], info: &mut CaptureInfo) -> Result<Self, ()> {
        let (_, h) = pcap_parser::parse_pcap_header(header).map_err(|_| ())?;
        let nanos = h.is_nanosecond_precision();
        // The upper bits carry FCS information (LT_FCS_* in libpcap), not the link type.
        let raw = h.network.0 as u32;
        let link_type = raw & 0x03ff_ffff;
        let fcs_len = if raw & 0x0400_0000 != 0 {
            ((raw >> 28) as usize).saturating_mul(2)
        } else {
            0
        };
        info.format = Some("pcap");
        info.big_endian = Some(h.is_bigendian());
        info.ts_resolution = Some(if nanos { "ns" } else { "us" }.to_string());
        info.interfaces = 1;
        info.add_link_type(link_type);
        Ok(PcapFramer {
            big_endian: h.is_bigendian(),
            units_per_sec: if nanos { 1_000_000_000 } else { 1_000_000 },
            modified: h.is_modified_format(),
            link_type,
            fcs_len,
            snaplen: h.snaplen,
            warned_over_snaplen: false,
        })
    }

    fn header_len(&self) -> usize {
        if self.modified {
            24
        } else {
            16
        }
    }

    fn u32_at(&self, buf: &[u8], at: usize) -> Option<u32> {
        let b = array::<4>(buf, at)?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub(super) fn need(&self, buf: &[u8]) -> Need {
        let hl = self.header_len();
        match self.u32_at(buf, 8) {
            Some(caplen) if buf.len() >= hl => {
                // An absurd caplen is reported by `record`, which sees the header alone.
                let caplen = (caplen as usize).min(MAX_RECORD_LEN + 1);
                if caplen > MAX_RECORD_LEN {
                    Need::Record(hl)
                } else {
                    Need::Record(hl.saturating_add(caplen))
                }
            }
            _ => Need::Header(hl),
        }
    }

    pub(super) fn record(
        &mut self,
        record: &[u8],
        offset: u64,
        info: &mut CaptureInfo,
        sink: &mut impl CaptureSink,
    ) -> Result<(), (String, &'static str)> {
        let number = info.packets.saturating_add(1);
        let caplen = self.u32_at(record, 8).unwrap_or(0);
        if caplen as usize > MAX_RECORD_LEN {
            return Err((
                format!(
                    "record at offset {offset} (frame {number}) claims {caplen} captured bytes, more than the {} MiB any link layer needs: the file is corrupt from here",
                    MAX_RECORD_LEN >> 20
                ),
                "corrupt",
            ));
        }
        let parsed = if self.modified {
            parse_pcap_frame_modified(record)
        } else if self.big_endian {
            parse_pcap_frame_be(record)
        } else {
            parse_pcap_frame(record)
        };
        let block = parsed
            .map_err(|_| {
                (
                    format!("record at offset {offset} (frame {number}) cannot be parsed"),
                    "corrupt",
                )
            })?
            .1;
        if caplen > self.snaplen && self.snaplen > 0 && !self.warned_over_snaplen {
            self.warned_over_snaplen = true;
            sink.warning(
                "caplen_over_snaplen",
                format!(
                    "frame {number} has {caplen} captured bytes, more than the file's snaplen {}",
                    self.snaplen
                ),
                Some(number),
                offset,
            );
        }
        let ts = ts_from_parts(
            block.ts_sec as i64,
            block.ts_usec as u64,
            self.units_per_sec,
        );
        info.packets = number;
        info.bytes = info.bytes.saturating_add(block.data.len() as u64);
        info.stamp(ts, number, offset, sink);
        let data = head(block.data, block.data.len().saturating_sub(self.fcs_len));
        sink.frame(&Frame {
            number,
            ts,
            link_type: self.link_type,
            data,
            orig_len: block.origlen,
            offset,
        });
        Ok(())
    }
}
