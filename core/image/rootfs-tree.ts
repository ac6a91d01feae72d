// The flattened root filesystem as an in-memory tree, built by applying layer records in order
// (OCI image spec, "Applying Changesets"). Paths are resolved lexically and a symlink is never
// followed while applying, so no entry can place anything through a symlinked parent or outside
// the root: those entries are rejected with the layer and entry named.
import { fail } from './errors';
import { showPath } from './entry-path';
import type { LayerRecord, Meta } from './layer-entry';

export type Inode =
  | ({ kind: 'file'; start: number; size: number } & Meta)
  | ({ kind: 'dir'; children: Map<string, Inode> } & Meta)
  | ({ kind: 'symlink'; target: string } & Meta)
  | ({ kind: 'char' | 'block'; major: number; minor: number } & Meta)
  | ({ kind: 'fifo' } & Meta);
export type DirInode = Extract<Inode, { kind: 'dir' }>;
export type FileInode = Extract<Inode, { kind: 'file' }>;

export function emptyRoot(): DirInode {
  return { kind: 'dir', children: new Map(), mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() };
}

/** Parent directory of parts, creating missing ones like Docker does (0755 root:root). */
function parentDir(root: DirInode, parts: string[], where: string, create: boolean): DirInode | null {
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = dir.children.get(parts[i]);
    if (next === undefined) {
      if (!create) return null;
      const made: DirInode = { kind: 'dir', children: new Map(), mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() };
      dir.children.set(parts[i], made);
      dir = made;
    } else if (next.kind === 'dir') {
      dir = next;
    } else if (next.kind === 'symlink') {
      fail('ENTRY_UNSAFE', `${where}: parent ${showPath(parts.slice(0, i + 1))} is a symlink; writing through it is refused`);
    } else {
      fail('ENTRY_INVALID', `${where}: parent ${showPath(parts.slice(0, i + 1))} is not a directory`);
    }
  }
  return dir;
}

export function lookup(root: DirInode, parts: string[], where: string): Inode | undefined {
  if (parts.length === 0) return root;
  const dir = parentDir(root, parts, where, false);
  return dir?.children.get(parts[parts.length - 1]);
}

export function applyLayer(root: DirInode, layer: LayerRecord): void {
  const at = (parts: string[]) => `${layer.label}: entry ${showPath(parts)}`;
  // Opaque markers and whiteouts act on lower layers only, whatever their place in the tar.
  for (const e of layer.entries) {
    if (e.kind !== 'opaque') continue;
    const dir = lookup(root, e.parts, at(e.parts));
    if (dir?.kind === 'dir') dir.children.clear();
  }
  for (const e of layer.entries) {
    if (e.kind !== 'whiteout') continue;
    parentDir(root, e.parts, at(e.parts), false)?.children.delete(e.parts[e.parts.length - 1]);
  }
  for (const e of layer.entries) {
    if (e.kind === 'opaque' || e.kind === 'whiteout') continue;
    const where = at(e.parts);
    const meta: Meta = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, xattrs: e.xattrs };
    if (e.parts.length === 0) {
      Object.assign(root, meta);
      continue;
    }
    const dir = parentDir(root, e.parts, where, true)!;
    const name = e.parts[e.parts.length - 1];
    const existing = dir.children.get(name);
    switch (e.kind) {
      case 'dir':
        if (existing?.kind === 'dir') Object.assign(existing, meta);
        else dir.children.set(name, { kind: 'dir', children: new Map(), ...meta });
        break;
      case 'file':
        dir.children.set(name, { kind: 'file', start: e.start, size: e.size, ...meta });
        break;
      case 'symlink':
        dir.children.set(name, { kind: 'symlink', target: e.target, ...meta });
        break;
      case 'char':
      case 'block':
        dir.children.set(name, { kind: e.kind, major: e.major, minor: e.minor, ...meta });
        break;
      case 'fifo':
        dir.children.set(name, { kind: 'fifo', ...meta });
        break;
      case 'hardlink': {
        const target = lookup(root, e.target, `${where} (hardlink target ${showPath(e.target)})`);
        if (target === undefined)
          fail('ENTRY_INVALID', `${where}: hardlink target ${showPath(e.target)} does not exist`);
        if (target.kind === 'dir') fail('ENTRY_INVALID', `${where}: hardlink to directory ${showPath(e.target)}`);
        dir.children.set(name, target);
        // Docker applies a link header's own owner, mode, time and xattrs to the shared inode
        // (pkg/archive createTarFile: Lchown, Lsetxattr, Chmod and Chtimes on the new name). To a
        // symlink's inode only the owner: Lchown does not follow it, Chmod and Chtimes are skipped.
        if (target.kind !== 'symlink') {
          Object.assign(target, { uid: e.uid, gid: e.gid, mode: e.mode, mtime: e.mtime });
          target.xattrs = new Map([...target.xattrs, ...e.xattrs]);
        } else {
          Object.assign(target, { uid: e.uid, gid: e.gid });
        }
        break;
      }
    }
  }
}

/** Symlinks one lookup follows (Linux's MAXSYMLINKS), and path components it walks in all. */
const MAX_LINKS = 40;
const MAX_STEPS = 8192;
const linkParts = new WeakMap<Inode, string[]>();
const split = (p: string) => p.split('/').filter((c) => c !== '' && c !== '.');

/**
 * Follows symlinks inside the tree (contained: '..' stops at the root), for reading config files.
 * As the kernel walks a path: one component at a time, a symlink's target pushed as a frame (not
 * copied into the rest of the path), at most 40 symlinks; and at most 8,192 components in all, so
 * that a hostile chain costs microseconds however the config makes the builder look it up.
 */
export function resolveInTree(root: DirInode, absPath: string): Inode | undefined {
  const dirs: DirInode[] = [root];
  const frames: { parts: string[]; i: number }[] = [{ parts: split(absPath), i: 0 }];
  let links = 0;
  let steps = 0;
  while (frames.length) {
    const f = frames[frames.length - 1];
    if (f.i === f.parts.length) {
      frames.pop();
      continue;
    }
    if (++steps > MAX_STEPS) return undefined;
    const p = f.parts[f.i++];
    if (p === '..') {
      if (dirs.length > 1) dirs.pop();
      continue;
    }
    const next = dirs[dirs.length - 1].children.get(p);
    if (next === undefined) return undefined;
    if (next.kind === 'symlink') {
      if (++links > MAX_LINKS) return undefined;
      if (next.target.startsWith('/')) dirs.length = 1;
      let parts = linkParts.get(next);
      if (!parts) linkParts.set(next, (parts = split(next.target)));
      frames.push({ parts, i: 0 });
    } else if (next.kind === 'dir') {
      dirs.push(next);
    } else {
      // A file ends the walk; with components left it is not a directory (ENOTDIR).
      return frames.every((x) => x.i === x.parts.length) ? next : undefined;
    }
  }
  return dirs[dirs.length - 1];
}
