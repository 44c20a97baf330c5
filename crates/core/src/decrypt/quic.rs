//! The QUIC key schedule (RFC 9001 §5, RFC 9369 §3.3) on top of `crypto`: Initial secrets every
//! observer can derive from the client's first Destination Connection ID, packet keys (key, IV,
//! header protection) from a TLS secret, and key updates. Packet protection is removed here too:
//! header protection first (§5.4), then the AEAD (§5.3).

use super::crypto::{
    hkdf_expand_label, hkdf_extract, nonce, Aead, AeadAlg, HashAlg, HeaderProtection,
};

pub const V1: u32 = 0x0000_0001;
pub const V2: u32 = 0x6b33_43cf;

/// RFC 9001 §5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// RFC 9369 §3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
/// draft-ietf-quic-tls-29 §5.2 (drafts 29–32).
const SALT_D29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
/// draft-ietf-quic-tls-23 §5.2 (drafts 23–28).
const SALT_D23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];

/// The Initial salt of a version; `None` for versions whose Initial protection is unknown.
fn initial_salt(version: u32) -> Option<&'static [u8; 20]> {
    match version {
        V1 => Some(&SALT_V1),
        V2 => Some(&SALT_V2),
        0xff00_001d..=0xff00_0020 => Some(&SALT_D29),
        0xff00_0017..=0xff00_001c => Some(&SALT_D23),
        _ => None,
    }
}

/// Labels differ between v1 (and drafts) and v2.
fn labels(version: u32) -> (&'static [u8], &'static [u8], &'static [u8], &'static [u8]) {
    if version == V2 {
        (b"quicv2 key", b"quicv2 iv", b"quicv2 hp", b"quicv2 ku")
    } else {
        (b"quic key", b"quic iv", b"quic hp", b"quic ku")
    }
}

/// Keys for one direction of one packet number space.
pub struct PacketKeys {
    pub alg: AeadAlg,
    pub hash: HashAlg,
    version: u32,
    aead: Aead,
    iv: Vec<u8>,
    hp: HeaderProtection,
    /// The secret these keys come from (the next key phase derives from it).
    secret: Vec<u8>,
}

impl PacketKeys {
    /// Packet keys from a traffic secret (RFC 9001 §5.1).
    pub fn from_secret(
        version: u32,
        alg: AeadAlg,
        hash: HashAlg,
        secret: &[u8],
    ) -> Option<PacketKeys> {
        let (key_l, iv_l, hp_l, _) = labels(version);
        let key = hkdf_expand_label(hash, secret, key_l, b"", alg.key_len())?;
        let iv = hkdf_expand_label(hash, secret, iv_l, b"", 12)?;
        let hp = hkdf_expand_label(hash, secret, hp_l, b"", alg.key_len())?;
        Some(PacketKeys {
            alg,
            hash,
            version,
            aead: Aead::new(alg, &key)?,
            iv,
            hp: HeaderProtection::new(alg, &hp)?,
            secret: secret.to_vec(),
        })
    }

    /// The keys of the next key phase (RFC 9001 §6.1): new AEAD key and IV, same header
    /// protection key.
    pub fn next_phase(&self) -> Option<PacketKeys> {
        let (key_l, iv_l, _, ku_l) = labels(self.version);
        let secret = hkdf_expand_label(self.hash, &self.secret, ku_l, b"", self.hash.len())?;
        let key = hkdf_expand_label(self.hash, &secret, key_l, b"", self.alg.key_len())?;
        let iv = hkdf_expand_label(self.hash, &secret, iv_l, b"", 12)?;
        Some(PacketKeys {
            alg: self.alg,
            hash: self.hash,
            version: self.version,
            aead: Aead::new(self.alg, &key)?,
            iv,
            hp: match &self.hp {
                HeaderProtection::Aes128(k) => HeaderProtection::Aes128(k.clone()),
                HeaderProtection::Aes256(k) => HeaderProtection::Aes256(k.clone()),
                HeaderProtection::ChaCha(k) => HeaderProtection::ChaCha(*k),
            },
            secret,
        })
    }

    /// The 5-byte header protection mask for a sample.
    pub fn mask(&self, sample: &[u8; 16]) -> [u8; 5] {
        self.hp.mask(sample)
    }

    /// Opens a packet payload in place (`aad` = the unprotected header).
    pub fn open(&self, pn: u64, aad: &[u8], payload: &mut Vec<u8>) -> bool {
        match nonce(&self.iv, pn) {
            Some(n) => self.aead.open(&n, aad, payload),
            None => false,
        }
    }
}

/// Client and server Initial keys for a version and the client's first Destination CID.
pub fn initial_keys(version: u32, dcid: &[u8]) -> Option<(PacketKeys, PacketKeys)> {
    let salt = initial_salt(version)?;
    let initial = hkdf_extract(HashAlg::Sha256, salt, dcid);
    let client = hkdf_expand_label(HashAlg::Sha256, &initial, b"client in", b"", 32)?;
    let server = hkdf_expand_label(HashAlg::Sha256, &initial, b"server in", b"", 32)?;
    Some((
        PacketKeys::from_secret(version, AeadAlg::Aes128Gcm, HashAlg::Sha256, &client)?,
        PacketKeys::from_secret(version, AeadAlg::Aes128Gcm, HashAlg::Sha256, &server)?,
    ))
}

