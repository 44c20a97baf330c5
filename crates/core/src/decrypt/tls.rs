//! TLS record decryption with logged secrets: TLS 1.3 (handshake and application traffic
//! secrets, key updates; RFC 8446 §7) and TLS 1.2 AEAD suites (master secret → key block;
//! RFC 5246 §6.3, RFC 5288, RFC 7905).
//!
//! Each direction keeps its key epochs in order (TLS 1.3 client: handshake, application 0,
//! 1, ...). A record is tried with the current epoch and, if the tag does not verify, with the
//! next ones: the epoch switches (after Finished, at a KeyUpdate) are found by the records
//! themselves rather than by predicting them.

use super::crypto::{
    aes_cbc_decrypt, hkdf_expand_label, nonce, record_mac, suite, tls12_prf, tls12_suite, Aead,
    AeadAlg, HashAlg, MacAlg, Tls12Cipher,
};
use super::keylog::Secrets;
use crate::report::Side;
use crate::side::PerSide;

/// Key updates followed in one go when a record does not decrypt with the known keys.
const MAX_KEY_UPDATES_AHEAD: usize = 2;
/// Epochs kept per direction (handshake + application traffic + updates).
const MAX_EPOCHS: usize = 64;

/// How an epoch's records are protected.
enum Protection {
    Aead(Aead),
    /// TLS 1.2 AES-CBC, MAC-then-encrypt, explicit per-record IV.
    Cbc {
        key: Vec<u8>,
        mac: MacAlg,
        mac_key: Vec<u8>,
    },
}

struct Epoch {
    protection: Protection,
    /// TLS 1.3: the full 12-byte IV. TLS 1.2 GCM: the 4-byte implicit part; ChaCha: 12 bytes.
    iv: Vec<u8>,
    seq: u64,
    /// TLS 1.3 application secret, from which the next key update derives.
    secret: Option<Vec<u8>>,
}

#[derive(Default)]
struct Direction {
    epochs: Vec<Epoch>,
    current: usize,
    /// TLS 1.2: the direction's ChangeCipherSpec was seen, records are protected from now on.
    active: bool,
    failures: u32,
}

/// Why a connection's records cannot be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoKeys {
    /// The key log has nothing for this client random.
    NotLogged,
    /// The cipher suite is not one connscope decrypts (CBC, RC4, ...).
    Suite(u16),
    /// The logged secrets do not fit the negotiated version.
    Incomplete,
    /// TLS 1.0/1.1 (their PRF and CBC IVs are not implemented).
    OldVersion,
}

/// One connection's decryption state.
pub struct TlsDecryptor {
    tls13: bool,
    /// The AEAD of TLS 1.3 epochs (key updates derive new ones).
    alg: AeadAlg,
    hash: HashAlg,
    dirs: PerSide<Direction>,
}

fn epoch_13(alg: AeadAlg, hash: HashAlg, secret: &[u8], keep_secret: bool) -> Option<Epoch> {
    let key = hkdf_expand_label(hash, secret, b"key", b"", alg.key_len())?;
    let iv = hkdf_expand_label(hash, secret, b"iv", b"", 12)?;
    Some(Epoch {
        protection: Protection::Aead(Aead::new(alg, &key)?),
        iv,
        seq: 0,
        secret: keep_secret.then(|| secret.to_vec()),
    })
}

