// Content-addressed store of built images in $D0_CACHE/images/<key>.img (+ .json). The key covers
// everything the bytes depend on, so a hit is served without exporting or reading the image.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Bump when the recipe (the ext4 writer's layout and sizing, the exec spec format) changes. */
export const RECIPE_VERSION = 'd0-image-ext4-3';

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

export function uuidFrom(key: string, purpose: string): string {
  const b = crypto.createHash('sha256').update(`${purpose}:${key}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
