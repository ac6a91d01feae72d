// Layer semantics on crafted layers (OCI layout, gzip): opaque dirs applied first whatever the
// tar order, whiteouts hide lower layers only, device nodes, fifos, a capability xattr from PAX,
// PAX and GNU long names; plus the CLI on the same image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage } from '../../builder/image/build';
import type { ImageError } from '../../core/image/errors';
import { readExt4Tree } from '../support/ext4-tree';
import { craftLayer, imageConfig, writeDockerArchive, writeOciLayout } from '../support/oci-pack';

// vfs_cap_data v2, CAP_NET_BIND_SERVICE permitted+effective (bytes < 0x80 so any tar writer keeps them)
const CAP = Buffer.from('0100000200040000000000000000000000000000', 'hex');
const LONG = 'd'.repeat(120) + '/' + 'f'.repeat(150);

describe('oci: layer semantics on crafted layers', function () {
  this.timeout(120_000);
  let tmp: string;
  let layers: Buffer[];
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-layers-'));
    layers = [
      await craftLayer([
        { name: 'bin/', type: 'directory' },
        { name: 'bin/sh', content: fs.readFileSync('/bin/busybox'), mode: 0o755 },
        { name: 'opq/', type: 'directory' },
        { name: 'opq/old', content: 'old' },
        { name: 'keep/', type: 'directory' },
        { name: 'keep/a', content: 'a' },
        { name: 'keep/b', content: 'b' },
        { name: 'dev/', type: 'directory' },
      ]),
      await craftLayer([
        { name: 'opq/new', content: 'new' }, // before the marker in tar order: must survive
        { name: 'opq/.wh..wh..opq', content: '' },
        { name: 'keep/.wh.a', content: '' },
        { name: 'keep/c', content: 'c' },
        { name: 'keep/.wh.c', content: '' }, // same-layer whiteout: does not hide keep/c
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
        { name: 'run.fifo', type: 'fifo', mode: 0o620 },
        { name: 'bin/ping', content: 'cap', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': CAP.toString('latin1') } },
        { name: LONG, content: 'long', uid: 70000, gid: 70001 },
        { name: 'name with "quotes" and spaces', content: 'q' },
      ]),
    ];
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('leaves no byte of a replaced or deleted file in the image (a container can read its whole disk)', async () => {
    const secret = (n: number) => `d0-secret-${n}-`.repeat(600); // > 4 KiB: data blocks, not inline
    const l1 = await craftLayer([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', content: fs.readFileSync('/bin/busybox'), mode: 0o755 },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/key', content: secret(1) },
      { name: 'etc/replaced', content: secret(2) },
      { name: 'gone/', type: 'directory' },
      { name: 'gone/deep', content: secret(3) },
    ]);
    const l2 = await craftLayer([
      { name: 'etc/.wh.key', content: '' },
      { name: 'etc/replaced', content: 'short now' },
      { name: '.wh.gone', content: '' },
    ]);
    const dir = path.join(tmp, 'deleted');
    writeOciLayout(dir, [l1, l2], imageConfig([l1, l2], { Cmd: ['/bin/sh'] }));
    const r = await buildImage({ source: `oci:${dir}`, out: path.join(tmp, 'deleted.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache-deleted') });
    const bytes = fs.readFileSync(r.image);
    for (const n of [1, 2, 3]) assert.equal(bytes.indexOf(`d0-secret-${n}-`), -1, `secret ${n} is still in the image`);
    assert.equal(readExt4Tree(r.image).get('/etc/replaced')!.size, 9);
    const fsck = spawnSync('e2fsck', ['-fn', r.image], { encoding: 'utf8', env: { PATH: `/usr/sbin:/sbin:${process.env.PATH}` } });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
  });

  it('applies opaque dirs, whiteouts, special files, xattrs and long names', async () => {
    const dir = path.join(tmp, 'layout');
    writeOciLayout(dir, layers, imageConfig(layers, { Entrypoint: ['sh'], ExposedPorts: { '80/tcp': {} } }), { gzip: true });
    const r = await buildImage({ source: `oci:${dir}`, out: path.join(tmp, 'a.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache') });
    const t = readExt4Tree(r.image);
    assert.equal(t.get('/opq/old'), undefined);
    assert.equal(t.get('/opq/new')!.size, 3);
    assert.equal(t.get('/keep/a'), undefined);
    assert.ok(t.get('/keep/b') && t.get('/keep/c'));
    assert.equal([...t.keys()].some((p) => p.includes('.wh.')), false);
    assert.deepEqual([t.get('/dev/null')!.type, t.get('/dev/null')!.dev, t.get('/dev/null')!.mode], ['char', '1:3', 0o666]);
    assert.deepEqual([t.get('/dev/loop9')!.type, t.get('/dev/loop9')!.dev, t.get('/dev/loop9')!.gid], ['block', '7:9', 6]);
    assert.deepEqual([t.get('/run.fifo')!.type, t.get('/run.fifo')!.mode], ['fifo', 0o620]);
    assert.deepEqual(t.get('/bin/ping')!.xattrs, { 'security.capability': CAP.toString('hex') });
    assert.deepEqual([t.get('/' + LONG)!.uid, t.get('/' + LONG)!.gid], [70000, 70001]);
    assert.ok(t.get('/name with "quotes" and spaces'));
    assert.deepEqual(r.meta.execSpec.args, ['sh']);
    assert.equal(r.meta.execSpec.path, '/bin/sh');
    assert.deepEqual(r.meta.warnings, ['config.ExposedPorts ignored: the VM has its own IP address; every port it listens on is reachable, none is mapped']);
    const fsck = spawnSync('e2fsck', ['-fn', r.image], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    // The same image as a docker-archive gives the same bytes.
    const archive = path.join(tmp, 'a.tar');
    await writeDockerArchive(archive, layers, imageConfig(layers, { Entrypoint: ['sh'], ExposedPorts: { '80/tcp': {} } }));
    const r2 = await buildImage({ source: `docker-archive:${archive}`, out: path.join(tmp, 'b.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache2') });
    assert.equal(r2.meta.sha256, r.meta.sha256);
  });

  it('rejects an unknown USER and a missing command, naming them', async () => {
    const dir = path.join(tmp, 'user');
    writeOciLayout(dir, layers, imageConfig(layers, { Cmd: ['sh'], User: 'nobody' }));
    await assert.rejects(buildImage({ source: `oci:${dir}`, out: path.join(tmp, 'u.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache') }),
      (e: ImageError) => e.code === 'USER_UNKNOWN' && /"nobody"/.test(e.message));
    const dir2 = path.join(tmp, 'nocmd');
    writeOciLayout(dir2, layers, imageConfig(layers, { Cmd: ['frobnicate'] }));
    await assert.rejects(buildImage({ source: `oci:${dir2}`, out: path.join(tmp, 'n.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache') }),
      (e: ImageError) => e.code === 'COMMAND_MISSING' && /"frobnicate"/.test(e.message));
  });

  it('d0 image build / inspect from the command line; bad source is exit 2', () => {
    const dir = path.join(tmp, 'cli');
    writeOciLayout(dir, layers, imageConfig(layers, { Cmd: ['sh', '-c', 'a\nb\\'] }));
    const d0 = path.join(__dirname, '../../cli/d0.js');
    const env = { ...process.env, D0_CACHE: path.join(tmp, 'cache-cli') };
    const out = path.join(tmp, 'cli.img');
    const b = spawnSync(process.execPath, [d0, 'image', 'build', `oci:${dir}`, '--out', out, '--init', '/bin/busybox', '--env', 'A=1'], { env, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /sha256 [0-9a-f]{64}/);
    const i = spawnSync(process.execPath, [d0, 'image', 'inspect', out], { env, encoding: 'utf8' });
    assert.equal(i.status, 0, i.stderr);
    assert.match(i.stdout, /"a\\nb\\\\"/);
    assert.match(i.stdout, /"A=1"/);
    const bad = spawnSync(process.execPath, [d0, 'image', 'build', 'ftp:x', '--out', out], { env, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /SOURCE_INVALID: image source "ftp:x"/);
  });
});
