// The files of a slot tree with their sizes and digests, how two such lists differ, and a copy
// that checks the bytes it wrote against the digest the build was verified with.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sha256FileSync } from '../file-hash';
import type { SlotTree } from '../disk/slots';

export interface TreeFile {
  /** '/'-separated, relative to the slot tree's root. */
  readonly path: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

/** Every file of `tree` (sorted) with size and SHA-256; `known` gives bytes already in memory. */
export function hashTree(
  tree: SlotTree,
  known: ReadonlyMap<string, Buffer> = new Map(),
): TreeFile[] {
  return tree.paths.map((p) => {
    const bytes = known.get(p);
    if (bytes) return { path: p, size: bytes.length, sha256: sha256(bytes) };
    const file = path.join(tree.dir, p);
    return { path: p, size: fs.statSync(file).size, sha256: sha256FileSync(file) };
  });
}

export const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/** The first way `got` differs from `want`, or undefined when they list the same files. */
export function treeDifference(
  want: readonly TreeFile[],
  got: readonly TreeFile[],
): string | undefined {
  const have = new Map(got.map((f) => [f.path, f]));
  for (const w of want) {
    const g = have.get(w.path);
    if (!g) return `${w.path} is missing`;
    if (g.size !== w.size) return `${w.path} has ${g.size} bytes, the build's has ${w.size}`;
    if (g.sha256 !== w.sha256) return `${w.path} has other bytes (sha256 ${g.sha256})`;
    have.delete(w.path);
  }
  const extra = [...have.keys()];
  return extra.length > 0 ? `${extra[0]} is not a file of the build` : undefined;
}

const CHUNK = 4 << 20;

/**
 * Copies src to dst (created, never overwritten), fsyncs it and returns the SHA-256 and size of
 * the bytes written: the caller compares them with the verified ones, so a source changed after
 * it was verified is never published.
 */
export function copyAndHash(src: string, dst: string): { size: number; sha256: string } {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const inFd = fs.openSync(src, 'r');
  try {
    const outFd = fs.openSync(dst, 'wx', 0o644);
    try {
      let size = 0;
      for (let n; (n = fs.readSync(inFd, buf, 0, CHUNK, size)) > 0; size += n) {
        h.update(buf.subarray(0, n));
        for (let off = 0; off < n;) off += fs.writeSync(outFd, buf, off, n - off);
      }
      fs.fsyncSync(outFd);
      return { size, sha256: h.digest('hex') };
    } finally {
      fs.closeSync(outFd);
    }
  } finally {
    fs.closeSync(inFd);
  }
}