/// The full packet number from its truncated form (RFC 9000 Appendix A.3).
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let expected = largest.map_or(0, |l| l.saturating_add(1));
    let bits = pn_len.saturating_mul(8).min(32) as u32;
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win.saturating_sub(1);
    let candidate = (expected & !mask) | truncated;
    if expected > hwin
        && candidate <= expected.saturating_sub(hwin)
        && candidate < (1u64 << 62).saturating_sub(win)
    {
        candidate.saturating_add(win)
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate.saturating_sub(win)
    } else {
        candidate
    }
}

/// A packet with its protection removed.
pub struct Opened {
    pub packet_number: u64,
    /// The first byte with header protection removed (key phase, reserved bits).
    pub first: u8,
    pub payload: Vec<u8>,
}

/// Removes header and packet protection from one packet. `packet` is the whole packet (for long
/// headers: up to the end given by its Length field), `pn_offset` where its packet number
/// starts, `largest` the largest packet number opened so far in this space and direction.
pub fn open_packet(
    keys: &PacketKeys,
    packet: &[u8],
    pn_offset: usize,
    largest: Option<u64>,
) -> Option<Opened> {
    let (first, pn_len) = unmask(keys, packet, pn_offset)?;
    open_unmasked(keys, packet, pn_offset, first, pn_len, largest)
}

/// Header protection only: the unprotected first byte and the packet number length.
pub fn unmask(keys: &PacketKeys, packet: &[u8], pn_offset: usize) -> Option<(u8, usize)> {
    let sample_at = pn_offset.checked_add(4)?;
    let sample: [u8; 16] = packet
        .get(sample_at..sample_at.checked_add(16)?)?
        .try_into()
        .ok()?;
    let mask = keys.mask(&sample);
    let first = *packet.first()?;
    let [m0, ..] = mask;
    let first = if first & 0x80 != 0 {
        first ^ (m0 & 0x0f)
    } else {
        first ^ (m0 & 0x1f)
    };
    Some((first, usize::from(first & 0x03).checked_add(1)?))
}

/// Packet protection, once the header is unmasked.
pub fn open_unmasked(
    keys: &PacketKeys,
    packet: &[u8],
    pn_offset: usize,
    first: u8,
    pn_len: usize,
    largest: Option<u64>,
) -> Option<Opened> {
    let sample_at = pn_offset.checked_add(4)?;
    let sample: [u8; 16] = packet
        .get(sample_at..sample_at.checked_add(16)?)?
        .try_into()
        .ok()?;
    let mask = keys.mask(&sample);
    let pn_end = pn_offset.checked_add(pn_len)?;
    let mut header = packet.get(..pn_end)?.to_vec();
    if let Some(b) = header.first_mut() {
        *b = first;
    }
    let mut truncated = 0u64;
    for (i, b) in header.iter_mut().skip(pn_offset).enumerate() {
        *b ^= mask.get(i.checked_add(1)?).copied().unwrap_or(0);
        truncated = (truncated << 8) | u64::from(*b);
    }
    let pn = decode_packet_number(largest, truncated, pn_len);
    let mut payload = packet.get(pn_end..)?.to_vec();
    if !keys.open(pn, &header, &mut payload) {
        return None;
    }
    Some(Opened {
        packet_number: pn,
        first,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9000 A.3 example.
    #[test]
    fn packet_number_decoding() {
        assert_eq!(
            decode_packet_number(Some(0xa82f30ea), 0x9b32, 2),
            0xa82f9b32
        );
        assert_eq!(decode_packet_number(None, 0, 1), 0);
        let _ = decode_packet_number(Some(u64::MAX), 0xff, 4);
    }

    /// RFC 9001 A.3: the server Initial (v1), protected with the server Initial keys.
    #[test]
    fn rfc9001_server_initial() {
        let packet = hex(
            "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a
             5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3
             dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84
             022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4
             2158407dd074ee",
        );
        let (_, server) = initial_keys(V1, &hex("8394c8f03e515708")).unwrap();
        let opened = open_packet(&server, &packet, 18, None).unwrap();
        assert_eq!(opened.packet_number, 1);
        // ACK frame then CRYPTO frame (ServerHello).
        assert_eq!(&opened.payload[..6], &hex("02000000000600")[..6]);
    }

    /// RFC 9369 A.3: the v2 server Initial.
    #[test]
    fn rfc9369_server_initial() {
        let packet = hex(
            "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698
             baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17
             f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2
             c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8
             4bed8521e2e140",
        );
        let (_, server) = initial_keys(V2, &hex("8394c8f03e515708")).unwrap();
        let opened = open_packet(&server, &packet, 18, None).unwrap();
        assert_eq!(opened.packet_number, 1);
        assert_eq!(opened.payload[0], 0x02);
    }

    /// RFC 9001 A.5: ChaCha20-Poly1305 short header packet, and a key update from its secret.
    #[test]
    fn rfc9001_chacha_short_header() {
        let secret = hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
        let keys = PacketKeys::from_secret(V1, AeadAlg::ChaCha20Poly1305, HashAlg::Sha256, &secret)
            .unwrap();
        let packet = hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
        let opened = open_packet(&keys, &packet, 1, Some(654_360_560)).unwrap();
        assert_eq!(opened.packet_number, 654_360_564);
        assert_eq!(opened.payload, vec![0x01]);
        let next = keys.next_phase().unwrap();
        assert!(open_packet(&next, &packet, 1, Some(654_360_560)).is_none());
    }
}
