// This package as users get it: `npm pack` of the checkout (prepack compiles dist/), and a view of
// the checkout under its package name for projects that import it the way users do.
//
// Contract: packPackage() and buildPackage() run at most once per test process (memoized), since
// both rebuild dist/ of this checkout; they reject with the command's output when it fails.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectOk, REPO_ROOT, runCommand } from './pulumi';

export const PACKAGE_NAME: string = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'),
).name;

/** tsc of the package alone takes ~15 s here; npm pack adds the file list and the gzip. */
const PACK_TIMEOUT_MS = 5 * 60_000;

/** The npm cache the checkout's `npm ci` filled: a fresh HOME would otherwise start empty. */
export function npmCacheDir(): string {
  return execFileSync('npm', ['config', 'get', 'cache'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim();
}

let packed: Promise<string> | undefined;

/** `npm pack` of this checkout into a temp dir (prepack builds dist/); the tarball's path. */
export function packPackage(env?: NodeJS.ProcessEnv): Promise<string> {
  packed ??= (async () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-pack-'));
    process.once('exit', () => fs.rmSync(dest, { recursive: true, force: true }));
    const r = expectOk(
      await runCommand('npm', ['pack', '--pack-destination', dest], {
        cwd: REPO_ROOT,
        timeoutMs: PACK_TIMEOUT_MS,
        env,
        cleanEnv: env !== undefined,
      }),
    );
    const name = r.stdout.trim().split('\n').pop() ?? '';
    const tarball = path.join(dest, name);
    if (!name.endsWith('.tgz') || !fs.existsSync(tarball))
      throw new Error(
        `npm pack printed no tarball name in ${dest}: ${JSON.stringify(r.stdout.slice(-200))}`,
      );
    return tarball;
  })();
  return packed;
}

let built: Promise<void> | undefined;

/** `npm run build`: dist/ of this checkout, what the package name resolves to (main, exports). */
export function buildPackage(): Promise<void> {
  built ??= (async () => {
    expectOk(
      await runCommand('npm', ['run', 'build'], { cwd: REPO_ROOT, timeoutMs: PACK_TIMEOUT_MS }),
    );
  })();
  return built;
}

/**
 * Makes `<projectDir>/node_modules` a folder holding a link to every entry of the checkout's
 * node_modules and `<PACKAGE_NAME>` linked to the checkout itself: the project resolves the
 * package by name to this checkout's dist/ (build it first, buildPackage) and shares one copy of
 * every dependency, @pulumi/pulumi included, with it.
 */
export function linkPackageModules(projectDir: string): void {
  const own = path.join(REPO_ROOT, 'node_modules');
  const nm = path.join(projectDir, 'node_modules');
  fs.mkdirSync(nm);
  for (const entry of fs.readdirSync(own))
    fs.symlinkSync(path.join(own, entry), path.join(nm, entry), 'dir');
  fs.symlinkSync(REPO_ROOT, path.join(nm, PACKAGE_NAME), 'dir');
}
