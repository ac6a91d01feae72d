// The benchmark's container image: FROM scratch, busybox-static, then layers of files whose names,
// sizes and bytes all come from a fixed seed (so every run converts the same tree), with deletions,
// a directory replaced by a file and files overwritten by a later layer, as real images have.
// Built with Debian's docker client (legacy builder; no registry is needed or reached).
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const DOCKER = '/usr/bin/docker';
const MiB = 2 ** 20;
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

/** mulberry32: a small seeded PRNG for names and sizes (content comes from AES-CTR below). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Incompressible bytes, a pure function of (seed, name): AES-256-CTR keystream. */
function writeSeeded(file: string, size: number, seed: number): void {
  const key = crypto.createHash('sha256').update(`d0-bench-oci:${seed}:${path.basename(file)}:${size}`).digest();
  const cipher = crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const fd = fs.openSync(file, 'w', 0o644);
  try {
    const zeros = Buffer.alloc(Math.min(size, 4 * MiB));
    for (let left = size; left > 0; left -= zeros.length) fs.writeSync(fd, cipher.update(zeros.subarray(0, Math.min(left, zeros.length))));
  } finally {
    fs.closeSync(fd);
  }
  fs.utimesSync(file, FIXED_MTIME, FIXED_MTIME);
}

interface LayerSpec {
  dir: string;
  seed: number;
  /** Large files big-NN (NN from `firstLarge`), sizes uniform in [minMiB, maxMiB]. */
  large: number;
  firstLarge: number;
  minMiB: number;
  maxMiB: number;
  /** Directories dNN, each with `perDir` small files of 512 B .. 48 KiB. */
  dirs: number;
  perDir: number;
}

function writeLayer(ctx: string, s: LayerSpec, scale: number): number {
  const rnd = prng(s.seed);
  const root = path.join(ctx, s.dir);
  fs.mkdirSync(root, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < s.large; i++) {
    const size = Math.round((s.minMiB + rnd() * (s.maxMiB - s.minMiB)) * MiB * scale);
    writeSeeded(path.join(root, `big-${String(s.firstLarge + i).padStart(2, '0')}`), size, s.seed);
    bytes += size;
  }
  for (let d = 0; d < s.dirs; d++) {
    const dir = path.join(root, `d${String(d).padStart(2, '0')}`);
    fs.mkdirSync(dir);
    for (let f = 0; f < s.perDir; f++) {
      const size = 512 + Math.floor(rnd() * 48 * 1024);
      writeSeeded(path.join(dir, `f${String(f).padStart(3, '0')}.bin`), size, s.seed + d);
      bytes += size;
    }
    fs.utimesSync(dir, FIXED_MTIME, FIXED_MTIME);
  }
  return bytes;
}

export interface BenchImage {
  tag: string;
  /** Bytes of generated file content over all layers (before deletions and overwrites). */
  layerContentBytes: number;
  layers: number;
}

// l1 and l3 land in /data, l2 in /opt/app. l3 overwrites l1's big-08..13 (10..12 were deleted
// in between) and d04..d07, and turns /data/d03 (a file by then) back into a directory.
// With scale 1: about 240 MB of layer content, about 200 MB in the flattened tree.
const LAYERS: LayerSpec[] = [
  { dir: 'l1', seed: 1, large: 14, firstLarge: 0, minMiB: 3, maxMiB: 7, dirs: 12, perDir: 40 },
  { dir: 'l2', seed: 2, large: 10, firstLarge: 0, minMiB: 3, maxMiB: 7, dirs: 10, perDir: 40 },
  { dir: 'l3', seed: 3, large: 16, firstLarge: 8, minMiB: 3, maxMiB: 7, dirs: 8, perDir: 40 },
];

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /etc && /bin/busybox --install -s"]
COPY l1/ /data/
COPY l2/ /opt/app/
RUN rm -rf /data/d00 /data/d01 /data/d02 /data/big-10 /data/big-11 /data/big-12 /opt/app/d09 && \\
    rm -rf /data/d03 && echo replaced > /data/d03 && chmod 600 /data/d04/f000.bin && \\
    ln /opt/app/big-00 /opt/app/big-00.link && ln -s ../data/big-13 /opt/app/latest
COPY l3/ /data/
ENV APP_MODE=bench
CMD ["/bin/sh", "-c", "ls /data"]
`;

/** Writes the context under `work` and builds `tag`; `scale` multiplies the large files' sizes. */
export function buildBenchImage(work: string, tag: string, scale = 1): BenchImage {
  const ctx = path.join(work, 'ctx');
  fs.mkdirSync(ctx, { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  let layerContentBytes = 0;
  for (const l of LAYERS) layerContentBytes += writeLayer(ctx, l, scale);
  execFileSync(DOCKER, ['build', '-q', '--rm', '--force-rm', '-t', tag, ctx], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  fs.rmSync(ctx, { recursive: true, force: true });
  return { tag, layerContentBytes, layers: LAYERS.length + 3 };
}

/** Removes the tag and its untagged parent layers; a tag that was never built is no error. */
export function removeBenchImage(tag: string): void {
  spawnSync(DOCKER, ['rmi', '-f', tag], { stdio: 'ignore' });
}
