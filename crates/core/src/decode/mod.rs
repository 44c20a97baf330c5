#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
//! From a frame's bytes to addresses, ports and transport payload: link layer, IP (etherparse),
//! tunnels (GRE, ERSPAN, IP-in-IP: the innermost IP wins, as in tshark with `occurrence=l`),
//! IP fragment reassembly, and TCP/UDP headers read the way tshark reads them.

mod addr;
mod defrag;
mod link;
mod transport;

pub use addr::{endpoint_string, IpAddr};
pub use transport::{TcpFlags, TcpSegment, UdpDatagram};

use crate::time::Ts;
use defrag::Defragmenter;
use etherparse::{IpNumber, Ipv6ExtensionSlice, LaxIpSlice};

/// Tunnels nested deeper than this are treated as hostile.
const MAX_NESTING: u8 = 4;

/// A decoded packet: the innermost IP addresses and what they carry.
#[derive(Debug)]
pub struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub l4: L4<'a>,
}

#[derive(Debug)]
pub enum L4<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
    /// ICMP and other IP protocols: counted, not tracked.
    Other(u8),
}

/// Why a frame yielded no packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// ARP, LLDP, STP, ...: nothing to analyse, not a problem.
    NotIp,
    /// An IP fragment held until the rest arrives.
    Fragment,
    UnknownLinkType(u32),
    /// The named header is cut short (snaplen or a damaged frame).
    Truncated(&'static str),
    Malformed(&'static str),
}

impl DecodeError {
    /// Stable code for aggregated warnings; none for the harmless cases.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            DecodeError::NotIp | DecodeError::Fragment => None,
            DecodeError::UnknownLinkType(_) => Some("unknown_link_type"),
            DecodeError::Truncated(_) => Some("truncated_header"),
            DecodeError::Malformed(_) => Some("malformed_header"),
        }
    }

    pub fn message(&self) -> String {
        match self {
            DecodeError::NotIp => "not an IP packet".into(),
            DecodeError::Fragment => "IP fragment".into(),
            DecodeError::UnknownLinkType(lt) => format!(
                "link type {} ({lt}) is not supported: its packets are counted but not decoded",
                crate::capture::linktype::name(*lt)
            ),
            DecodeError::Truncated(what) => format!("{what} is cut short"),
            DecodeError::Malformed(what) => format!("malformed: {what}"),
        }
    }
}

/// Stateful only for IP fragment reassembly.
#[derive(Default)]
pub struct Decoder {
    defrag: Defragmenter,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn decode<'a>(
        &'a mut self,
        link_type: u32,
        data: &'a [u8],
        ts: Ts,
    ) -> Result<Packet<'a>, DecodeError> {
        let link = link::decode_link(link_type, data)?;
        ip(Some(&mut self.defrag), link.ether_type, link.payload, ts, 0)
    }
}

/// Decodes an IP packet and what it carries. `defrag` is `None` inside a datagram that was
/// itself reassembled (it lives in the defragmenter): fragments nested in fragments are not
/// reassembled.
fn ip<'a>(
    defrag: Option<&'a mut Defragmenter>,
    ether_type: u16,
    bytes: &'a [u8],
    ts: Ts,
    depth: u8,
) -> Result<Packet<'a>, DecodeError> {
    if depth > MAX_NESTING {
        return Err(DecodeError::Malformed("tunnels nested too deep"));
    }
    if ether_type != link::ETHERTYPE_IPV4 && ether_type != link::ETHERTYPE_IPV6 {
        return Err(DecodeError::NotIp);
    }
    let (ip, _) = LaxIpSlice::from_slice(bytes).map_err(|e| match e {
        etherparse::err::ip::LaxHeaderSliceError::Len(_) => DecodeError::Truncated("IP header"),
        etherparse::err::ip::LaxHeaderSliceError::Content(_) => DecodeError::Malformed("IP header"),
    })?;
    let (src, dst) = (
        IpAddr::from_std(ip.source_addr()),
        IpAddr::from_std(ip.destination_addr()),
    );
    let payload = ip.payload();
    let proto = payload.ip_number;
    // Where the transport header starts inside `bytes`, to turn the IP header's length
    // field into the transport length tshark reports (captured or not).
    let start = (payload.payload.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
    let claimed_total = match &ip {
        LaxIpSlice::Ipv4(v4) => usize::from(v4.header().total_len()),
        LaxIpSlice::Ipv6(v6) => match v6.header().payload_length() {
            0 => 0,
            n => 40 + usize::from(n),
        },
    };
    let claimed = if claimed_total == 0 {
        // TSO captures and jumbograms: trust what was captured.
        payload.payload.len()
    } else {
        claimed_total.saturating_sub(start)
    };

    if payload.fragmented {
        let frag = match &ip {
            LaxIpSlice::Ipv4(v4) => {
                let h = v4.header();
                Some((
                    u32::from(h.identification()),
                    h.fragments_offset(),
                    h.more_fragments(),
                ))
            }
            LaxIpSlice::Ipv6(v6) => v6
                .extensions()
                .clone()
                .into_iter()
                .find_map(|ext| match ext {
                    Ipv6ExtensionSlice::Fragment(f) => {
                        Some((f.identification(), f.fragment_offset(), f.more_fragments()))
                    }
                    _ => None,
                }),
        };
        let Some((id, offset, more)) = frag else {
            return Err(DecodeError::Malformed("fragment without fragment header"));
        };
        if payload.payload.len() < claimed {
            // A fragment cut by the snaplen can never complete a datagram.
            return Err(DecodeError::Truncated("IP fragment"));
        }
        let key = defrag::FragKey {
            src,
            dst,
            id,
            proto: proto.0,
        };
        let Some(defrag) = defrag else {
            return Err(DecodeError::Malformed(
                "IP fragment inside a reassembled IP datagram",
            ));
        };
        let whole = defrag.add(key, offset, more, payload.payload, ts)?;
        return transport_or_tunnel(None, src, dst, proto, whole, whole.len(), ts, depth);
    }
    transport_or_tunnel(defrag, src, dst, proto, payload.payload, claimed, ts, depth)
}

