// Turns the in-memory rootfs into (1) a staging directory that mke2fs -d copies (file contents,
// directories, symlinks, hardlinks: all made by this process, so nothing host-specific but the
// bytes matters) and (2) a debugfs script that then sets what must come from the image and not
// from the host: mode, uid, gid, times, xattrs, device nodes and fifos. That is why the result
// is the same whoever runs the build, whatever the umask, and a non-root build works.
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../oci/errors';
import type { DirInode, Inode } from '../oci/rootfs-tree';

const BLOCK = 4096;
const TYPE_BITS: Record<Inode['kind'], number> = {
  file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000,
};

export interface Plan {
  /** debugfs commands creating special files; run before `meta` so directory times stick. */
  create: string[];
  meta: string[];
  dataBlocks: number;
  inodes: number;
  contentBytes: number;
}

/** debugfs (libss) argument quoting: double quotes, a quote inside doubled. */
export function q(s: string): string {
  return '"' + s.replace(/"/g, '""') + '"';
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function materialize(root: DirInode, stage: string, valueDir: string): Plan {
  const plan: Plan = { create: [], meta: [], dataBlocks: 0, inodes: 0, contentBytes: 0 };
  const first = new Map<Inode, { fsPath: string; host: string }>();
  const links = new Map<Inode, number>();
  let values = 0;

  const setMeta = (node: Inode, fsPath: string) => {
    const p = q(fsPath);
    plan.meta.push(
      `sif ${p} mode 0${(TYPE_BITS[node.kind] | node.mode).toString(8)}`,
      `sif ${p} uid ${node.uid}`,
      `sif ${p} gid ${node.gid}`,
    );
    for (const t of ['atime', 'mtime', 'ctime', 'crtime']) plan.meta.push(`sif ${p} ${t} @${node.mtime}`, `sif ${p} ${t}_extra 0`);
    let xattrBytes = 0;
    for (const [name, value] of [...node.xattrs].sort(([a], [b]) => byteOrder(a, b))) {
      const file = path.join(valueDir, `v${++values}`);
      fs.writeFileSync(file, value);
      plan.meta.push(`ea_set -f ${q(file)} ${p} ${q(name)}`);
      xattrBytes += name.length + value.length + 20;
    }
    if (xattrBytes > 96) plan.dataBlocks += 1; // beyond the in-inode space: one xattr block
  };

  const walk = (dir: DirInode, host: string, fsPath: string) => {
    let dirBytes = 24;
    for (const name of [...dir.children.keys()].sort(byteOrder)) {
      if (/[\n\r]/.test(name)) fail('ENTRY_INVALID', `${fsPath}: a file name with a newline cannot be written to the disk image`);
      const node = dir.children.get(name)!;
      const childFs = fsPath === '/' ? `/${name}` : `${fsPath}/${name}`;
      const childHost = path.join(host, name);
      dirBytes += 8 + ((Buffer.byteLength(name) + 3) & ~3);
      const seen = first.get(node);
      if (seen) {
        links.set(node, (links.get(node) ?? 1) + 1);
        if (node.kind === 'file') fs.linkSync(seen.host, childHost);
        else plan.create.push(`ln ${q(seen.fsPath)} ${q(childFs)}`);
        continue;
      }
      first.set(node, { fsPath: childFs, host: childHost });
      plan.inodes += 1;
      switch (node.kind) {
        case 'dir':
          fs.mkdirSync(childHost, { mode: 0o700 });
          walk(node, childHost, childFs);
          break;
        case 'file':
          fs.renameSync(node.blob, childHost);
          plan.contentBytes += node.size;
          plan.dataBlocks += Math.ceil(node.size / BLOCK) + Math.ceil(node.size / (BLOCK * 340 * 128));
          break;
        case 'symlink':
          fs.symlinkSync(node.target, childHost);
          if (Buffer.byteLength(node.target) >= 60) plan.dataBlocks += 1;
          break;
        case 'char':
        case 'block':
        case 'fifo':
          plan.create.push(
            `cd ${q(fsPath)}`,
            node.kind === 'fifo' ? `mknod ${q(name)} p` : `mknod ${q(name)} ${node.kind[0]} ${node.major} ${node.minor}`,
          );
          break;
      }
      setMeta(node, childFs);
    }
    plan.dataBlocks += Math.max(1, Math.ceil(dirBytes / BLOCK)) + (dirBytes > BLOCK ? 1 : 0);
  };

  setMeta(root, '/');
  walk(root, stage, '/');
  plan.create.push('cd "/"');
  for (const [node, count] of links) {
    if (node.kind !== 'file') plan.meta.push(`sif ${q(first.get(node)!.fsPath)} links_count ${count}`);
  }
  return plan;
}
