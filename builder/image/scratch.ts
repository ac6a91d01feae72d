// Where a build unpacks layer contents and stages the tree. Creating, writing and removing a
// thousand small files on the cache's disk costs ~1.5 ms a file on a busy host (journal
// commits), against ~0.04 ms on tmpfs, so the work dir goes to a RAM-backed tmpfs when the image
// fits comfortably: its content may take at most a quarter of both the tmpfs's free space and
// the host's free memory. Past that allowance the build stops filling tmpfs (Budget.spillAt,
// ScratchFull in builder/oci/limits.ts) and starts again on disk under $D0_CACHE/tmp. The
// image file itself is always made on the cache's filesystem, so publishing it is a rename.
// D0_IMAGE_SCRATCH=DIR forces a directory (no allowance); D0_IMAGE_SCRATCH=disk forces the disk.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TMPFS_MAGIC = 0x01021994;
export const DEFAULT_TMPFS = '/dev/shm';

export interface Scratch {
  /** Parent of the work dir. */
  dir: string;
  /** Content bytes the work dir may take before the build must move to disk; undefined: no limit. */
  allowance?: number;
}

export function diskScratch(cacheDir: string): Scratch {
  return { dir: path.join(cacheDir, 'tmp') };
}

export interface ScratchOptions {
  /** The tmpfs directory to try (default /dev/shm). */
  tmpfs?: string;
  /** A lower cap on the tmpfs allowance, bytes. */
  maxBytes?: number;
}

/**
 * The scratch for a build expected to unpack about `estimate` content bytes (undefined: not
 * known before reading).
 */
export function chooseScratch(cacheDir: string, estimate: number | undefined, o: ScratchOptions = {}): Scratch {
  const tmpfs = o.tmpfs ?? DEFAULT_TMPFS;
  const forced = process.env.D0_IMAGE_SCRATCH;
  if (forced === 'disk') return diskScratch(cacheDir);
  if (forced) return { dir: forced };
  let st: fs.StatsFs;
  try {
    st = fs.statfsSync(tmpfs);
    fs.accessSync(tmpfs, fs.constants.W_OK);
  } catch {
    return diskScratch(cacheDir);
  }
  if (st.type !== TMPFS_MAGIC) return diskScratch(cacheDir);
  const allowance = Math.floor(Math.min(st.bavail * st.bsize / 4, os.freemem() / 4, o.maxBytes ?? Infinity));
  if (estimate !== undefined && estimate > allowance) return diskScratch(cacheDir);
  return { dir: tmpfs, allowance };
}
