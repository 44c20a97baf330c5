//! ClientHello and ServerHello contents. Framing of the extension list is walked here, and each
//! extension is decoded on its own by tls-parser, so that one odd extension does not hide the
//! ones after it.

use super::names::{is_grease, is_tls13};
use crate::bytes::be16;
use tls_parser::{
    parse_tls_client_hello_extension, parse_tls_handshake_client_hello,
    parse_tls_handshake_server_hello, parse_tls_server_hello_extension, SNIType, TlsExtension,
};

/// SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest.
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

const EXT_SESSION_TICKET: u16 = 35;
const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_EARLY_DATA: u16 = 42;

#[derive(Debug, Clone, Default)]
pub struct ClientHelloFacts {
    /// The legacy `client_version` field.
    pub version: u16,
    /// The client random: the key log's index for this connection's secrets.
    pub random: Vec<u8>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    /// supported_versions, GREASE removed.
    pub supported_versions: Vec<u16>,
    pub session_id_len: u8,
    pub session_id: Vec<u8>,
    pub ticket_offered: bool,
    pub psk_offered: bool,
    pub early_data: bool,
    /// Extension types in order (GREASE removed).
    pub extensions: Vec<u16>,
}

#[derive(Debug, Clone, Default)]
pub struct ServerHelloFacts {
    /// The negotiated version: supported_versions when present, else the legacy field.
    pub version: u16,
    pub random: Vec<u8>,
    pub cipher: u16,
    pub session_id: Vec<u8>,
    pub alpn: Option<String>,
    pub psk_accepted: bool,
    pub is_hello_retry: bool,
    pub extensions: Vec<u16>,
}

/// Splits an extension block into (type, whole extension bytes) without trusting lengths.
fn walk_extensions(mut ext: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let (Some(ty), Some(len)) = (be16(ext, 0), be16(ext, 2)) {
        let Some((whole, rest)) = ext.split_at_checked(4 + usize::from(len)) else {
            break;
        };
        if out.len() >= 128 {
            break;
        }
        out.push((ty, whole));
        ext = rest;
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn client_hello(body: &[u8]) -> Option<ClientHelloFacts> {
    let (_, ch) = parse_tls_handshake_client_hello(body).ok()?;
    let session_id = ch.session_id.unwrap_or_default();
    let mut f = ClientHelloFacts {
        version: ch.version.0,
        random: ch.random.to_vec(),
        session_id_len: session_id.len() as u8,
        session_id: session_id.to_vec(),
        ..Default::default()
    };
    for (ty, whole) in walk_extensions(ch.ext.unwrap_or_default()) {
        if is_grease(ty) {
            continue;
        }
        f.extensions.push(ty);
        match ty {
            EXT_PRE_SHARED_KEY => f.psk_offered = true,
            EXT_EARLY_DATA => f.early_data = true,
            EXT_SESSION_TICKET => f.ticket_offered = whole.len() > 4,
            _ => {}
        }
        let Ok((_, ext)) = parse_tls_client_hello_extension(whole) else {
            continue;
        };
        match ext {
            TlsExtension::SNI(names) => {
                if let Some((_, name)) = names.iter().find(|(t, _)| *t == SNIType::HostName) {
                    f.sni = Some(text(name));
                }
            }
            TlsExtension::ALPN(protocols) => {
                f.alpn = protocols.iter().map(|p| text(p)).collect();
            }
            TlsExtension::SupportedVersions(versions) => {
                f.supported_versions = versions
                    .iter()
                    .map(|v| v.0)
                    .filter(|v| !is_grease(*v))
                    .collect();
            }
            _ => {}
        }
    }
    Some(f)
}

pub fn server_hello(body: &[u8]) -> Option<ServerHelloFacts> {
    let legacy = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    // TLS 1.3 drafts up to 21 used a shorter ServerHello (no session id, no compression),
    // which tls-parser reads only for draft 18.
    let (version, random, session_id, cipher, ext) = if (0x7f00..=0x7f15).contains(&legacy) {
        let random = body.get(2..34)?;
        let cipher = u16::from_be_bytes([*body.get(34)?, *body.get(35)?]);
        let ext = be16(body, 36)
            .and_then(|l| body.get(38..38 + usize::from(l)))
            .unwrap_or_default();
        (legacy, random, &[][..], cipher, ext)
    } else {
        let (_, sh) = parse_tls_handshake_server_hello(body).ok()?;
        (
            sh.version.0,
            sh.random,
            sh.session_id.unwrap_or_default(),
            sh.cipher.0,
            sh.ext.unwrap_or_default(),
        )
    };
    let mut f = ServerHelloFacts {
        version,
        random: random.to_vec(),
        cipher,
        session_id: session_id.to_vec(),
        is_hello_retry: random == HRR_RANDOM,
        ..Default::default()
    };
    for (ty, whole) in walk_extensions(ext) {
        if is_grease(ty) {
            continue;
        }
        f.extensions.push(ty);
        if ty == EXT_PRE_SHARED_KEY {
            f.psk_accepted = true;
        }
        let Ok((_, ext)) = parse_tls_server_hello_extension(whole) else {
            continue;
        };
        match ext {
            TlsExtension::SupportedVersions(v) => {
                if let Some(v) = v.first() {
                    if is_tls13(v.0) || v.0 <= 0x0304 {
                        f.version = v.0;
                    }
                }
            }
            TlsExtension::ALPN(protocols) => f.alpn = protocols.first().map(|p| text(p)),
            _ => {}
        }
    }
    Some(f)
}

/// The ALPN protocol in a TLS 1.3 EncryptedExtensions message.
pub fn encrypted_extensions_alpn(body: &[u8]) -> Option<String> {
    let len = usize::from(be16(body, 0)?);
    let exts = body.get(2..2usize.checked_add(len)?)?;
    walk_extensions(exts).into_iter().find_map(|(ty, whole)| {
        if ty != 16 {
            return None;
        }
        match parse_tls_server_hello_extension(whole).ok()?.1 {
            TlsExtension::ALPN(protocols) => protocols.first().map(|p| text(p)),
            _ => None,
        }
    })
}
