// Builds guest/init (the static PID1) with guest/init/Makefile, cached in
// $D0_CACHE/guest-init/<key>/init where key = sha256 of every source file, the Makefile and the
// musl-gcc version.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagePath } from '../../core/package-root';
import { d0CacheRoot, makeStagingDir, publishStagingDir } from '../cache/build-cache';
import { Runner, spawnRunner } from './run';

export const INIT_RECIPE_VERSION = 'd0-guest-init-1';
export const INIT_SOURCE_DIR = packagePath('guest', 'init');

export interface InitBuildOptions {
  readonly cacheRoot?: string;
  readonly sourceDir?: string;
  readonly runner?: Runner;
  readonly log?: (line: string) => void;
}

export interface InitBuildResult {
  readonly init: string;
  readonly key: string;
  readonly cached: boolean;
}

/** The files that make the init: the Makefile and every .c/.h, in name order. */
export function initSources(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f === 'Makefile' || /\.[ch]$/.test(f))
    .sort();
}

function compilerVersion(): string {
  try {
    return execFileSync('musl-gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error('guest init: musl-gcc not found (install the Debian package musl-tools)');
  }
}

export function initCacheKey(dir: string, compiler: string): string {
  const h = createHash('sha256');
  const part = (b: Buffer | string) => {
    h.update(`${Buffer.byteLength(b)}:`);
    h.update(b);
  };
  part(INIT_RECIPE_VERSION);
  part(compiler);
  for (const f of initSources(dir)) {
    part(f);
    part(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex');
}

export async function buildGuestInit(opts: InitBuildOptions = {}): Promise<InitBuildResult> {
  const dir = opts.sourceDir ?? INIT_SOURCE_DIR;
  const runner = opts.runner ?? spawnRunner;
  const key = initCacheKey(dir, compilerVersion());
  const finalDir = path.join(opts.cacheRoot ?? d0CacheRoot(), 'guest-init', key);
  const init = path.join(finalDir, 'init');
  if (fs.existsSync(init)) return { init, key, cached: true };
  const staging = makeStagingDir(finalDir);
  try {
    const out = path.join(staging, 'out');
    fs.mkdirSync(out);
    opts.log?.(`guest init ${key.slice(0, 12)}: building`);
    await runner('make', ['-s', '-C', dir, `BUILD=${out}`, `${out}/init`], {
      cwd: dir,
      logFile: path.join(staging, 'build.log'),
    }).catch((e: Error) => {
      throw new Error(`guest init: ${e.message}`);
    });
    // Only the binary is published; objects stay behind in staging.
    const pub = path.join(staging, 'pub');
    fs.mkdirSync(pub);
    fs.renameSync(path.join(out, 'init'), path.join(pub, 'init'));
    publishStagingDir(pub, finalDir);
    return { init, key, cached: false };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
