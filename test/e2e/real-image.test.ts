// A real image end to end with the defaults, as a user runs it: a Debian image with a real service
// from Debian's packages (test/support/real-image.ts: three layers, USER, WORKDIR), built by the
// Docker engine, then `d0 image build` -> `d0 manifest pack` -> `d0 disk tree` -> `d0 disk build`
// -> `d0 run`, with no size and no memory flag anywhere: the slot size comes from the build and
// the emulated host's memory from the manifest. The workload's output reaches D0's log and the
// build is committed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { bootSite, d0 } from '../support/d0-pipeline';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { consoleLines, eventsOf } from '../support/events';
import { buildRealImage, removeRealImage } from '../support/real-image';

describe('e2e: a real Debian image with nginx, end to end with default sizes and memory', function () {
  this.timeout(60 * 60_000);
  let dockerd: DockerHandle;
  let dir: string;
  let init: string;
  let vmlinuz: string;
  let tag: string;

  before(async function () {
    this.timeout(60 * 60_000); // cold caches: guest kernel, debootstrap
    dockerd = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-real-image-'));
    vmlinuz = (await buildGuestKernel({})).bzImage;
    init = (await buildGuestInit()).init;
    tag = await buildRealImage(dockerd.docker, dir);
  });
  after(async () => {
    removeRealImage();
    fs.rmSync(dir, { recursive: true, force: true });
    await dockerd?.stop();
  });

  it('image build -> manifest pack -> disk tree -> disk build -> run: the output, then ev=commit', async () => {
    const img = path.join(dir, 'web.img');
    const r = await d0(['image', 'build', `docker:${tag}`, '--out', img, '--init', init]);
    assert.equal(r.code, 0, r.err);
    assert.ok(fs.statSync(img).size > 128 * 2 ** 20, `a real image: ${fs.statSync(img).size} bytes`);

    const { uuid, run } = await bootSite({ dir: path.join(dir, 'site'), rootDisk: img, vmlinuz });
    assert.equal(run.code, 0, run.err + run.out);
    assert.match(run.err, /host memory \d+ MiB, the builds on the disk need \d+ MiB/);
    // The console lines, decoded: D0's log quotes a line with spaces or '=' and escapes the rest.
    const console = consoleLines(eventsOf(run.out), 'web').join('\n');
    assert.match(console, /nginx version: nginx\/1\.22/, run.out);
    assert.match(console, /uid=33\(www-data\) gid=33\(www-data\)/, run.out);
    assert.match(console, /cwd=\/srv\/www/, run.out);
    assert.match(console, /served by nginx on D0/, run.out);
    assert.match(run.out, new RegExp(`ev=commit boot=${uuid} slot=A previous=none fallback=none role=first`));
  });
});
