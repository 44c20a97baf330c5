//! QUIC frames (RFC 9000 §19, RFC 9221 DATAGRAM) in a decrypted packet payload. Every frame is
//! walked so the ones after it are found; the few that matter here are returned, the rest are
//! named only. An unknown frame type ends the walk (its length cannot be known).

use super::header::varint;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    Crypto {
        offset: u64,
        data: &'a [u8],
    },
    Stream {
        id: u64,
        offset: u64,
        data: &'a [u8],
        fin: bool,
    },
    ResetStream {
        id: u64,
    },
    /// CONNECTION_CLOSE: `application` for type 0x1d (the application's error space).
    Close {
        application: bool,
        code: u64,
        frame_type: Option<u64>,
        reason: &'a [u8],
    },
    HandshakeDone,
    NewConnectionId {
        sequence: u64,
        cid: &'a [u8],
    },
    NewToken,
    Ping,
    Ack,
    Padding,
    /// Any other known frame (flow control, path validation, ...).
    Other(u64),
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn v(&mut self) -> Option<u64> {
        let (v, n) = varint(self.b)?;
        self.b = self.b.get(n..)?;
        Some(v)
    }
    fn bytes(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let (a, rest) = self.b.split_at_checked(n)?;
        self.b = rest;
        Some(a)
    }
}

/// The frames of a payload, in order, up to the first one that cannot be read.
pub fn parse(payload: &[u8]) -> Vec<Frame<'_>> {
    let mut r = Reader { b: payload };
    let mut out = Vec::new();
    while !r.b.is_empty() && out.len() < 4096 {
        match next(&mut r) {
            Some(Frame::Padding) => {
                // Merge runs of padding into one entry.
                if out.last() != Some(&Frame::Padding) {
                    out.push(Frame::Padding);
                }
            }
            Some(f) => out.push(f),
            None => break,
        }
    }
    out
}

fn next<'a>(r: &mut Reader<'a>) -> Option<Frame<'a>> {
    let ty = r.v()?;
    Some(match ty {
        0x00 => Frame::Padding,
        0x01 => Frame::Ping,
        0x02 | 0x03 => {
            let (_largest, _delay, count, _first) = (r.v()?, r.v()?, r.v()?, r.v()?);
            for _ in 0..count.min(1 << 16) {
                r.v()?;
                r.v()?;
            }
            if ty == 0x03 {
                r.v()?;
                r.v()?;
                r.v()?;
            }
            Frame::Ack
        }
        0x04 => {
            let id = r.v()?;
            r.v()?;
            r.v()?;
            Frame::ResetStream { id }
        }
        0x05 => {
            r.v()?;
            r.v()?;
            Frame::Other(ty)
        }
        0x06 => {
            let offset = r.v()?;
            let len = r.v()?;
            Frame::Crypto {
                offset,
                data: r.bytes(len)?,
            }
        }
        0x07 => {
            let len = r.v()?;
            r.bytes(len)?;
            Frame::NewToken
        }
        0x08..=0x0f => {
            let id = r.v()?;
            let offset = if ty & 0x04 != 0 { r.v()? } else { 0 };
            let data = if ty & 0x02 != 0 {
                let len = r.v()?;
                r.bytes(len)?
            } else {
                std::mem::take(&mut r.b)
            };
            Frame::Stream {
                id,
                offset,
                data,
                fin: ty & 0x01 != 0,
            }
        }
        0x10 | 0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x19 => {
            r.v()?;
            Frame::Other(ty)
        }
        0x11 | 0x15 => {
            r.v()?;
            r.v()?;
            Frame::Other(ty)
        }
        0x18 => {
            let sequence = r.v()?;
            r.v()?;
            let len = u64::from(*r.bytes(1)?.first()?);
            let cid = r.bytes(len)?;
            r.bytes(16)?;
            Frame::NewConnectionId { sequence, cid }
        }
        0x1a | 0x1b => {
            r.bytes(8)?;
            Frame::Other(ty)
        }
        0x1c | 0x1d => {
            let code = r.v()?;
            let frame_type = if ty == 0x1c { Some(r.v()?) } else { None };
            let len = r.v()?;
            Frame::Close {
                application: ty == 0x1d,
                code,
                frame_type,
                reason: r.bytes(len)?,
            }
        }
        0x1e => Frame::HandshakeDone,
        0x30 => {
            r.b = &[];
            Frame::Other(ty)
        }
        0x31 => {
            let len = r.v()?;
            r.bytes(len)?;
            Frame::Other(ty)
        }
        _ => return None,
    })
}

