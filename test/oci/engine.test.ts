// Docker engine -> disk image, end to end with a real dockerd: the image's tree read back from
// ext4 matches `docker export`, the exec spec follows the config, builds are reproducible across
// processes/umasks/temp dirs, the three source kinds give the same bytes, and the cache works.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { buildImage } from '../../builder/image/build';
import { inspectImage } from '../../builder/image/inspect';
import { ImageError } from '../../core/image/errors';
import { D0_ADDED, DOCKER_ADDED } from '../support/docker-export';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { countingSaves } from '../support/engine-proxies';
import { readExt4Tree, readTarTree, type TreeRecord } from '../support/ext4-tree';
import { dockerSaveToOci } from '../support/oci-pack';

const TAG = 'd0-test/multilayer:1';
const INIT = '/bin/busybox';

describe('oci: Docker engine image -> ext4 disk image', function () {
  this.timeout(300_000);
  let dockerd: DockerHandle;
  let docker: Dockerode;
  let tmp: string;

  before(async () => {
    dockerd = await ensureDockerd();
    docker = dockerd.docker;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-engine-'));
    const ctx = path.join(tmp, 'ctx');
    fs.cpSync(path.join(__dirname, '../support/images/multilayer'), ctx, { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
    execFileSync('/usr/bin/docker', ['build', '-q', '-t', TAG, ctx], { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await dockerd?.stop();
  });

  const build = (name: string, extra: object = {}) =>
    buildImage({ source: `docker:${TAG}`, out: path.join(tmp, `${name}.img`), init: INIT, docker, cacheDir: path.join(tmp, `cache-${name}`), ...extra });

  it('writes the same tree as docker export, entry by entry', async () => {
    const r = await build('export');
    const disk = readExt4Tree(r.image);
    const container = await docker.createContainer({ Image: TAG, NetworkDisabled: true });
    let exported: Map<string, TreeRecord>;
    try {
      exported = await readTarTree((await container.export()) as never);
    } finally {
      await container.remove({ force: true });
    }
    const only = (a: Map<string, TreeRecord>, b: Map<string, TreeRecord>) => [...a.keys()].filter((k) => !b.has(k)).sort();
    assert.deepEqual(only(exported, disk), DOCKER_ADDED);
    // docker export has no entry for the root itself.
    assert.deepEqual(only(disk, exported).filter((p) => p !== '/'), D0_ADDED);
    let compared = 0;
    for (const [p, rec] of exported) {
      if (DOCKER_ADDED.includes(p) || p === '/' || p === '/etc') continue;
      assert.deepEqual(disk.get(p), rec, p);
      compared++;
    }
    assert.ok(compared > 250, `compared ${compared} entries`);
    // The cases this image exists for, spelled out:
    assert.equal(disk.get('/usr/bin/su-demo')!.mode, 0o4755);
    assert.equal(disk.get('/tmp')!.mode, 0o1777);
    assert.equal(disk.get('/srv')!.mode, 0o2711);
    assert.equal(disk.get('/data/gone'), undefined);
    assert.equal(disk.get('/data/replaced')!.type, 'dir');
    assert.equal(disk.get('/srv/a-sym')!.link, '../srv/a');
    assert.equal(disk.get('/home/app')!.uid, 1000);
    assert.equal(disk.get('/srv/a-hard2')!.sha256, disk.get('/srv/a')!.sha256);
    assert.deepEqual(disk.get('/.d0/init'), { ...disk.get('/.d0/init')!, mode: 0o755, uid: 0, gid: 0, type: 'file' });
    assert.equal(disk.get('/.d0/exec')!.mode, 0o644);
    // /srv/a and its link /srv/a-hard, both of a lower layer; a later layer appends to /srv/a and
    // links /srv/a-hard2 to it. vfs keeps the three one inode; overlay2 copies /srv/a up alone
    // (no inode index), so its group is /srv/a and /srv/a-hard2 and /srv/a-hard keeps the old
    // content. Docker's export reads the same either way (compared above).
    const { Driver } = (await docker.info()) as { Driver?: string };
    const links = Driver === 'vfs' ? 3 : 2;
    const hardlinked = spawnSync('debugfs', ['-R', 'stat /srv/a-hard2', r.image], { encoding: 'utf8' }).stdout;
    assert.match(hardlinked, new RegExp(`Links: ${links}\\b`), `storage driver ${Driver}`);
  });

  it('derives the exec spec from the config and reads it back with inspect', async () => {
    const r = await build('spec');
    const expected = {
      args: ['/bin/sh', '-c', 'echo $GREETING'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello world', 'EMPTY=', 'HOME=/home/app'],
      cwd: '/home/app/work', uid: 1000, gid: 50, groups: [10, 50], path: '/bin/sh',
    };
    assert.deepEqual(r.meta.execSpec, expected);
    const seen = await inspectImage(r.image);
    assert.deepEqual(seen.execSpec, expected);
    assert.equal(seen.sha256, r.meta.sha256);
    assert.equal(seen.size, fs.statSync(r.image).size);
    assert.deepEqual(JSON.parse(fs.readFileSync(`${r.image}.json`, 'utf8')).sha256, r.meta.sha256);
  });

  it('applies overrides: args replace Cmd, env merges, cwd and user', async () => {
    const r = await build('over', { overrides: { args: ['echo hi'], env: ['GREETING=bye', 'NEW=1'], cwd: '/srv', user: '0:10' } });
    assert.deepEqual(r.meta.execSpec.args, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(r.meta.execSpec.env.slice(1), ['GREETING=bye', 'EMPTY=', 'HOME=/root', 'NEW=1']);
    assert.equal(r.meta.execSpec.cwd, '/srv');
    assert.deepEqual([r.meta.execSpec.uid, r.meta.execSpec.gid, r.meta.execSpec.groups], [0, 10, [10]]);
  });

  it('is reproducible across processes, umasks, temp dirs and host times', async () => {
    const first = await build('repro-a');
    const child = path.join(__dirname, '../support/build-image-child.ts');
    const opts = { source: `docker:${TAG}`, out: path.join(tmp, 'repro-b.img'), init: INIT, cacheDir: path.join(tmp, 'cache-repro-b') };
    const tmpB = fs.mkdtempSync(path.join(tmp, 'other-tmp-'));
    const r = spawnSync('sh', ['-c', `umask 077; exec "${process.execPath}" -r "${require.resolve('tsx/cjs')}" "${child}" '${JSON.stringify(opts)}'`], {
      cwd: tmpB, env: { ...process.env, TMPDIR: tmpB }, encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const second = JSON.parse(r.stdout);
    assert.equal(second.umask, 0o077);
    assert.equal(second.cached, false);
    assert.equal(second.sha256, first.meta.sha256);
    assert.ok(fs.readFileSync(first.image).equals(fs.readFileSync(opts.out)));
  });

  it('gives the same bytes from docker-archive and OCI layout sources', async () => {
    const engine = await build('src-engine');
    const save = path.join(tmp, 'save.tar');
    execFileSync('/usr/bin/docker', ['save', '-o', save, TAG]);
    const archive = await buildImage({ source: `docker-archive:${save}`, out: path.join(tmp, 'src-archive.img'), init: INIT, cacheDir: path.join(tmp, 'cache-src-archive') });
    const layout = path.join(tmp, 'layout');
    await dockerSaveToOci(save, layout);
    const oci = await buildImage({ source: `oci:${layout}`, out: path.join(tmp, 'src-oci.img'), init: INIT, cacheDir: path.join(tmp, 'cache-src-oci') });
    assert.equal(archive.meta.sha256, engine.meta.sha256);
    assert.equal(oci.meta.sha256, engine.meta.sha256);
  });

  it('serves a cache hit without exporting the image, a miss from the store', async () => {
    const first = await build('cache');
    const counting = countingSaves(docker);
    const again = await buildImage({ source: `docker:${TAG}`, out: path.join(tmp, 'cache2.img'), init: INIT, docker: counting.docker, cacheDir: path.join(tmp, 'cache-cache') });
    assert.equal(again.cached, true);
    assert.equal(counting.saves(), 0);
    assert.equal(again.meta.sha256, first.meta.sha256);
    const other = await buildImage({ source: `docker:${TAG}`, out: path.join(tmp, 'cache3.img'), init: INIT, docker: counting.docker, cacheDir: path.join(tmp, 'cache-cache'), overrides: { env: ['X=1'] } });
    assert.equal(other.cached, false);
    // A miss reads the layers from the engine's store (test/oci/engine-store.test.ts): no save either.
    assert.equal(counting.saves(), 0);
    assert.notEqual(other.meta.sha256, first.meta.sha256);
  });

  it('names a missing image and writes nothing', async () => {
    const out = path.join(tmp, 'missing.img');
    await assert.rejects(
      buildImage({ source: 'docker:d0-test/absent:none', out, init: INIT, docker, cacheDir: path.join(tmp, 'cache-missing') }),
      (e: ImageError) => e.code === 'IMAGE_NOT_FOUND' && e.message.includes('d0-test/absent:none'),
    );
    assert.equal(fs.existsSync(out), false);
  });
});
