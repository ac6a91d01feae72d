// Records every disk write a slot update issues, at 512-byte sector granularity, including the
// writes made by the external tools the writer runs (mtools' mren at the commit point).
//
// How: the writer runs for real, on a copy of the image, with its onStep hook (called after every
// 1 MiB chunk and at every step boundary: fsync, read-back, the rename, the file check). At each
// call the hook reads the whole image and compares it with the previous snapshot; every sector
// that differs was written during that step, by whichever process wrote it (the writer's own
// pwrite or a tool's), and is recorded with its final bytes. So nothing a tool does inside its
// own process can escape the record. What a snapshot diff cannot see, and why that is harmless
// here: a sector rewritten with the bytes it already held (replaying it changes nothing), and a
// sector written twice within one step with different bytes (only its last bytes are recorded;
// the writer's chunk steps write each sector once, and mren rewrites one directory entry).
import fs from 'node:fs';
import { writeSlot, type WriteOptions, type WriteResult } from '../../../builder/disk/writer';

export const SECTOR = 512;
const BLOCK = 64 * 1024; // compared whole first; only differing blocks are split into sectors

export interface SectorWrite {
  lba: number;
  data: Buffer;
}

/** The writes issued between two onStep calls (a "step"), in the order the steps ran. */
export interface Step {
  n: number;
  what: string;
  writes: SectorWrite[];
}

export function diffSectors(before: Buffer, after: Buffer): SectorWrite[] {
  if (before.length !== after.length)
    throw new Error(`the image changed size: ${before.length} -> ${after.length} bytes`);
  const out: SectorWrite[] = [];
  for (let b = 0; b < after.length; b += BLOCK) {
    const end = Math.min(b + BLOCK, after.length);
    if (before.subarray(b, end).equals(after.subarray(b, end))) continue;
    for (let s = b; s < end; s += SECTOR)
      if (!before.subarray(s, s + SECTOR).equals(after.subarray(s, s + SECTOR)))
        out.push({ lba: s / SECTOR, data: Buffer.from(after.subarray(s, s + SECTOR)) });
  }
  return out;
}

/**
 * Runs the writer on `copy` (which must hold the pre-update image) and returns its result and
 * every step's sector writes, steps without writes included.
 */
export async function recordWrite(
  copy: string,
  opts: Omit<WriteOptions, 'target' | 'onStep'>,
): Promise<{ result: WriteResult; steps: Step[]; before: Buffer }> {
  const before = fs.readFileSync(copy);
  let prev = before;
  const steps: Step[] = [];
  const result = await writeSlot({
    ...opts,
    target: copy,
    onStep: (n, what) => {
      const now = fs.readFileSync(copy);
      steps.push({ n, what, writes: diffSectors(prev, now) });
      prev = now;
    },
  });
  // Anything after the last step boundary (there should be nothing) is a step of its own.
  const tail = diffSectors(prev, fs.readFileSync(copy));
  if (tail.length) steps.push({ n: steps.length + 1, what: 'after_last_step', writes: tail });
  return { result, steps, before };
}
