//! Cryptographic building blocks for reading TLS and QUIC with the session's own secrets, all
//! from RustCrypto (no hand-written ciphers): HKDF-Expand-Label (RFC 8446 §7.1), HKDF-Extract,
//! the TLS 1.2 PRF (RFC 5246 §5), AEAD record protection (AES-GCM, ChaCha20-Poly1305) and
//! QUIC header protection (RFC 9001 §5.4).

use aes::cipher::BlockCipherEncrypt;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

/// The hash of a cipher suite (its HKDF / PRF hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Output size in bytes (never zero).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// An AEAD record cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// What a cipher suite needs for decryption: its AEAD and hash; `None` for suites connscope
/// cannot decrypt (CBC, RC4, ...), which the report then names.
pub fn suite(id: u16) -> Option<(AeadAlg, HashAlg)> {
    use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsPRF};
    match id {
        0x1301 => return Some((AeadAlg::Aes128Gcm, HashAlg::Sha256)),
        0x1302 => return Some((AeadAlg::Aes256Gcm, HashAlg::Sha384)),
        0x1303 => return Some((AeadAlg::ChaCha20Poly1305, HashAlg::Sha256)),
        _ => {}
    }
    let s = tls_parser::TlsCipherSuite::from_id(id)?;
    let hash = match s.prf {
        TlsPRF::Sha384 => HashAlg::Sha384,
        TlsPRF::Default | TlsPRF::Sha256 => HashAlg::Sha256,
        _ => return None,
    };
    let aead = match (s.enc, s.enc_mode, s.enc_size) {
        (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 128) => AeadAlg::Aes128Gcm,
        (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 256) => AeadAlg::Aes256Gcm,
        (TlsCipherEnc::Chacha20_Poly1305, _, _) => AeadAlg::ChaCha20Poly1305,
        _ => return None,
    };
    Some((aead, hash))
}

/// HMAC algorithm of a TLS ≤ 1.2 CBC suite (MAC-then-encrypt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    /// Tag size in bytes (never zero).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
}

/// How a TLS 1.2 suite protects records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls12Cipher {
    Aead(AeadAlg),
    /// AES-CBC with an HMAC: `key_len` 16 or 32 bytes.
    Cbc {
        key_len: usize,
        mac: MacAlg,
    },
}

/// A TLS 1.2 suite connscope decrypts, with its PRF hash: AEAD (GCM, ChaCha20-Poly1305) and
/// AES-CBC with HMAC-SHA1/SHA256/SHA384.
pub fn tls12_suite(id: u16) -> Option<(Tls12Cipher, HashAlg)> {
    use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherMac};
    if let Some((aead, hash)) = suite(id) {
        return Some((Tls12Cipher::Aead(aead), hash));
    }
    let s = tls_parser::TlsCipherSuite::from_id(id)?;
    let hash = match s.prf {
        tls_parser::TlsPRF::Sha384 => HashAlg::Sha384,
        tls_parser::TlsPRF::Default | tls_parser::TlsPRF::Sha256 => HashAlg::Sha256,
        _ => return None,
    };
    let mac = match s.mac {
        TlsCipherMac::HmacSha1 => MacAlg::Sha1,
        TlsCipherMac::HmacSha256 => MacAlg::Sha256,
        TlsCipherMac::HmacSha384 => MacAlg::Sha384,
        _ => return None,
    };
    match (s.enc, s.enc_mode, s.enc_size) {
        (TlsCipherEnc::Aes, TlsCipherEncMode::Cbc, 128) => {
            Some((Tls12Cipher::Cbc { key_len: 16, mac }, hash))
        }
        (TlsCipherEnc::Aes, TlsCipherEncMode::Cbc, 256) => {
            Some((Tls12Cipher::Cbc { key_len: 32, mac }, hash))
        }
        _ => None,
    }
}

/// HMAC with a TLS 1.2 MAC algorithm over `parts`.
pub fn record_mac(alg: MacAlg, key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
    match alg {
        MacAlg::Sha1 => {
            let mut m = <Hmac<sha1::Sha1>>::new_from_slice(key).ok()?;
            parts.iter().for_each(|p| m.update(p));
            Some(m.finalize().into_bytes().to_vec())
        }
        MacAlg::Sha256 => hmac(HashAlg::Sha256, key, parts),
        MacAlg::Sha384 => hmac(HashAlg::Sha384, key, parts),
    }
}

