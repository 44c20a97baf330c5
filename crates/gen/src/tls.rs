//! TLS wire bytes: byte-valid records and handshake messages (RFC 5246 / RFC 8446) with the
//! fields analyzers read in the clear. Keys, randoms and ciphertext are random bytes: nothing
//! here is decryptable, exactly like a capture without a key log.

use crate::rng::Rng;

pub const CT_CCS: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APP: u8 = 23;

/// Real DER certificates (see `certs/README.md`).
pub const CA_DER: &[u8] = include_bytes!("../certs/ca.der");
pub const EC_LEAF_DER: &[u8] = include_bytes!("../certs/ec.der");
pub const RSA_LEAF_DER: &[u8] = include_bytes!("../certs/rsa.der");

/// AEAD overhead of an encrypted TLS 1.3 record (content type + 16-byte tag).
pub const TLS13_OVERHEAD: usize = 17;
/// AES-GCM overhead of a TLS 1.2 record (8-byte explicit nonce + 16-byte tag).
pub const TLS12_OVERHEAD: usize = 24;

/// Starts a record; returns the position of its length field.
fn record_start(out: &mut Vec<u8>, ct: u8, version: u16) -> usize {
    out.push(ct);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.len() - 2
}

fn record_end(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&len.to_be_bytes());
}

/// Starts a handshake message; returns the position of its 24-bit length.
fn hs_start(out: &mut Vec<u8>, ty: u8) -> usize {
    out.push(ty);
    out.extend_from_slice(&[0, 0, 0]);
    out.len() - 3
}

fn hs_end(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 3) as u32;
    out[at..at + 3].copy_from_slice(&len.to_be_bytes()[1..]);
}

fn u16_start(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&[0, 0]);
    out.len() - 2
}

fn u16_end(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&len.to_be_bytes());
}

fn ext(out: &mut Vec<u8>, ty: u16, body: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&ty.to_be_bytes());
    let at = u16_start(out);
    body(out);
    u16_end(out, at);
}

fn put_u16s(out: &mut Vec<u8>, list: &[u16]) {
    for v in list {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

const GREASE: [u16; 16] = [
    0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba,
    0xcaca, 0xdada, 0xeaea, 0xfafa,
];

/// What a client puts in its ClientHello.
pub struct ClientHello<'a> {
    pub sni: &'a str,
    pub alpn: &'a [&'a str],
    /// Offers TLS 1.3 (supported_versions, key_share, psk modes).
    pub tls13: bool,
    /// Chrome-style GREASE values and padding to 512 bytes.
    pub chrome: bool,
    pub session_id: &'a [u8],
    /// Session ticket extension content (`Some(&[])` = empty extension: "I support tickets").
    pub ticket: Option<&'a [u8]>,
    /// TLS 1.3 PSK identity (a ticket from an earlier connection): pre_shared_key extension.
    pub psk_identity: Option<&'a [u8]>,
}

