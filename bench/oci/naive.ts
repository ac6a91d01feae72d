// The baseline the converter is measured against: the pipeline one would write by hand,
//   docker export $(docker create IMAGE) | tar -x -C DIR && mke2fs -t ext4 -d DIR IMG
// with Debian's docker client and GNU tar (as root, so tar keeps owners), given its best case:
// DIR on tmpfs (/dev/shm), and neither the container's nor the tree's removal timed. mke2fs gets the same
// geometry as D0's image (4 KiB blocks, 256-byte inodes, the same file size), so both sides
// write a filesystem of the same shape; without -b, mke2fs's "small" profile would pick 1 KiB
// blocks for this size. Not reproducible and no /.d0 files: it is only a speed reference.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const DOCKER = '/usr/bin/docker';

export interface NaiveRun {
  /** create + export | tar -x + mke2fs -d, ms; the container removal afterwards is not counted. */
  ms: number;
  tree: string;
}

/** Runs the pipeline into a tree on tmpfs and `work/naive.img` (`bytes` long); leaves no container. */
export function naiveConvert(image: string, work: string, bytes: number, tmpfs = '/dev/shm'): NaiveRun {
  const tree = path.join(tmpfs, `d0-bench-naive-${process.pid}`);
  const img = path.join(work, 'naive.img');
  fs.rmSync(tree, { recursive: true, force: true });
  fs.rmSync(img, { force: true });
  fs.mkdirSync(tree, { recursive: true });
  const cidFile = path.join(work, 'cid');
  fs.rmSync(cidFile, { force: true });
  const script =
    `${DOCKER} create --cidfile "$3" "$1" >/dev/null && ${DOCKER} export "$(cat "$3")" | tar -x -C "$2" && ` +
    `truncate -s "$5" "$4" && mke2fs -q -F -t ext4 -b 4096 -I 256 -d "$2" "$4"`;
  const t0 = performance.now();
  const r = spawnSync('sh', ['-ec', script, 'naive', image, tree, cidFile, img, String(bytes)], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH}` },
  });
  const ms = performance.now() - t0;
  if (fs.existsSync(cidFile)) execFileSync(DOCKER, ['rm', '-f', fs.readFileSync(cidFile, 'utf8').trim()], { stdio: 'ignore' });
  fs.rmSync(tree, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`naive pipeline exited ${r.status}: ${r.stderr.trim()}`);
  return { ms, tree };
}
