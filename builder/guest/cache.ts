// Where slow guest builds are cached: $D0_CACHE, else $XDG_CACHE_HOME/d0, else ~/.cache/d0
// (the same rule as scripts/lib.sh). Entries are directories named by a hash of their inputs and
// appear atomically: built in a temporary sibling, then renamed into place.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function d0CacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.D0_CACHE) return env.D0_CACHE;
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'd0');
}

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
