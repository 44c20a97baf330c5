// A tiny deterministic pcap writer (Ethernet / IPv4 / TCP) for captures the tests make
// themselves: whole TCP conversations with correct sequence numbers and checksums.
import { Buffer } from 'node:buffer';

function checksum(buf) {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2) sum += buf[buf.length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

const ip4 = (s) => Buffer.from(s.split('.').map(Number));

export class Pcap {
  constructor() {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    this.parts = [h];
    this.frames = 0;
  }

  frame(ts, data) {
    const h = Buffer.alloc(16);
    const sec = Math.floor(ts);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(Math.round((ts - sec) * 1e6), 4);
    h.writeUInt32LE(data.length, 8);
    h.writeUInt32LE(data.length, 12);
    this.parts.push(h, data);
    this.frames++;
  }

  /** One TCP segment from `src` to `dst` ({ip, port}). */
  tcp(ts, src, dst, { seq, ack = 0, flags, payload = Buffer.alloc(0) }) {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(src.port, 0);
    tcp.writeUInt16BE(dst.port, 2);
    tcp.writeUInt32BE(seq >>> 0, 4);
    tcp.writeUInt32BE(ack >>> 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(65535, 14);
    const pseudo = Buffer.concat([ip4(src.ip), ip4(dst.ip), Buffer.from([0, 6]), Buffer.alloc(2)]);
    pseudo.writeUInt16BE(20 + payload.length, 10);
    tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp, payload])), 16);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip.writeUInt16BE(this.frames & 0xffff, 4);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = 6;
    ip4(src.ip).copy(ip, 12);
    ip4(dst.ip).copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
    const eth = Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
    this.frame(ts, Buffer.concat([eth, ip, tcp, payload]));
  }

  /**
   * A whole connection: handshake, `messages` ([{from: 'client'|'server', data}]) each acked,
   * then FIN from the client. Returns the time after the last packet.
   */
  conversation(t, client, server, messages, step = 0.001) {
    const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;
    let cs = 1000, ss = 5000;
    this.tcp(t, client, server, { seq: cs, flags: SYN });
    this.tcp((t += step), server, client, { seq: ss, ack: cs + 1, flags: SYN | ACK });
    cs++, ss++;
    this.tcp((t += step), client, server, { seq: cs, ack: ss, flags: ACK });
    for (const m of messages) {
      const data = Buffer.from(m.data);
      if (m.from === 'client') {
        this.tcp((t += step), client, server, { seq: cs, ack: ss, flags: PSH | ACK, payload: data });
        cs += data.length;
        this.tcp((t += step), server, client, { seq: ss, ack: cs, flags: ACK });
      } else {
        this.tcp((t += step), server, client, { seq: ss, ack: cs, flags: PSH | ACK, payload: data });
        ss += data.length;
        this.tcp((t += step), client, server, { seq: cs, ack: ss, flags: ACK });
      }
    }
    this.tcp((t += step), client, server, { seq: cs, ack: ss, flags: FIN | ACK });
    this.tcp((t += step), server, client, { seq: ss, ack: cs + 1, flags: FIN | ACK });
    this.tcp((t += step), client, server, { seq: cs + 1, ack: ss + 1, flags: ACK });
    return t + step;
  }

  bytes() {
    return Buffer.concat(this.parts);
  }
}

/** A TLS 1.3-style ClientHello record carrying `sni` (bytes as given) and ALPN h2/http1.1. */
export function clientHello(sni) {
  const name = Buffer.from(sni, 'utf8');
  const u16 = (n) => Buffer.from([n >> 8, n & 0xff]);
  const ext = (type, body) => Buffer.concat([u16(type), u16(body.length), body]);
  const sniExt = ext(0, Buffer.concat([u16(name.length + 3), Buffer.from([0]), u16(name.length), name]));
  const alpnList = Buffer.concat([Buffer.from([2]), Buffer.from('h2'), Buffer.from([8]), Buffer.from('http/1.1')]);
  const alpnExt = ext(16, Buffer.concat([u16(alpnList.length), alpnList]));
  const versions = ext(43, Buffer.from([4, 0x03, 0x04, 0x03, 0x03]));
  const exts = Buffer.concat([sniExt, alpnExt, versions]);
  const random = Buffer.alloc(32, 7);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    random,
    Buffer.from([0]),
    u16(2),
    Buffer.from([0x13, 0x01]),
    Buffer.from([1, 0]),
    u16(exts.length),
    exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(hs.length), hs]);
}
