//! QPACK (RFC 9204): the static table, a dynamic table fed by the peer's encoder stream, and
//! field sections of HEADERS frames. A field section that refers to entries the encoder stream
//! has not delivered yet is "blocked" and can be tried again later. Strings use HPACK's Huffman
//! code (loona-hpack's decoder). Bounded: the dynamic table never exceeds `MAX_TABLE_BYTES`.

use std::collections::VecDeque;

/// Largest dynamic table followed (browsers and servers advertise 0–64 KiB).
pub const MAX_TABLE_BYTES: usize = 64 * 1024;
/// Encoder-stream bytes held while an instruction is incomplete.
const MAX_PENDING: usize = 16 * 1024;
/// Field lines read from one field section.
const MAX_FIELDS: usize = 128;

/// RFC 9204 Appendix A.
const STATIC: [(&str, &str); 99] = [
    (":authority", ""),
    (":path", "/"),
    ("age", "0"),
    ("content-disposition", ""),
    ("content-length", "0"),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("referer", ""),
    ("set-cookie", ""),
    (":method", "CONNECT"),
    (":method", "DELETE"),
    (":method", "GET"),
    (":method", "HEAD"),
    (":method", "OPTIONS"),
    (":method", "POST"),
    (":method", "PUT"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "103"),
    (":status", "200"),
    (":status", "304"),
    (":status", "404"),
    (":status", "503"),
    ("accept", "*/*"),
    ("accept", "application/dns-message"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-ranges", "bytes"),
    ("access-control-allow-headers", "cache-control"),
    ("access-control-allow-headers", "content-type"),
    ("access-control-allow-origin", "*"),
    ("cache-control", "max-age=0"),
    ("cache-control", "max-age=2592000"),
    ("cache-control", "max-age=604800"),
    ("cache-control", "no-cache"),
    ("cache-control", "no-store"),
    ("cache-control", "public, max-age=31536000"),
    ("content-encoding", "br"),
    ("content-encoding", "gzip"),
    ("content-type", "application/dns-message"),
    ("content-type", "application/javascript"),
    ("content-type", "application/json"),
    ("content-type", "application/x-www-form-urlencoded"),
    ("content-type", "image/gif"),
    ("content-type", "image/jpeg"),
    ("content-type", "image/png"),
    ("content-type", "text/css"),
    ("content-type", "text/html; charset=utf-8"),
    ("content-type", "text/plain"),
    ("content-type", "text/plain;charset=utf-8"),
    ("range", "bytes=0-"),
    ("strict-transport-security", "max-age=31536000"),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains",
    ),
    (
        "strict-transport-security",
        "max-age=31536000; includesubdomains; preload",
    ),
    ("vary", "accept-encoding"),
    ("vary", "origin"),
    ("x-content-type-options", "nosniff"),
    ("x-xss-protection", "1; mode=block"),
    (":status", "100"),
    (":status", "204"),
    (":status", "206"),
    (":status", "302"),
    (":status", "400"),
    (":status", "403"),
    (":status", "421"),
    (":status", "425"),
    (":status", "500"),
    ("accept-language", ""),
    ("access-control-allow-credentials", "FALSE"),
    ("access-control-allow-credentials", "TRUE"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "get"),
    ("access-control-allow-methods", "get, post, options"),
    ("access-control-allow-methods", "options"),
    ("access-control-expose-headers", "content-length"),
    ("access-control-request-headers", "content-type"),
    ("access-control-request-method", "get"),
    ("access-control-request-method", "post"),
    ("alt-svc", "clear"),
    ("authorization", ""),
    (
        "content-security-policy",
        "script-src 'none'; object-src 'none'; base-uri 'none'",
    ),
    ("early-data", "1"),
    ("expect-ct", ""),
    ("forwarded", ""),
    ("if-range", ""),
    ("origin", ""),
    ("purpose", "prefetch"),
    ("server", ""),
    ("timing-allow-origin", "*"),
    ("upgrade-insecure-requests", "1"),
    ("user-agent", ""),
    ("x-forwarded-for", ""),
    ("x-frame-options", "deny"),
    ("x-frame-options", "sameorigin"),
];

