// A port scan of D0's uplink address finds nothing but the published ports. Under QEMU (SVM, TCG)
// D0's e1000 sits on QEMU's socket netdev with this test process as the only other station
// (uplink-peer.ts, playing the gateway 10.0.2.2). One real Linux container (busybox httpd on ports
// 80 and 8080) publishes TCP 443 -> 80 and 8080 -> 8080, and TCP 9999 -> 81, where `nc -l` waits to be told to
// stop. The scan: a TCP SYN to every port 1..1024, the published ports and a fixed sample of high
// ports (paced, bounded), UDP to a sample of ports, and an ICMP echo. Every frame D0 sends back is
// collected. Expected: a SYN-ACK from each published port (the container's, through DNAT) and
// from nothing else; no RST, no ICMP unreachable, no other frame but the echo reply and D0's ARP
// for the gateway. Then the container is stopped through port 9999 and, at D0's halt, the uplink
// counters show every unpublished probe received and dropped as no_route: D0 saw the scan and
// stayed silent. Run twice: with uplink_echo absent (on: the echo is answered) and false (not).
// About 50 s per boot; hard timeout; QEMU always killed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { encodeExecSpec } from '../../core/image/exec-spec';
import type { Publish } from '../../core/schema';
import { encodeManifest } from '../../core/tlv/encode';
import { resign } from '../boot/slot';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { consoleLines, type D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import { withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from './slot';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  UplinkPeer,
  echoRequest,
  ipv4Frame,
  parseIpv4,
  tcpSegment,
  udpDatagram,
  wireNicArgs,
} from './uplink-peer';

const TIMEOUT_MS = 20 * 60_000;
const D0_IP = Buffer.from([10, 0, 2, 15]);
// -> the container's httpds on 80 and 8080 (one uplink port per container port: proto/SEMANTICS.md)
const WEB_PORTS = [443, 8080];
const WEB_CONTAINER_PORTS = [80, 8080];
const STOP_PORT = 9999; // -> the container's `nc -l -p 81`
const PUBLISHED = [...WEB_PORTS, STOP_PORT];
const PUBLISH: Publish[] = [
  ...WEB_PORTS.map((p, i) => ({
    protocol: 'IP_PROTO_TCP' as const,
    uplink_port: p,
    container_port: WEB_CONTAINER_PORTS[i],
  })),
  { protocol: 'IP_PROTO_TCP', uplink_port: STOP_PORT, container_port: 81 },
];
/** High ports probed besides the published ones: a fixed spread over 1025..65535. */
const HIGH_SAMPLE = Array.from({ length: 64 }, (_, i) => 1025 + ((i * 1021 + 17) % 64511)).filter(
  (p) => !PUBLISHED.includes(p),
);
/** UDP probes: common services, a published TCP port (not published for UDP) and high ports. */
const UDP_SAMPLE = [
  7, 53, 67, 69, 123, 137, 161, 500, 514, 1900, 4500, 5353, 8080, 9999, 33434, 51820,
];
const PACE = { batch: 8, everyMs: 25 }; // about 320 probes a second
const SCAN_SPORT = 30000; // probe i leaves from port SCAN_SPORT + i, so answers map to probes
const ECHO_ID = 0x5ca1;

const CONTAINER_SCRIPT = [
  'busybox httpd -p 80 -h /tmp', // daemonizes once it listens
  'busybox httpd -p 8080 -h /tmp',
  'echo WEB_UP',
  'busybox nc -l -p 81 >/dev/null', // returns when the test closes its connection
  'echo STOPPING',
].join('; ');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP segment from D0: ports, flags, sequence numbers; undefined for anything else. */
function tcpFromD0(f: Buffer) {
  const ip = parseIpv4(f);
  if (!ip || ip.proto !== 6 || ip.payload.length < 20) return undefined;
  const t = ip.payload;
  return {
    src: ip.src,
    sport: t.readUInt16BE(0),
    dport: t.readUInt16BE(2),
    seq: t.readUInt32BE(4),
    ack: t.readUInt32BE(8),
    flags: t[13] & 0x3f,
  };
}

const isGatewayArp = (f: Buffer) =>
  f.length >= 42 && f.readUInt16BE(12) === 0x0806 && f.readUInt16BE(20) === 1;

describe('hv-svm: a port scan of D0 uplink address finds only the published ports', function () {
  this.timeout(TIMEOUT_MS + 45 * 60_000);
  let dir: string;
  let disks: Record<'on' | 'off', string>;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-scan-'));
    const { efi, secretKey } = await testD0();
    const bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    const init = (await buildGuestInit()).init;
    const spec = encodeExecSpec({
      args: ['/bin/sh', '-c', CONTAINER_SCRIPT],
      env: ['PATH=/bin'],
      cwd: '/',
    });
    const root = busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 });
    const base = makeLaunchSlot(secretKey, bzImage, root, { name: 'web', memMb: 48 });
    const esp = async (echo: 'on' | 'off') => {
      const network = {
        ...base.manifest.network,
        uplink_ip4: '10.0.2.15/24',
        uplink_gw4: '10.0.2.2',
      };
      const manifest = {
        ...base.manifest,
        network: echo === 'on' ? network : { ...network, uplink_echo: false },
        containers: [{ ...base.manifest.containers[0], gw4: '10.20.0.1', publish: PUBLISH }],
      };
      const slot = resign({ ...base, manifest }, Buffer.from(encodeManifest(manifest)), secretKey);
      const file = path.join(dir, `esp-echo-${echo}.img`);
      await buildEspDisk(file, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
      return file;
    };
    disks = { on: await esp('on'), off: await esp('off') };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** SYNs dport until D0 answers with a SYN-ACK (the container is listening), then resets it. */
  async function untilListening(peer: UplinkPeer, d0Mac: Buffer, dport: number, sport: number) {
    for (let attempt = 0; attempt < 40; attempt++) {
      const seq = 1000 + attempt;
      const syn = tcpSegment(D0_IP, { sport, dport, seq, flags: TCP_SYN });
      const r = await peer.exchange(
        ipv4Frame(d0Mac, D0_IP, 6, syn),
        (f) => {
          const t = tcpFromD0(f);
          return t !== undefined && t.sport === dport && t.dport === sport && t.ack === seq + 1;
        },
        3000,
      );
      if (r) {
        const t = tcpFromD0(r)!;
        assert.equal(t.flags, TCP_SYN | TCP_ACK, `port ${dport} answered with flags ${t.flags}`);
        return t;
      }
    }
    throw new Error(`published port ${dport}: no SYN-ACK in 40 attempts`);
  }

  for (const echo of ['on', 'off'] as const)
    it(`answers SYNs on the published ports only; no RST, no ICMP error, nothing else (uplink_echo ${echo})`, async () => {
      const disk = disks[echo];
      const peer = new UplinkPeer();
      const port = await peer.listen();
      const events: D0Event[] = [];
      try {
        await withQemu(
          { disk, cpu: 'EPYC', memMb: 512, timeoutMs: TIMEOUT_MS, extraArgs: wireNicArgs(port) },
          async (vm) => {
            const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
            assert.equal(up.ev, 'uplink_up', vm.describe());
            const d0Mac = Buffer.from(up.fields.mac.split(':').map((x) => parseInt(x, 16)));
            await vm.waitFor(
              (e) => e.ev === 'console' && e.fields.vm === 'web' && e.fields.line === 'WEB_UP',
            );
            // The listeners are up: one SYN-ACK through each web port, each connection then reset
            // (so the container stops retransmitting its SYN-ACK before the scan starts).
            for (const [i, p] of WEB_PORTS.entries()) {
              const t = await untilListening(peer, d0Mac, p, 20000 + i);
              peer.send(
                ipv4Frame(
                  d0Mac,
                  D0_IP,
                  6,
                  tcpSegment(D0_IP, { sport: 20000 + i, dport: p, seq: t.ack, flags: TCP_RST }),
                ),
              );
            }
            await sleep(1000);

            // The scan.
            const mark = peer.frames.length;
            const tcpPorts = [
              ...Array.from({ length: 1024 }, (_, i) => i + 1),
              ...HIGH_SAMPLE,
              ...WEB_PORTS,
            ];
            const t0 = Date.now();
            for (let i = 0; i < tcpPorts.length; i++) {
              const syn = tcpSegment(D0_IP, {
                sport: SCAN_SPORT + i,
                dport: tcpPorts[i],
                seq: 0x1000 * i,
                flags: TCP_SYN,
              });
              peer.send(ipv4Frame(d0Mac, D0_IP, 6, syn));
              if (i % PACE.batch === PACE.batch - 1) await sleep(PACE.everyMs);
            }
            for (const [i, p] of UDP_SAMPLE.entries()) {
              peer.send(
                ipv4Frame(
                  d0Mac,
                  D0_IP,
                  17,
                  udpDatagram(D0_IP, 40000 + i, p, Buffer.from('probe\n')),
                ),
              );
              await sleep(PACE.everyMs);
            }
            const data = crypto.randomBytes(32);
            peer.send(ipv4Frame(d0Mac, D0_IP, 1, echoRequest(ECHO_ID, 1, data)));
            const scanMs = Date.now() - t0;
            await sleep(8000); // late answers
            const seen = peer.frames.slice(mark);

            // What came back, frame by frame.
            const answered = new Map<number, number>(); // published port -> SYN-ACKs
            const answeredProbes = new Set<number>();
            let echoReplies = 0;
            const unexpected: string[] = [];
            for (const f of seen) {
              if (isGatewayArp(f)) continue; // D0 refreshing the gateway's MAC
              const ip = parseIpv4(f);
              if (
                ip &&
                ip.proto === 1 &&
                ip.payload.length >= 8 &&
                ip.payload[0] === 0 &&
                ip.payload.readUInt16BE(4) === ECHO_ID
              ) {
                assert.ok(
                  ip.src.equals(D0_IP) && ip.payload.subarray(8).equals(data),
                  'echo reply',
                );
                echoReplies++;
                continue;
              }
              const t = tcpFromD0(f);
              const i = t ? t.dport - SCAN_SPORT : -1;
              if (
                t &&
                t.src.equals(D0_IP) &&
                t.flags === (TCP_SYN | TCP_ACK) &&
                i >= 0 &&
                i < tcpPorts.length &&
                tcpPorts[i] === t.sport &&
                WEB_PORTS.includes(t.sport) &&
                t.ack === (0x1000 * i + 1) >>> 0
              ) {
                answered.set(t.sport, (answered.get(t.sport) ?? 0) + 1);
                answeredProbes.add(i);
                continue;
              }
              unexpected.push(f.toString('hex').slice(0, 108));
            }
            assert.deepEqual(unexpected, [], 'D0 sent frames a scan must not see');
            // Every probe of a web port (443 twice: in 1..1024 and at the tail) got its SYN-ACK,
            // perhaps more than one (the container retransmits while unacknowledged).
            const webProbes = tcpPorts.flatMap((p, i) => (WEB_PORTS.includes(p) ? [i] : []));
            assert.deepEqual(
              [...answeredProbes].sort((a, b) => a - b),
              webProbes,
            );
            // uplink_echo absent (on by default): answered once; false: not at all.
            assert.equal(
              echoReplies,
              echo === 'on' ? 1 : 0,
              `echo replies with uplink_echo ${echo}`,
            );
            console.log(
              `      ${tcpPorts.length} SYNs + ${UDP_SAMPLE.length} UDP in ${scanMs} ms; ` +
                `${seen.length} frames back; SYN-ACKs ${JSON.stringify([...answered])}`,
            );

            // Stop the container: open a connection to its nc and close it.
            const stopSport = 21000;
            const t = await untilListening(peer, d0Mac, STOP_PORT, stopSport);
            const seg = (flags: number) =>
              tcpSegment(D0_IP, {
                sport: stopSport,
                dport: STOP_PORT,
                seq: t.ack,
                ack: t.seq + 1,
                flags,
              });
            peer.send(ipv4Frame(d0Mac, D0_IP, 6, seg(TCP_ACK)));
            peer.send(ipv4Frame(d0Mac, D0_IP, 6, seg(TCP_FIN | TCP_ACK)));
            await vm.waitFor('halt');
            events.push(...vm.events);
          },
        );
      } finally {
        peer.close();
      }
      assert.ok(
        consoleLines(events, 'web').includes('STOPPING'),
        'the container was stopped through its port',
      );
      // The uplink's counters at halt: D0 received every probe; the unpublished ones were dropped
      // as no_route, never answered.
      const nic = events.find((e) => e.ev === 'net_stats' && e.fields.nic === 'e1000');
      assert.ok(nic, 'no ev=net_stats nic=e1000 at halt');
      const unpublished = 1024 - 1 + HIGH_SAMPLE.length + UDP_SAMPLE.length; // 443 is in 1..1024
      assert.ok(
        Number(nic.fields.drop_no_route) >= unpublished,
        `${unpublished} probes dropped? ${nic.raw}`,
      );
      for (const k of ['drop_malformed', 'drop_spoof', 'drop_fragment', 'drop_conntrack_full'])
        assert.equal(nic.fields[k], '0', nic.raw);
      const router = events.find((e) => e.ev === 'router_stats');
      assert.ok(router, 'no ev=router_stats at halt');
      assert.equal(router.fields.icmp_errors, '0', router.raw);
      assert.ok(Number(router.fields.dnat_flows) >= WEB_PORTS.length * 2 + 1, router.raw);
    });
});