pub fn client_hello(out: &mut Vec<u8>, rng: &mut Rng, ch: &ClientHello<'_>) {
    let rec = record_start(out, CT_HANDSHAKE, 0x0301);
    let hs = hs_start(out, 1);
    out.extend_from_slice(&[3, 3]);
    out.extend_from_slice(&rng.bytes::<32>());
    out.push(ch.session_id.len() as u8);
    out.extend_from_slice(ch.session_id);
    let grease = |rng: &mut Rng| *rng.pick(&GREASE);
    let at = u16_start(out);
    if ch.chrome {
        put_u16s(out, &[grease(rng)]);
    }
    if ch.tls13 {
        put_u16s(out, &[0x1301, 0x1302, 0x1303]);
    }
    put_u16s(
        out,
        &[
            0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
            0x0035,
        ],
    );
    u16_end(out, at);
    out.extend_from_slice(&[1, 0]); // compression: null
    let exts = u16_start(out);
    if ch.chrome {
        ext(out, grease(rng), |_| {});
    }
    ext(out, 0, |o| {
        let list = u16_start(o);
        o.push(0);
        o.extend_from_slice(&(ch.sni.len() as u16).to_be_bytes());
        o.extend_from_slice(ch.sni.as_bytes());
        u16_end(o, list);
    });
    ext(out, 23, |_| {}); // extended_master_secret
    ext(out, 0xff01, |o| o.push(0)); // renegotiation_info
    ext(out, 10, |o| {
        let at = u16_start(o);
        if ch.chrome {
            put_u16s(o, &[grease(rng)]);
        }
        put_u16s(o, &[0x001d, 0x0017, 0x0018]);
        u16_end(o, at);
    });
    ext(out, 11, |o| o.extend_from_slice(&[1, 0])); // ec_point_formats: uncompressed
    if let Some(t) = ch.ticket {
        ext(out, 35, |o| o.extend_from_slice(t));
    }
    if !ch.alpn.is_empty() {
        ext(out, 16, |o| {
            let at = u16_start(o);
            for p in ch.alpn {
                o.push(p.len() as u8);
                o.extend_from_slice(p.as_bytes());
            }
            u16_end(o, at);
        });
    }
    ext(out, 5, |o| o.extend_from_slice(&[1, 0, 0, 0, 0])); // status_request (OCSP)
    ext(out, 13, |o| {
        let at = u16_start(o);
        put_u16s(
            o,
            &[
                0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
            ],
        );
        u16_end(o, at);
    });
    ext(out, 18, |_| {}); // signed_certificate_timestamp
    if ch.tls13 {
        let key = rng.bytes::<32>();
        ext(out, 51, |o| {
            let at = u16_start(o);
            put_u16s(o, &[0x001d, 32]);
            o.extend_from_slice(&key);
            u16_end(o, at);
        });
        ext(out, 45, |o| o.extend_from_slice(&[1, 1])); // psk_dhe_ke
        ext(out, 43, |o| {
            if ch.chrome {
                o.push(6);
                put_u16s(o, &[GREASE[3], 0x0304, 0x0303]);
            } else {
                o.push(4);
                put_u16s(o, &[0x0304, 0x0303]);
            }
        });
    }
    if ch.chrome && ch.psk_identity.is_none() {
        // Padding (RFC 7685) so the ClientHello is at least 512 bytes, as Chrome does.
        // Handshake message so far (4-byte header included) plus the extension's own header.
        let with_ext_header = out.len() - hs - 3 + 4 + 4;
        if with_ext_header < 512 {
            let pad = 512 - with_ext_header;
            ext(out, 21, |o| o.resize(o.len() + pad, 0));
        }
    }
    if let Some(id) = ch.psk_identity {
        let binder = rng.bytes::<32>();
        let age = rng.next_u32();
        ext(out, 41, |o| {
            let ids = u16_start(o);
            o.extend_from_slice(&(id.len() as u16).to_be_bytes());
            o.extend_from_slice(id);
            o.extend_from_slice(&age.to_be_bytes());
            u16_end(o, ids);
            o.extend_from_slice(&33u16.to_be_bytes());
            o.push(32);
            o.extend_from_slice(&binder);
        });
    }
    u16_end(out, exts);
    hs_end(out, hs);
    record_end(out, rec);
}

/// A TLS 1.3 ServerHello (+ the middlebox-compatibility ChangeCipherSpec).
pub fn server_hello_13(out: &mut Vec<u8>, rng: &mut Rng, session_id: &[u8], psk: bool) {
    let rec = record_start(out, CT_HANDSHAKE, 0x0303);
    let hs = hs_start(out, 2);
    out.extend_from_slice(&[3, 3]);
    out.extend_from_slice(&rng.bytes::<32>());
    out.push(session_id.len() as u8);
    out.extend_from_slice(session_id);
    out.extend_from_slice(&0x1301u16.to_be_bytes());
    out.push(0);
    let exts = u16_start(out);
    ext(out, 43, |o| o.extend_from_slice(&0x0304u16.to_be_bytes()));
    let key = rng.bytes::<32>();
    ext(out, 51, |o| {
        put_u16s(o, &[0x001d, 32]);
        o.extend_from_slice(&key);
    });
    if psk {
        ext(out, 41, |o| o.extend_from_slice(&[0, 0]));
    }
    u16_end(out, exts);
    hs_end(out, hs);
    record_end(out, rec);
    change_cipher_spec(out, 0x0303);
}

/// A TLS 1.2 ServerHello.
pub fn server_hello_12(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    session_id: &[u8],
    cipher: u16,
    alpn: Option<&str>,
    ticket_ext: bool,
) {
    let rec = record_start(out, CT_HANDSHAKE, 0x0303);
    server_hello_12_msg(out, rng, session_id, cipher, alpn, ticket_ext);
    record_end(out, rec);
}

fn server_hello_12_msg(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    session_id: &[u8],
    cipher: u16,
    alpn: Option<&str>,
    ticket_ext: bool,
) {
    let hs = hs_start(out, 2);
    out.extend_from_slice(&[3, 3]);
    out.extend_from_slice(&rng.bytes::<32>());
    out.push(session_id.len() as u8);
    out.extend_from_slice(session_id);
    out.extend_from_slice(&cipher.to_be_bytes());
    out.push(0);
    let exts = u16_start(out);
    ext(out, 0xff01, |o| o.push(0));
    ext(out, 23, |_| {});
    ext(out, 11, |o| o.extend_from_slice(&[1, 0]));
    if ticket_ext {
        ext(out, 35, |_| {});
    }
    if let Some(p) = alpn {
        ext(out, 16, |o| {
            o.extend_from_slice(&((p.len() + 1) as u16).to_be_bytes());
            o.push(p.len() as u8);
            o.extend_from_slice(p.as_bytes());
        });
    }
    u16_end(out, exts);
    hs_end(out, hs);
}