pub type Field = (String, String);

/// Why a field section could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Refers to dynamic entries not received yet (try again after more encoder stream).
    Blocked,
    /// Malformed, or refers to entries that were never inserted or were evicted.
    Invalid,
}

/// A prefixed integer (RFC 7541 §5.1) with an `n`-bit prefix at `b[0]`: value and bytes used.
fn int(b: &[u8], n: u32) -> Option<(u64, usize)> {
    let mask: u8 = u8::try_from((1u32 << n).checked_sub(1)?).ok()?;
    let first = *b.first()? & mask;
    if first < mask {
        return Some((u64::from(first), 1));
    }
    let mut v = u64::from(mask);
    let mut shift = 0u32;
    for (i, &byte) in b.iter().enumerate().skip(1) {
        if shift > 56 {
            return None;
        }
        v = v.checked_add(u64::from(byte & 0x7f).checked_shl(shift)?)?;
        shift = shift.checked_add(7)?;
        if byte & 0x80 == 0 {
            return Some((v, i.checked_add(1)?));
        }
    }
    None
}

/// A string literal whose length has an `n`-bit prefix after the H bit at `b[0]`.
fn string(b: &[u8], n: u32) -> Option<(String, usize)> {
    let huffman = *b.first()? & (1u8 << n) != 0;
    let (len, used) = int(b, n)?;
    let end = used.checked_add(usize::try_from(len).ok()?)?;
    let raw = b.get(used..end)?;
    let bytes = if huffman {
        loona_hpack::huffman::HuffmanDecoder::new()
            .decode(raw)
            .ok()?
    } else {
        raw.to_vec()
    };
    Some((String::from_utf8_lossy(&bytes).into_owned(), end))
}

fn static_entry(i: u64) -> Option<Field> {
    let (n, v) = STATIC.get(usize::try_from(i).ok()?)?;
    Some(((*n).to_string(), (*v).to_string()))
}

/// The decoder side of one direction: the dynamic table the peer's encoder builds.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Entries, oldest first; the newest has absolute index `inserted - 1`.
    table: VecDeque<Field>,
    inserted: u64,
    size: usize,
    capacity: usize,
    /// The capacity the decoder allowed (SETTINGS_QPACK_MAX_TABLE_CAPACITY of the receiver).
    pub max_capacity: usize,
    pending: Vec<u8>,
    /// The encoder stream could not be followed (malformed, or beyond the bounds): dynamic
    /// references fail from then on.
    pub broken: bool,
}

fn entry_size(f: &Field) -> usize {
    f.0.len().saturating_add(f.1.len()).saturating_add(32)
}

impl Decoder {
    fn get(&self, absolute: u64) -> Option<&Field> {
        let evicted = self.inserted.checked_sub(self.table.len() as u64)?;
        let i = absolute.checked_sub(evicted)?;
        self.table.get(usize::try_from(i).ok()?)
    }

    fn insert(&mut self, f: Field) {
        let size = entry_size(&f);
        while self.size.saturating_add(size) > self.capacity {
            match self.table.pop_front() {
                Some(old) => self.size = self.size.saturating_sub(entry_size(&old)),
                None => break,
            }
        }
        if size <= self.capacity {
            self.size = self.size.saturating_add(size);
            self.table.push_back(f);
        }
        self.inserted = self.inserted.saturating_add(1);
    }

    fn set_capacity(&mut self, c: usize) -> Option<()> {
        if c > MAX_TABLE_BYTES {
            return None;
        }
        self.capacity = c;
        while self.size > self.capacity {
            let old = self.table.pop_front()?;
            self.size = self.size.saturating_sub(entry_size(&old));
        }
        Some(())
    }

