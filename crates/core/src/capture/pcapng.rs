//! pcapng: sections (each with its byte order), interfaces with their own link type and
//! timestamp resolution, Enhanced / Simple / Obsolete packet blocks, Decryption Secrets Blocks.

use super::{ts_from_parts, CaptureInfo, CaptureSink, Frame, Need, MAX_RECORD_LEN};
use crate::bytes::{array, head};
use crate::time::Ts;
use pcap_parser::pcapng::{parse_block_be, parse_block_le, Block};

const SHB: u32 = 0x0a0d_0d0a;
const OPB: u32 = 0x0000_0002;
const BOM: u32 = 0x1a2b_3c4d;
/// Interfaces a section may declare before we call it hostile.
const MAX_INTERFACES: usize = 65_536;
/// Block overhead on top of the packet bytes (header, fixed fields, some options).
const MAX_BLOCK_LEN: usize = MAX_RECORD_LEN + 64 * 1024;

struct Interface {
    link_type: u32,
    units_per_sec: u64,
    offset_secs: i64,
    snaplen: u32,
}

pub(super) struct PcapNgFramer {
    big_endian: bool,
    interfaces: Vec<Interface>,
    last_ts: Ts,
    warned_types: Vec<u32>,
}

/// Length of a Section Header Block, once its byte-order magic is readable.
pub(super) fn shb_need(buf: &[u8]) -> Result<Need, (String, &'static str)> {
    let (Some(len), Some(bom)) = (array::<4>(buf, 4), array::<4>(buf, 8)) else {
        return Ok(Need::Header(12));
    };
    let big_endian = if u32::from_le_bytes(bom) == BOM {
        false
    } else if u32::from_be_bytes(bom) == BOM {
        true
    } else {
        return Err((
            "pcapng section header has an unknown byte-order magic: the file is corrupt".into(),
            "corrupt",
        ));
    };
    let len = read_u32(len, big_endian) as usize;
    check_block_len(len, 28).map(Need::Record)
}

