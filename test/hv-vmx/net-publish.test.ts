// A published web server under Bochs on the VMX backend (corei7_skylake_x: VMX + EPT), the
// counterpart of test/e2e/net-publish.test.ts on QEMU: a real container built by the Docker engine
// behind D0's uplink, which is Bochs' e1000 on its own slirp (restricted: nothing outside Bochs is
// reachable). Bochs' slirp forwards a host port on 127.0.0.1 to D0's uplink port 8080
// (test/support/bochs.ts uplink), D0 DNATs it to the container's port 80, and the test fetches
// the page from 127.0.0.1. A second forwarded host port reaches an uplink port nobody published:
// D0 drops it silently, so that fetch gets no answer.
//
// The server is Debian's nginx, the same binary, modules, configuration and page as on QEMU
// (NGINX_SERVED), in an image that holds only what nginx needs to run (NGINX_SLIM, built FROM
// scratch): 10 MB of files, a root disk of 28 MB. NGINX_SERVED's is 221 MB, and under Bochs D0
// reads and hashes every byte through the firmware's emulated ATA before anything runs (file_ok
// at ms=111937 of D0's clock, about 9 minutes of wall time on this machine), then loads it into
// memory again: that did not fit the time.
// About 1.5 minutes with two cores shared at load average 2-3: uplink_up 42 s after spawn,
// vm_ready 44 s, the page at 47 s (89-93 s, 91-95 s and 94-98 s while D0 still read each file
// from the ESP twice, kernel/README.md stage 1 step 10). One container, a 20-minute hard limit,
// and Bochs is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU_USER_NET } from '../../builder/disk/qemu';
import { withBochs } from '../support/bochs';
import { engineSiteDisk } from '../support/d0-pipeline';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { assertContiguous, type D0Event } from '../support/events';
import { NGINX_PAGE, buildNginxSlim, removeNetImages } from '../support/net-images';
import { freePort, httpGet, type HttpResult } from '../support/tcp-peer';

const BOCHS_TIMEOUT_MS = 20 * 60_000;
const UPLINK_PORT = 8080;
const CLOSED_PORT = 9090;
/**
 * NGINX_SLIM's root disk is 28 MB (10 MB of files, 16 MiB of free space `d0 image build` leaves);
 * past this bound the files grew, and Bochs' boot reads and hashes every byte.
 */
const ROOT_DISK_MAX_BYTES = 32 * 1024 * 1024;

const SITE_YAML = [
  'header: { site: wire-vmx, security_epoch: 1 }',
  `network: { bridge_ip4: 10.20.0.1/24, uplink_ip4: ${QEMU_USER_NET.guestIp4}, uplink_gw4: ${QEMU_USER_NET.gateway} }`,
  'guest_kernel: {}',
  'containers:',
  '  - name: web',
  '    vcpu: 1',
  '    mem_mb: 64',
  '    ip4: 10.20.0.10/24',
  '    gw4: 10.20.0.1',
  '    boot_order: 0',
  '    health_timeout_s: 600',
  '    health: HEALTH_READY',
  `    publish: [{ protocol: IP_PROTO_TCP, uplink_port: ${UPLINK_PORT}, container_port: 80 }]`,
  '',
].join('\n');

/** Polls get() every 3 s until it returns a value or ms pass; each attempt bounds itself. */
async function eventually<T>(
  what: string,
  ms: number,
  get: () => Promise<T | undefined>,
): Promise<T> {
  const end = Date.now() + ms;
  for (let attempt = 1; ; attempt++) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: nothing after ${attempt} attempts`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

describe('hv-vmx: a published web server under Bochs (VMX), fetched through D0 from 127.0.0.1', function () {
  this.timeout(BOCHS_TIMEOUT_MS + 60 * 60_000);
  let dockerd: DockerHandle;
  let dir: string;
  let disk: string;

  before(async function () {
    this.timeout(60 * 60_000); // cold caches: guest kernel, debootstrap
    dockerd = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-vmx-publish-'));
    const site = await engineSiteDisk(dir, { web: await buildNginxSlim(dockerd.docker, dir) }, SITE_YAML);
    disk = site.disk;
    const size = fs.statSync(site.images.web).size;
    assert.ok(
      size <= ROOT_DISK_MAX_BYTES,
      `nginx's root disk is ${size} bytes, over ${ROOT_DISK_MAX_BYTES}`,
    );
    console.log(`      nginx's root disk: ${size} bytes`);
  });
  after(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    removeNetImages();
    await dockerd?.stop();
  });

  it("serves nginx's page through the published port; an unpublished port gets no answer", async () => {
    const webPort = await freePort();
    const closedPort = await freePort();
    const started = Date.now();
    const timings: Record<string, number> = {};
    const forwards = [
      { protocol: 'tcp' as const, hostPort: webPort, uplinkPort: UPLINK_PORT },
      { protocol: 'tcp' as const, hostPort: closedPort, uplinkPort: CLOSED_PORT },
    ];
    let events: D0Event[] = [];
    let closed: HttpResult | undefined;
    const page = await withBochs(
      {
        disk,
        cpuModel: 'corei7_skylake_x',
        memMb: 256,
        timeoutMs: BOCHS_TIMEOUT_MS,
        uplink: { forwards },
      },
      async (vm) => {
        const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
        assert.equal(up.ev, 'uplink_up', vm.describe());
        timings.uplink_up = Date.now() - started;
        await vm.waitFor((e) => e.ev === 'vm_ready' && e.fields.vm === 'web');
        timings.vm_ready = Date.now() - started;
        const r = await eventually('the published page', 8 * 60_000, async () => {
          const got = await httpGet(webPort, '/', 30_000);
          return got.status === 200 ? got : undefined;
        });
        timings.page = Date.now() - started;
        closed = await httpGet(closedPort, '/', 20_000);
        events = [...vm.events];
        return r;
      },
    );
    console.log(`      Bochs timings (ms from spawn): ${JSON.stringify(timings)}`);
    assertContiguous(events);
    assert.equal(events.find((e) => e.ev === 'cpu')?.fields.backend, 'vmx');
    assert.equal(page.body?.trim(), NGINX_PAGE);
    assert.equal(
      closed?.status,
      undefined,
      `an unpublished port answered: ${JSON.stringify(closed)}`,
    );
    assert.equal(events.filter((e) => e.ev === 'vm_stopped').length, 0, 'the container stopped');
    for (const s of events.filter((e) => e.ev === 'net_stats' && e.fields.vm === 'web'))
      assert.equal(s.fields.drop_spoof, '0', s.raw);
  });
});
