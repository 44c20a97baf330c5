//! DNS over UDP: a query and its answer (CNAME chain then A records, or an empty NOERROR).

/// Encodes a name as DNS labels.
fn name(out: &mut Vec<u8>, n: &str) {
    for label in n.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_AAAA: u16 = 28;

pub fn query(out: &mut Vec<u8>, id: u16, qname: &str, qtype: u16) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00]); // RD
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    name(out, qname);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
}

/// A response: optionally `qname CNAME cname`, then the A records (owner: the last name).
pub fn response(
    out: &mut Vec<u8>,
    id: u16,
    qname: &str,
    qtype: u16,
    cname: Option<&str>,
    addrs: &[[u8; 4]],
    ttl: u32,
) {
    let ancount = (cname.is_some() as u16) + addrs.len() as u16;
    let base = out.len();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x81, 0x80]); // QR RD RA, NOERROR
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&ancount.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    name(out, qname);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    let mut owner: u16 = 0xc00c;
    if let Some(c) = cname {
        out.extend_from_slice(&owner.to_be_bytes());
        out.extend_from_slice(&TYPE_CNAME.to_be_bytes());
        out.extend_from_slice(&[0, 1]);
        out.extend_from_slice(&ttl.to_be_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        name(out, c);
        let len = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
        owner = 0xc000 | (len_at + 2 - base) as u16;
    }
    for a in addrs {
        out.extend_from_slice(&owner.to_be_bytes());
        out.extend_from_slice(&TYPE_A.to_be_bytes());
        out.extend_from_slice(&[0, 1]);
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&[0, 4]);
        out.extend_from_slice(a);
    }
}