#[allow(clippy::too_many_arguments)]
fn transport_or_tunnel<'a>(
    defrag: Option<&'a mut Defragmenter>,
    src: IpAddr,
    dst: IpAddr,
    proto: IpNumber,
    payload: &'a [u8],
    claimed: usize,
    ts: Ts,
    depth: u8,
) -> Result<Packet<'a>, DecodeError> {
    match proto {
        IpNumber::TCP => Ok(Packet {
            src,
            dst,
            l4: L4::Tcp(transport::tcp(payload, claimed)?),
        }),
        IpNumber::UDP => Ok(Packet {
            src,
            dst,
            l4: L4::Udp(transport::udp(payload)?),
        }),
        IpNumber::GRE => {
            let inner = transport::gre(payload)?;
            match inner {
                transport::GreInner::Ip(ether_type, bytes) => {
                    ip(defrag, ether_type, bytes, ts, depth.saturating_add(1))
                }
                transport::GreInner::Ethernet(frame) => {
                    let l = link::ethernet(frame)?;
                    ip(defrag, l.ether_type, l.payload, ts, depth.saturating_add(1))
                }
                transport::GreInner::Ppp(bytes) => {
                    let l = link::ppp(bytes)?;
                    ip(defrag, l.ether_type, l.payload, ts, depth.saturating_add(1))
                }
            }
        }
        IpNumber::IPV4 | IpNumber::IPV6 => {
            let ether_type = if proto == IpNumber::IPV4 {
                link::ETHERTYPE_IPV4
            } else {
                link::ETHERTYPE_IPV6
            };
            ip(defrag, ether_type, payload, ts, depth.saturating_add(1))
        }
        other => Ok(Packet {
            src,
            dst,
            l4: L4::Other(other.0),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::linktype;

    fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let total = 20 + 20 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        p.extend_from_slice(&[
            0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ethernet_vlan_qinq() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00]);
        f.extend_from_slice(&ipv4_tcp(b"hi"));
        let mut d = Decoder::new();
        let p = d.decode(linktype::ETHERNET, &f, Ts::default()).unwrap();
        assert_eq!(p.src, IpAddr::V4([10, 0, 0, 1]));
        let L4::Tcp(t) = p.l4 else { panic!() };
        assert_eq!((t.src_port, t.dst_port, t.payload), (12345, 80, &b"hi"[..]));
    }

    #[test]
    fn null_loopback_both_orders_and_sll2() {
        let mut d = Decoder::new();
        for head in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = head.to_vec();
            f.extend_from_slice(&ipv4_tcp(b""));
            assert!(d.decode(linktype::NULL, &f, Ts::default()).is_ok());
        }
        let mut f = vec![0x08, 0x00];
        f.extend_from_slice(&[0u8; 18]);
        f.extend_from_slice(&ipv4_tcp(b"x"));
        assert!(d.decode(linktype::LINUX_SLL2, &f, Ts::default()).is_ok());
    }

    #[test]
    fn gre_erspan_type2_reaches_inner_ip() {
        let mut inner_eth = vec![0u8; 12];
        inner_eth.extend_from_slice(&[0x08, 0x00]);
        inner_eth.extend_from_slice(&ipv4_tcp(b"inner"));
        let mut gre = vec![0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 7]; // S bit + sequence
        gre.extend_from_slice(&[0x10, 0x00, 0x00, 0x01, 0, 0, 0, 0]); // ERSPAN II header
        gre.extend_from_slice(&inner_eth);
        let total = 20 + gre.len();
        let mut outer = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0,
            0,
            64,
            47,
            0,
            0,
            192,
            168,
            0,
            1,
            192,
            168,
            0,
            2,
        ];
        outer.extend_from_slice(&gre);
        let mut d = Decoder::new();
        let p = d.decode(linktype::RAW, &outer, Ts::default()).unwrap();
        assert_eq!(p.src, IpAddr::V4([10, 0, 0, 1]));
        let L4::Tcp(t) = p.l4 else { panic!() };
        assert_eq!(t.payload, b"inner");
    }

    #[test]
    fn ipv4_fragments_reassemble() {
        // UDP datagram of 8 + 24 bytes split into 16 + 16.
        let mut udp = vec![0x12, 0x34, 0x00, 0x35, 0, 32, 0, 0];
        udp.extend_from_slice(&[7u8; 24]);
        let frag = |off: u16, more: bool, data: &[u8]| {
            let total = 20 + data.len();
            let flags = (if more { 0x2000 } else { 0 }) | (off / 8);
            let mut p = vec![
                0x45,
                0,
                0,
                total as u8,
                0x12,
                0x34,
                (flags >> 8) as u8,
                flags as u8,
                64,
                17,
                0,
                0,
                1,
                1,
                1,
                1,
                2,
                2,
                2,
                2,
            ];
            p.extend_from_slice(data);
            p
        };
        let mut d = Decoder::new();
        let first = frag(0, true, &udp[..16]);
        assert_eq!(
            d.decode(linktype::RAW, &first, Ts::default()).unwrap_err(),
            DecodeError::Fragment
        );
        let second = frag(16, false, &udp[16..]);
        let p = d.decode(linktype::RAW, &second, Ts::default()).unwrap();
        let L4::Udp(u) = p.l4 else { panic!() };
        assert_eq!(u.payload.len(), 24);
        assert_eq!(u.dst_port, 53);
    }
}