/// The rest of a TLS 1.2 full-handshake server flight: Certificate (leaf + CA), ServerKeyExchange
/// (ECDHE x25519, signed) and ServerHelloDone, one record each or all in one record.
pub fn server_flight_12(
    out: &mut Vec<u8>,
    rng: &mut Rng,
    leaf: &[u8],
    ecdsa: bool,
    one_record: bool,
) {
    let mut rec = record_start(out, CT_HANDSHAKE, 0x0303);
    let hs = hs_start(out, 11);
    let list = out.len();
    out.extend_from_slice(&[0, 0, 0]);
    for cert in [leaf, CA_DER] {
        out.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(cert);
    }
    let list_len = (out.len() - list - 3) as u32;
    out[list..list + 3].copy_from_slice(&list_len.to_be_bytes()[1..]);
    hs_end(out, hs);
    if !one_record {
        record_end(out, rec);
        rec = record_start(out, CT_HANDSHAKE, 0x0303);
    }
    let hs = hs_start(out, 12);
    out.extend_from_slice(&[3, 0x00, 0x1d, 32]);
    out.extend_from_slice(&rng.bytes::<32>());
    if ecdsa {
        out.extend_from_slice(&0x0403u16.to_be_bytes());
        // DER ECDSA-Sig-Value: SEQUENCE { INTEGER r (33 bytes, leading 0), INTEGER s (32 bytes) }.
        let mut r = rng.bytes::<32>();
        r[0] |= 0x80;
        let mut s = rng.bytes::<32>();
        s[0] &= 0x7f;
        s[0] |= 0x01;
        out.extend_from_slice(&71u16.to_be_bytes());
        out.extend_from_slice(&[0x30, 69, 0x02, 33, 0]);
        out.extend_from_slice(&r);
        out.extend_from_slice(&[0x02, 32]);
        out.extend_from_slice(&s);
    } else {
        out.extend_from_slice(&0x0804u16.to_be_bytes());
        out.extend_from_slice(&256u16.to_be_bytes());
        let at = out.len();
        out.resize(at + 256, 0);
        rng.fill(&mut out[at..]);
    }
    hs_end(out, hs);
    if !one_record {
        record_end(out, rec);
        rec = record_start(out, CT_HANDSHAKE, 0x0303);
    }
    let hs = hs_start(out, 14);
    hs_end(out, hs);
    record_end(out, rec);
}

/// ClientKeyExchange (x25519 public key) as a TLS 1.2 client sends it.
pub fn client_key_exchange(out: &mut Vec<u8>, rng: &mut Rng) {
    let rec = record_start(out, CT_HANDSHAKE, 0x0303);
    let hs = hs_start(out, 16);
    out.push(32);
    out.extend_from_slice(&rng.bytes::<32>());
    hs_end(out, hs);
    record_end(out, rec);
}

/// A TLS 1.2 NewSessionTicket (sent in the clear before the server's ChangeCipherSpec).
pub fn new_session_ticket_12(out: &mut Vec<u8>, rng: &mut Rng) {
    let rec = record_start(out, CT_HANDSHAKE, 0x0303);
    let hs = hs_start(out, 4);
    out.extend_from_slice(&7200u32.to_be_bytes());
    out.extend_from_slice(&192u16.to_be_bytes());
    let at = out.len();
    out.resize(at + 192, 0);
    rng.fill(&mut out[at..]);
    hs_end(out, hs);
    record_end(out, rec);
}

pub fn change_cipher_spec(out: &mut Vec<u8>, version: u16) {
    out.extend_from_slice(&[CT_CCS]);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&[0, 1, 1]);
}

/// An encrypted record of `len` bytes (content from `pool`, i.e. random-looking).
pub fn encrypted(out: &mut Vec<u8>, ct: u8, len: usize, pool: &[u8], rng: &mut Rng) {
    out.push(ct);
    out.extend_from_slice(&0x0303u16.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    let at = rng.below((pool.len() - len) as u64) as usize;
    out.extend_from_slice(&pool[at..at + len]);
}

/// A plaintext alert (e.g. a client rejecting the certificate: fatal `bad_certificate`).
pub fn alert(out: &mut Vec<u8>, level: u8, description: u8) {
    out.extend_from_slice(&[CT_ALERT, 3, 3, 0, 2, level, description]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_consistent() {
        let mut rng = Rng::new(1);
        let mut out = Vec::new();
        client_hello(
            &mut out,
            &mut rng,
            &ClientHello {
                sni: "www.bench.example",
                alpn: &["h2", "http/1.1"],
                tls13: true,
                chrome: true,
                session_id: &[7; 32],
                ticket: Some(&[]),
                psk_identity: None,
            },
        );
        assert_eq!(
            out.len(),
            5 + usize::from(u16::from_be_bytes([out[3], out[4]]))
        );
        assert_eq!(out.len(), 5 + 512, "Chrome pads to 512");
        let mut out = Vec::new();
        server_flight_12(&mut out, &mut rng, EC_LEAF_DER, true, false);
        let mut at = 0;
        let mut records = 0;
        while at < out.len() {
            at += 5 + usize::from(u16::from_be_bytes([out[at + 3], out[at + 4]]));
            records += 1;
        }
        assert_eq!((at, records), (out.len(), 3));
    }
}
