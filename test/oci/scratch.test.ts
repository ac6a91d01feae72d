// Where layer contents are unpacked (builder/image/scratch.ts) and the one-hash path for
// uncompressed layers: a tmpfs work dir when the contents fit, a spill to the cache's disk when
// they outgrow the allowance (same bytes either way), nothing left behind in either place, and
// layer digests still checked when the stored bytes are the tar itself.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage, type BuildOptions } from '../../builder/image/build';
import type { ImageError } from '../../builder/oci/errors';
import { craftLayer, imageConfig, writeDockerArchive, writeOciLayout } from '../support/oci-pack';

const SHM = '/dev/shm';

describe('oci: scratch space and layer digests', function () {
  this.timeout(60_000);
  let tmp: string;
  let shm: string;
  let layers: Buffer[];
  before(async function () {
    if (!fs.existsSync(SHM)) throw new Error(`${SHM} is missing: these tests need a tmpfs there`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-scratch-'));
    shm = fs.mkdtempSync(path.join(SHM, 'd0-test-scratch-'));
    layers = [
      await craftLayer([
        { name: 'bin/', type: 'directory' },
        { name: 'bin/sh', content: fs.readFileSync('/bin/busybox'), mode: 0o755 },
        { name: 'data/', type: 'directory' },
        ...Array.from({ length: 40 }, (_, i) => ({ name: `data/f${i}`, content: Buffer.alloc(3000 + i, i) })),
      ]),
      await craftLayer([{ name: 'data/f3', content: 'replaced' }, { name: 'data/.wh.f4', content: '' }]),
    ];
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(shm, { recursive: true, force: true });
  });

  const build = (name: string, source: string, extra: Partial<BuildOptions> = {}) =>
    buildImage({ source, out: path.join(tmp, `${name}.img`), init: '/bin/busybox', cacheDir: path.join(tmp, `cache-${name}`), ...extra });

  function layout(name: string, gzip: boolean): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    writeOciLayout(dir, layers, imageConfig(layers, { Cmd: ['/bin/sh'] }), { gzip });
    return dir;
  }

  it('unpacks on tmpfs when the contents fit, spills to disk past the allowance, same bytes', async () => {
    const dir = layout('fits', true);
    const onTmpfs = await build('tmpfs', `oci:${dir}`, { scratch: { tmpfs: shm } });
    assert.equal(onTmpfs.scratch, shm);
    const spilled = await build('spill', `oci:${dir}`, { scratch: { tmpfs: shm, maxBytes: 10_000 } });
    assert.equal(spilled.scratch, path.join(tmp, 'cache-spill', 'tmp'));
    const onDisk = await build('disk', `oci:${dir}`, { scratch: { tmpfs: tmp } }); // not a tmpfs
    assert.equal(onDisk.scratch, path.join(tmp, 'cache-disk', 'tmp'));
    assert.equal(spilled.meta.sha256, onTmpfs.meta.sha256);
    assert.equal(onDisk.meta.sha256, onTmpfs.meta.sha256);
    assert.deepEqual(fs.readdirSync(shm), [], 'tmpfs work dirs removed');
    for (const c of ['tmpfs', 'spill', 'disk']) assert.deepEqual(fs.readdirSync(path.join(tmp, `cache-${c}`, 'tmp')), []);
  });

  it('removes the tmpfs work dir when a layer is rejected', async () => {
    const bad = await craftLayer([{ name: 'bin/', type: 'directory' }, { name: '../escape', content: 'x' }]);
    const dir = path.join(tmp, 'rejected');
    fs.mkdirSync(dir);
    writeOciLayout(dir, [bad], imageConfig([bad], { Cmd: ['/bin/sh'] }));
    await assert.rejects(build('rejected', `oci:${dir}`, { scratch: { tmpfs: shm } }), (e: ImageError) => e.code === 'ENTRY_UNSAFE');
    assert.deepEqual(fs.readdirSync(shm), []);
    assert.equal(fs.existsSync(path.join(tmp, 'rejected.img')), false);
  });

  it('checks diff_ids of uncompressed docker-save layers (one sha256 for both digests)', async () => {
    const good = path.join(tmp, 'good.tar');
    await writeDockerArchive(good, layers, imageConfig(layers, { Cmd: ['/bin/sh'] }));
    const ok = await build('archive-ok', `docker-archive:${good}`, { scratch: { tmpfs: shm } });
    assert.equal(ok.meta.sha256, (await build('oci-same', `oci:${layout('same', true)}`)).meta.sha256);

    const config = JSON.parse(imageConfig(layers, { Cmd: ['/bin/sh'] }).toString());
    config.rootfs.diff_ids[1] = 'sha256:' + '0'.repeat(64);
    const bad = path.join(tmp, 'bad.tar');
    await writeDockerArchive(bad, layers, Buffer.from(JSON.stringify(config)));
    await assert.rejects(build('archive-bad', `docker-archive:${bad}`), (e: ImageError) =>
      e.code === 'DIGEST_MISMATCH' && /rootfs\.diff_ids\[1\]/.test(e.message) && /layer1\/layer\.tar/.test(e.message));
    assert.equal(fs.existsSync(path.join(tmp, 'archive-bad.img')), false);
  });

  it('checks diff_ids of gzip layers against the uncompressed bytes', async () => {
    const dir = path.join(tmp, 'gz-bad');
    fs.mkdirSync(dir);
    const config = JSON.parse(imageConfig(layers, { Cmd: ['/bin/sh'] }).toString());
    config.rootfs.diff_ids[0] = config.rootfs.diff_ids[1]; // the right digest of the wrong layer
    writeOciLayout(dir, layers, Buffer.from(JSON.stringify(config)), { gzip: true });
    await assert.rejects(build('gz-bad', `oci:${dir}`), (e: ImageError) => e.code === 'DIGEST_MISMATCH' && /diff_ids\[0\]/.test(e.message));
  });
});
