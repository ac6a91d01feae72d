// Fidelity on real multi-layer images the test builds itself: a debootstrapped Debian base
// (`docker import`, cached like the builder base image) plus Dockerfile steps run by the engine's
// legacy builder. Each image, converted from the engine, must hold the same tree as `docker export`
// of its container, entry by entry (type, mode, uid, gid, size, content sha256, link target,
// device numbers, hardlink groups, mtime, xattrs); pass `e2fsck -fn`; carry the exec spec its
// config says; and come out byte-identical from `docker save` (docker-archive:) and from that save
// repackaged as an OCI layout (oci:).
//
// What Docker itself does that the comparison has to know (its quirks, not the converter's):
// - the container's init layer creates /etc/hostname, /etc/hosts, /etc/resolv.conf, /etc/mtab,
//   /dev/console... (DOCKER_ADDED; for this base it *replaces* the image's own /etc/hostname,
//   /etc/resolv.conf and /dev/console) and so changes /etc's mtime: /etc is compared without it;
// - the layers depend on the engine's storage driver, and so do some trees (the cases of the
//   `layers` image say both; the engine d0 starts has overlay2 where the kernel allows it, else vfs):
//   - vfs: a layer is a naive diff of two trees: `rm -rf /x && mkdir /x` becomes one whiteout per
//     removed entry (x/.wh.a, x/.wh.sub...), never an opaque marker; a hardlink made in a later
//     layer to a lower layer's file (`ln /usr/bin/gunzip ...`) is written as a new regular file:
//     only names whose inode changed are in the layer, and a changed member takes its whole group;
//   - overlay2: the same step writes an opaque marker (x/.wh..wh..opq); a change to one member of
//     a lower layer's hardlink group copies that name up alone, splitting the group (overlayfs
//     without its inode index, as Docker mounts it); a link to a lower layer's file copies the
//     file up and links the new name to the copy;
//   Docker's own view of the image has the same splits, so both sides agree on the groups;
// - tar headers carry whole seconds, so mtimes are compared in seconds.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { buildImage, type BuildResult } from '../../builder/image/build';
import type { ImageExecSpec as ExecSpec } from '../../core/image/exec-spec';
import { ensureBaseImage, KERNEL_BASE, type BaseImageSpec } from '../../builder/docker/base-image';
import { D0_ADDED, DOCKER_ADDED, exportTree } from '../support/docker-export';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { readExt4Tree, walkTar, type TreeRecord } from '../support/ext4-tree';
import { craftLayer, dockerSaveToOci } from '../support/oci-pack';

const run = promisify(execFile);
const INIT = '/bin/busybox';

/** Debian minbase plus libcap2-bin (setcap), so that a layer can carry security.capability. */
const BASE: BaseImageSpec = { suite: 'bookworm', variant: 'minbase', mirror: KERNEL_BASE.mirror, include: ['libcap2-bin'] };

