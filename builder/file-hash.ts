// sha256 of a file's bytes, hex, on this thread: the build path's file hasher (an image build
// takes its layers' and its image's digests on a second core instead: ./hash-thread.ts).
//
// Synchronous 4 MiB reads: on a loaded host every async read waits for a thread-pool slot, which
// made hashing a 240 MB image take seconds; page-cache reads do not block.
import crypto from 'node:crypto';
import fs from 'node:fs';

/** Hashes an open descriptor from offset 0 (positioned reads: the descriptor's offset is untouched). */
export function sha256Fd(fd: number): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) h.update(buf.subarray(0, n));
  return h.digest('hex');
}

export function sha256FileSync(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    return sha256Fd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same, as a promise, for callers on async paths. */
export async function sha256File(file: string): Promise<string> {
  return sha256FileSync(file);
}
