// D0 on the wire, end to end under QEMU (SVM, TCG): two real containers built by the Docker engine
// behind D0's uplink (an e1000 on QEMU's user-mode network with restrict=on: nothing outside QEMU
// is reachable; the only peers are this test's servers on 127.0.0.1).
//   - web: Debian's nginx serving a page on port 80, published on D0's uplink port 8080; the test
//     fetches it through QEMU's hostfwd (127.0.0.1:<port> -> 10.0.2.15:8080 -> DNAT -> web:80);
//   - client: busybox with an egress allow-list naming one address and port (10.0.2.100:80, which
//     QEMU's guestfwd sends to one test server); its fetch there succeeds through egress NAT, and
//     its fetch of 10.0.2.100:81 (a second test server) is dropped by D0 and counted `policy`;
//   - the client publishes nothing: a hostfwd to an unpublished uplink port gets no answer.
// Hard timeouts; QEMU is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU_USER_NET } from '../../builder/disk/qemu';
import { engineSiteDisk } from '../support/d0-pipeline';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { consoleLines, type D0Event } from '../support/events';
import { CLIENT_TARGETS, NGINX_PAGE, buildNetClient, buildNginxServed, removeNetImages } from '../support/net-images';
import { withQemu } from '../support/qemu';
import { HttpPeer, freePort, httpGet } from '../support/tcp-peer';

const RUN_TIMEOUT_MS = 15 * 60_000;
const ALLOWED_BODY = 'answered by the test server behind egress NAT';

function siteYaml(): string {
  const { allowed } = CLIENT_TARGETS;
  return [
    'header: { site: wire, security_epoch: 1 }',
    `network: { bridge_ip4: 10.20.0.1/24, egress_nat: true, uplink_ip4: ${QEMU_USER_NET.guestIp4}, uplink_gw4: ${QEMU_USER_NET.gateway} }`,
    'guest_kernel: {}',
    'containers:',
    '  - name: client',
    '    vcpu: 1',
    '    mem_mb: 64',
    '    ip4: 10.20.0.11/24',
    '    gw4: 10.20.0.1',
    '    boot_order: 1',
    '    health_timeout_s: 60',
    '    health: HEALTH_READY',
    '    egress_restricted: true',
    `    egress_allow: [{ dest: ${allowed.ip}/32, protocol: IP_PROTO_TCP, port_lo: ${allowed.port}, port_hi: ${allowed.port} }]`,
    '  - name: web',
    '    vcpu: 1',
    '    mem_mb: 128',
    '    ip4: 10.20.0.10/24',
    '    gw4: 10.20.0.1',
    '    boot_order: 0',
    '    health_timeout_s: 120',
    '    health: HEALTH_READY',
    '    publish: [{ protocol: IP_PROTO_TCP, uplink_port: 8080, container_port: 80 }]',
    '',
  ].join('\n');
}

/** Polls until get() succeeds or the deadline passes; every attempt bounded by its own timeout. */
async function eventually<T>(what: string, deadlineMs: number, get: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: nothing after ${attempt} attempts`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describe('e2e: D0 on the wire (published port, egress NAT and policy, QEMU user network)', function () {
  this.timeout(60 * 60_000);
  let dockerd: DockerHandle;
  let dir: string;
  let disk: string;
  const allowed = new HttpPeer(ALLOWED_BODY);
  const denied = new HttpPeer('must never be reached');

  before(async function () {
    this.timeout(60 * 60_000); // cold caches: guest kernel, debootstrap
    dockerd = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-publish-'));
    const tags = { web: await buildNginxServed(dockerd.docker, dir), client: await buildNetClient(dockerd.docker, dir) };
    ({ disk } = await engineSiteDisk(dir, tags, siteYaml()));
    await allowed.start();
    await denied.start();
  });
  after(async () => {
    await allowed.stop();
    await denied.stop();
    removeNetImages();
    fs.rmSync(dir, { recursive: true, force: true });
    await dockerd?.stop();
  });

  it('serves nginx through the published port, NATs the allowed egress, drops the rest', async () => {
    const webPort = await freePort();
    const closedPort = await freePort();
    const { allowed: a, denied: d } = CLIENT_TARGETS;
    const uplink = {
      restrict: true,
      forwards: [
        { protocol: 'tcp' as const, hostPort: webPort, uplinkPort: 8080 },
        { protocol: 'tcp' as const, hostPort: closedPort, uplinkPort: 9090 },
      ],
      guestForwards: [
        { ip: a.ip, port: a.port, hostPort: allowed.port },
        { ip: d.ip, port: d.port, hostPort: denied.port },
      ],
    };
    let events: D0Event[] = [];
    await withQemu({ disk, cpu: 'EPYC', memMb: 1024, timeoutMs: RUN_TIMEOUT_MS, uplink }, async (vm) => {
      const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
      assert.equal(up.ev, 'uplink_up', vm.describe());
      await vm.waitFor((e) => e.ev === 'vm_ready' && e.fields.vm === 'web');

      // The published port: nginx's page, through D0's DNAT.
      const page = await eventually('the published page', 180_000, async () => {
        const r = await httpGet(webPort, '/', 10_000);
        return r.status === 200 ? r : undefined;
      });
      assert.equal(page.body?.trim(), NGINX_PAGE);

      // The client's two fetches: one allowed by its policy, one not.
      await vm.waitFor((e) => e.ev === 'console' && e.fields.vm === 'client' && /^egress-denied: /.test(e.fields.line ?? ''));
      const lines = consoleLines(vm.events, 'client');
      assert.ok(lines.includes(`egress-allowed: ok ${ALLOWED_BODY}`), lines.join('\n'));
      assert.ok(lines.includes('egress-denied: refused'), lines.join('\n'));
      assert.deepEqual(allowed.requests, ['GET / HTTP/1.0'], 'the allowed server got the one request');
      assert.equal(denied.requests.length, 0, 'the denied server got no request');
      assert.equal(Buffer.concat(denied.received).length, 0, 'not a byte reached the denied server');

      // An uplink port nobody published: no answer.
      const closed = await httpGet(closedPort, '/', 10_000);
      assert.equal(closed.status, undefined, `an unpublished port answered: ${JSON.stringify(closed)}`);

      // The drops are counted where they happened (ev=net_stats every 10 s while counters change).
      const stats = await vm.waitFor((e) => e.ev === 'net_stats' && e.fields.vm === 'client' && Number(e.fields.drop_policy) >= 1);
      assert.equal(stats.fields.drop_spoof, '0', stats.raw);
      events = [...vm.events];
    });
    // Nothing the containers sent was a spoof; the web container's traffic was all accounted.
    const webStats = events.filter((e) => e.ev === 'net_stats' && e.fields.vm === 'web');
    for (const s of webStats) assert.equal(s.fields.drop_spoof, '0', s.raw);
  });
});