const sha = (b: string | Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ROOT_SH: ExecSpec = { args: ['/bin/sh'], env: [DEFAULT_PATH, 'HOME=/root'], cwd: '/', uid: 0, gid: 0, groups: [0], path: '/bin/sh' };

interface FidelityImage {
  name: string;
  dockerfile: string;
  spec: ExecSpec;
  /** The cases the image exists for, on the disk tree and the export (already found equal). */
  check(disk: Map<string, TreeRecord>, exported: Map<string, TreeRecord>, driver: Driver): void;
  /** What the image's layers (from docker save) must contain, to show the cases reach the converter. */
  layers?(entries: string[][], driver: Driver): void;
}

/** The engine's storage drivers these cases know (the header says how the layers differ). */
type Driver = 'vfs' | 'overlay2';

const IMAGES: FidelityImage[] = [
  {
    // Deletions from lower layers (the base's too), a directory removed and made again, hardlink
    // groups that grow, shrink, split and change owner/mode in a later layer, setuid/setgid files
    // and sticky directories.
    name: 'layers',
    dockerfile: String.raw`
ARG BASE
FROM $BASE
CMD ["/bin/sh"]
RUN set -e; \
    mkdir -p /x/sub /data; echo one > /x/a; echo two > /x/sub/b; ln -s a /x/a-rel; \
    echo h > /data/h1; ln /data/h1 /data/h2; ln /data/h1 /data/h3; \
    echo k > /data/k1; ln /data/k1 /data/k2; \
    echo g > /data/g1; ln /data/g1 /data/g2; ln /data/g1 /data/g3; \
    echo w > /data/w1; ln /data/w1 /data/w2; \
    cp /usr/bin/env /usr/local/bin/suid-root; chmod 4755 /usr/local/bin/suid-root; \
    cp /usr/bin/env /usr/local/bin/sgid-staff; chgrp staff /usr/local/bin/sgid-staff; chmod 2755 /usr/local/bin/sgid-staff; \
    cp /usr/bin/env /usr/local/bin/both; chown 1234:staff /usr/local/bin/both; chmod 6750 /usr/local/bin/both; \
    mkdir -m 1777 /scratch; mkdir /shared; chgrp users /shared; chmod 3775 /shared; \
    echo gone > /etc/gone.conf
RUN set -e; \
    rm -rf /usr/share/doc/apt /etc/gone.conf /usr/bin/perl5.36.0; \
    rm -rf /x && mkdir /x && echo fresh > /x/c; \
    chown 1000:1000 /data/h1; chmod 0640 /data/h2; ln /data/h1 /data/h4; \
    rm /data/k2; \
    rm /data/g1; echo new > /data/g1; \
    echo more >> /data/w2; \
    ln /usr/bin/gunzip /usr/local/bin/gunzip-link; \
    chmod 0711 /usr/local/bin/suid-root
`,
    spec: ROOT_SH,
    check(disk, _exported, driver) {
      const children = (dir: string) => [...disk.keys()].filter((p) => path.posix.dirname(p) === dir).sort();
      assert.deepEqual(children('/x'), ['/x/c']);
      assert.equal(disk.get('/x/c')!.sha256, sha('fresh\n'));
      for (const p of ['/etc/gone.conf', '/usr/share/doc/apt', '/usr/bin/perl5.36.0', '/data/k2']) assert.equal(disk.get(p), undefined, p);
      const group = (p: string) => [disk.get(p)!.hardlinks, disk.get(p)!.uid, disk.get(p)!.gid, disk.get(p)!.mode];
      if (driver === 'vfs') {
        // The group of four takes the chown and the chmod of two of its names.
        const h = ['/data/h1', '/data/h2', '/data/h3', '/data/h4'];
        for (const p of h) assert.deepEqual(group(p), [h, 1000, 1000, 0o640], p);
        assert.deepEqual([disk.get('/data/w1')!.hardlinks, disk.get('/data/w1')!.sha256], [['/data/w1', '/data/w2'], sha('w\nmore\n')]);
      } else {
        // Each changed name was copied up alone: h1 (chown) with its new link h4, h2 (chmod), and
        // h3 is the lower layer's, unchanged; w2 (appended) split from w1.
        for (const p of ['/data/h1', '/data/h4']) assert.deepEqual(group(p), [['/data/h1', '/data/h4'], 1000, 1000, 0o644], p);
        assert.deepEqual(group('/data/h2'), [undefined, 0, 0, 0o640]);
        assert.deepEqual(group('/data/h3'), [undefined, 0, 0, 0o644]);
        assert.deepEqual([disk.get('/data/w1')!.hardlinks, disk.get('/data/w1')!.sha256], [undefined, sha('w\n')]);
        assert.deepEqual([disk.get('/data/w2')!.hardlinks, disk.get('/data/w2')!.sha256], [undefined, sha('w\nmore\n')]);
      }
      assert.equal(disk.get('/data/k1')!.hardlinks, undefined);
      assert.deepEqual([disk.get('/data/g1')!.hardlinks, disk.get('/data/g1')!.sha256], [undefined, sha('new\n')]);
      assert.deepEqual([disk.get('/data/g2')!.hardlinks, disk.get('/data/g2')!.sha256], [['/data/g2', '/data/g3'], sha('g\n')]);
      // A base-layer group losing a member, and one left alone next to a new copy (vfs) or
      // split by the copy-up of the linked name (overlay2).
      assert.equal(disk.get('/usr/bin/perl')!.hardlinks, undefined);
      const gunzip = disk.get('/usr/bin/gunzip')!;
      if (driver === 'vfs') {
        assert.deepEqual(gunzip.hardlinks, ['/usr/bin/gunzip', '/usr/bin/uncompress']);
        assert.deepEqual([disk.get('/usr/local/bin/gunzip-link')!.hardlinks, disk.get('/usr/local/bin/gunzip-link')!.sha256], [undefined, gunzip.sha256]);
      } else {
        assert.deepEqual(gunzip.hardlinks, ['/usr/bin/gunzip', '/usr/local/bin/gunzip-link']);
        assert.deepEqual([disk.get('/usr/bin/uncompress')!.hardlinks, disk.get('/usr/bin/uncompress')!.sha256], [undefined, gunzip.sha256]);
      }
      const m = (p: string) => [disk.get(p)!.mode, disk.get(p)!.uid, disk.get(p)!.gid];
      assert.deepEqual(m('/usr/local/bin/suid-root'), [0o711, 0, 0]);
      assert.deepEqual(m('/usr/local/bin/sgid-staff'), [0o2755, 0, 50]);
      assert.deepEqual(m('/usr/local/bin/both'), [0o6750, 1234, 50]);
      assert.deepEqual(m('/scratch'), [0o1777, 0, 0]);
      assert.deepEqual(m('/shared'), [0o3775, 0, 100]);
    },
    layers(entries, driver) {
      const top = entries[entries.length - 1];
      const x = driver === 'vfs' ? ['x/.wh.a', 'x/.wh.a-rel', 'x/.wh.sub'] : ['x/.wh..wh..opq'];
      for (const wh of [...x, 'data/.wh.k2', 'etc/.wh.gone.conf', 'usr/bin/.wh.perl5.36.0', 'usr/share/doc/.wh.apt'])
        assert.ok(top.includes(wh), `top layer has ${wh}`);
      assert.ok(top.includes('data/h4') && top.includes('x/c'));
      const opaque = entries.flat().filter((e) => e.endsWith('.wh..wh..opq'));
      if (driver === 'vfs') assert.deepEqual(opaque, [], 'vfs writes no opaque marker');
      else assert.ok(!top.includes('x/.wh.a'), 'overlay2: the marker, not a whiteout per entry');
    },
  },
  {
    // Symlinks (absolute, relative, dangling, to a directory, longer than the inode holds), a fifo
    // and device nodes, capabilities, non-ASCII and non-UTF-8 names and link targets, an empty
    // file, 3,000 small files of which a later layer deletes 200.
    name: 'special',
    dockerfile: String.raw`
ARG BASE
FROM $BASE
CMD ["/bin/sh"]
RUN set -e; \
    mkdir -p /sp/links /sp/dev /sp/names /sp/many; \
    ln -s /etc/os-release /sp/links/abs; ln -s ../../etc/os-release /sp/links/rel; ln -s nowhere /sp/links/dangling; \
    ln -s /usr/share /sp/links/dir; ln -s "/$(printf 'long-target-%02d/' $(seq 1 12))end" /sp/links/slow; \
    mkfifo -m 0640 /sp/dev/fifo; mknod -m 0666 /sp/dev/null c 1 3; mknod -m 0660 /sp/dev/loop7 b 7 7; chgrp disk /sp/dev/loop7; \
    mknod -m 0600 /sp/dev/wide c 511 1048575; mkfifo /sp/dev/fifo-gone; \
    cp /usr/bin/env /sp/cap-bin; setcap cap_net_bind_service,cap_net_raw+ep /sp/cap-bin; \
    cp /usr/bin/env /sp/cap-later; \
    printf 'latin1' > "/sp/names/caf$(printf '\351')"; echo utf8 > /sp/names/café; echo jp > /sp/names/日本語; \
    mkdir "/sp/names/dir-$(printf '\377\376')"; echo in > "/sp/names/dir-$(printf '\377\376')/f"; \
    ln -s "caf$(printf '\351')" /sp/names/to-latin1; \
    : > /sp/empty; \
    i=0; while [ $i -lt 3000 ]; do echo "file $i" > /sp/many/f$i; i=$((i+1)); done
RUN set -e; \
    rm /sp/dev/fifo-gone; rm /sp/links/dangling; echo now-a-file > /sp/links/dangling; \
    setcap cap_chown+ep /sp/cap-later; \
    i=0; while [ $i -lt 200 ]; do rm /sp/many/f$i; i=$((i+1)); done; \
    rm "/sp/names/caf$(printf '\351')"; printf 'latin1 again' > "/sp/names/caf$(printf '\351')"
`,
    spec: ROOT_SH,
    check(disk, exported) {
      const link = (p: string) => [disk.get(p)!.type, disk.get(p)!.link];
      assert.deepEqual(link('/sp/links/abs'), ['symlink', '/etc/os-release']);
      assert.deepEqual(link('/sp/links/rel'), ['symlink', '../../etc/os-release']);
      assert.deepEqual(link('/sp/links/dir'), ['symlink', '/usr/share']);
      assert.ok(disk.get('/sp/links/slow')!.link!.length > 60);
      assert.deepEqual([disk.get('/sp/links/dangling')!.type, disk.get('/sp/links/dangling')!.sha256], ['file', sha('now-a-file\n')]);
      const node = (p: string) => [disk.get(p)!.type, disk.get(p)!.dev, disk.get(p)!.mode, disk.get(p)!.gid];
      assert.deepEqual(node('/sp/dev/fifo'), ['fifo', undefined, 0o640, 0]);
      assert.deepEqual(node('/sp/dev/null'), ['char', '1:3', 0o666, 0]);
      assert.deepEqual(node('/sp/dev/loop7'), ['block', '7:7', 0o660, 6]);
      assert.deepEqual(node('/sp/dev/wide'), ['char', '511:1048575', 0o600, 0]);
      assert.equal(disk.get('/sp/dev/fifo-gone'), undefined);
      // vfs_cap_data v2 with the effective bit: net_bind_service+net_raw, then chown (set in the
      // second layer on a file of the first). The engine's storage kept them: the export has them.
      const caps = { '/sp/cap-bin': '0100000200240000000000000000000000000000', '/sp/cap-later': '0100000201000000000000000000000000000000' };
      for (const [p, v] of Object.entries(caps)) {
        assert.deepEqual(exported.get(p)!.xattrs, { 'security.capability': v }, p);
        assert.deepEqual(disk.get(p)!.xattrs, { 'security.capability': v }, p);
      }
      assert.equal(disk.get('/sp/names/caf\\xe9')!.sha256, sha('latin1 again'));
      assert.equal(disk.get('/sp/names/café')!.sha256, sha('utf8\n'));
      assert.equal(disk.get('/sp/names/日本語')!.sha256, sha('jp\n'));
      assert.equal(disk.get('/sp/names/dir-\\xff\\xfe/f')!.sha256, sha('in\n'));
      assert.deepEqual(link('/sp/names/to-latin1'), ['symlink', 'caf\\xe9']);
      assert.deepEqual([disk.get('/sp/empty')!.size, disk.get('/sp/empty')!.sha256], [0, sha('')]);
      const many = [...disk.keys()].filter((p) => p.startsWith('/sp/many/'));
      assert.equal(many.length, 2800);
      assert.equal(disk.get('/sp/many/f199'), undefined);
      assert.equal(disk.get('/sp/many/f2999')!.sha256, sha('file 2999\n'));
    },
    layers(entries) {
      const top = entries[entries.length - 1];
      assert.equal(top.filter((e) => e.startsWith('sp/many/.wh.')).length, 200);
      assert.ok(top.includes('sp/cap-later') && top.includes('sp/dev/.wh.fifo-gone'));
    },
  },
  {
    // A 50 MB file and a mostly-zero 16 MiB one written by a non-root USER, a file of an earlier
    // layer deleted by that user, ENV/WORKDIR/USER/ENTRYPOINT/CMD in the config. The config steps
    // come before the big RUN: with vfs every step copies the whole tree.
    name: 'app',
    dockerfile: String.raw`
ARG BASE
FROM $BASE
ENV APP_MODE=prod GREETING="hello  world" EMPTY=
ENTRYPOINT ["/usr/bin/env"]
CMD ["sh", "-c", "echo $GREETING"]
RUN set -e; \
    groupadd -g 2000 app; groupadd -g 2001 extra; useradd -m -u 2000 -g app -G extra,users -s /bin/sh app; \
    mkdir -p /opt/app; echo old > /opt/app/old.log; chown -R app:app /opt/app
WORKDIR /opt/app/work
USER app
RUN set -e; \
    head -c 52428800 /dev/urandom > /opt/app/blob.bin; \
    truncate -s 16M /opt/app/sparse; printf data | dd of=/opt/app/sparse bs=1 seek=8388608 conv=notrunc status=none; \
    rm /opt/app/old.log; printf '#!/bin/sh\necho run\n' > /opt/app/run; chmod 750 /opt/app/run
`,
    spec: {
      args: ['/usr/bin/env', 'sh', '-c', 'echo $GREETING'],
      env: [DEFAULT_PATH, 'APP_MODE=prod', 'GREETING=hello  world', 'EMPTY=', 'HOME=/home/app'],
      cwd: '/opt/app/work', uid: 2000, gid: 2000, groups: [100, 2000, 2001], path: '/usr/bin/env',
    },
    check(disk) {
      const blob = disk.get('/opt/app/blob.bin')!;
      assert.deepEqual([blob.size, blob.uid, blob.gid], [52428800, 2000, 2000]);
      const sparse = Buffer.alloc(16 << 20);
      sparse.write('data', 8 << 20);
      assert.deepEqual([disk.get('/opt/app/sparse')!.size, disk.get('/opt/app/sparse')!.sha256], [16 << 20, sha(sparse)]);
      assert.equal(disk.get('/opt/app/old.log'), undefined);
      assert.deepEqual([disk.get('/opt/app/run')!.mode, disk.get('/opt/app/run')!.uid], [0o750, 2000]);
      assert.deepEqual([disk.get('/home/app')!.uid, disk.get('/opt/app/work')!.type], [2000, 'dir']);
    },
    layers(entries) {
      assert.ok(entries[entries.length - 1].includes('opt/app/.wh.old.log'));
    },
  },
];

const tagOf = (img: FidelityImage) => `d0-test/fidelity-${img.name}:1`;
const LOADED = 'd0-test/fidelity-loaded:1';

describe('oci: fidelity with docker export on real multi-layer images', function () {
  this.timeout(900_000);
  let dockerd: DockerHandle;
  let docker: Dockerode;
  let tmp: string;
  let driver: Driver;
  const built = new Map<string, BuildResult>();

  before(async () => {
    dockerd = await ensureDockerd();
    docker = dockerd.docker;
    const info = (await docker.info()) as { Driver?: string };
    if (info.Driver !== 'vfs' && info.Driver !== 'overlay2')
      throw new Error(`the engine's storage driver is ${info.Driver}: these cases know vfs and overlay2 only`);
    driver = info.Driver;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-fidelity-'));
    const base = await ensureBaseImage(docker, BASE);
    // At once: most of a vfs build is the engine copying trees, which overlaps well.
    await Promise.all(IMAGES.map(async (img) => {
      const ctx = path.join(tmp, `ctx-${img.name}`);
      fs.mkdirSync(ctx);
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), img.dockerfile);
      await run('/usr/bin/docker', ['build', '-q', '--force-rm', '--network', 'none', '--build-arg', `BASE=${base}`, '-t', tagOf(img), ctx], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 16 << 20,
      });
    }));
  });
  after(async () => {
    for (const tag of [LOADED, ...IMAGES.map(tagOf)]) await docker?.getImage(tag).remove({ force: true }).catch(() => {});
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    await dockerd?.stop();
  });

  const build = (img: FidelityImage, source: string, kind: string) =>
    buildImage({ source, out: path.join(tmp, `${img.name}-${kind}.img`), init: INIT, docker, cacheDir: path.join(tmp, `cache-${img.name}-${kind}`) });

  /**
   * Converts the engine's image and compares it with docker export; e2fsck. Returns the build and
   * both trees for the image's own checks.
   */
  async function parity(tag: string, out: string) {
    const exporting = exportTree(docker, tag);
    exporting.catch(() => {}); // awaited below; a failed build must not leave it unhandled
    const r = await buildImage({ source: `docker:${tag}`, out: path.join(tmp, `${out}.img`), init: INIT, docker, cacheDir: path.join(tmp, `cache-${out}`) });
    const exported = await exporting;
    const disk = readExt4Tree(r.image);

    const only = (a: Map<string, TreeRecord>, b: Map<string, TreeRecord>) => [...a.keys()].filter((k) => !b.has(k)).sort();
    const dockerOnly = only(exported, disk);
    assert.ok(dockerOnly.includes('/.dockerenv') && dockerOnly.every((p) => DOCKER_ADDED.includes(p)), dockerOnly.join(' '));
    // docker export has no entry for the root itself.
    assert.deepEqual(only(disk, exported).filter((p) => p !== '/'), D0_ADDED);
    let compared = 0;
    for (const [p, rec] of exported) {
      if (DOCKER_ADDED.includes(p)) continue;
      // Docker's init layer adds files to /etc in the container, which moves /etc's mtime.
      if (p === '/etc') assert.deepEqual({ ...disk.get(p), mtime: 0 }, { ...rec, mtime: 0 }, p);
      else assert.deepEqual(disk.get(p), rec, p);
      compared++;
    }
    assert.ok(compared > 5000, `compared ${compared} entries`);
    // The root has no export entry: its mode comes from the base layer's "./".
    assert.deepEqual([disk.get('/')!.mode, disk.get('/')!.uid, disk.get('/')!.gid], [0o755, 0, 0]);

    const fsck = spawnSync('e2fsck', ['-fn', r.image], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    return { r, disk, exported };
  }

  for (const img of IMAGES) {
    it(`${img.name}: the same tree as docker export, entry by entry; e2fsck clean; the config's exec spec`, async () => {
      const { r, disk, exported } = await parity(tagOf(img), `${img.name}-engine`);
      built.set(img.name, r);
      img.check(disk, exported, driver);
      assert.deepEqual(r.meta.execSpec, img.spec);
      assert.deepEqual(r.meta.warnings, []);
    });

    it(`${img.name}: byte-identical from docker save (docker-archive:) and its OCI layout (oci:)`, async () => {
      const engine = built.get(img.name) ?? (await build(img, `docker:${tagOf(img)}`, 'engine'));
      const save = path.join(tmp, `${img.name}-save.tar`);
      await run('/usr/bin/docker', ['save', '-o', save, tagOf(img)]);
      if (img.layers) img.layers(await layerEntries(save), driver);
      const archive = await build(img, `docker-archive:${save}`, 'archive');
      const layout = path.join(tmp, `${img.name}-layout`);
      await dockerSaveToOci(save, layout);
      fs.rmSync(save);
      const oci = await build(img, `oci:${layout}`, 'oci');
      fs.rmSync(layout, { recursive: true });
      const digest = (f: string) => sha(fs.readFileSync(f));
      const want = digest(engine.image);
      assert.equal(want, engine.meta.sha256);
      assert.equal(digest(archive.image), want);
      assert.equal(digest(oci.image), want);
      assert.equal(archive.meta.sha256, want);
      assert.equal(oci.meta.sha256, want);
    });
  }

  // One more layer with opaque markers next to entries of their own layer (and, on vfs, hardlink
  // headers with their own owner and mode, to a lower layer's file and to a lower layer's
  // symlink): the layers image saved, a crafted layer appended, `docker load`ed. Docker applies it
  // with its own layer code, so the export shows Docker's reading of it. overlay2 extracts a layer
  // on its own and refuses a hardlink to a lower layer's file (`link /data/h1 /data/h5: no such
  // file or directory`), so those headers meet Docker on vfs only; test/oci/layers.test.ts reads
  // them on crafted layers either way.
  it('layers + a loaded layer with opaque markers (and hardlink headers on vfs): the same tree as docker export', async () => {
    const dir = path.join(tmp, 'loaded');
    fs.mkdirSync(dir);
    await run('/usr/bin/docker', ['save', '-o', path.join(tmp, 'loaded-src.tar'), tagOf(IMAGES[0])]);
    await run('tar', ['-C', dir, '-xf', path.join(tmp, 'loaded-src.tar')]);
    fs.rmSync(path.join(tmp, 'loaded-src.tar'));
    const layer = await craftLayer([
      { name: 'x/', type: 'directory', mode: 0o750 },
      { name: 'x/d', content: 'before the marker\n' }, // same layer: the marker does not hide it
      { name: 'x/.wh..wh..opq', content: '' },
      { name: 'x/e', content: 'after the marker\n' },
      // overlay2 makes a parent the layer does not name anew, with the time of the load: named here.
      ...(driver === 'overlay2' ? [{ name: 'usr/', type: 'directory' as const }, { name: 'usr/share/', type: 'directory' as const }] : []),
      { name: 'usr/share/doc/', type: 'directory' },
      { name: 'usr/share/doc/.wh..wh..opq', content: '' },
      { name: 'usr/share/doc/README', content: 'docs removed\n' },
      ...(driver === 'vfs'
        ? [
            { name: 'data/', type: 'directory' as const },
            { name: 'data/h5', type: 'link' as const, linkname: 'data/h1', mode: 0o604, uid: 1001, gid: 1002 },
            { name: 'etc/', type: 'directory' as const },
            { name: 'etc/os-release-link', type: 'link' as const, linkname: 'etc/os-release', mode: 0o600, uid: 1001, gid: 1002 },
          ]
        : []),
    ]);
    fs.mkdirSync(path.join(dir, 'crafted'));
    fs.writeFileSync(path.join(dir, 'crafted', 'layer.tar'), layer);
    const [m] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
    const config = JSON.parse(fs.readFileSync(path.join(dir, m.Config), 'utf8'));
    config.rootfs.diff_ids.push(`sha256:${sha(layer)}`);
    config.history.push({ created: '2020-09-13T12:26:40Z', created_by: 'crafted: opaque markers, hardlink headers' });
    const configBytes = JSON.stringify(config);
    fs.writeFileSync(path.join(dir, `${sha(configBytes)}.json`), configBytes);
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `${sha(configBytes)}.json`, RepoTags: [LOADED], Layers: [...m.Layers, 'crafted/layer.tar'] }]));
    fs.rmSync(path.join(dir, 'repositories'), { force: true });
    const archive = path.join(tmp, 'loaded.tar');
    await run('tar', ['-C', dir, '-cf', archive, '.']);
    fs.rmSync(dir, { recursive: true });
    await run('/usr/bin/docker', ['load', '-q', '-i', archive]);

    const { r, disk } = await parity(LOADED, 'loaded');
    const children = (d: string) => [...disk.keys()].filter((p) => path.posix.dirname(p) === d).sort();
    assert.deepEqual(children('/x'), ['/x/d', '/x/e']);
    assert.equal(disk.get('/x')!.mode, 0o750);
    assert.deepEqual(children('/usr/share/doc'), ['/usr/share/doc/README']);
    if (driver === 'vfs') {
      // Docker gives the shared inode the link header's owner and mode.
      const h = ['/data/h1', '/data/h2', '/data/h3', '/data/h4', '/data/h5'];
      for (const p of h) assert.deepEqual([disk.get(p)!.hardlinks, disk.get(p)!.mode, disk.get(p)!.uid, disk.get(p)!.gid], [h, 0o604, 1001, 1002], p);
      // To a symlink (a lower layer's /etc/os-release) only the owner: Docker's Lchown reaches the
      // shared inode, its Chmod and Chtimes skip symlinks.
      for (const p of ['/etc/os-release', '/etc/os-release-link']) {
        const l = disk.get(p)!;
        assert.deepEqual([l.type, l.link, l.uid, l.gid, l.mode], ['symlink', '../usr/lib/os-release', 1001, 1002, 0o777], p);
        assert.notEqual(l.mtime, 1_600_000_000, p);
      }
    }
    assert.deepEqual(r.meta.execSpec, ROOT_SH);
    const fromArchive = await buildImage({ source: `docker-archive:${archive}`, out: path.join(tmp, 'loaded-archive.img'), init: INIT, cacheDir: path.join(tmp, 'cache-loaded-archive') });
    assert.equal(fromArchive.meta.sha256, r.meta.sha256);
  });
});

/** Entry names of each layer of a docker-save tar, in manifest order. */
async function layerEntries(saveTar: string): Promise<string[][]> {
  const dir = fs.mkdtempSync(path.join(path.dirname(saveTar), 'save-'));
  try {
    await run('tar', ['-C', dir, '-xf', saveTar]);
    const [m] = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const out: string[][] = [];
    for (const l of m.Layers) {
      const names: string[] = [];
      await walkTar(fs.createReadStream(path.join(dir, l)), (e) => {
        names.push(e.name.toString('latin1').replace(/^\.\//, '').replace(/\/$/, ''));
        return undefined;
      });
      out.push(names);
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
