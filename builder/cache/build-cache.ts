// Slow builds cached under d0CacheRoot() (./root.ts). Entries are directories named by a hash of their inputs and
// appear atomically: built in a temporary sibling, then renamed into place.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { processAlive } from '../process-alive';

export { d0CacheRoot } from './root';

/** A fresh temporary directory next to `finalDir`, so the final rename stays on one file system. */
export function makeStagingDir(finalDir: string): string {
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  return fs.mkdtempSync(`${finalDir}.tmp-`);
}

/**
 * Moves a finished staging directory into place. If another build filled the same key first, its
 * entry is kept (same inputs, same result) and ours is dropped.
 */
export function publishStagingDir(staging: string, finalDir: string): void {
  try {
    fs.renameSync(staging, finalDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(finalDir)) {
      fs.rmSync(staging, { recursive: true, force: true });
      return;
    }
    throw e;
  }
}

/**
 * Holds `<finalDir>.lock` (a directory holding the owner's pid) while fn runs, so that two
 * processes asking for the same slow build do not both build: the second waits, then finds the
 * entry. A lock whose owner is dead is taken over, and staging directories it left are removed.
 */
export async function withBuildLock<T>(finalDir: string, fn: () => Promise<T>, pollMs = 2000): Promise<T> {
  const lock = `${finalDir}.lock`;
  fs.mkdirSync(path.dirname(finalDir), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created or removed right now */
      }
      if (Number.isInteger(owner) && !processAlive(owner)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    const base = path.basename(finalDir);
    for (const f of fs.readdirSync(path.dirname(finalDir))) {
      if (f.startsWith(`${base}.tmp-`)) fs.rmSync(path.join(path.dirname(finalDir), f), { recursive: true, force: true });
    }
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
