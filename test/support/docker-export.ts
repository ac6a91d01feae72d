// What a `docker export` of an image's container holds besides the image, and what a D0 disk image
// holds besides it: the paths every export/disk comparison leaves out. Plus the export itself as
// tree records.
import type Dockerode from 'dockerode';
import { readTarTree, type TreeRecord } from './ext4-tree';

/**
 * Files Docker creates for every container (mount points and the files it bind-mounts; its init
 * layer replaces an image's own /etc/hostname, /etc/resolv.conf or /dev/console by empty files),
 * nothing else.
 */
export const DOCKER_ADDED = [
  '/.dockerenv', '/dev', '/dev/console', '/dev/pts', '/dev/shm', '/etc/hostname', '/etc/hosts',
  '/etc/mtab', '/etc/resolv.conf', '/proc', '/sys',
];

/** What the disk image has that the container image does not: D0's files and ext4's lost+found. */
export const D0_ADDED = ['/.d0', '/.d0/exec', '/.d0/init', '/lost+found'];

/** `docker export` of a new (never started) container of the image, read as tree records. */
export async function exportTree(docker: Dockerode, image: string): Promise<Map<string, TreeRecord>> {
  const container = await docker.createContainer({ Image: image, NetworkDisabled: true });
  try {
    return await readTarTree((await container.export()) as never);
  } finally {
    await container.remove({ force: true });
  }
}