impl TlsDecryptor {
    /// Sets up decryption once the ServerHello fixed version and cipher suite.
    pub fn new(
        version: u16,
        cipher: u16,
        client_random: &[u8],
        server_random: &[u8],
        secrets: Option<&Secrets>,
    ) -> Result<TlsDecryptor, NoKeys> {
        let secrets = secrets.ok_or(NoKeys::NotLogged)?;
        let tls13 = crate::protocols::tls::names::is_tls13(version);
        let mut dirs: PerSide<Direction> = PerSide::default();
        if tls13 {
            let (alg, hash) = suite(cipher).ok_or(NoKeys::Suite(cipher))?;
            let (Some(chts), Some(shts)) = (&secrets.client_handshake, &secrets.server_handshake)
            else {
                return Err(NoKeys::Incomplete);
            };
            dirs.client
                .epochs
                .push(epoch_13(alg, hash, chts, false).ok_or(NoKeys::Incomplete)?);
            dirs.server
                .epochs
                .push(epoch_13(alg, hash, shts, false).ok_or(NoKeys::Incomplete)?);
            if let Some(s) = &secrets.client_traffic_0 {
                dirs.client.epochs.extend(epoch_13(alg, hash, s, true));
            }
            if let Some(s) = &secrets.server_traffic_0 {
                dirs.server.epochs.extend(epoch_13(alg, hash, s, true));
            }
            dirs.client.active = true;
            dirs.server.active = true;
            return Ok(TlsDecryptor {
                tls13,
                alg,
                hash,
                dirs,
            });
        }
        if version != 0x0303 {
            return Err(NoKeys::OldVersion);
        }
        let (cipher_kind, hash) = tls12_suite(cipher).ok_or(NoKeys::Suite(cipher))?;
        let master = secrets.master.as_ref().ok_or(NoKeys::NotLogged)?;
        let mut seed = Vec::with_capacity(64);
        seed.extend_from_slice(server_random);
        seed.extend_from_slice(client_random);
        // Key block (RFC 5246 §6.3): MAC keys, write keys, write IVs.
        let (mac_len, key_len, iv_len) = match cipher_kind {
            Tls12Cipher::Aead(a) => (
                0,
                a.key_len(),
                if a == AeadAlg::ChaCha20Poly1305 {
                    12
                } else {
                    4
                },
            ),
            Tls12Cipher::Cbc { key_len, mac } => (mac.len(), key_len, 0),
        };
        let block = tls12_prf(
            hash,
            master,
            b"key expansion",
            &seed,
            2 * (mac_len + key_len + iv_len),
        )
        .ok_or(NoKeys::Incomplete)?;
        let (cmac, rest) = block.split_at_checked(mac_len).ok_or(NoKeys::Incomplete)?;
        let (smac, rest) = rest.split_at_checked(mac_len).ok_or(NoKeys::Incomplete)?;
        let (ck, rest) = rest.split_at_checked(key_len).ok_or(NoKeys::Incomplete)?;
        let (sk, rest) = rest.split_at_checked(key_len).ok_or(NoKeys::Incomplete)?;
        let (civ, siv) = rest.split_at_checked(iv_len).ok_or(NoKeys::Incomplete)?;
        for (dir, mac_key, key, iv) in [
            (&mut dirs.client, cmac, ck, civ),
            (&mut dirs.server, smac, sk, siv),
        ] {
            let protection = match cipher_kind {
                Tls12Cipher::Aead(a) => {
                    Protection::Aead(Aead::new(a, key).ok_or(NoKeys::Incomplete)?)
                }
                Tls12Cipher::Cbc { mac, .. } => Protection::Cbc {
                    key: key.to_vec(),
                    mac,
                    mac_key: mac_key.to_vec(),
                },
            };
            dir.epochs.push(Epoch {
                protection,
                iv: iv.to_vec(),
                seq: 0,
                secret: None,
            });
        }
        let alg = match cipher_kind {
            Tls12Cipher::Aead(a) => a,
            Tls12Cipher::Cbc { .. } => AeadAlg::Aes128Gcm,
        };
        Ok(TlsDecryptor {
            tls13,
            alg,
            hash,
            dirs,
        })
    }

    /// TLS 1.2: the side sent ChangeCipherSpec; its next records are protected.
    pub fn change_cipher_spec(&mut self, side: Side) {
        if !self.tls13 {
            self.dirs[side].active = true;
        }
    }

    /// Whether a record of `content_type` from `side` is protected and should be opened.
    pub fn protects(&self, side: Side, content_type: u8) -> bool {
        let d = &self.dirs[side];
        d.active && !(self.tls13 && content_type == 20)
    }