/// RFC 9000 §20.1 transport error names (and CRYPTO_ERROR 0x01XX as the TLS alert).
pub fn transport_error_name(code: u64) -> String {
    let name = match code {
        0x00 => "NO_ERROR",
        0x01 => "INTERNAL_ERROR",
        0x02 => "CONNECTION_REFUSED",
        0x03 => "FLOW_CONTROL_ERROR",
        0x04 => "STREAM_LIMIT_ERROR",
        0x05 => "STREAM_STATE_ERROR",
        0x06 => "FINAL_SIZE_ERROR",
        0x07 => "FRAME_ENCODING_ERROR",
        0x08 => "TRANSPORT_PARAMETER_ERROR",
        0x09 => "CONNECTION_ID_LIMIT_ERROR",
        0x0a => "PROTOCOL_VIOLATION",
        0x0b => "INVALID_TOKEN",
        0x0c => "APPLICATION_ERROR",
        0x0d => "CRYPTO_BUFFER_EXCEEDED",
        0x0e => "KEY_UPDATE_ERROR",
        0x0f => "AEAD_LIMIT_REACHED",
        0x10 => "NO_VIABLE_PATH",
        0x11 => "VERSION_NEGOTIATION_ERROR",
        0x100..=0x1ff => {
            let alert = u8::try_from(code & 0xff).unwrap_or(0);
            return format!(
                "CRYPTO_ERROR ({})",
                crate::protocols::tls::names::alert_name(alert)
            );
        }
        _ => return format!("0x{code:x}"),
    };
    name.to_string()
}

/// RFC 9114 §8.1 HTTP/3 error names.
pub fn h3_error_name(code: u64) -> String {
    let name = match code {
        0x100 => "H3_NO_ERROR",
        0x101 => "H3_GENERAL_PROTOCOL_ERROR",
        0x102 => "H3_INTERNAL_ERROR",
        0x103 => "H3_STREAM_CREATION_ERROR",
        0x104 => "H3_CLOSED_CRITICAL_STREAM",
        0x105 => "H3_FRAME_UNEXPECTED",
        0x106 => "H3_FRAME_ERROR",
        0x107 => "H3_EXCESSIVE_LOAD",
        0x108 => "H3_ID_ERROR",
        0x109 => "H3_SETTINGS_ERROR",
        0x10a => "H3_MISSING_SETTINGS",
        0x10b => "H3_REQUEST_REJECTED",
        0x10c => "H3_REQUEST_CANCELLED",
        0x10d => "H3_REQUEST_INCOMPLETE",
        0x10e => "H3_MESSAGE_ERROR",
        0x10f => "H3_CONNECT_ERROR",
        0x110 => "H3_VERSION_FALLBACK",
        0x200 => "QPACK_DECOMPRESSION_FAILED",
        0x201 => "QPACK_ENCODER_STREAM_ERROR",
        0x202 => "QPACK_DECODER_STREAM_ERROR",
        _ => return format!("0x{code:x}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_frames() {
        // ACK, CRYPTO(offset 0, "ab"), PADDING x3, STREAM(id 4, off, len, fin "x"), HANDSHAKE_DONE.
        let p = [
            0x02, 0x05, 0x00, 0x00, 0x00, 0x06, 0x00, 0x02, b'a', b'b', 0, 0, 0, 0x0f, 0x04, 0x01,
            0x01, b'x', 0x1e,
        ];
        let f = parse(&p);
        assert_eq!(
            f,
            vec![
                Frame::Ack,
                Frame::Crypto {
                    offset: 0,
                    data: b"ab"
                },
                Frame::Padding,
                Frame::Stream {
                    id: 4,
                    offset: 1,
                    data: b"x",
                    fin: true
                },
                Frame::HandshakeDone
            ]
        );
        // Truncated CRYPTO: stops, no panic.
        assert_eq!(parse(&[0x06, 0x00, 0x40]), vec![]);
        assert_eq!(
            transport_error_name(0x178),
            "CRYPTO_ERROR (no_application_protocol)"
        );
    }
}
