// The builder base image, made here because no registry can be reached: a minimal Debian
// bookworm tree from debootstrap (through the Debian mirror apt already uses), with the kernel
// toolchain packages included, imported as d0-builder-base:bookworm-<hash>.
//
// The hash covers everything that decides the tree (suite, variant, mirror, packages), so a
// change makes a new tag. The tarball is cached in $D0_CACHE/builder-base/<hash>.tar, so a
// fresh engine (or a pruned image) is re-imported in seconds instead of re-bootstrapped.
// Needs root (debootstrap) the first time only.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { withBuildLock } from '../cache/build-cache';
import { d0CacheRoot } from '../cache/root';
import { followProgress, imageExists } from './engine';

const run = promisify(execFile);

export interface BaseImageSpec {
  suite: string;
  variant: string;
  mirror: string;
  /** Debian packages included in the tree (debootstrap --include). */
  include: string[];
}

/** What kernel/Dockerfile needs: clang-14, lld-14 and make (pinned versions are checked there). */
export const KERNEL_BASE: BaseImageSpec = {
  suite: 'bookworm',
  variant: 'minbase',
  mirror: 'http://deb.debian.org/debian',
  include: ['clang-14', 'lld-14', 'make'],
};

export const BASE_REPO = 'd0-builder-base';

/** Bumped when the tree made from the same spec changes. 2: the root directory is 0755, not 0700. */
const TREE_VERSION = 2;

export function baseImageHash(spec: BaseImageSpec): string {
  const key = JSON.stringify([spec.suite, spec.variant, spec.mirror, [...spec.include].sort(), TREE_VERSION]);
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function baseImageTag(spec: BaseImageSpec): string {
  return `${BASE_REPO}:${spec.suite}-${baseImageHash(spec)}`;
}

/** Creates (or reuses) the cached root tarball; returns its path. */
export async function baseTarball(
  spec: BaseImageSpec,
  log: (line: string) => void = () => {},
): Promise<string> {
  const dir = path.join(d0CacheRoot(), 'builder-base');
  const tarball = path.join(dir, `${spec.suite}-${baseImageHash(spec)}.tar`);
  if (fs.existsSync(tarball)) return tarball;
  // One debootstrap per tree: a second caller (a prebuild, a parallel test) waits, then finds it.
  return withBuildLock(tarball, async () => (fs.existsSync(tarball) ? tarball : makeTarball(spec, dir, tarball, log)));
}

async function makeTarball(spec: BaseImageSpec, dir: string, tarball: string, log: (line: string) => void): Promise<string> {
  if (process.getuid?.() !== 0)
    throw new Error(
      `building ${tarball} needs root (debootstrap); run once as root or import a registry image instead (kernel/README.md)`,
    );
  fs.mkdirSync(dir, { recursive: true });
  const root = fs.mkdtempSync(path.join(dir, 'rootfs-'));
  // mkdtemp makes it 0700, and the tar's "./" entry becomes the image's "/": with 0700 no user
  // but root could reach any path in a container of the image.
  fs.chmodSync(root, 0o755);
  try {
    log(`debootstrap --variant=${spec.variant} ${spec.suite} (${spec.include.join(', ')})`);
    await run(
      'debootstrap',
      [
        `--variant=${spec.variant}`,
        `--include=${spec.include.join(',')}`,
        spec.suite,
        root,
        spec.mirror,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    // Downloaded .debs are not part of the image.
    fs.rmSync(path.join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    fs.mkdirSync(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    const partial = `${tarball}.partial`;
    await run('tar', ['-C', root, '--numeric-owner', '-cf', partial, '.']);
    fs.renameSync(partial, tarball); // atomic: a crash never leaves a truncated cache entry
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return tarball;
}

/** Ensures the base image exists in the engine; returns its tag. */
export async function ensureBaseImage(
  docker: Dockerode,
  spec: BaseImageSpec = KERNEL_BASE,
  log: (line: string) => void = () => {},
): Promise<string> {
  const tag = baseImageTag(spec);
  if (await imageExists(docker, tag)) return tag;
  const tarball = await baseTarball(spec, log);
  log(`docker import ${tarball} ${tag}`);
  const [repo, version] = tag.split(':');
  const stream = await docker.importImage(fs.createReadStream(tarball), { repo, tag: version });
  await followProgress(docker, stream);
  if (!(await imageExists(docker, tag))) throw new Error(`docker import did not create ${tag}`);
  return tag;
}
