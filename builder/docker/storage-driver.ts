// Which storage driver the dockerd d0 starts uses (./dockerd.ts). overlay2 where the kernel has
// overlayfs: a build step, a container and a layer are each a mount over the layers below. vfs
// everywhere else: every build step and every container is a full copy of the tree under it.
// Measured on one machine with a 183 MB Debian base (docs/ci.md "The Docker engine"): a two-step
// build 21-31 s on vfs, 2-3 s on overlay2; `docker run` 7-10 s vs 0.4-0.5 s.
//
// Each driver keeps its own images under the one data root (`$D0_CACHE/docker/<driver>/`), so a
// switch of driver starts with no images (they are built again, once) and leaves the other's.
import fs from 'node:fs';

/** The drivers d0 starts dockerd with, and may be told to use (D0_DOCKER_STORAGE_DRIVER). */
export const STORAGE_DRIVERS = ['overlay2', 'vfs'] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

export const STORAGE_DRIVER_ENV = 'D0_DOCKER_STORAGE_DRIVER';

/** The filesystem types this kernel knows, from /proc/filesystems ("nodev\toverlay" lines too). */
export function kernelFilesystems(file = '/proc/filesystems'): Set<string> {
  try {
    return new Set(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/).at(-1) ?? '')
        .filter(Boolean),
    );
  } catch {
    return new Set();
  }
}

/**
 * The drivers to try, in order: the one D0_DOCKER_STORAGE_DRIVER names (alone), else overlay2
 * when the kernel has overlayfs, then vfs, which works everywhere. dockerd refuses to start
 * with a driver the data root's filesystem cannot carry; the caller then tries the next one.
 */
export function storageDrivers(
  env: NodeJS.ProcessEnv = process.env,
  filesystems = kernelFilesystems(),
): StorageDriver[] {
  const asked = env[STORAGE_DRIVER_ENV]?.trim();
  if (asked) {
    if (!(STORAGE_DRIVERS as readonly string[]).includes(asked))
      throw new Error(
        `${STORAGE_DRIVER_ENV}=${JSON.stringify(asked)}: not a storage driver d0 starts dockerd with (${STORAGE_DRIVERS.join(', ')})`,
      );
    return [asked as StorageDriver];
  }
  return filesystems.has('overlay') ? ['overlay2', 'vfs'] : ['vfs'];
}
