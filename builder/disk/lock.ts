// One writer at a time on a target disk (an image file or a block device): a lock file created
// with O_EXCL, holding the writer's pid, its process start time and its command line, removed when
// the write ends. A second writer fails at once and names the holder. A lock whose process is gone
// (killed mid-write: the power-cut tests do exactly that) is stale and taken over; the start time
// guards against a reused pid. An image's lock sits beside it (DISK.d0-lock); a block device's in
// /run/d0/locks, named after the device's real path. An image that does not exist yet can be
// locked too (by the path it will have), so two first deployments of one disk cannot both lay it out.
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { processAlive, processStartTime } from '../process-alive';

export const DEVICE_LOCK_DIR = '/run/d0/locks';

export function lockPath(target: string): string {
  // An image not laid out yet (the provider's first deployment) is locked by the path it will have.
  const exists = fs.existsSync(target);
  const real = exists
    ? fs.realpathSync(target)
    : path.join(fs.realpathSync(path.dirname(target)), path.basename(target));
  if (exists && fs.statSync(real).isBlockDevice()) return path.join(DEVICE_LOCK_DIR, `${real.replace(/\//g, '_')}.d0-lock`);
  return `${real}.d0-lock`;
}

interface Holder {
  pid: number;
  start: string;
  since: string;
  cmd: string;
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined; // being written, or not ours: treated as held until its writer is seen gone
  }
}

const alive = (h: Holder) => processAlive(h.pid, h.start);

/** Takes the target's lock or throws DISK_LOCKED naming the holder; returns the release. */
export function lockTarget(target: string): () => void {
  const file = lockPath(target);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: Holder = { pid: process.pid, start: processStartTime(process.pid) ?? '', since: new Date().toISOString(), cmd: process.argv.slice(1).join(' ') };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx', mode: 0o644 });
      return () => {
        if (readHolder(file)?.pid === me.pid) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    if (holder && !alive(holder)) {
      fs.rmSync(file, { force: true }); // stale: its writer is gone
      continue;
    }
    throw new D0Error(
      'DISK_LOCKED',
      holder
        ? `${target}: another writer holds it (pid ${holder.pid} since ${holder.since}: ${holder.cmd}); wait for it to finish (lock ${file})`
        : `${target}: another writer is taking its lock (${file})`,
    );
  }
  throw new D0Error('DISK_LOCKED', `${target}: its lock ${file} keeps coming back`);
}