    /// Opens one protected record. Returns the inner content type and the plaintext.
    pub fn open(&mut self, side: Side, header: &[u8; 5], body: &[u8]) -> Option<(u8, Vec<u8>)> {
        let tls13 = self.tls13;
        let (alg, hash) = (self.alg, self.hash);
        let dir = &mut self.dirs[side];
        let start = dir.current;
        let mut tried_updates = 0;
        let mut i = start;
        loop {
            if i >= dir.epochs.len() {
                // Past the known keys: in TLS 1.3 the peer may have updated its traffic key.
                let next = dir
                    .epochs
                    .last()
                    .and_then(|e| e.secret.as_ref())
                    .filter(|_| {
                        tls13
                            && tried_updates < MAX_KEY_UPDATES_AHEAD
                            && dir.epochs.len() < MAX_EPOCHS
                    });
                let Some(secret) = next else { break };
                let updated = hkdf_expand_label(hash, secret, b"traffic upd", b"", hash.len())?;
                dir.epochs.push(epoch_13(alg, hash, &updated, true)?);
                tried_updates += 1;
            }
            let Some(epoch) = dir.epochs.get_mut(i) else {
                break;
            };
            if let Some(out) = open_with(epoch, tls13, alg, header, body) {
                epoch.seq = epoch.seq.saturating_add(1);
                dir.current = i;
                return Some(out);
            }
            i = i.saturating_add(1);
        }
        // Nothing fits: drop any key updates guessed for this record.
        if dir.epochs.len() > start.saturating_add(1) && tried_updates > 0 {
            let keep = dir.epochs.len().saturating_sub(tried_updates);
            dir.epochs.truncate(keep);
        }
        dir.failures = dir.failures.saturating_add(1);
        None
    }

    pub fn failures(&self, side: Side) -> u32 {
        self.dirs[side].failures
    }
}

fn open_with(
    epoch: &Epoch,
    tls13: bool,
    alg: AeadAlg,
    header: &[u8; 5],
    body: &[u8],
) -> Option<(u8, Vec<u8>)> {
    let aead = match &epoch.protection {
        Protection::Aead(a) => a,
        Protection::Cbc { key, mac, mac_key } => {
            return open_cbc(epoch.seq, key, *mac, mac_key, header, body)
        }
    };
    if tls13 {
        let n = nonce(&epoch.iv, epoch.seq)?;
        let mut buf = body.to_vec();
        if !aead.open(&n, header, &mut buf) {
            return None;
        }
        // TLSInnerPlaintext: content, then the real content type, then zero padding.
        let end = buf.iter().rposition(|&b| b != 0)?;
        let ct = *buf.get(end)?;
        buf.truncate(end);
        return Some((ct, buf));
    }
    let (n, ciphertext) = if alg == AeadAlg::ChaCha20Poly1305 {
        (nonce(&epoch.iv, epoch.seq)?, body)
    } else {
        // GCM: 4-byte implicit salt + the record's 8-byte explicit nonce (RFC 5288 §3).
        let (explicit, rest) = body.split_at_checked(8)?;
        let mut n = [0u8; 12];
        n.iter_mut()
            .zip(epoch.iv.iter().chain(explicit))
            .for_each(|(d, s)| *d = *s);
        (n, rest)
    };
    let plain_len = u16::try_from(ciphertext.len().checked_sub(16)?).ok()?;
    let mut aad = [0u8; 13];
    aad.iter_mut()
        .zip(
            epoch
                .seq
                .to_be_bytes()
                .iter()
                .chain(&header[..3])
                .chain(&plain_len.to_be_bytes()),
        )
        .for_each(|(d, s)| *d = *s);
    let mut buf = ciphertext.to_vec();
    if !aead.open(&n, &aad, &mut buf) {
        return None;
    }
    Some((header[0], buf))
}

/// TLS 1.2 CBC: explicit IV, then content ‖ MAC ‖ padding; the MAC must verify (RFC 5246
/// §6.2.3.2), or the record counts as not decrypted.
fn open_cbc(
    seq: u64,
    key: &[u8],
    mac: MacAlg,
    mac_key: &[u8],
    header: &[u8; 5],
    body: &[u8],
) -> Option<(u8, Vec<u8>)> {
    let (iv, ciphertext) = body.split_at_checked(16)?;
    if ciphertext.is_empty() || ciphertext.len() % 16 != 0 {
        return None;
    }
    let mut buf = ciphertext.to_vec();
    if !aes_cbc_decrypt(key, iv, &mut buf) {
        return None;
    }
    let pad = usize::from(*buf.last()?);
    let content_and_mac = buf.len().checked_sub(pad.checked_add(1)?)?;
    let padding = buf.get(content_and_mac..)?;
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return None;
    }
    let content_len = content_and_mac.checked_sub(mac.len())?;
    let (content, rest) = buf.split_at_checked(content_len)?;
    let tag = rest.get(..mac.len())?;
    let len = u16::try_from(content_len).ok()?.to_be_bytes();
    let expected = record_mac(
        mac,
        mac_key,
        &[&seq.to_be_bytes(), &header[..3], &len, content],
    )?;
    if expected != tag {
        return None;
    }
    Some((header[0], content.to_vec()))
}