/// AES-CBC decryption in place (whole blocks, no padding removed): `false` on a bad length.
pub fn aes_cbc_decrypt(key: &[u8], iv: &[u8], buf: &mut [u8]) -> bool {
    use cbc::cipher::{block_padding::NoPadding, BlockModeDecrypt, KeyIvInit};
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .is_ok_and(|d| d.decrypt_padded::<NoPadding>(buf).is_ok()),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .is_ok_and(|d| d.decrypt_padded::<NoPadding>(buf).is_ok()),
        _ => false,
    }
}

/// HKDF-Expand-Label(secret, label, context, len) with the "tls13 " prefix (RFC 8446 §7.1;
/// QUIC uses the same, RFC 9001 §5.1).
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let mut info = Vec::with_capacity(10 + label.len() + context.len());
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(label.len().checked_add(6)?).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(u8::try_from(context.len()).ok()?);
    info.extend_from_slice(context);
    let mut out = vec![0u8; len];
    match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        HashAlg::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
    }
    Some(out)
}

/// HKDF-Extract(salt, ikm) → PRK.
pub fn hkdf_extract(hash: HashAlg, salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::extract(Some(salt), ikm).0.to_vec(),
        HashAlg::Sha384 => Hkdf::<Sha384>::extract(Some(salt), ikm).0.to_vec(),
    }
}

fn hmac(hash: HashAlg, key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
    Some(match hash {
        HashAlg::Sha256 => {
            let mut m = <Hmac<Sha256>>::new_from_slice(key).ok()?;
            parts.iter().for_each(|p| m.update(p));
            m.finalize().into_bytes().to_vec()
        }
        HashAlg::Sha384 => {
            let mut m = <Hmac<Sha384>>::new_from_slice(key).ok()?;
            parts.iter().for_each(|p| m.update(p));
            m.finalize().into_bytes().to_vec()
        }
    })
}

/// The TLS 1.2 PRF: P_hash(secret, label + seed) (RFC 5246 §5).
pub fn tls12_prf(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len.checked_add(hash.len())?);
    let mut a = hmac(hash, secret, &[label, seed])?;
    while out.len() < len {
        out.extend_from_slice(&hmac(hash, secret, &[&a, label, seed])?);
        a = hmac(hash, secret, &[&a])?;
    }
    out.truncate(len);
    Some(out)
}

enum AeadKey {
    A128(Box<Aes128Gcm>),
    A256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

/// An AEAD keyed for one direction of one connection.
pub struct Aead(AeadKey);

impl Aead {
    pub fn new(alg: AeadAlg, key: &[u8]) -> Option<Aead> {
        Some(Aead(match alg {
            AeadAlg::Aes128Gcm => AeadKey::A128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            AeadAlg::Aes256Gcm => AeadKey::A256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            AeadAlg::ChaCha20Poly1305 => {
                AeadKey::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        }))
    }

    /// Decrypts `buf` (ciphertext followed by its 16-byte tag) in place; on success `buf`
    /// holds the plaintext. `false` when the tag does not verify (wrong key, damaged record).
    pub fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) -> bool {
        let n = (*nonce).into();
        match &self.0 {
            AeadKey::A128(k) => k.decrypt_in_place(&n, aad, buf).is_ok(),
            AeadKey::A256(k) => k.decrypt_in_place(&n, aad, buf).is_ok(),
            AeadKey::ChaCha(k) => k.decrypt_in_place(&n, aad, buf).is_ok(),
        }
    }
}

/// TLS 1.3 / QUIC per-record nonce: the IV XOR the left-padded sequence number.
pub fn nonce(iv: &[u8], seq: u64) -> Option<[u8; 12]> {
    let mut n: [u8; 12] = iv.try_into().ok()?;
    for (b, s) in n.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    Some(n)
}

/// QUIC header protection keyed for one direction and packet number space.
pub enum HeaderProtection {
    Aes128(Box<aes::Aes128>),
    Aes256(Box<aes::Aes256>),
    ChaCha([u8; 32]),
}

impl HeaderProtection {
    pub fn new(alg: AeadAlg, key: &[u8]) -> Option<HeaderProtection> {
        Some(match alg {
            AeadAlg::Aes128Gcm => {
                HeaderProtection::Aes128(Box::new(aes::Aes128::new_from_slice(key).ok()?))
            }
            AeadAlg::Aes256Gcm => {
                HeaderProtection::Aes256(Box::new(aes::Aes256::new_from_slice(key).ok()?))
            }
            AeadAlg::ChaCha20Poly1305 => HeaderProtection::ChaCha(key.try_into().ok()?),
        })
    }