    /// Bytes of the peer's encoder stream (in order).
    pub fn encoder_stream(&mut self, data: &[u8]) {
        if self.broken {
            return;
        }
        if self.pending.len().saturating_add(data.len()) > MAX_PENDING {
            self.broken = true;
            self.pending = Vec::new();
            return;
        }
        self.pending.extend_from_slice(data);
        let pending = std::mem::take(&mut self.pending);
        let mut at = 0usize;
        loop {
            let rest = pending.get(at..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            match self.instruction(rest) {
                Some(Some(used)) => at = at.saturating_add(used),
                Some(None) => break,
                None => {
                    self.broken = true;
                    return;
                }
            }
        }
        self.pending = pending.get(at..).unwrap_or_default().to_vec();
    }

    /// One encoder instruction: `Some(Some(len))` done, `Some(None)` incomplete, `None` invalid.
    fn instruction(&mut self, b: &[u8]) -> Option<Option<usize>> {
        let first = *b.first()?;
        // Incomplete input looks the same as malformed input to the parsers below; an
        // instruction is incomplete when a longer buffer could complete it.
        if first & 0x80 != 0 {
            // Insert with name reference.
            let Some((idx, used)) = int(b, 6) else {
                return Some(None);
            };
            let rest = b.get(used..)?;
            let Some((value, vused)) = string(rest, 7) else {
                return Some(None);
            };
            let name = if first & 0x40 != 0 {
                static_entry(idx)?.0
            } else {
                let abs = self.inserted.checked_sub(1)?.checked_sub(idx)?;
                self.get(abs)?.0.clone()
            };
            self.insert((name, value));
            Some(Some(used.checked_add(vused)?))
        } else if first & 0x40 != 0 {
            // Insert with literal name.
            let Some((name, nused)) = string(b, 5) else {
                return Some(None);
            };
            let rest = b.get(nused..)?;
            let Some((value, vused)) = string(rest, 7) else {
                return Some(None);
            };
            self.insert((name, value));
            Some(Some(nused.checked_add(vused)?))
        } else if first & 0x20 != 0 {
            let Some((c, used)) = int(b, 5) else {
                return Some(None);
            };
            self.set_capacity(usize::try_from(c).ok()?)?;
            Some(Some(used))
        } else {
            // Duplicate.
            let Some((idx, used)) = int(b, 5) else {
                return Some(None);
            };
            let abs = self.inserted.checked_sub(1)?.checked_sub(idx)?;
            let f = self.get(abs)?.clone();
            self.insert(f);
            Some(Some(used))
        }
    }

    /// Decodes a field section (the payload of a HEADERS frame).
    pub fn decode(&self, block: &[u8]) -> Result<Vec<Field>, Error> {
        let (enc_ric, used) = int(block, 8).ok_or(Error::Invalid)?;
        let ric = self.required_insert_count(enc_ric).ok_or(Error::Invalid)?;
        if ric > self.inserted {
            return Err(if self.broken {
                Error::Invalid
            } else {
                Error::Blocked
            });
        }
        let b = block.get(used..).ok_or(Error::Invalid)?;
        let sign = b.first().ok_or(Error::Invalid)? & 0x80 != 0;
        let (delta, used2) = int(b, 7).ok_or(Error::Invalid)?;
        let base = if sign {
            ric.checked_sub(delta).and_then(|v| v.checked_sub(1))
        } else {
            ric.checked_add(delta)
        }
        .ok_or(Error::Invalid)?;
        let mut b = b.get(used2..).ok_or(Error::Invalid)?;
        let mut out = Vec::new();
        while !b.is_empty() && out.len() < MAX_FIELDS {
            let (field, used) = self.line(b, base).ok_or(Error::Invalid)?;
            out.push(field);
            b = b.get(used..).ok_or(Error::Invalid)?;
        }
        Ok(out)
    }

    fn dynamic(&self, absolute: Option<u64>) -> Option<Field> {
        self.get(absolute?).cloned()
    }

    fn line(&self, b: &[u8], base: u64) -> Option<(Field, usize)> {
        let first = *b.first()?;
        if first & 0x80 != 0 {
            // Indexed field line.
            let (idx, used) = int(b, 6)?;
            let f = if first & 0x40 != 0 {
                static_entry(idx)?
            } else {
                self.dynamic(base.checked_sub(1).and_then(|v| v.checked_sub(idx)))?
            };
            Some((f, used))
        } else if first & 0x40 != 0 {
            // Literal with name reference.
            let (idx, used) = int(b, 4)?;
            let name = if first & 0x10 != 0 {
                static_entry(idx)?.0
            } else {
                self.dynamic(base.checked_sub(1).and_then(|v| v.checked_sub(idx)))?
                    .0
            };
            let (value, vused) = string(b.get(used..)?, 7)?;
            Some(((name, value), used.checked_add(vused)?))
        } else if first & 0x20 != 0 {
            // Literal with literal name.
            let (name, nused) = string(b, 3)?;
            let (value, vused) = string(b.get(nused..)?, 7)?;
            Some(((name, value), nused.checked_add(vused)?))
        } else if first & 0x10 != 0 {
            // Indexed field line with post-base index.
            let (idx, used) = int(b, 4)?;
            Some((self.dynamic(base.checked_add(idx))?, used))
        } else {
            // Literal with post-base name reference.
            let (idx, used) = int(b, 3)?;
            let name = self.dynamic(base.checked_add(idx))?.0;
            let (value, vused) = string(b.get(used..)?, 7)?;
            Some(((name, value), used.checked_add(vused)?))
        }
    }

    /// RFC 9204 §4.5.1.1.
    fn required_insert_count(&self, enc: u64) -> Option<u64> {
        if enc == 0 {
            return Some(0);
        }
        let max_entries = (self.max_capacity.max(self.capacity) / 32) as u64;
        let full_range = max_entries.checked_mul(2)?;
        if enc > full_range || full_range == 0 {
            return None;
        }
        let max_value = self.inserted.checked_add(max_entries)?;
        let max_wrapped = max_value.checked_div(full_range)?.checked_mul(full_range)?;
        let mut ric = max_wrapped.checked_add(enc)?.checked_sub(1)?;
        if ric > max_value {
            if ric <= full_range {
                return None;
            }
            ric = ric.checked_sub(full_range)?;
        }
        if ric == 0 {
            return None;
        }
        Some(ric)
    }
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

    /// RFC 9204 Appendix B.1: literal field line with name reference, static table only.
    #[test]
    fn static_only() {
        let d = Decoder::default();
        let f = d
            .decode(&hex("0000 510b 2f69 6e64 6578 2e68 746d 6c"))
            .unwrap();
        assert_eq!(f, vec![(":path".to_string(), "/index.html".to_string())]);
    }

    /// RFC 9204 Appendix B.2: dynamic table inserts on the encoder stream, then a section
    /// using them (relative and post-base indices).
    #[test]
    fn dynamic_table() {
        let mut d = Decoder {
            max_capacity: 220,
            ..Default::default()
        };
        let section = hex("0381 10 11");
        assert_eq!(d.decode(&section), Err(Error::Blocked));
        d.encoder_stream(&hex(
            "3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468",
        ));
        assert!(!d.broken);
        let f = d.decode(&section).unwrap();
        assert_eq!(
            f,
            vec![
                (":authority".to_string(), "www.example.com".to_string()),
                (":path".to_string(), "/sample/path".to_string())
            ]
        );
        // Huffman-coded value: "www.example.com" (RFC 7541 C.4.1).
        let (s, _) = string(&hex("8cf1e3c2e5f23a6ba0ab90f4ff"), 7).unwrap();
        assert_eq!(s, "www.example.com");
        // Never panics on junk.
        for junk in [
            &[0xffu8; 12][..],
            &[
                0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            &[0x80],
        ] {
            let _ = d.decode(junk);
            d.encoder_stream(junk);
        }
    }
}
