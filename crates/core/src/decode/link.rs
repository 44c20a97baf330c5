//! Link layers down to an EtherType and its payload: Ethernet (802.1Q / QinQ / PPPoE / MPLS),
//! Linux cooked v1 and v2, BSD NULL/loopback, raw IP, PPP.

use super::DecodeError;
use crate::bytes::{array, be16, tail};
use crate::capture::linktype as lt;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MC: u16 = 0x8848;
/// Stacked tags beyond this are hostile, not real.
const MAX_TAGS: usize = 8;

/// What the link layer carries: an EtherType (or `None` for non-IP) and its bytes.
pub struct LinkPayload<'a> {
    pub ether_type: u16,
    pub payload: &'a [u8],
}

/// Guesses IPv4 / IPv6 from the version nibble (raw IP, MPLS payloads).
fn by_version(payload: &[u8]) -> Result<LinkPayload<'_>, DecodeError> {
    match payload.first().map(|b| b >> 4) {
        Some(4) => Ok(LinkPayload {
            ether_type: ETHERTYPE_IPV4,
            payload,
        }),
        Some(6) => Ok(LinkPayload {
            ether_type: ETHERTYPE_IPV6,
            payload,
        }),
        _ => Err(DecodeError::NotIp),
    }
}

pub fn decode_link(link_type: u32, data: &[u8]) -> Result<LinkPayload<'_>, DecodeError> {
    match link_type {
        lt::ETHERNET => ethernet(data),
        lt::RAW | lt::RAW_DLT12 | lt::RAW_DLT14 | lt::IPV4 | lt::IPV6 => by_version(data),
        lt::NULL | lt::LOOP => null_loopback(data),
        lt::LINUX_SLL => {
            // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
            let proto = be16(data, 14).ok_or(DecodeError::Truncated("Linux cooked header"))?;
            ether_payload(proto, data.get(16..).unwrap_or_default())
        }
        lt::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
            let proto = be16(data, 0).ok_or(DecodeError::Truncated("Linux cooked v2 header"))?;
            if data.len() < 20 {
                return Err(DecodeError::Truncated("Linux cooked v2 header"));
            }
            ether_payload(proto, tail(data, 20))
        }
        lt::PPP | lt::PPP_HDLC => ppp(data),
        other => Err(DecodeError::UnknownLinkType(other)),
    }
}

/// Ethernet II with any number (within reason) of VLAN tags.
pub fn ethernet(data: &[u8]) -> Result<LinkPayload<'_>, DecodeError> {
    let ether_type = be16(data, 12).ok_or(DecodeError::Truncated("Ethernet header"))?;
    if ether_type < 0x0600 {
        // 802.3 length field: LLC/SNAP frames (STP, CDP, ...) carry no IP here.
        return Err(DecodeError::NotIp);
    }
    ether_payload(ether_type, data.get(14..).unwrap_or_default())
}

/// Follows VLAN tags, PPPoE and MPLS until IP (or something else).
pub fn ether_payload(
    mut ether_type: u16,
    mut payload: &[u8],
) -> Result<LinkPayload<'_>, DecodeError> {
    for _ in 0..MAX_TAGS {
        match ether_type {
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                ether_type = be16(payload, 2).ok_or(DecodeError::Truncated("VLAN tag"))?;
                payload = payload.get(4..).unwrap_or_default();
            }
            ETHERTYPE_PPPOE_SESSION => {
                // ver/type(1) code(1) session(2) length(2), then a PPP protocol field.
                let proto = be16(payload, 6).ok_or(DecodeError::Truncated("PPPoE header"))?;
                payload = payload.get(8..).unwrap_or_default();
                ether_type = ppp_to_ether_type(proto).ok_or(DecodeError::NotIp)?;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MC => {
                let mut rest = payload;
                loop {
                    let label = array::<4>(rest, 0).ok_or(DecodeError::Truncated("MPLS label"))?;
                    rest = tail(rest, 4);
                    if label[2] & 0x01 != 0 {
                        break;
                    }
                    if payload.len().saturating_sub(rest.len()) > 4 * MAX_TAGS {
                        return Err(DecodeError::Malformed("MPLS label stack too deep"));
                    }
                }
                return by_version(rest);
            }
            _ => {
                return Ok(LinkPayload {
                    ether_type,
                    payload,
                })
            }
        }
    }
    Err(DecodeError::Malformed("too many stacked VLAN/PPPoE tags"))
}

/// BSD loopback: a 4-byte address family in the capturing host's byte order (NULL) or network
/// order (LOOP). IPv6 has several family numbers depending on the BSD.
fn null_loopback(data: &[u8]) -> Result<LinkPayload<'_>, DecodeError> {
    let head: [u8; 4] = data
        .get(..4)
        .and_then(|h| h.try_into().ok())
        .ok_or(DecodeError::Truncated("loopback header"))?;
    let le = u32::from_le_bytes(head);
    let family = if le > 0xffff {
        u32::from_be_bytes(head)
    } else {
        le
    };
    let payload = tail(data, 4);
    match family {
        2 => Ok(LinkPayload {
            ether_type: ETHERTYPE_IPV4,
            payload,
        }),
        10 | 24 | 28 | 30 => Ok(LinkPayload {
            ether_type: ETHERTYPE_IPV6,
            payload,
        }),
        _ => by_version(payload),
    }
}

fn ppp_to_ether_type(proto: u16) -> Option<u16> {
    match proto {
        0x0021 => Some(ETHERTYPE_IPV4),
        0x0057 => Some(ETHERTYPE_IPV6),
        _ => None,
    }
}

/// PPP in HDLC-like framing: optional address/control (ff 03), then a 1- or 2-byte protocol.
pub fn ppp(data: &[u8]) -> Result<LinkPayload<'_>, DecodeError> {
    let mut rest = data;
    if rest.starts_with(&[0xff, 0x03]) {
        rest = tail(rest, 2);
    }
    let first = *rest.first().ok_or(DecodeError::Truncated("PPP header"))?;
    let (proto, rest) = if first & 1 == 1 {
        // Protocol-field compression: a single odd byte.
        (u16::from(first), tail(rest, 1))
    } else {
        (
            be16(rest, 0).ok_or(DecodeError::Truncated("PPP header"))?,
            rest.get(2..).unwrap_or_default(),
        )
    };
    let ether_type = ppp_to_ether_type(proto).ok_or(DecodeError::NotIp)?;
    Ok(LinkPayload {
        ether_type,
        payload: rest,
    })
}
