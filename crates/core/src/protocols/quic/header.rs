//! QUIC packet headers (RFC 8999 invariants, RFC 9000 §17, RFC 9369 §3.2): long headers with
//! version and connection ids, coalesced packets walked by their Length field, short headers
//! whose Destination Connection ID length the flow remembers.

use crate::bytes::be32;

pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;

/// Coalesced packets read from one datagram at most.
const MAX_PACKETS_PER_DATAGRAM: usize = 8;

/// Packet types, long-header ones normalised to v1 numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
    VersionNegotiation,
    Short,
}

/// One packet of a datagram, header read, payload still protected.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    pub kind: Kind,
    /// 0 for short headers and version negotiation.
    pub version: u32,
    pub dcid: &'a [u8],
    /// Empty for short headers.
    pub scid: &'a [u8],
    /// Where the (protected) packet number starts in `bytes`; 0 for Retry and VN.
    pub pn_offset: usize,
    /// The whole packet: header, packet number and protected payload (long headers end where
    /// their Length field says; a short header runs to the end of the datagram).
    pub bytes: &'a [u8],
    /// Initial only: length of the token (non-zero after a Retry or with a NEW_TOKEN).
    pub token_len: usize,
}

/// Whether this version number is one a QUIC stack uses (final, v2, IETF drafts, gQUIC, VN,
/// and the reserved "greasing" pattern 0x?a?a?a?a).
pub fn known_version(v: u32) -> bool {
    v == 0
        || v == V1
        || v == V2
        || (v & 0xffff_ff00) == 0xff00_0000
        || (v >> 8) == 0x51_3034
        || (v >> 8) == 0x51_3035
        || v & 0x0f0f_0f0f == 0x0a0a_0a0a
}

pub fn version_name(v: u32) -> String {
    match v {
        V1 => "1".into(),
        V2 => "2".into(),
        0 => "negotiation".into(),
        v if v & 0xffff_ff00 == 0xff00_0000 => format!("draft-{}", v & 0xff),
        v => format!("0x{v:08x}"),
    }
}

/// A variable-length integer (RFC 9000 §16): value and bytes used.
pub fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for &x in bytes.iter().skip(1) {
        v = (v << 8) | u64::from(x);
    }
    Some((v, len))
}

fn long_kind(version: u32, first: u8) -> Kind {
    let raw = (first >> 4) & 0x3;
    match (version, raw) {
        (0, _) => Kind::VersionNegotiation,
        (V2, 1) => Kind::Initial,
        (V2, 2) => Kind::ZeroRtt,
        (V2, 3) => Kind::Handshake,
        (V2, _) => Kind::Retry,
        (_, 0) => Kind::Initial,
        (_, 1) => Kind::ZeroRtt,
        (_, 2) => Kind::Handshake,
        _ => Kind::Retry,
    }
}

/// Reads one long-header packet at the start of `d`; `None` when it is not one.
fn long_packet(d: &[u8]) -> Option<Packet<'_>> {
    let first = *d.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let version = be32(d, 1)?;
    if !known_version(version) {
        return None;
    }
    let dlen = usize::from(*d.get(5)?);
    if dlen > 20 && version != 0 {
        return None;
    }
    let dcid = d.get(6..6usize.checked_add(dlen)?)?;
    let at = 6usize.checked_add(dlen)?;
    let slen = usize::from(*d.get(at)?);
    if slen > 20 && version != 0 {
        return None;
    }
    let scid_at = at.checked_add(1)?;
    let scid = d.get(scid_at..scid_at.checked_add(slen)?)?;
    let mut at = scid_at.checked_add(slen)?;
    let kind = long_kind(version, first);
    let mut token_len = 0;
    match kind {
        Kind::VersionNegotiation | Kind::Retry => {
            return Some(Packet {
                kind,
                version,
                dcid,
                scid,
                pn_offset: 0,
                bytes: d,
                token_len: 0,
            })
        }
        Kind::Initial => {
            let (len, n) = varint(d.get(at..)?)?;
            token_len = usize::try_from(len).ok()?;
            at = at.checked_add(n)?.checked_add(token_len)?;
        }
        _ => {}
    }
    let (len, n) = varint(d.get(at..)?)?;
    let pn_offset = at.checked_add(n)?;
    let end = pn_offset.checked_add(usize::try_from(len).ok()?)?;
    Some(Packet {
        kind,
        version,
        dcid,
        scid,
        pn_offset,
        bytes: d.get(..end)?,
        token_len,
    })
}

/// The packets of a datagram. `short_dcid_len` is the Destination Connection ID length of
/// short-header packets in this direction (known from the handshake); `None` when unknown, in
/// which case a short-header packet is reported with an empty DCID.
pub fn packets(mut d: &[u8], short_dcid_len: Option<usize>) -> Vec<Packet<'_>> {
    let mut out = Vec::new();
    while out.len() < MAX_PACKETS_PER_DATAGRAM {
        let Some(&first) = d.first() else { break };
        if first & 0x80 == 0 {
            // A short header is always the last packet of a datagram, and has the fixed bit
            // (0x40); zeros after a long-header packet are padding of the datagram.
            if first & 0x40 == 0 {
                break;
            }
            let len = short_dcid_len.unwrap_or(0);
            let pn_offset = len.saturating_add(1);
            out.push(Packet {
                kind: Kind::Short,
                version: 0,
                dcid: d.get(1..pn_offset).unwrap_or_default(),
                scid: &[],
                pn_offset,
                bytes: d,
                token_len: 0,
            });
            break;
        }
        let Some(p) = long_packet(d) else { break };
        let used = p.bytes.len();
        let last = matches!(p.kind, Kind::Retry | Kind::VersionNegotiation);
        out.push(p);
        if last || used == 0 {
            break;
        }
        d = d.get(used..).unwrap_or_default();
    }
    out
}

/// The versions listed in a Version Negotiation packet (after its connection ids).
pub fn negotiation_versions(p: &Packet<'_>) -> Vec<u32> {
    let at = 7usize
        .saturating_add(p.dcid.len())
        .saturating_add(p.scid.len());
    p.bytes
        .get(at..)
        .unwrap_or_default()
        .chunks_exact(4)
        .take(16)
        .filter_map(|c| be32(c, 0))
        .collect()
}

/// Whether a datagram starts like a QUIC long-header packet (used to recognise QUIC flows).
pub fn plausible_long_header(d: &[u8]) -> Option<Packet<'_>> {
    long_packet(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_header() {
        // RFC 9001 A.2 client Initial header: c0 00000001 08 8394c8f03e515708 00 00 449e ...
        let mut d = vec![
            0xc0, 0, 0, 0, 1, 8, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08, 0, 0, 0x44, 0x9e,
        ];
        d.extend_from_slice(&[0u8; 0x49e]);
        let p = packets(&d, None);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, Kind::Initial);
        assert_eq!(p[0].dcid, &[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]);
        assert_eq!(p[0].pn_offset, 18);
        assert_eq!(p[0].bytes.len(), d.len());
        let short = packets(&[0x40, 1, 2, 3, 4, 5], Some(2));
        assert_eq!(short[0].kind, Kind::Short);
        assert_eq!(short[0].dcid, &[1, 2]);
        assert!(plausible_long_header(&[0x40, 1, 2, 3]).is_none());
        // Lying lengths never panic.
        assert!(packets(&[0xc0, 0, 0, 0, 1, 0xff], None).is_empty());
        assert!(packets(&[0xc0, 0, 0, 0, 1, 0, 0, 0, 0xff], None).is_empty());
    }
}
