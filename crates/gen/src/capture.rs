//! Capture file framing (pcap and pcapng, little-endian, Ethernet, microsecond timestamps) and
//! the Ethernet / IPv4 / TCP / UDP headers of each frame, with correct lengths and checksums.

use std::io::{self, Write};

/// Capture file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap, microsecond timestamps.
    Pcap,
    /// pcapng: one section, one Ethernet interface (`if_tsresol` 6), Enhanced Packet Blocks.
    Pcapng,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pcap" => Ok(Format::Pcap),
            "pcapng" => Ok(Format::Pcapng),
            other => Err(format!("unknown format `{other}` (pcap or pcapng)")),
        }
    }
}

const SNAPLEN: u32 = 262_144;
const LINKTYPE_ETHERNET: u16 = 1;

/// Writes the file header, then one record per frame.
pub struct CaptureWriter<W: Write> {
    out: W,
    format: Format,
    pub bytes: u64,
    pub packets: u64,
    record: Vec<u8>,
}

impl<W: Write> CaptureWriter<W> {
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        let mut head = Vec::with_capacity(128);
        match format {
            Format::Pcap => {
                head.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
                head.extend_from_slice(&2u16.to_le_bytes());
                head.extend_from_slice(&4u16.to_le_bytes());
                head.extend_from_slice(&0i32.to_le_bytes()); // thiszone
                head.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
                head.extend_from_slice(&SNAPLEN.to_le_bytes());
                head.extend_from_slice(&u32::from(LINKTYPE_ETHERNET).to_le_bytes());
            }
            Format::Pcapng => {
                // Section Header Block with shb_userappl.
                let mut opts = Vec::new();
                option(&mut opts, 4, b"connscope-gen");
                option(&mut opts, 0, b"");
                let total = 28 + opts.len() as u32;
                head.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
                head.extend_from_slice(&total.to_le_bytes());
                head.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                head.extend_from_slice(&1u16.to_le_bytes());
                head.extend_from_slice(&0u16.to_le_bytes());
                head.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
                head.extend_from_slice(&opts);
                head.extend_from_slice(&total.to_le_bytes());
                // Interface Description Block: eth0, microseconds.
                let mut opts = Vec::new();
                option(&mut opts, 2, b"eth0");
                option(&mut opts, 9, &[6]);
                option(&mut opts, 0, b"");
                let total = 20 + opts.len() as u32;
                head.extend_from_slice(&1u32.to_le_bytes());
                head.extend_from_slice(&total.to_le_bytes());
                head.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
                head.extend_from_slice(&0u16.to_le_bytes());
                head.extend_from_slice(&SNAPLEN.to_le_bytes());
                head.extend_from_slice(&opts);
                head.extend_from_slice(&total.to_le_bytes());
            }
        }
        out.write_all(&head)?;
        Ok(CaptureWriter {
            out,
            format,
            bytes: head.len() as u64,
            packets: 0,
            record: Vec::with_capacity(64),
        })
    }

    /// Writes one frame captured at `ts_us` microseconds since the epoch.
    pub fn packet(&mut self, ts_us: u64, frame: &[u8]) -> io::Result<()> {
        let len = frame.len() as u32;
        self.record.clear();
        let pad;
        match self.format {
            Format::Pcap => {
                self.record
                    .extend_from_slice(&((ts_us / 1_000_000) as u32).to_le_bytes());
                self.record
                    .extend_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
                self.record.extend_from_slice(&len.to_le_bytes());
                self.record.extend_from_slice(&len.to_le_bytes());
                pad = 0;
            }
            Format::Pcapng => {
                pad = (4 - frame.len() % 4) % 4;
                let total = 32 + len + pad as u32;
                self.record.extend_from_slice(&6u32.to_le_bytes());
                self.record.extend_from_slice(&total.to_le_bytes());
                self.record.extend_from_slice(&0u32.to_le_bytes()); // interface 0
                self.record
                    .extend_from_slice(&((ts_us >> 32) as u32).to_le_bytes());
                self.record.extend_from_slice(&(ts_us as u32).to_le_bytes());
                self.record.extend_from_slice(&len.to_le_bytes());
                self.record.extend_from_slice(&len.to_le_bytes());
            }
        }
        self.out.write_all(&self.record)?;
        self.out.write_all(frame)?;
        let mut n = self.record.len() + frame.len();
        if self.format == Format::Pcapng {
            let total = (32 + len + pad as u32).to_le_bytes();
            let mut trailer = [0u8; 8];
            trailer[pad..pad + 4].copy_from_slice(&total);
            self.out.write_all(&trailer[..pad + 4])?;
            n += pad + 4;
        }
        self.bytes += n as u64;
        self.packets += 1;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + (4 - value.len() % 4) % 4, 0);
}

