// D0's uplink under QEMU (SVM, -cpu EPYC): an emulated e1000 on QEMU's user-mode network
// (slirp, 10.0.2.0/24, gateway 10.0.2.2; nothing outside QEMU is contacted). D0 finds the NIC on
// PCI, starts its driver after the take-over, resolves the gateway by ARP and logs uplink_up
// with slirp's MAC; the frames on the wire are captured by QEMU (filter-dump) and checked byte
// by byte. Without the NIC, D0 logs uplink_down reason=no_nic and the container runs as before.
// The container is a tiny guest (ready, then halts in a loop), so each boot is short; hard
// timeouts, QEMU always killed.
//
// slirp does not forward inbound ICMP to its guest, so ARP and ICMP echo *into* D0 are tested on a
// second wire: QEMU's `-netdev socket,udp=127.0.0.1:...` with the test process as the only other
// station (uplink-peer.ts) playing the gateway and sending D0 requests.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeManifest } from '../../core/tlv/encode';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { resign } from '../boot/slot';
import { makeLaunchSlot, slotFiles } from './slot';
import {
  BCAST,
  GW_MAC,
  UplinkPeer,
  arpFrame,
  csum,
  echoRequest,
  ipv4Frame,
  wireNicArgs,
} from './uplink-peer';
import { Cond, Program, Reg, asm, tinyBzImage } from './tiny-kernel';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 240_000;
const UPLINK = { uplink_ip4: '10.0.2.15/24', uplink_gw4: '10.0.2.2' };
// The e1000 without its option ROM: the firmware gets no driver for it (no PXE attempt, no
// firmware use of the NIC), and D0 is the only one that drives it.
const nic = (pcap: string) => [
  '-netdev',
  'user,id=n0,net=10.0.2.0/24,restrict=on',
  '-device',
  'e1000,netdev=n0,romfile=',
  '-object',
  `filter-dump,id=f0,netdev=n0,file=${pcap}`,
];

/** Ethernet frames of a pcap file (libpcap format, as QEMU's filter-dump writes it). */
function pcapFrames(file: string): Buffer[] {
  const b = fs.readFileSync(file);
  assert.ok(b.length >= 24 && b.readUInt32LE(0) === 0xa1b2c3d4, 'not a little-endian pcap');
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = b.readUInt32LE(off + 8);
    out.push(b.subarray(off + 16, off + 16 + len));
    off += 16 + len;
  }
  return out;
}

const mac = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ip = (b: Buffer) => [...b].join('.');

