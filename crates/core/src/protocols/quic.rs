//! QUIC recognised by its packet headers (RFC 8999 invariants, RFC 9000 v1, RFC 9369 v2):
//! long headers with version and connection ids, coalesced packets walked by their Length
//! field, short headers counted once a flow is known to be QUIC. Payloads stay encrypted here.

pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;

/// Long-header packet types, normalised to v1 numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongHeader {
    pub version: u32,
    /// `None` for version negotiation (version 0).
    pub kind: Option<LongType>,
    pub dcid: Vec<u8>,
    pub scid: Vec<u8>,
}

/// Whether this version number is one a QUIC stack uses (final, v2, IETF drafts, gQUIC, VN).
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

fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for &x in bytes.iter().skip(1) {
        v = (v << 8) | u64::from(x);
    }
    Some((v, len))
}

/// Reads the long headers of a datagram (coalesced packets included). Empty when the
/// datagram does not start with a plausible QUIC long header.
pub fn long_headers(mut datagram: &[u8]) -> Vec<LongHeader> {
    let mut out = Vec::new();
    while out.len() < 4 {
        let Some(&first) = datagram.first() else {
            break;
        };
        if first & 0x80 == 0 {
            break;
        }
        let Some(version) = crate::bytes::be32(datagram, 1) else {
            break;
        };
        if !known_version(version) {
            break;
        }
        let Some(&dlen) = datagram.get(5) else { break };
        if dlen > 20 && version != 0 {
            break;
        }
        let Some(dcid) = datagram.get(6..6 + usize::from(dlen)) else {
            break;
        };
        let at = 6 + usize::from(dlen);
        let Some(&slen) = datagram.get(at) else { break };
        let scid_at = at.saturating_add(1);
        let Some(scid) = datagram.get(scid_at..scid_at.saturating_add(usize::from(slen))) else {
            break;
        };
        let mut at = scid_at.saturating_add(usize::from(slen));
        let raw_type = (first >> 4) & 0x3;
        let kind = match (version, raw_type) {
            (0, _) => None,
            (V2, 1) | (V1, 0) => Some(LongType::Initial),
            (V2, 2) | (V1, 1) => Some(LongType::ZeroRtt),
            (V2, 3) | (V1, 2) => Some(LongType::Handshake),
            (V2, 0) | (V1, 3) => Some(LongType::Retry),
            (_, 0) => Some(LongType::Initial),
            (_, 1) => Some(LongType::ZeroRtt),
            (_, 2) => Some(LongType::Handshake),
            _ => Some(LongType::Retry),
        };
        out.push(LongHeader {
            version,
            kind,
            dcid: dcid.to_vec(),
            scid: scid.to_vec(),
        });
        match kind {
            Some(LongType::Initial) => {
                let Some((token_len, n)) = datagram.get(at..).and_then(varint) else {
                    break;
                };
                at = at
                    .saturating_add(n)
                    .saturating_add(usize::try_from(token_len).unwrap_or(usize::MAX));
            }
            Some(LongType::ZeroRtt | LongType::Handshake) => {}
            _ => break,
        }
        let Some((len, n)) = datagram.get(at..).and_then(varint) else {
            break;
        };
        let end = at
            .saturating_add(n)
            .saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
        match datagram.get(end..) {
            Some(rest) => datagram = rest,
            None => break,
        }
    }
    out
}

/// Per-flow QUIC facts.
#[derive(Debug, Clone, Default)]
pub struct QuicFlow {
    pub version: u32,
    pub client_dcid: Option<Vec<u8>>,
    pub client_scid: Option<Vec<u8>>,
    pub long: u64,
    pub short: u64,
    pub initial: u64,
    pub handshake: u64,
    pub zero_rtt: u64,
    pub retry: bool,
    pub version_negotiation: bool,
}

impl QuicFlow {
    pub fn datagram(&mut self, from_client: bool, payload: &[u8]) {
        let headers = long_headers(payload);
        if headers.is_empty() {
            if payload.first().is_some_and(|b| b & 0x40 != 0) {
                self.short = self.short.saturating_add(1);
            }
            return;
        }
        for h in headers {
            self.long = self.long.saturating_add(1);
            if h.version != 0 && self.version == 0 {
                self.version = h.version;
            }
            match h.kind {
                None => self.version_negotiation = true,
                Some(LongType::Initial) => {
                    self.initial = self.initial.saturating_add(1);
                    if from_client && self.client_dcid.is_none() {
                        self.client_dcid = Some(h.dcid);
                        self.client_scid = Some(h.scid);
                    }
                }
                Some(LongType::Handshake) => self.handshake = self.handshake.saturating_add(1),
                Some(LongType::ZeroRtt) => self.zero_rtt = self.zero_rtt.saturating_add(1),
                Some(LongType::Retry) => self.retry = true,
            }
        }
    }
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
        let h = long_headers(&d);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kind, Some(LongType::Initial));
        assert_eq!(
            h[0].dcid,
            vec![0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]
        );
        assert!(long_headers(&[0x40, 1, 2, 3]).is_empty());
    }
}
