// A base image made here, since no registry can be reached: Debian's busybox-static (/bin/busybox,
// one static binary) with a link for each of its applets at the path busybox gives it, /tmp, and an
// /etc/passwd and /etc/group naming root; `docker import`ed as BUSYBOX_IMAGE. A Dockerfile `FROM`
// it builds offline in seconds (examples/hello/Dockerfile).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import { followProgress, imageExists } from './engine';

/** The tag. Bump its version when the tree below changes. */
export const BUSYBOX_IMAGE = 'd0/busybox-static:1';
export const BUSYBOX_BINARY = '/bin/busybox';

export interface TreeEntry {
  name: string;
  type: 'directory' | 'file' | 'symlink';
  mode: number;
  data?: Buffer;
  linkname?: string;
}

/** The image's tree, root-owned, time 0: the same busybox gives the same bytes. */
export function busyboxTree(binary = BUSYBOX_BINARY): TreeEntry[] {
  let data: Buffer;
  let applets: string[];
  try {
    data = fs.readFileSync(binary);
    applets = execFileSync(binary, ['--list-full'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
  } catch (e) {
    throw new Error(`${binary}: cannot read or run it (${(e as Error).message.split('\n')[0]}); install the Debian package busybox-static`);
  }
  const dirs = new Set(['bin', 'etc', 'tmp']);
  for (const a of applets) {
    for (let d = a.slice(0, Math.max(0, a.lastIndexOf('/'))); d !== ''; d = d.slice(0, Math.max(0, d.lastIndexOf('/')))) dirs.add(d);
  }
  const entries: TreeEntry[] = [...dirs].sort().map((d) => ({ name: `${d}/`, type: 'directory', mode: d === 'tmp' ? 0o1777 : 0o755 }));
  entries.push({ name: 'bin/busybox', type: 'file', mode: 0o755, data });
  entries.push({ name: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  entries.push({ name: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from('root:x:0:\n') });
  for (const a of [...applets].sort()) {
    if (a !== 'bin/busybox') entries.push({ name: a, type: 'symlink', mode: 0o777, linkname: '/bin/busybox' });
  }
  return entries;
}

function tarOf(entries: TreeEntry[]): NodeJS.ReadableStream {
  const pack = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type, mode: e.mode, uid: 0, gid: 0, mtime: new Date(0), linkname: e.linkname };
    if (e.type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}

/** Ensures BUSYBOX_IMAGE exists in the engine (imports it when missing); returns its tag. */
export async function ensureBusyboxImage(docker: Dockerode, log: (line: string) => void = () => {}): Promise<string> {
  if (await imageExists(docker, BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  log(`engine: docker import of ${BUSYBOX_BINARY} and its applets as ${BUSYBOX_IMAGE}`);
  const [repo, tag] = BUSYBOX_IMAGE.split(':');
  // dockerode's typings say string, but it sends any readable stream as the body.
  const stream = await docker.importImage(tarOf(busyboxTree()) as unknown as string, { repo, tag });
  await followProgress(docker, stream);
  if (!(await imageExists(docker, BUSYBOX_IMAGE))) throw new Error(`docker import did not create ${BUSYBOX_IMAGE}`);
  return BUSYBOX_IMAGE;
}
