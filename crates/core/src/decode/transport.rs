//! TCP and UDP headers, read the way tshark reads them (so that stream numbers and byte counts
//! agree even on damaged packets), and GRE / ERSPAN encapsulation.

use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::DecodeError;
use crate::bytes::array;

/// TCP flag bits (the low 12 bits of bytes 12–13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;

    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    /// SYN without ACK: a connection request.
    pub fn is_syn_only(self) -> bool {
        self.syn() && !self.ack()
    }
    pub fn is_syn_ack(self) -> bool {
        self.syn() && self.ack()
    }
}

#[derive(Debug)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// Header length the data-offset field claims (may be bogus, < 20).
    pub header_len: u8,
    /// Payload length the IP header implies (tshark's `tcp.len`); may exceed the captured bytes.
    pub seg_len: u32,
    /// The IP length covers the header (tshark only analyses such segments).
    pub has_seg_len: bool,
    /// Captured payload bytes (shorter than `seg_len` when the snaplen cut the packet).
    pub payload: &'a [u8],
    /// Header length under 20: tshark counts the segment, but nothing inside it is read.
    pub bogus_header: bool,
}

/// Reads a TCP header. `claimed` is the transport length the IP header gives.
pub fn tcp(bytes: &[u8], claimed: usize) -> Result<TcpSegment<'_>, DecodeError> {
    // tshark reads ports, sequence numbers, offset, flags and window (16 bytes) before it
    // assigns the stream; fewer captured bytes and the packet has no stream there either.
    let [sp0, sp1, dp0, dp1, s0, s1, s2, s3, a0, a1, a2, a3, offset, flags, w0, w1] =
        array::<16>(bytes, 0).ok_or(DecodeError::Truncated("TCP header"))?;
    let header_len = (offset >> 4).saturating_mul(4);
    let has_seg_len = claimed >= usize::from(header_len);
    let seg_len = claimed.saturating_sub(usize::from(header_len));
    let bogus_header = header_len < 20;
    let payload = if bogus_header {
        &[][..]
    } else {
        let end = claimed.min(bytes.len());
        bytes.get(usize::from(header_len)..end).unwrap_or_default()
    };
    Ok(TcpSegment {
        src_port: u16::from_be_bytes([sp0, sp1]),
        dst_port: u16::from_be_bytes([dp0, dp1]),
        seq: u32::from_be_bytes([s0, s1, s2, s3]),
        ack: u32::from_be_bytes([a0, a1, a2, a3]),
        flags: TcpFlags(u16::from_be_bytes([offset, flags]) & 0x0fff),
        window: u16::from_be_bytes([w0, w1]),
        header_len,
        seg_len: u32::try_from(seg_len).unwrap_or(u32::MAX),
        has_seg_len,
        payload,
        bogus_header,
    })
}

#[derive(Debug)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    /// Captured payload bytes, limited to the UDP length field.
    pub payload: &'a [u8],
    /// Payload length the UDP header claims.
    pub claimed_len: u32,
}

pub fn udp(bytes: &[u8]) -> Result<UdpDatagram<'_>, DecodeError> {
    let [sp0, sp1, dp0, dp1, l0, l1, _, _] =
        array::<8>(bytes, 0).ok_or(DecodeError::Truncated("UDP header"))?;
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    let claimed = len.saturating_sub(8);
    // Length 0 happens with jumbograms and offload: use what was captured.
    let end = if len < 8 {
        bytes.len()
    } else {
        claimed.saturating_add(8).min(bytes.len())
    };
    Ok(UdpDatagram {
        src_port: u16::from_be_bytes([sp0, sp1]),
        dst_port: u16::from_be_bytes([dp0, dp1]),
        payload: bytes.get(8..end).unwrap_or_default(),
        claimed_len: u32::try_from(if len < 8 {
            bytes.len().saturating_sub(8)
        } else {
            claimed
        })
        .unwrap_or(0),
    })
}

/// What a GRE packet carries.
pub enum GreInner<'a> {
    Ip(u16, &'a [u8]),
    Ethernet(&'a [u8]),
    Ppp(&'a [u8]),
}

const GRE_TEB: u16 = 0x6558;
const GRE_ERSPAN_2: u16 = 0x88be;
const GRE_ERSPAN_3: u16 = 0x22eb;
const GRE_PPP: u16 = 0x880b;

/// GRE (RFC 2784/2890, and PPTP's enhanced version 1) with ERSPAN types I, II and III.
pub fn gre(bytes: &[u8]) -> Result<GreInner<'_>, DecodeError> {
    let [f0, f1, p0, p1] = array::<4>(bytes, 0).ok_or(DecodeError::Truncated("GRE header"))?;
    let flags = u16::from_be_bytes([f0, f1]);
    let proto = u16::from_be_bytes([p0, p1]);
    let version = flags & 0x7;
    let mut len = 4usize;
    if flags & 0x8000 != 0 {
        len = len.saturating_add(4); // checksum + reserved
    }
    if flags & 0x2000 != 0 {
        len = len.saturating_add(4); // key (always present in version 1)
    }
    let has_seq = flags & 0x1000 != 0;
    if has_seq {
        len = len.saturating_add(4);
    }
    if version == 1 && flags & 0x0080 != 0 {
        len = len.saturating_add(4); // acknowledgment number
    }
    let rest = bytes
        .get(len..)
        .ok_or(DecodeError::Truncated("GRE header"))?;
    match proto {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(GreInner::Ip(proto, rest)),
        GRE_TEB => Ok(GreInner::Ethernet(rest)),
        GRE_PPP => Ok(GreInner::Ppp(rest)),
        // ERSPAN type I has no sequence number and no ERSPAN header.
        GRE_ERSPAN_2 if !has_seq => Ok(GreInner::Ethernet(rest)),
        GRE_ERSPAN_2 => Ok(GreInner::Ethernet(
            rest.get(8..)
                .ok_or(DecodeError::Truncated("ERSPAN header"))?,
        )),
        GRE_ERSPAN_3 => {
            let h3 = array::<12>(rest, 0).ok_or(DecodeError::Truncated("ERSPAN III header"))?;
            // The O flag (lowest bit of the last header byte) adds an 8-byte subheader.
            let sub: usize = if h3[11] & 0x01 != 0 { 8 } else { 0 };
            Ok(GreInner::Ethernet(
                rest.get(sub.saturating_add(12)..)
                    .ok_or(DecodeError::Truncated("ERSPAN III header"))?,
            ))
        }
        _ => Err(DecodeError::NotIp),
    }
}