fn read_u32(b: [u8; 4], big_endian: bool) -> u32 {
    if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

fn check_block_len(len: usize, min: usize) -> Result<usize, (String, &'static str)> {
    if len < min || len % 4 != 0 || len > MAX_BLOCK_LEN {
        Err((
            format!(
                "pcapng block claims a length of {len} bytes (must be a multiple of 4, at least {min}, at most {MAX_BLOCK_LEN}): the file is corrupt from here"
            ),
            "corrupt",
        ))
    } else {
        Ok(len)
    }
}

/// Units per second for an `if_tsresol` value (10^-n or, with the top bit, 2^-n).
fn units_per_sec(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

fn describe_resolution(tsresol: u8) -> String {
    match tsresol {
        6 => "us".into(),
        9 => "ns".into(),
        r if r & 0x80 == 0 => format!("10^-{r} s"),
        r => format!("2^-{} s", r & 0x7f),
    }
}

impl PcapNgFramer {
    pub(super) fn new() -> Self {
        PcapNgFramer {
            big_endian: false,
            interfaces: Vec::new(),
            last_ts: Ts::default(),
            warned_types: Vec::new(),
        }
    }

    pub(super) fn need(&self, buf: &[u8]) -> Result<Need, (String, &'static str)> {
        let (Some(block_type), Some(len)) = (array::<4>(buf, 0), array::<4>(buf, 4)) else {
            return Ok(Need::Header(8));
        };
        let block_type = u32::from_le_bytes(block_type);
        if block_type == SHB {
            return shb_need(buf);
        }
        let len = read_u32(len, self.big_endian) as usize;
        check_block_len(len, 12).map(Need::Record)
    }

    pub(super) fn record(
        &mut self,
        block: &[u8],
        offset: u64,
        info: &mut CaptureInfo,
        sink: &mut impl CaptureSink,
    ) -> Result<(), (String, &'static str)> {
        if block.get(..4) == Some(&SHB.to_le_bytes()) {
            if let Some(bom) = array::<4>(block, 8) {
                self.big_endian = u32::from_be_bytes(bom) == BOM;
            }
            info.big_endian.get_or_insert(self.big_endian);
            // A new section starts a new interface list.
            self.interfaces.clear();
            return Ok(());
        }
        let parsed = if self.big_endian {
            parse_block_be(block)
        } else {
            parse_block_le(block)
        };
        let number = info.packets.saturating_add(1);
        let corrupt = || {
            (
                format!("pcapng block at offset {offset} cannot be parsed (near frame {number}): the file is corrupt from here"),
                "corrupt",
            )
        };
        let block_parsed = match parsed {
            Ok((_, b)) => b,
            Err(_) => return Err(corrupt()),
        };
        match block_parsed {
            Block::InterfaceDescription(idb) => {
                if self.interfaces.len() >= MAX_INTERFACES {
                    return Err((
                        format!("pcapng section declares more than {MAX_INTERFACES} interfaces at offset {offset}: the file is corrupt"),
                        "corrupt",
                    ));
                }
                let units = match units_per_sec(idb.if_tsresol) {
                    Some(u) if u > 0 => u,
                    _ => {
                        sink.warning(
                            "bad_tsresol",
                            format!(
                                "interface {} has an invalid timestamp resolution ({}); microseconds assumed",
                                self.interfaces.len(),
                                idb.if_tsresol
                            ),
                            None,
                            offset,
                        );
                        1_000_000
                    }
                };
                let link_type = idb.linktype.0 as u32;
                if info.ts_resolution.is_none() {
                    info.ts_resolution = Some(describe_resolution(idb.if_tsresol));
                }
                info.add_link_type(link_type);
                info.interfaces = info.interfaces.saturating_add(1);
                self.interfaces.push(Interface {
                    link_type,
                    units_per_sec: units,
                    offset_secs: idb.if_tsoffset,
                    snaplen: idb.snaplen,
                });
            }
            Block::EnhancedPacket(epb) => {
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let caplen = (epb.caplen as usize).min(epb.data.len());
                let data = head(epb.data, caplen);
                self.packet(
                    epb.if_id,
                    Some(units),
                    data,
                    epb.origlen,
                    offset,
                    info,
                    sink,
                );
            }
            Block::SimplePacket(spb) => {
                let snaplen = self
                    .interfaces
                    .first()
                    .map(|i| i.snaplen as usize)
                    .filter(|&s| s > 0)
                    .unwrap_or(usize::MAX);
                let caplen = (spb.origlen as usize).min(snaplen).min(spb.data.len());
                let data = head(spb.data, caplen);
                self.packet(0, None, data, spb.origlen, offset, info, sink);
            }
            Block::DecryptionSecrets(dsb) => {
                let len = (dsb.secrets_len as usize).min(dsb.data.len());
                info.secrets_blocks = info.secrets_blocks.saturating_add(1);
                sink.secrets(dsb.secrets_type.0, head(dsb.data, len));
            }
            Block::Unknown(u) if u.block_type == OPB || u.block_type.swap_bytes() == OPB => {
                self.obsolete_packet(u.data, offset, info, sink)
                    .ok_or_else(corrupt)?;
            }
            Block::Unknown(u) => {
                let ty = if self.big_endian {
                    u.block_type.swap_bytes()
                } else {
                    u.block_type
                };
                self.warn_type(ty, offset, sink);
            }
            // Name resolution, statistics, journal, process and custom blocks carry nothing
            // the analysis uses.
            _ => {}
        }
        Ok(())
    }

    fn warn_type(&mut self, ty: u32, offset: u64, sink: &mut impl CaptureSink) {
        if !self.warned_types.contains(&ty) && self.warned_types.len() < 16 {
            self.warned_types.push(ty);
            sink.warning(
                "unknown_block",
                format!("skipped pcapng block(s) of unknown type 0x{ty:08x}"),
                None,
                offset,
            );
        }
    }

    /// Obsolete Packet Block (type 2): interface id and drop count are 16-bit.
    fn obsolete_packet(
        &mut self,
        body: &[u8],
        offset: u64,
        info: &mut CaptureInfo,
        sink: &mut impl CaptureSink,
    ) -> Option<()> {
        let be = self.big_endian;
        let u16_at = |at: usize| -> Option<u16> {
            let b = array::<2>(body, at)?;
            Some(if be {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            })
        };
        let u32_at = |at: usize| -> Option<u32> {
            let b = array::<4>(body, at)?;
            Some(read_u32(b, be))
        };
        // `body` is the block after type and length: if_id(2) drops(2) ts_high ts_low caplen origlen.
        let if_id = u16_at(0)?;
        let units = (u64::from(u32_at(4)?) << 32) | u64::from(u32_at(8)?);
        let caplen = u32_at(12)? as usize;
        let origlen = u32_at(16)?;
        let data = body.get(20..)?;
        let data = head(data, caplen);
        self.packet(
            u32::from(if_id),
            Some(units),
            data,
            origlen,
            offset,
            info,
            sink,
        );
        Some(())
    }

    #[allow(clippy::too_many_arguments)]
    fn packet(
        &mut self,
        if_id: u32,
        units: Option<u64>,
        data: &[u8],
        orig_len: u32,
        offset: u64,
        info: &mut CaptureInfo,
        sink: &mut impl CaptureSink,
    ) {
        let number = info.packets.saturating_add(1);
        let iface = self.interfaces.get(if_id as usize);
        let link_type = match iface {
            Some(i) => i.link_type,
            None => {
                sink.warning(
                    "bad_interface",
                    format!(
                        "frame {number} names interface {if_id}, but the section declares {} interface(s); the packet is counted but not decoded",
                        self.interfaces.len()
                    ),
                    Some(number),
                    offset,
                );
                u32::MAX
            }
        };
        let ts = match (units, iface) {
            (Some(units), Some(i)) => {
                let ups = i.units_per_sec;
                let secs = i64::try_from(units.checked_div(ups).unwrap_or(0))
                    .unwrap_or(i64::MAX)
                    .saturating_add(i.offset_secs);
                ts_from_parts(secs, units.checked_rem(ups).unwrap_or(0), ups)
            }
            (Some(units), None) => ts_from_parts(
                i64::try_from(units.checked_div(1_000_000).unwrap_or(0)).unwrap_or(i64::MAX),
                units.checked_rem(1_000_000).unwrap_or(0),
                1_000_000,
            ),
            // Simple Packet Blocks carry no time: keep the previous packet's.
            (None, _) => self.last_ts,
        };
        self.last_ts = ts;
        info.packets = number;
        info.bytes = info.bytes.saturating_add(data.len() as u64);
        info.stamp(ts, number, offset, sink);
        sink.frame(&Frame {
            number,
            ts,
            link_type,
            data,
            orig_len,
            offset,
        });
    }
}
