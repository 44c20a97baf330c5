//! The server's leaf certificate (TLS ≤ 1.2 sends it in the clear), read with x509-parser.

use crate::report::CertificateFacts;
use tls_parser::{parse_tls_handshake_msg_certificate, TlsMessageHandshake};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::time::ASN1Time;

/// Facts of the first certificate in a Certificate message body, and the chain length.
/// `None` when the message itself cannot be read; `Some((None, n))` when the leaf is not X.509.
pub fn leaf_certificate(body: &[u8]) -> Option<(Option<CertificateFacts>, u32)> {
    let (_, msg) = parse_tls_handshake_msg_certificate(body).ok()?;
    let TlsMessageHandshake::Certificate(chain) = msg else {
        return None;
    };
    let chain_len = chain.cert_chain.len() as u32;
    let leaf = chain.cert_chain.first().and_then(|raw| facts(raw.data));
    Some((leaf, chain_len))
}

/// The TLS 1.3 Certificate message: a request context, then entries of (DER, extensions).
pub fn leaf_certificate_13(body: &[u8]) -> Option<(Option<CertificateFacts>, u32)> {
    let ctx_len = usize::from(*body.first()?);
    let list = body.get(ctx_len.checked_add(1)?..)?;
    let u24 = |b: &[u8], at: usize| -> Option<usize> {
        let [a, b, c] = crate::bytes::array::<3>(b, at)?;
        Some((usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c))
    };
    let total = u24(list, 0)?;
    let mut entries = list.get(3..3usize.checked_add(total)?)?;
    let mut leaf = None;
    let mut count = 0u32;
    while !entries.is_empty() && count < 32 {
        let len = u24(entries, 0)?;
        let der = entries.get(3..3usize.checked_add(len)?)?;
        if count == 0 {
            leaf = facts(der);
        }
        count = count.saturating_add(1);
        let after = 3usize.checked_add(len)?;
        let ext_len = usize::from(crate::bytes::be16(entries, after)?);
        entries = entries.get(after.checked_add(2)?.checked_add(ext_len)?..)?;
    }
    Some((leaf, count))
}

fn rfc3339(t: &ASN1Time) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

pub fn facts(der: &[u8]) -> Option<CertificateFacts> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut sans = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => sans.push((*n).to_string()),
                GeneralName::IPAddress(ip) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*ip) {
                        sans.push(std::net::Ipv4Addr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*ip) {
                        sans.push(std::net::Ipv6Addr::from(v6).to_string());
                    }
                }
                _ => {}
            }
            if sans.len() >= 100 {
                break;
            }
        }
    }
    // Self-signed: issued by itself. Where both key identifiers are present they must agree too.
    let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
    let self_signed = same_name && key_ids_agree(&cert);
    Some(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: rfc3339(&cert.validity().not_before),
        not_after: rfc3339(&cert.validity().not_after),
        self_signed,
    })
}

fn key_ids_agree(cert: &X509Certificate<'_>) -> bool {
    use x509_parser::extensions::ParsedExtension;
    let mut ski = None;
    let mut aki = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0)
            }
            _ => {}
        }
    }
    match (ski, aki) {
        (Some(s), Some(a)) => s == a,
        _ => true,
    }
}