    /// The 5-byte mask for a 16-byte ciphertext sample (RFC 9001 §5.4.3, §5.4.4).
    pub fn mask(&self, sample: &[u8; 16]) -> [u8; 5] {
        let mut out = [0u8; 5];
        match self {
            HeaderProtection::Aes128(c) => {
                let mut block = (*sample).into();
                c.encrypt_block(&mut block);
                out.iter_mut().zip(block.iter()).for_each(|(o, b)| *o = *b);
            }
            HeaderProtection::Aes256(c) => {
                let mut block = (*sample).into();
                c.encrypt_block(&mut block);
                out.iter_mut().zip(block.iter()).for_each(|(o, b)| *o = *b);
            }
            HeaderProtection::ChaCha(key) => {
                let [c0, c1, c2, c3, n @ ..] = *sample;
                let counter = u32::from_le_bytes([c0, c1, c2, c3]);
                let mut cipher = chacha20::ChaCha20::new(key.into(), &n.into());
                use chacha20::cipher::StreamCipherSeek;
                cipher.seek(u64::from(counter) * 64);
                cipher.apply_keystream(&mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 Appendix A.1: QUIC v1 initial keys from the client's DCID.
    #[test]
    fn quic_initial_secrets() {
        let salt = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
        let initial = hkdf_extract(HashAlg::Sha256, &salt, &hex("8394c8f03e515708"));
        let client = hkdf_expand_label(HashAlg::Sha256, &initial, b"client in", b"", 32).unwrap();
        assert_eq!(
            client,
            hex("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea")
        );
        let key = hkdf_expand_label(HashAlg::Sha256, &client, b"quic key", b"", 16).unwrap();
        assert_eq!(key, hex("1f369613dd76d5467730efcbe3b1a22d"));
        let hp = hkdf_expand_label(HashAlg::Sha256, &client, b"quic hp", b"", 16).unwrap();
        assert_eq!(hp, hex("9f50449e04a0e810283a1e9933adedd2"));
        // A.2: header protection mask for the client Initial's sample.
        let hp = HeaderProtection::new(AeadAlg::Aes128Gcm, &hp).unwrap();
        let sample: [u8; 16] = hex("d1b1c98dd7689fb8ec11d242b123dc9b").try_into().unwrap();
        assert_eq!(hp.mask(&sample).to_vec(), hex("437b9aec36"));
    }

    /// RFC 9001 Appendix A.5: ChaCha20 header protection.
    #[test]
    fn chacha_header_protection() {
        let hp = HeaderProtection::new(
            AeadAlg::ChaCha20Poly1305,
            &hex("25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4"),
        )
        .unwrap();
        let sample: [u8; 16] = hex("5e5cd55c41f69080575d7999c25a5bfb").try_into().unwrap();
        assert_eq!(hp.mask(&sample).to_vec(), hex("aefefe7d03"));
    }

    /// The TLS 1.2 PRF against a published SHA-256 vector (IETF TLS WG, "TLS 1.2 PRF test vectors").
    #[test]
    fn prf_sha256() {
        let out = tls12_prf(
            HashAlg::Sha256,
            &hex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &hex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        )
        .unwrap();
        assert_eq!(&out[..16], &hex("e3f229ba727be17b8d122620557cd453")[..]);
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn aead_rejects_wrong_key() {
        let a = Aead::new(AeadAlg::Aes128Gcm, &[1; 16]).unwrap();
        let mut buf = vec![0u8; 40];
        assert!(!a.open(&[0; 12], b"", &mut buf));
        assert!(suite(0x1301).is_some() && suite(0xc02f).is_some() && suite(0xcca8).is_some());
        assert!(suite(0x002f).is_none(), "CBC is not decrypted");
    }
}
