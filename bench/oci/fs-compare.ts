// ext4 (mke2fs -d, as D0 builds it) vs erofs (mkfs.erofs from erofs-utils) on one flattened tree:
// build time and image size. ext4's size is given up front (D0 adds 10 % / 16 MiB free space and
// a 4 MiB journal so the container can write); erofs is read-only and exactly as big as its
// content, so "used" (ext4 blocks in use) is the like-for-like size figure. Compressed erofs is
// lz4, not lz4hc: lz4hc took 3.5 min on this (random, incompressible) tree, for no gain.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MKE2FS_CONF } from '../../builder/image/ext4';

const ENV = { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH}`, LC_ALL: 'C', MKE2FS_CONFIG: MKE2FS_CONF };

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: ENV });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(-500)}`);
  return ms;
}

function ext4UsedBytes(img: string): number {
  const out = spawnSync('dumpe2fs', ['-h', img], { encoding: 'utf8', env: ENV }).stdout;
  const num = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(out)?.[1]);
  const used = (num('Block count') - num('Free blocks')) * num('Block size');
  if (!Number.isFinite(used)) throw new Error(`dumpe2fs -h ${img}: no block counts`);
  return used;
}

export interface FsFigures {
  ms: number[];
  fileBytes: number;
  /** Bytes of the image actually holding data and metadata (ext4: blocks in use). */
  usedBytes: number;
}

export interface FsComparison {
  treeBytes: number;
  ext4: FsFigures;
  erofs: FsFigures;
  erofsLz4: FsFigures;
}

function treeBytes(tree: string): number {
  return Number(spawnSync('du', ['-sb', tree], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

/** `ext4Bytes`: the file size D0 chose for this tree; `reps` builds of each, interleaved. */
export function compareFilesystems(tree: string, work: string, ext4Bytes: number, reps: number): FsComparison {
  const ext4Img = path.join(work, 'cmp.ext4');
  const erofsImg = path.join(work, 'cmp.erofs');
  const lz4Img = path.join(work, 'cmp-lz4.erofs');
  const r: FsComparison = {
    treeBytes: treeBytes(tree),
    ext4: { ms: [], fileBytes: 0, usedBytes: 0 },
    erofs: { ms: [], fileBytes: 0, usedBytes: 0 },
    erofsLz4: { ms: [], fileBytes: 0, usedBytes: 0 },
  };
  const fixed = ['-T', '946684800', '-U', '6f0e0d0a-0000-4000-8000-000000000000', '--quiet'];
  for (let i = 0; i < reps; i++) {
    for (const f of [ext4Img, erofsImg, lz4Img]) fs.rmSync(f, { force: true });
    fs.writeFileSync(ext4Img, '');
    fs.truncateSync(ext4Img, ext4Bytes);
    r.ext4.ms.push(timed('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-I', '256', '-m', '0', '-J', 'size=4', '-d', tree, ext4Img]));
    r.erofs.ms.push(timed('mkfs.erofs', [...fixed, erofsImg, tree]));
    r.erofsLz4.ms.push(timed('mkfs.erofs', [...fixed, '-zlz4', lz4Img, tree]));
  }
  r.ext4.fileBytes = fs.statSync(ext4Img).size;
  r.ext4.usedBytes = ext4UsedBytes(ext4Img);
  r.erofs.fileBytes = r.erofs.usedBytes = fs.statSync(erofsImg).size;
  r.erofsLz4.fileBytes = r.erofsLz4.usedBytes = fs.statSync(lz4Img).size;
  for (const f of [ext4Img, erofsImg, lz4Img]) fs.rmSync(f, { force: true });
  return r;
}
