// A real image end to end with the defaults, as a user runs it: a Debian image with a real service
// from Debian's packages (debootstrap minbase + nginx-light, `docker import`, then Dockerfile steps
// that add a site, a user and a working directory: three layers), built by the Docker engine, then
// `d0 image build` -> `d0 manifest pack` -> `d0 disk tree` -> `d0 disk build` -> `d0 run`, with no
// size and no memory flag anywhere: the slot size comes from the build and the emulated host's
// memory from the manifest. The workload's output reaches D0's log and the build is committed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBaseImage, KERNEL_BASE, type BaseImageSpec } from '../../builder/docker/base-image';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { main } from '../../cli/main';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';

const TAG = 'd0-test/real-nginx:1';
const BASE: BaseImageSpec = { suite: 'bookworm', variant: 'minbase', mirror: KERNEL_BASE.mirror, include: ['nginx-light'] };
const DOCKERFILE = `ARG BASE
FROM $BASE
RUN mkdir -p /srv/www && echo 'served by nginx on D0' > /srv/www/index.html && chown -R www-data:www-data /srv/www
RUN rm -rf /usr/share/doc /usr/share/man && ln -s /srv/www/index.html /srv/index.html
WORKDIR /srv/www
USER www-data
CMD ["/bin/sh", "-c", "nginx -v 2>&1; id; echo cwd=$(pwd); cat index.html"]
`;

async function d0(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('e2e: a real Debian image with nginx, end to end with default sizes and memory', function () {
  this.timeout(60 * 60_000);
  let dockerd: DockerHandle;
  let dir: string;
  let init: string;
  let vmlinuz: string;

  before(async function () {
    this.timeout(60 * 60_000); // cold caches: guest kernel, debootstrap
    dockerd = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-real-image-'));
    vmlinuz = (await buildGuestKernel({})).bzImage;
    init = (await buildGuestInit()).init;
    const base = await ensureBaseImage(dockerd.docker, BASE, () => {});
    const ctx = path.join(dir, 'ctx');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
    execFileSync('/usr/bin/docker', ['build', '-q', '--network', 'none', '--build-arg', `BASE=${base}`, '-t', TAG, ctx], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
  });
  after(async () => {
    execFileSync('/usr/bin/docker', ['rmi', '-f', TAG], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
    await dockerd?.stop();
  });

  it('image build -> manifest pack -> disk tree -> disk build -> run: the output, then ev=commit', async () => {
    const art = path.join(dir, 'artifacts');
    fs.mkdirSync(art);
    fs.copyFileSync(vmlinuz, path.join(art, 'vmlinuz'));
    let r = await d0(['image', 'build', `docker:${TAG}`, '--out', path.join(art, 'web.img'), '--init', init]);
    assert.equal(r.code, 0, r.err);
    const imageBytes = fs.statSync(path.join(art, 'web.img')).size;
    assert.ok(imageBytes > 128 * 2 ** 20, `a real image: ${imageBytes} bytes`);

    r = await d0(['keygen', '--out', path.join(dir, 'k')]);
    assert.equal(r.code, 0, r.err);
    const site = path.join(dir, 'site.yaml');
    fs.writeFileSync(
      site,
      [
        'header: { site: real, security_epoch: 1 }',
        'network: { bridge_ip4: 10.20.0.1/24, egress_nat: false }',
        'guest_kernel: {}',
        'containers:',
        '  - { name: web, vcpu: 1, mem_mb: 96, ip4: 10.20.0.10/24, boot_order: 0, health_timeout_s: 60, health: HEALTH_READY }',
        '',
      ].join('\n'),
    );
    r = await d0(['manifest', 'pack', site, '--key', path.join(dir, 'k.key'), '--out', path.join(dir, 'signed'), '--artifacts', art]);
    assert.equal(r.code, 0, r.err);
    const uuid = r.out.trim();
    const tlv = path.join(dir, 'signed', `manifest-${uuid}.tlv`);
    const pub = path.join(dir, 'k.pub');
    r = await d0(['disk', 'tree', tlv, '--artifacts', art, '--pub', pub, '--out', path.join(dir, 'build')]);
    assert.equal(r.code, 0, r.err);
    const disk = path.join(dir, 'disk.img');
    r = await d0(['disk', 'build', '--slot-a', path.join(dir, 'build'), '--out', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);

    r = await d0(['run', disk, '--until', 'commit', '--timeout', '1500']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.err, /host memory \d+ MiB, the builds on the disk need \d+ MiB/);
    const console = r.out.split('\n').filter((l) => / ev=console /.test(l) && / vm=web /.test(l)).join('\n');
    assert.match(console, /nginx\?version:\?nginx\/1\.22/, r.out);
    // D0's log shows spaces and '=' in a console line as '?'.
    assert.match(console, /uid\?33\(www-data\)\?gid\?33\(www-data\)/, r.out);
    assert.match(console, /cwd\?\/srv\/www/, r.out);
    assert.match(console, /served\?by\?nginx\?on\?D0/, r.out);
    assert.match(r.out, new RegExp(`ev=commit boot=${uuid} slot=A previous=none role=first`));
  });
});
