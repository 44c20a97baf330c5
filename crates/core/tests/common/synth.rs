//! A tiny capture writer for scenarios the corpus lacks: Ethernet/IPv4/TCP packets with
//! consistent sequence numbers, written as a pcap. Used where no real capture shows a case
//! (a redirect to https, a 401 with `Connection: close` then a retry with credentials).

pub struct Pcap {
    bytes: Vec<u8>,
}

impl Default for Pcap {
    fn default() -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&65535u32.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        Pcap { bytes }
    }
}

impl Pcap {
    pub fn packet(&mut self, t: f64, frame: &[u8]) {
        let secs = t.floor() as u32;
        let usecs = ((t - t.floor()) * 1e6).round() as u32;
        self.bytes.extend_from_slice(&secs.to_le_bytes());
        self.bytes.extend_from_slice(&usecs.to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(frame.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(frame);
    }

    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;
pub const RST: u8 = 0x04;

#[allow(clippy::too_many_arguments)]
fn tcp_frame(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = (20 + 20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// One TCP connection between a client and a server, written packet by packet.
pub struct Tcp {
    pub client: ([u8; 4], u16),
    pub server: ([u8; 4], u16),
    cseq: u32,
    sseq: u32,
}

impl Tcp {
    pub fn new(client: ([u8; 4], u16), server: ([u8; 4], u16)) -> Self {
        Tcp {
            client,
            server,
            cseq: 1000,
            sseq: 5000,
        }
    }

    /// Sets the client's initial sequence number (a new connection on a reused port pair).
    pub fn with_isn(mut self, isn: u32) -> Self {
        self.cseq = isn;
        self
    }

    /// Just the SYN (a retransmission when sent twice).
    pub fn syn(&self, p: &mut Pcap, t: f64) {
        p.packet(
            t,
            &tcp_frame(
                self.client.0,
                self.server.0,
                self.client.1,
                self.server.1,
                self.cseq,
                0,
                SYN,
                b"",
            ),
        );
    }

    /// SYN, SYN-ACK, ACK starting at `t` (1 ms apart).
    pub fn open(&mut self, p: &mut Pcap, t: f64) {
        p.packet(
            t,
            &tcp_frame(
                self.client.0,
                self.server.0,
                self.client.1,
                self.server.1,
                self.cseq,
                0,
                SYN,
                b"",
            ),
        );
        self.cseq += 1;
        p.packet(
            t + 0.001,
            &tcp_frame(
                self.server.0,
                self.client.0,
                self.server.1,
                self.client.1,
                self.sseq,
                self.cseq,
                SYN | ACK,
                b"",
            ),
        );
        self.sseq += 1;
        p.packet(
            t + 0.002,
            &tcp_frame(
                self.client.0,
                self.server.0,
                self.client.1,
                self.server.1,
                self.cseq,
                self.sseq,
                ACK,
                b"",
            ),
        );
    }

    pub fn client_sends(&mut self, p: &mut Pcap, t: f64, data: &[u8]) {
        p.packet(
            t,
            &tcp_frame(
                self.client.0,
                self.server.0,
                self.client.1,
                self.server.1,
                self.cseq,
                self.sseq,
                ACK | PSH,
                data,
            ),
        );
        self.cseq += data.len() as u32;
    }

    pub fn server_sends(&mut self, p: &mut Pcap, t: f64, data: &[u8]) {
        p.packet(
            t,
            &tcp_frame(
                self.server.0,
                self.client.0,
                self.server.1,
                self.client.1,
                self.sseq,
                self.cseq,
                ACK | PSH,
                data,
            ),
        );
        self.sseq += data.len() as u32;
    }

    /// The server closes (FIN), the client answers with its own FIN.
    pub fn server_closes(&mut self, p: &mut Pcap, t: f64) {
        p.packet(
            t,
            &tcp_frame(
                self.server.0,
                self.client.0,
                self.server.1,
                self.client.1,
                self.sseq,
                self.cseq,
                FIN | ACK,
                b"",
            ),
        );
        self.sseq += 1;
        p.packet(
            t + 0.001,
            &tcp_frame(
                self.client.0,
                self.server.0,
                self.client.1,
                self.server.1,
                self.cseq,
                self.sseq,
                FIN | ACK,
                b"",
            ),
        );
        self.cseq += 1;
    }
}

fn record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut h = vec![ty];
    h.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    h.extend_from_slice(body);
    h
}

/// A TLS 1.2 ClientHello record offering `sni`.
pub fn client_hello(sni: &str) -> Vec<u8> {
    let mut ch = vec![3, 3];
    ch.extend_from_slice(&[7; 32]);
    ch.push(0);
    ch.extend_from_slice(&[0, 2, 0xc0, 0x2f, 1, 0]);
    let name = sni.as_bytes();
    let mut sni_ext = Vec::new();
    sni_ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    sni_ext.push(0);
    sni_ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni_ext.extend_from_slice(name);
    let mut exts = vec![0, 0];
    exts.extend_from_slice(&(sni_ext.len() as u16).to_be_bytes());
    exts.extend_from_slice(&sni_ext);
    ch.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    ch.extend_from_slice(&exts);
    record(22, &handshake(1, &ch))
}

/// A full TLS 1.2 handshake (no certificate bytes: an empty chain) then one request and one
/// response as application data, starting at `t`.
pub fn tls12_session(p: &mut Pcap, c: &mut Tcp, t: f64, sni: &str) {
    c.client_sends(p, t, &client_hello(sni));
    let mut sh = vec![3, 3];
    sh.extend_from_slice(&[9; 32]);
    sh.extend_from_slice(&[0, 0xc0, 0x2f, 0]);
    let mut flight = record(22, &handshake(2, &sh));
    flight.extend(record(22, &handshake(11, &[0, 0, 0])));
    flight.extend(record(22, &handshake(14, &[])));
    c.server_sends(p, t + 0.010, &flight);
    let mut fin = record(22, &handshake(16, &[0, 1, 9]));
    fin.extend(record(20, &[1]));
    fin.extend(record(22, &[0x55; 40]));
    c.client_sends(p, t + 0.011, &fin);
    let mut sfin = record(20, &[1]);
    sfin.extend(record(22, &[0x66; 40]));
    c.server_sends(p, t + 0.020, &sfin);
    c.client_sends(p, t + 0.021, &record(23, &[0x11; 300]));
    c.server_sends(p, t + 0.040, &record(23, &[0x22; 900]));
}

/// A bare SYN frame (Ethernet/IPv4/TCP) with sequence number `seq`.
pub fn syn_frame(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, seq: u32) -> Vec<u8> {
    tcp_frame(src, dst, sport, dport, seq, 0, SYN, b"")
}

/// Appends one pcap record (header + frame) to `out`.
pub fn pcap_record(out: &mut Vec<u8>, t: f64, frame: &[u8]) {
    let secs = t.floor() as u32;
    let usecs = ((t - t.floor()) * 1e6).round() as u32;
    out.extend_from_slice(&secs.to_le_bytes());
    out.extend_from_slice(&usecs.to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    out.extend_from_slice(frame);
}
