// Hostile layers, one test per class: each is rejected with an error naming the layer and the
// entry, nothing is written to --out, and a canary file outside the build stays untouched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage } from '../../builder/image/build';
import type { ImageError, ImageErrorCode } from '../../core/image/errors';
import { craftLayer, imageConfig, writeOciLayout, type CraftEntry } from '../support/oci-pack';

const BUSYBOX = fs.readFileSync('/bin/busybox');
const base: CraftEntry[] = [
  { name: 'bin/', type: 'directory' },
  { name: 'bin/sh', content: BUSYBOX, mode: 0o755 },
  { name: 'etc/', type: 'directory' },
];

/** Sets a tar header's size field to an absurd value and fixes its checksum. */
function patchSize(tarBytes: Buffer, entryIndex: number, size: bigint): Buffer {
  const b = Buffer.from(tarBytes);
  const off = entryIndex * 512;
  b.fill(0, off + 124, off + 136);
  b[off + 124] = 0x80; // base-256
  b.writeBigUInt64BE(size, off + 128);
  b.fill(0x20, off + 148, off + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[off + i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', off + 148, 'latin1');
  return b;
}

describe('oci: hostile layers are rejected and contained', function () {
  this.timeout(60_000);
  let tmp: string;
  let canary: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-hostile-'));
    canary = path.join(tmp, 'canary');
    fs.writeFileSync(canary, 'untouched');
    fs.mkdirSync(path.join(tmp, 'etc'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function expectRejected(name: string, layers: Buffer[], code: ImageErrorCode, mention: RegExp) {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    writeOciLayout(dir, layers, imageConfig(layers, { Cmd: ['/bin/sh'] }));
    const out = path.join(tmp, `${name}.img`);
    const cacheDir = path.join(tmp, 'cache');
    await assert.rejects(buildImage({ source: `oci:${dir}`, out, init: '/bin/busybox', cacheDir }), (e: ImageError) => {
      assert.equal(e.code, code, e.message);
      assert.match(e.message, mention);
      assert.match(e.message, /layer \d/);
      return true;
    });
    assert.equal(fs.existsSync(out), false);
    assert.equal(fs.readFileSync(canary, 'utf8'), 'untouched');
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'etc')), []);
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, 'tmp')), [], 'work directory removed');
  }

  it('rejects ".." components', async () => {
    const l = await craftLayer([...base, { name: '../../canary', content: 'pwned' }]);
    await expectRejected('dotdot', [l], 'ENTRY_UNSAFE', /"\.\.\/\.\.\/canary" contains '\.\.'/);
  });

  it('rejects absolute paths', async () => {
    const l = await craftLayer([...base, { name: path.join(tmp, 'canary'), content: 'pwned' }]);
    await expectRejected('absolute', [l], 'ENTRY_UNSAFE', /absolute path/);
  });

  it('refuses to write through a symlinked parent directory (same layer)', async () => {
    const l = await craftLayer([...base, { name: 'escape', type: 'symlink', linkname: tmp }, { name: 'escape/canary', content: 'pwned' }]);
    await expectRejected('symlink-parent', [l], 'ENTRY_UNSAFE', /parent \/escape is a symlink/);
  });

  it('refuses to write through a symlink planted by a lower layer', async () => {
    const l1 = await craftLayer([...base, { name: 'etc2', type: 'symlink', linkname: path.join(tmp, 'etc') }]);
    const l2 = await craftLayer([{ name: 'etc2/passwd', content: 'pwned' }]);
    await expectRejected('symlink-lower', [l1, l2], 'ENTRY_UNSAFE', /layer 1 .*parent \/etc2 is a symlink/);
  });

  it('rejects hardlinks pointing outside the root', async () => {
    const l = await craftLayer([...base, { name: 'leak', type: 'link', linkname: '../../../etc/shadow' }]);
    await expectRejected('hardlink-out', [l], 'ENTRY_UNSAFE', /hardlink target .* contains '\.\.'/);
  });

  it('rejects hardlinks to missing files and through symlinks', async () => {
    const l = await craftLayer([...base, { name: 'leak', type: 'link', linkname: 'nothere' }]);
    await expectRejected('hardlink-missing', [l], 'ENTRY_INVALID', /hardlink target \/nothere does not exist/);
    const l2 = await craftLayer([...base, { name: 'd', type: 'symlink', linkname: '/etc' }, { name: 'leak', type: 'link', linkname: 'd/passwd' }]);
    await expectRejected('hardlink-via-symlink', [l2], 'ENTRY_UNSAFE', /parent \/d is a symlink/);
  });

  it('rejects duplicate entries within a layer', async () => {
    const l = await craftLayer([...base, { name: 'etc/x', content: 'a' }, { name: './etc/x', content: 'b' }]);
    await expectRejected('duplicate', [l], 'ENTRY_INVALID', /duplicate entry \/etc\/x/);
  });

  it('rejects absurd sizes before writing', async () => {
    const l = patchSize(await craftLayer([{ name: 'huge', content: 'x' }]), 0, 1n << 50n);
    await expectRejected('absurd', [l], 'LIMIT_EXCEEDED', /"huge": size \d+ exceeds/);
  });

  it('rejects whiteouts of "." and ".."', async () => {
    const l = await craftLayer([...base, { name: 'etc/.wh...', content: '' }]);
    await expectRejected('whiteout-dotdot', [l], 'ENTRY_UNSAFE', /whiteout of "\.\."/);
  });

  it('rejects a layer whose digest does not match its descriptor', async () => {
    const dir = path.join(tmp, 'digest');
    fs.mkdirSync(dir);
    const l = await craftLayer(base);
    writeOciLayout(dir, [l], imageConfig([l], { Cmd: ['/bin/sh'] }));
    const blobs = path.join(dir, 'blobs', 'sha256');
    const layerBlob = fs.readdirSync(blobs).find((f) => fs.readFileSync(path.join(blobs, f)).equals(l))!;
    const tampered = Buffer.from(l);
    tampered[4000] ^= 1; // inside bin/sh's content
    fs.writeFileSync(path.join(blobs, layerBlob), tampered);
    await assert.rejects(
      buildImage({ source: `oci:${dir}`, out: path.join(tmp, 'digest.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache') }),
      (e: ImageError) => e.code === 'DIGEST_MISMATCH' && e.message.includes(layerBlob),
    );
    assert.equal(fs.existsSync(path.join(tmp, 'digest.img')), false);
  });
});
