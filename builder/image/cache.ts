// Content-addressed store of built images in $D0_CACHE/images/<key>.img (+ .json). The key covers
// everything the bytes depend on, so a hit is served without exporting or reading the image.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bump when the recipe (the ext4 writer's layout and sizing, the exec spec format) changes. */
export const RECIPE_VERSION = 'd0-image-ext4-3';

export function d0Cache(): string {
  return process.env.D0_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'd0');
}

export interface KeyInputs {
  configDigest: string;
  initDigest: string;
  overrides: unknown;
  headroomMiB: number;
}

export function cacheKey(k: KeyInputs): string {
  const canonical = JSON.stringify([RECIPE_VERSION, k.configDigest, k.initDigest, k.overrides, k.headroomMiB]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export function entryPaths(cacheDir: string, key: string): { img: string; meta: string } {
  const dir = path.join(cacheDir, 'images');
  return { img: path.join(dir, `${key}.img`), meta: path.join(dir, `${key}.json`) };
}

/** Makes `out` the cached image: a hardlink when possible (entries are read-only), else a copy. */
export function publish(cached: string, out: string): void {
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  try {
    fs.linkSync(cached, tmp);
  } catch {
    fs.copyFileSync(cached, tmp);
  }
  fs.renameSync(tmp, out);
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * sha256 of a file with synchronous 4 MiB reads: on a loaded host every async read waits for a
 * thread-pool slot, which made hashing a 240 MB image take seconds; page-cache reads do not block.
 */
export function sha256FileSync(file: string): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

export function uuidFrom(key: string, purpose: string): string {
  const b = crypto.createHash('sha256').update(`${purpose}:${key}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
