// Builds the micro-VM guest kernel (bzImage) from Debian's linux-source and guest/linux's config
// fragment, cached in $D0_CACHE/guest-kernel/<key>/ where key = sha256(source package version,
// fragment bytes, recipe version). A cache hit runs no command at all.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagePath } from '../../core/package-root';
import { d0CacheRoot, makeStagingDir, publishStagingDir, withBuildLock } from '../cache/build-cache';
import { watchCompileLog } from './compile-progress';
import { droppedOptions, KconfigOption, parseKconfig } from './kconfig';
import { Runner, spawnRunner } from './run';

/** Bump when the steps below change in a way that changes the output. */
export const KERNEL_RECIPE_VERSION = 'd0-guest-kernel-1';
export const DEFAULT_KERNEL_SOURCE = '/usr/src/linux-source-6.1.tar.xz';
export const DEFAULT_FRAGMENT = packagePath('guest', 'linux', 'micro-vm.config');
/**
 * Objects (kbuild CC and AS lines) that `make bzImage` compiles for linux-source-6.1 with the
 * fragment: 1005 when measured. Only the progress percent uses it; a cached build's build.json
 * records the real count (`objects`).
 */
export const EXPECTED_KERNEL_OBJECTS = 1005;

export interface KernelBuildOptions {
  /** Defaults to d0CacheRoot(). */
  readonly cacheRoot?: string;
  readonly source?: string;
  readonly fragment?: string;
  readonly jobs?: number;
  readonly runner?: Runner;
  /** Progress lines (one per step, and a compile count every few seconds), e.g. console.error. */
  readonly log?: (line: string) => void;
  /** How often the compile count is logged during `make bzImage` (default 5000 ms). */
  readonly progressEveryMs?: number;
}

export interface KernelBuildResult {
  readonly bzImage: string;
  /** The resolved .config the image was built from. */
  readonly config: string;
  readonly key: string;
  readonly cached: boolean;
  /** Wall time of the build, or of the build that filled the cache. */
  readonly buildSeconds: number;
}

interface BuildInfo {
  key: string;
  sourcePackage: string;
  sourceVersion: string;
  recipe: string;
  buildSeconds: number;
  bzImageBytes: number;
  /** Objects compiled by `make bzImage` (absent in entries made before it was recorded). */
  objects?: number;
}

/** The Debian package owning the source tarball and its version, e.g. linux-source-6.1 6.1.192-2. */
export function sourcePackageVersion(source: string): { pkg: string; version: string } {
  let owner: string;
  try {
    owner = execFileSync('dpkg-query', ['-S', source], { encoding: 'utf8' }).split(':')[0].trim();
  } catch {
    throw new Error(`guest kernel: ${source} does not belong to an installed Debian package (install linux-source)`);
  }
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', owner], { encoding: 'utf8' }).trim();
  return { pkg: owner, version };
}

export function kernelCacheKey(sourceVersion: string, fragmentBytes: Buffer): string {
  const h = createHash('sha256');
  for (const part of [Buffer.from(KERNEL_RECIPE_VERSION), Buffer.from(sourceVersion), fragmentBytes]) {
    h.update(`${part.length}:`);
    h.update(part);
  }
  return h.digest('hex');
}

export async function buildGuestKernel(opts: KernelBuildOptions = {}): Promise<KernelBuildResult> {
  const source = opts.source ?? DEFAULT_KERNEL_SOURCE;
  const fragmentPath = opts.fragment ?? DEFAULT_FRAGMENT;
  const log = opts.log ?? (() => {});
  const fragmentBytes = fs.readFileSync(fragmentPath);
  const fragment = parseKconfig(fragmentBytes.toString('utf8'), fragmentPath);
  const { pkg, version } = sourcePackageVersion(source);
  const key = kernelCacheKey(`${pkg} ${version}`, fragmentBytes);
  const finalDir = path.join(opts.cacheRoot ?? d0CacheRoot(), 'guest-kernel', key);
  const done = () => fs.existsSync(path.join(finalDir, 'build.json'));
  if (done()) return cachedResult(finalDir, key, true);
  return withBuildLock(finalDir, async () => {
    // Another process may have filled the entry while this one waited for the lock.
    if (done()) return cachedResult(finalDir, key, true);
    const info = await runBuild({
      source, fragmentPath, fragment, pkg, version, key, finalDir,
      jobs: opts.jobs ?? 2, runner: opts.runner ?? spawnRunner, log, progressEveryMs: opts.progressEveryMs ?? 5000,
    });
    log(`guest kernel: built in ${info.buildSeconds} s, ${info.objects} objects, bzImage ${info.bzImageBytes} bytes`);
    return cachedResult(finalDir, key, false);
  });
}

