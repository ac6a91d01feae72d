// The other end of D0's uplink wire, played by the test process: QEMU's `-netdev socket,udp=`
// carries each Ethernet frame of the emulated e1000 as one UDP datagram between QEMU and this
// socket, both on 127.0.0.1. The peer answers D0's ARP for the gateway and can send D0 ARP and
// IPv4 frames, recording every frame D0 sends.
import dgram from 'node:dgram';

export const GW_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x02, 0x02]);
export const GW_IP = Buffer.from([10, 0, 2, 2]);
const BCAST = Buffer.alloc(6, 0xff);

export function csum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

export function arpFrame(
  op: 1 | 2,
  dst: Buffer,
  sha: Buffer,
  spa: Buffer,
  tha: Buffer,
  tpa: Buffer,
): Buffer {
  const f = Buffer.alloc(60);
  dst.copy(f, 0);
  sha.copy(f, 6);
  f.writeUInt16BE(0x0806, 12);
  f.writeUInt16BE(1, 14);
  f.writeUInt16BE(0x0800, 16);
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(op, 20);
  sha.copy(f, 22);
  spa.copy(f, 28);
  tha.copy(f, 32);
  tpa.copy(f, 38);
  return f;
}

/** An IPv4 packet from the gateway to dstMac/dstIp carrying proto's payload, checksums valid. */
export function ipv4Frame(dstMac: Buffer, dstIp: Buffer, proto: number, payload: Buffer): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + payload.length, 2);
  ip.writeUInt16BE(0x4d30, 4);
  ip[8] = 64;
  ip[9] = proto;
  GW_IP.copy(ip, 12);
  dstIp.copy(ip, 16);
  ip.writeUInt16BE(csum(ip), 10);
  const eth = Buffer.alloc(14);
  dstMac.copy(eth, 0);
  GW_MAC.copy(eth, 6);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, payload]);
}

/** The TCP/UDP checksum of seg over the IPv4 pseudo-header from the gateway to dstIp (RFC 793, 768). */
export function l4Checksum(dstIp: Buffer, proto: number, seg: Buffer): number {
  const pseudo = Buffer.alloc(12);
  GW_IP.copy(pseudo, 0);
  dstIp.copy(pseudo, 4);
  pseudo[9] = proto;
  pseudo.writeUInt16BE(seg.length, 10);
  return csum(Buffer.concat([pseudo, seg]));
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** A TCP header without options or data from the gateway to dstIp, checksum valid. */
export function tcpSegment(
  dstIp: Buffer,
  t: { sport: number; dport: number; seq: number; ack?: number; flags: number },
): Buffer {
  const seg = Buffer.alloc(20);
  seg.writeUInt16BE(t.sport, 0);
  seg.writeUInt16BE(t.dport, 2);
  seg.writeUInt32BE(t.seq >>> 0, 4);
  seg.writeUInt32BE((t.ack ?? 0) >>> 0, 8);
  seg[12] = 0x50; // 5 words, no options
  seg[13] = t.flags;
  seg.writeUInt16BE(64240, 14);
  seg.writeUInt16BE(l4Checksum(dstIp, 6, seg), 16);
  return seg;
}

/** A UDP datagram from the gateway to dstIp, checksum valid (never 0: 0 means none). */
export function udpDatagram(dstIp: Buffer, sport: number, dport: number, data: Buffer): Buffer {
  const seg = Buffer.alloc(8 + data.length);
  seg.writeUInt16BE(sport, 0);
  seg.writeUInt16BE(dport, 2);
  seg.writeUInt16BE(seg.length, 4);
  data.copy(seg, 8);
  seg.writeUInt16BE(l4Checksum(dstIp, 17, seg) || 0xffff, 6);
  return seg;
}

/** A frame's IPv4 packet, bounds-checked: header fields and the payload after IHL; else undefined. */
export function parseIpv4(
  f: Buffer,
): { proto: number; src: Buffer; dst: Buffer; payload: Buffer } | undefined {
  if (f.length < 34 || f.readUInt16BE(12) !== 0x0800 || f[14] >> 4 !== 4) return undefined;
  const ihl = (f[14] & 0x0f) * 4;
  const total = f.readUInt16BE(16);
  if (ihl < 20 || total < ihl || 14 + total > f.length) return undefined;
  return {
    proto: f[23],
    src: f.subarray(26, 30),
    dst: f.subarray(30, 34),
    payload: f.subarray(14 + ihl, 14 + total),
  };
}

/** The -netdev/-device arguments of an e1000 on the UDP wire to a peer listening on port. */
export function wireNicArgs(port: number): string[] {
  return [
    '-netdev',
    `socket,id=n0,udp=127.0.0.1:${port},localaddr=127.0.0.1:0`,
    '-device',
    'e1000,netdev=n0,romfile=',
  ];
}

export function echoRequest(id: number, seq: number, data: Buffer, breakChecksum = false): Buffer {
  const icmp = Buffer.concat([Buffer.alloc(8), data]);
  icmp[0] = 8;
  icmp.writeUInt16BE(id, 4);
  icmp.writeUInt16BE(seq, 6);
  icmp.writeUInt16BE(csum(icmp) ^ (breakChecksum ? 1 : 0), 2);
  return icmp;
}

export class UplinkPeer {
  readonly frames: Buffer[] = [];
  private readonly sock = dgram.createSocket('udp4');
  private qemu?: { address: string; port: number };

  /** Binds 127.0.0.1 on an ephemeral port; QEMU is given it as its udp= peer. */
  async listen(): Promise<number> {
    this.sock.on('message', (msg, rinfo) => {
      this.qemu = { address: rinfo.address, port: rinfo.port };
      this.frames.push(msg);
      // D0 resolving its gateway: who-has 10.0.2.2.
      if (
        msg.length >= 42 &&
        msg.readUInt16BE(12) === 0x0806 &&
        msg.readUInt16BE(20) === 1 &&
        msg.subarray(38, 42).equals(GW_IP)
      )
        this.send(
          arpFrame(
            2,
            msg.subarray(6, 12),
            GW_MAC,
            GW_IP,
            msg.subarray(22, 28),
            msg.subarray(28, 32),
          ),
        );
    });
    await new Promise<void>((resolve) => this.sock.bind(0, '127.0.0.1', resolve));
    return this.sock.address().port;
  }

  send(frame: Buffer): void {
    if (!this.qemu) throw new Error('QEMU has sent nothing yet: its address is unknown');
    this.sock.send(frame, this.qemu.port, this.qemu.address);
  }

  /** Sends frame and waits up to ms for a frame from D0 that match accepts; undefined if none. */
  async exchange(
    frame: Buffer,
    match: (f: Buffer) => boolean,
    ms: number,
  ): Promise<Buffer | undefined> {
    const from = this.frames.length;
    this.send(frame);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const hit = this.frames.slice(from).find(match);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  close(): void {
    this.sock.close();
  }
}

export { BCAST };
