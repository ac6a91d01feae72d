// Anti-spoofing at D0's bridge, end to end under QEMU (SVM, TCG), with two busybox containers on
// one bridge (test/support/abuse-images.ts):
//   - neighbour: learns the MACs of its gateway (D0) and of the spoofer, prints its ARP cache and
//     its ICMP/UDP input counters, lets the spoofer go, and prints both again when it is done;
//   - spoofer (root in its VM): (a) adds the neighbour's address to its eth0 and sends a
//     gratuitous ARP claiming it and pings from it; adds the gateway's address and sends a
//     gratuitous ARP claiming it, pings and a 2 s UDP flood to the neighbour from it; (b) takes a
//     MAC that is not its port's and sends ARP, pings and a 2 s UDP flood to the neighbour.
// Were the guard broken, the neighbour's ARP entry for the gateway or the spoofer would change and
// its ICMP/UDP input counters would move. Hard timeouts; QEMU is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  FOREIGN_MAC,
  SPOOF_NET,
  buildSpoofImages,
  removeAbuseImages,
} from '../support/abuse-images';
import { engineSiteDisk } from '../support/d0-pipeline';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { consoleLines, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';

const RUN_TIMEOUT_MS = 10 * 60_000;
/** D0's MAC on the bridge (the gateway's, as the containers see it). */
const D0_BRIDGE_MAC = '02:d0:00:00:00:01';

function siteYaml(): string {
  const { gateway, neighbour, spoofer } = SPOOF_NET;
  const container = (name: string, ip: string, order: number) => [
    `  - name: ${name}`,
    '    vcpu: 1',
    '    mem_mb: 64',
    `    ip4: ${ip}/24`,
    `    gw4: ${gateway}`,
    `    boot_order: ${order}`,
    '    health_timeout_s: 60',
    '    health: HEALTH_READY',
  ];
  return [
    'header: { site: spoof, security_epoch: 1 }',
    `network: { bridge_ip4: ${gateway}/24 }`,
    'guest_kernel: {}',
    'containers:',
    ...container('neighbour', neighbour, 0),
    ...container('spoofer', spoofer, 1),
    '',
  ].join('\n');
}

/** "key=value key=value" (after a "name: " prefix) as a record. */
function fieldsOf(line: string): Record<string, string> {
  const body = line.slice(line.indexOf(':') + 1);
  return Object.fromEntries([...body.matchAll(/(\S+?)=(\S*)/g)].map((m) => [m[1], m[2]]));
}

/** p, or a failure naming what did not come within ms (with what did, from describe()). */
async function within<T>(
  ms: number,
  what: string,
  p: Promise<T>,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no ${what} within ${ms / 1000} s; events:\n${describe()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function lineStarting(lines: string[], prefix: string): string {
  const l = lines.find((x) => x.startsWith(prefix));
  assert.ok(l !== undefined, `no "${prefix}" line in:\n${lines.join('\n')}`);
  return l;
}

describe('e2e: anti-spoofing at the bridge (forged IP, ARP and MAC from a root guest)', function () {
  this.timeout(30 * 60_000);
  let dockerd: DockerHandle;
  let dir: string;
  let disk: string;

  before(async function () {
    this.timeout(60 * 60_000); // cold caches: the guest kernel
    dockerd = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-spoof-'));
    ({ disk } = await engineSiteDisk(dir, await buildSpoofImages(dockerd.docker, dir), siteYaml()));
  });
  after(async () => {
    removeAbuseImages();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await dockerd?.stop();
  });

  it('drops and counts every forged frame; the neighbour sees none of them', async () => {
    const { gateway, spoofer } = SPOOF_NET;
    let events: D0Event[] = [];
    await withQemu({ disk, cpu: 'EPYC', memMb: 1024, timeoutMs: RUN_TIMEOUT_MS }, async (vm) => {
      const isLine = (who: string, prefix: string) => (e: D0Event) =>
        e.ev === 'console' && e.fields.vm === who && (e.fields.line ?? '').startsWith(prefix);
      await vm.waitFor(isLine('spoofer', 'spoofer-ready: '));
      // No spoof before the spoofing starts: the priming traffic was all legitimate.
      const sent = await vm.waitFor(isLine('spoofer', 'spoof-sent '));
      await vm.waitFor(isLine('neighbour', 'neighbour-in-after: '));
      const expect = Number(fieldsOf(sent.fields.line ?? '').expect);
      assert.ok(expect >= 18 + 2, `the spoofer sent too little to prove anything: ${sent.raw}`);
      // The counter reaches at least what the spoofer sent that way (ev=net_stats every 10 s
      // while counters change).
      await within(
        45_000,
        `ev=net_stats vm=spoofer drop_spoof>=${expect}`,
        vm.waitFor(
          (e) =>
            e.ev === 'net_stats' &&
            e.fields.vm === 'spoofer' &&
            Number(e.fields.drop_spoof) >= expect,
        ),
        () => vm.describe(),
      );
      events = [...vm.events];
    });

    const nb = consoleLines(events, 'neighbour');
    const sp = consoleLines(events, 'spoofer');
    const arpBefore = lineStarting(nb, 'neighbour-arp-before: ');
    const arpAfter = lineStarting(nb, 'neighbour-arp-after: ');
    const inBefore = fieldsOf(lineStarting(nb, 'neighbour-in-before: '));
    const inAfter = fieldsOf(lineStarting(nb, 'neighbour-in-after: '));
    const ready = fieldsOf(lineStarting(sp, 'spoofer-ready: '));
    const sent = fieldsOf(lineStarting(sp, 'spoof-sent '));

    // The neighbour knew its peers before: D0 at the gateway address, the spoofer at its own MAC.
    const before = fieldsOf(arpBefore);
    assert.equal(before[gateway], D0_BRIDGE_MAC, arpBefore);
    assert.equal(before[spoofer], ready.mac, arpBefore);
    // ... and after: the gratuitous ARPs claiming the gateway and the ARP from a foreign MAC never
    // reached it.
    assert.deepEqual(fieldsOf(arpAfter), before, `${arpBefore}\n${arpAfter}`);
    assert.ok(!arpAfter.includes(FOREIGN_MAC), arpAfter);
    // Not one forged ICMP or UDP packet reached its IP layer (the pings and the UDP floods from
    // the gateway's address and from the foreign MAC).
    assert.equal(
      inAfter.icmp,
      inBefore.icmp,
      `ICMP input moved: ${JSON.stringify({ inBefore, inAfter })}`,
    );
    assert.equal(
      inAfter.udp,
      inBefore.udp,
      `UDP input moved: ${JSON.stringify({ inBefore, inAfter })}`,
    );

    // D0 counted them where they came from: every frame the spoofer sent that way, and nothing
    // of the neighbour's.
    const spoofStats = events.filter((e) => e.ev === 'net_stats' && e.fields.vm === 'spoofer');
    const last = spoofStats[spoofStats.length - 1];
    const dropSpoof = Number(last.fields.drop_spoof);
    assert.ok(
      dropSpoof >= Number(sent.expect),
      `drop_spoof ${dropSpoof} < ${sent.expect} sent: ${last.raw}`,
    );
    // Its transmit counter saw at least as many frames in the spoofing window as were dropped then
    // (the legitimate turns before and after are a handful of TCP/ARP frames).
    assert.ok(
      dropSpoof <= Number(sent.tx_frames) + 50,
      `drop_spoof ${dropSpoof} vs tx_frames ${sent.tx_frames}: ${last.raw}`,
    );
    for (const s of events.filter((e) => e.ev === 'net_stats' && e.fields.vm === 'neighbour'))
      assert.equal(s.fields.drop_spoof, '0', s.raw);
    console.log(
      `      spoofer: sent ${sent.expect} forged frames by construction (udp_a=${sent.udp_a} udp_b=${sent.udp_b}), eth0 tx ${sent.tx_frames} frames in the window; D0 drop_spoof=${dropSpoof}`,
    );
    console.log(`      neighbour: ${arpBefore} | ${arpAfter}`);
    console.log(
      `      neighbour input before ${JSON.stringify(inBefore)} after ${JSON.stringify(inAfter)}`,
    );
  });
});
