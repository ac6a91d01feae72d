// Where slow builds are cached, outside the clone: $D0_CACHE, else $XDG_CACHE_HOME/d0, else
// ~/.cache/d0 (the same rule as scripts/lib.sh).
import os from 'node:os';
import path from 'node:path';

export function d0CacheDir(): string {
  return (
    process.env.D0_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'd0')
  );
}
