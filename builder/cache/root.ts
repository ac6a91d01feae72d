// Where slow builds are cached, outside the clone: $D0_CACHE, else $XDG_CACHE_HOME/d0, else
// ~/.cache/d0 — the same rule as scripts/lib.sh. The one home of that rule.
import * as os from 'node:os';
import * as path from 'node:path';

export function d0CacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.D0_CACHE) return env.D0_CACHE;
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'd0');
}