describe('hv-svm: the e1000 uplink, D0 address and gateway ARP (QEMU user-mode network)', function () {
  this.timeout(TIMEOUT_MS * 2 + 300_000);
  let dir: string;
  let efi: Buffer;
  let secretKey: Uint8Array;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-uplink-'));
    ({ efi, secretKey } = await testD0());
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A slot with one tiny container (ready, then idle) and the uplink fields of the manifest. */
  async function esp(
    extra: { uplink_echo?: boolean } = {},
    code = [...asm.outb(0x502, 1), ...asm.haltLoop()],
  ): Promise<string> {
    const base = makeLaunchSlot(secretKey, tinyBzImage(code), Buffer.alloc(4096), {
      name: 'app',
      memMb: 16,
    });
    const manifest = {
      ...base.manifest,
      network: { ...base.manifest.network, ...UPLINK, ...extra },
    };
    const slot = resign({ ...base, manifest }, Buffer.from(encodeManifest(manifest)), secretKey);
    const file = path.join(dir, 'esp.img');
    await buildEspDisk(file, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    return file;
  }

  const running = (events: D0Event[]) => {
    assert.ok(
      events.some((e) => e.ev === 'vm_ready' && e.fields.vm === 'app'),
      'container not ready',
    );
    assert.equal(events.filter((e) => e.ev === 'vm_stopped').length, 0, 'the container stopped');
    assert.equal(
      events.filter((e) => e.ev === 'vm_health' && e.fields.verdict === 'failed').length,
      0,
    );
  };

  it('brings the e1000 up at 10.0.2.15/24 and resolves the gateway 10.0.2.2 by ARP', async () => {
    const pcap = path.join(dir, 'uplink.pcap');
    const disk = await esp();
    const events = await withQemu(
      { disk, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS, extraArgs: nic(pcap) },
      async (vm) => {
        const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
        await vm.waitFor((e) => e.ev === 'vm_ready');
        assert.equal(up.ev, 'uplink_up', vm.describe());
        return [...vm.events];
      },
    );
    assertContiguous(events);
    const found = events.find((e) => e.ev === 'uplink_nic');
    assert.ok(found, 'no uplink_nic event');
    assert.equal(found.fields.nic, 'e1000');
    assert.ok(Number(found.fields.bar0_bytes) >= 0x20000, found.raw); // 82540EM: 128 KiB BAR0
    const at = (ev: string) => events.findIndex((e) => e.ev === ev);
    assert.ok(at('uplink_nic') < at('firmware_exited'), 'the NIC is found before ExitBootServices');
    // BAR0 in D0's own tables: present, writable, uncached (PWT|PCD), never executable (NX).
    const mmio = events.find((e) => e.ev === 'uplink_mmio');
    assert.ok(mmio, 'no uplink_mmio event');
    assert.equal(mmio.fields.bar0, found.fields.bar0);
    for (const k of ['pte_first', 'pte_last']) {
      const pte: bigint = BigInt(mmio.fields[k]);
      assert.equal(
        pte & 0x800000000000009bn,
        0x800000000000001bn,
        `${k}=${mmio.fields[k]}: P RW PWT PCD NX, 4 KiB`,
      );
    }
    const up = events.find((e) => e.ev === 'uplink_up')!;
    assert.ok(at('firmware_exited') < at('uplink_up'), 'the driver runs after the take-over');
    // QEMU's default MAC for the first NIC; slirp answers for its gateway with 52:55:0a:00:02:02.
    assert.deepEqual(
      {
        nic: up.fields.nic,
        mac: up.fields.mac,
        ip: up.fields.ip,
        gw: up.fields.gw,
        echo: up.fields.echo,
      },
      { nic: 'e1000', mac: '52:54:00:12:34:56', ip: '10.0.2.15/24', gw: '10.0.2.2', echo: 'on' },
    );
    assert.equal(up.fields.gw_mac, '52:55:0a:00:02:02', up.raw);
    running(events);

    // On the wire: D0's broadcast who-has 10.0.2.2 from its own MAC and address, and slirp's reply.
    const frames = pcapFrames(pcap);
    const arp = frames.filter((f) => f.length >= 42 && f.readUInt16BE(12) === 0x0806);
    const req = arp.find(
      (f) => f.readUInt16BE(20) === 1 && mac(f.subarray(6, 12)) === '52:54:00:12:34:56',
    );
    assert.ok(req, `no ARP request from D0 among ${frames.length} frames`);
    assert.equal(mac(req.subarray(0, 6)), 'ff:ff:ff:ff:ff:ff');
    assert.equal(mac(req.subarray(22, 28)), '52:54:00:12:34:56');
    assert.equal(ip(req.subarray(28, 32)), '10.0.2.15');
    assert.equal(ip(req.subarray(38, 42)), '10.0.2.2');
    const rep = arp.find((f) => f.readUInt16BE(20) === 2 && ip(f.subarray(28, 32)) === '10.0.2.2');
    assert.ok(rep, 'no ARP reply from the gateway on the wire');
    assert.equal(mac(rep.subarray(0, 6)), '52:54:00:12:34:56');
    // D0 sends nothing but ARP: no service, no stray traffic of its own.
    const fromD0 = frames.filter((f) => mac(f.subarray(6, 12)) === '52:54:00:12:34:56');
    assert.ok(
      fromD0.every((f) => f.readUInt16BE(12) === 0x0806),
      'D0 sent something else than ARP',
    );
  });

  it('without a NIC logs uplink_down reason=no_nic and the container still runs', async () => {
    const disk = await esp();
    const events = await withQemu(
      { disk, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS },
      async (vm) => {
        await vm.waitFor('uplink_down');
        await vm.waitFor((e) => e.ev === 'vm_ready');
        return [...vm.events];
      },
    );
    const down = events.find((e) => e.ev === 'uplink_down')!;
    assert.equal(down.fields.reason, 'no_nic', down.raw);
    assert.equal(events.filter((e) => e.ev === 'uplink_up' || e.ev === 'uplink_nic').length, 0);
    running(events);
  });

  /** Boots with the e1000 on a UDP wire to peer; fn runs once D0 logged uplink_up. */
  async function onWire(
    echo: boolean | undefined,
    fn: (peer: UplinkPeer, d0Mac: Buffer) => Promise<void>,
  ) {
    const peer = new UplinkPeer();
    const port = await peer.listen();
    try {
      const disk = await esp(echo === undefined ? {} : { uplink_echo: echo });
      const args = wireNicArgs(port);
      await withQemu(
        { disk, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS, extraArgs: args },
        async (vm) => {
          const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
          assert.equal(up.ev, 'uplink_up', vm.describe());
          assert.equal(up.fields.gw_mac, '02:00:00:00:02:02', up.raw); // the peer's answer
          await vm.waitFor('vm_ready');
          await fn(peer, Buffer.from(up.fields.mac.split(':').map((x) => parseInt(x, 16))));
          running([...vm.events]);
        },
      );
    } finally {
      peer.close();
    }
  }

  const D0_IP = Buffer.from([10, 0, 2, 15]);
  const isArpReply = (f: Buffer) =>
    f.length >= 42 && f.readUInt16BE(12) === 0x0806 && f.readUInt16BE(20) === 2;
  const isEchoReply = (f: Buffer) =>
    f.length >= 42 && f.readUInt16BE(12) === 0x0800 && f[23] === 1 && f[34] === 0;

  it('answers ARP and ICMP echo from a station on the wire, and nothing else (no service)', async () => {
    await onWire(undefined, async (peer, d0Mac) => {
      // ARP: who-has 10.0.2.15, from the gateway.
      const a = await peer.exchange(
        arpFrame(1, BCAST, GW_MAC, Buffer.from([10, 0, 2, 2]), Buffer.alloc(6), D0_IP),
        isArpReply,
        10_000,
      );
      assert.ok(a, 'no ARP reply from D0');
      assert.ok(a.subarray(0, 6).equals(GW_MAC) && a.subarray(22, 28).equals(d0Mac));
      assert.ok(
        a.subarray(28, 32).equals(D0_IP) && a.subarray(38, 42).equals(Buffer.from([10, 0, 2, 2])),
      );
      // ICMP echo: id, sequence and 56 bytes of data come back, with valid checksums.
      const data = crypto.randomBytes(56);
      const r = await peer.exchange(
        ipv4Frame(d0Mac, D0_IP, 1, echoRequest(0x4242, 1, data)),
        isEchoReply,
        10_000,
      );
      assert.ok(r, 'no echo reply from D0');
      assert.ok(r.subarray(26, 30).equals(D0_IP) && r.subarray(0, 6).equals(GW_MAC));
      assert.equal(csum(r.subarray(14, 34)), 0, 'IPv4 header checksum');
      const icmp = r.subarray(34, 14 + r.readUInt16BE(16));
      assert.equal(csum(icmp), 0, 'ICMP checksum');
      assert.equal(icmp.readUInt16BE(4), 0x4242);
      assert.equal(icmp.readUInt16BE(6), 1);
      assert.ok(icmp.subarray(8).equals(data), 'echo data differs');
      // A corrupted echo, a TCP SYN to port 22 and a UDP datagram get nothing back at all.
      const before = peer.frames.length;
      peer.send(ipv4Frame(d0Mac, D0_IP, 1, echoRequest(0x4242, 2, data, true)));
      const syn = Buffer.alloc(20);
      syn.writeUInt16BE(40000, 0);
      syn.writeUInt16BE(22, 2);
      syn[12] = 0x50;
      syn[13] = 0x02;
      peer.send(ipv4Frame(d0Mac, D0_IP, 6, syn));
      peer.send(ipv4Frame(d0Mac, D0_IP, 17, Buffer.from([0x9c, 0x40, 0, 53, 0, 8, 0, 0])));
      await new Promise((res) => setTimeout(res, 3000));
      const after = peer.frames
        .slice(before)
        .filter((f) => !(f.readUInt16BE(12) === 0x0806 && f.readUInt16BE(20) === 1));
      assert.deepEqual(
        after.map((f) => f.toString('hex').slice(0, 80)),
        [],
        'D0 answered something it must not',
      );
    });
  });

  it('with uplink_echo false answers ARP but no echo', async () => {
    await onWire(false, async (peer, d0Mac) => {
      const a = await peer.exchange(
        arpFrame(1, BCAST, GW_MAC, Buffer.from([10, 0, 2, 2]), Buffer.alloc(6), D0_IP),
        isArpReply,
        10_000,
      );
      assert.ok(a, 'no ARP reply from D0');
      const r = await peer.exchange(
        ipv4Frame(d0Mac, D0_IP, 1, echoRequest(7, 1, Buffer.alloc(8))),
        isEchoReply,
        3000,
      );
      assert.equal(r, undefined, 'D0 answered an echo with uplink_echo false');
    });
  });

  /** QEMU's human monitor on a unix socket: connects (QEMU creates it at start), then sends lines. */
  async function monitor(
    sock: string,
  ): Promise<{ send: (line: string) => void; close: () => void }> {
    for (let i = 0; i < 100; i++) {
      try {
        const c = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(sock, () => resolve(s));
          s.once('error', reject);
        });
        c.on('data', () => {}); // the monitor's banner and echoes are not needed
        return { send: (line) => void c.write(`${line}\n`), close: () => c.destroy() };
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`QEMU monitor ${sock} never came up`);
  }

  it('logs no_link when the cable is out, comes up when it is plugged, and logs each link change', async () => {
    const disk = await esp();
    const sock = path.join(dir, 'monitor.sock');
    const args = [
      '-netdev',
      'user,id=n0,net=10.0.2.0/24,restrict=on',
      '-device',
      'e1000,netdev=n0,romfile=,id=nic0',
      '-monitor',
      `unix:${sock},server=on,wait=off`,
    ];
    await withQemu(
      { disk, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS, extraArgs: args },
      async (vm) => {
        const mon = await monitor(sock);
        try {
          mon.send('set_link nic0 off'); // long before D0 runs: the firmware takes seconds
          const down = await vm.waitFor('uplink_down');
          assert.equal(down.fields.reason, 'no_link', down.raw);
          await vm.waitFor('vm_ready');
          mon.send('set_link nic0 on');
          const link = await vm.waitFor((e) => e.ev === 'uplink_link');
          assert.equal(link.fields.state, 'up', link.raw);
          const up = await vm.waitFor('uplink_up');
          assert.equal(up.fields.gw_mac, '52:55:0a:00:02:02', up.raw);
          mon.send('set_link nic0 off');
          await vm.waitFor((e) => e.ev === 'uplink_link' && e.fields.state === 'down');
          mon.send('set_link nic0 on');
          await vm.waitFor(
            (e) => e.ev === 'uplink_link' && e.fields.state === 'up' && e.seq > link.seq,
          );
          const events = [...vm.events];
          assert.deepEqual(
            events
              .filter(
                (e) =>
                  e.ev.startsWith('uplink_') && e.ev !== 'uplink_nic' && e.ev !== 'uplink_mmio',
              )
              .map((e) => `${e.ev} ${e.fields.reason ?? e.fields.state ?? ''}`.trim()),
            [
              'uplink_down no_link',
              'uplink_link up',
              'uplink_up',
              'uplink_link down',
              'uplink_link up',
            ],
          );
          running(events);
        } finally {
          mon.close();
        }
      },
    );
  });

  it('logs the uplink counters when D0 halts', async () => {
    // Ready, then 500 halts (about 5 s: D0 wakes a halted VM after 10 ms), then exit 0.
    const code = new Program()
      .emit(asm.outb(0x502, 1), asm.movImm32(Reg.RBX, 0))
      .label('top')
      .emit(asm.hlt(), asm.inc(Reg.RBX), asm.cmpImm(Reg.RBX, 500))
      .jcc(Cond.B, 'top')
      .emit(asm.outb(0x501, 0), asm.haltLoop())
      .bytes();
    const disk = await esp({}, code);
    const pcap = path.join(dir, 'stats.pcap');
    const events = await withQemu(
      { disk, cpu: 'EPYC', memMb: 256, timeoutMs: TIMEOUT_MS, extraArgs: nic(pcap) },
      async (vm) => {
        await vm.waitFor('halt');
        return [...vm.events];
      },
    );
    assert.ok(
      events.some((e) => e.ev === 'uplink_up'),
      'no uplink_up before the halt',
    );
    const at = (ev: string) => events.findIndex((e) => e.ev === ev);
    assert.ok(
      at('uplink_stats') >= 0 && at('uplink_stats') < at('halt'),
      'uplink_stats before halt',
    );
    const st = events[at('uplink_stats')].fields;
    // On the wire (the capture): what D0 sent and received must be what it counted.
    const frames = pcapFrames(pcap);
    const d0 = '52:54:00:12:34:56';
    const sent = frames.filter((f) => mac(f.subarray(6, 12)) === d0);
    assert.equal(Number(st.tx_frames), sent.length, JSON.stringify(st));
    assert.ok(Number(st.tx_frames) >= 1 && Number(st.rx_frames) >= 1, JSON.stringify(st));
    assert.equal(Number(st.rx_errors), 0);
    assert.equal(Number(st.malformed), 0);
    assert.equal(st.nic, 'e1000');
  });
});