function cachedResult(dir: string, key: string, cached: boolean): KernelBuildResult {
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) as BuildInfo;
  return {
    bzImage: path.join(dir, 'bzImage'),
    config: path.join(dir, 'config'),
    key,
    cached,
    buildSeconds: info.buildSeconds,
  };
}

interface BuildPlan {
  source: string;
  fragmentPath: string;
  fragment: KconfigOption[];
  pkg: string;
  version: string;
  key: string;
  finalDir: string;
  jobs: number;
  runner: Runner;
  log: (line: string) => void;
  progressEveryMs: number;
}

/** The recipe: unpack, tinyconfig + fragment, check, bzImage; then publish atomically. */
async function runBuild(p: BuildPlan): Promise<BuildInfo> {
  const started = Date.now();
  const staging = makeStagingDir(p.finalDir);
  try {
    const src = path.join(staging, 'src');
    // Outside the staging dir so it survives a failed build.
    const logFile = `${p.finalDir}.build.log`;
    fs.rmSync(logFile, { force: true });
    fs.mkdirSync(src);
    // Fixed build identity so the same inputs give the same bytes.
    const env = {
      ...process.env,
      KBUILD_BUILD_USER: 'd0',
      KBUILD_BUILD_HOST: 'd0',
      KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 1970',
      KBUILD_BUILD_VERSION: '1',
      LC_ALL: 'C',
    };
    const run = (cmd: string, args: string[]) => p.runner(cmd, args, { cwd: src, logFile, env });
    p.log(`guest kernel ${p.key.slice(0, 12)}: unpacking ${p.source}`);
    await run('tar', ['-xf', p.source, '-C', src, '--strip-components=1']);
    p.log('guest kernel: configuring (tinyconfig + fragment)');
    await run('make', ['tinyconfig']);
    await run('scripts/kconfig/merge_config.sh', ['-m', '.config', p.fragmentPath]);
    await run('make', ['olddefconfig']);
    const resolved = parseKconfig(fs.readFileSync(path.join(src, '.config'), 'utf8'), '.config');
    const dropped = droppedOptions(p.fragment, resolved);
    if (dropped.length > 0) {
      throw new Error(`guest kernel: ${p.fragmentPath}: options did not survive olddefconfig:\n  ${dropped.join('\n  ')}`);
    }
    p.log(`guest kernel: make -j${p.jobs} bzImage (about 10-20 minutes on 2 cores)`);
    const progress = watchCompileLog({
      logFile, what: 'guest kernel', expected: EXPECTED_KERNEL_OBJECTS, log: p.log, everyMs: p.progressEveryMs,
    });
    let objects: number;
    try {
      await run('make', [`-j${p.jobs}`, 'bzImage']);
    } finally {
      objects = progress.stop();
    }
    const out = path.join(staging, 'out');
    fs.mkdirSync(out);
    fs.copyFileSync(path.join(src, 'arch/x86/boot/bzImage'), path.join(out, 'bzImage'));
    fs.copyFileSync(path.join(src, '.config'), path.join(out, 'config'));
    const info: BuildInfo = {
      key: p.key,
      sourcePackage: p.pkg,
      sourceVersion: p.version,
      recipe: KERNEL_RECIPE_VERSION,
      buildSeconds: Math.round((Date.now() - started) / 1000),
      bzImageBytes: fs.statSync(path.join(out, 'bzImage')).size,
      objects,
    };
    // build.json is written last: its presence is what marks an entry complete.
    fs.writeFileSync(path.join(out, 'build.json'), JSON.stringify(info, null, 2) + '\n');
    publishStagingDir(out, p.finalDir);
    return info;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