pub type Ip4 = [u8; 4];
pub type Mac = [u8; 6];

/// The addressing of one frame.
pub struct L3 {
    pub src_mac: Mac,
    pub dst_mac: Mac,
    pub src: Ip4,
    pub dst: Ip4,
    pub ip_id: u16,
    pub ttl: u8,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

pub struct TcpHeader<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Options, a multiple of 4 bytes.
    pub options: &'a [u8],
}

fn eth_ip(frame: &mut Vec<u8>, l3: &L3, proto: u8, l4_len: usize) {
    frame.clear();
    frame.extend_from_slice(&l3.dst_mac);
    frame.extend_from_slice(&l3.src_mac);
    frame.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + l4_len) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[4..6].copy_from_slice(&l3.ip_id.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = l3.ttl;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&l3.src);
    ip[16..20].copy_from_slice(&l3.dst);
    let c = fold(sum(&ip, 0));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    frame.extend_from_slice(&ip);
}

fn pseudo(l3: &L3, proto: u8, len: usize) -> u64 {
    let mut s = sum(&l3.src, 0);
    s = sum(&l3.dst, s);
    s + u64::from(proto) + len as u64
}

/// Builds an Ethernet/IPv4/TCP frame into `frame`.
pub fn tcp_frame(frame: &mut Vec<u8>, l3: &L3, h: &TcpHeader<'_>, payload: &[u8]) {
    let hlen = 20 + h.options.len();
    let l4_len = hlen + payload.len();
    eth_ip(frame, l3, 6, l4_len);
    let start = frame.len();
    frame.extend_from_slice(&h.sport.to_be_bytes());
    frame.extend_from_slice(&h.dport.to_be_bytes());
    frame.extend_from_slice(&h.seq.to_be_bytes());
    frame.extend_from_slice(&h.ack.to_be_bytes());
    frame.push(((hlen / 4) as u8) << 4);
    frame.push(h.flags);
    frame.extend_from_slice(&h.window.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    frame.extend_from_slice(h.options);
    frame.extend_from_slice(payload);
    let c = fold(sum(&frame[start..], pseudo(l3, 6, l4_len)));
    frame[start + 16..start + 18].copy_from_slice(&c.to_be_bytes());
}

/// Builds an Ethernet/IPv4/UDP frame into `frame`.
pub fn udp_frame(frame: &mut Vec<u8>, l3: &L3, sport: u16, dport: u16, payload: &[u8]) {
    let l4_len = 8 + payload.len();
    eth_ip(frame, l3, 17, l4_len);
    let start = frame.len();
    frame.extend_from_slice(&sport.to_be_bytes());
    frame.extend_from_slice(&dport.to_be_bytes());
    frame.extend_from_slice(&(l4_len as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(payload);
    let mut c = fold(sum(&frame[start..], pseudo(l3, 17, l4_len)));
    if c == 0 {
        c = 0xffff;
    }
    frame[start + 6..start + 8].copy_from_slice(&c.to_be_bytes());
}

/// One's-complement sum (RFC 1071) of big-endian 16-bit words, accumulated 32 bits at a time.
fn sum(data: &[u8], mut acc: u64) -> u64 {
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        acc += u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 4];
    tail[..rest.len()].copy_from_slice(rest);
    acc + u64::from(u32::from_be_bytes(tail))
}

fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_checksum_known_vector() {
        // RFC 1071 style check: a header whose checksum field is filled verifies to zero.
        let l3 = L3 {
            src_mac: [2; 6],
            dst_mac: [4; 6],
            src: [10, 0, 0, 1],
            dst: [10, 0, 0, 2],
            ip_id: 7,
            ttl: 64,
        };
        let mut f = Vec::new();
        tcp_frame(
            &mut f,
            &l3,
            &TcpHeader {
                sport: 1,
                dport: 2,
                seq: 3,
                ack: 4,
                flags: TCP_ACK,
                window: 5,
                options: &[],
            },
            b"hello",
        );
        assert_eq!(fold(sum(&f[14..34], 0)), 0);
        let tcp = &f[34..];
        assert_eq!(fold(sum(tcp, pseudo(&l3, 6, tcp.len()))), 0);
        let mut u = Vec::new();
        udp_frame(&mut u, &l3, 53, 5353, b"abc");
        let udp = &u[34..];
        assert_eq!(fold(sum(udp, pseudo(&l3, 17, udp.len()))), 0);
    }
}
