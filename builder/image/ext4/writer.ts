// Writes an ext4 image in one pass over the layers: file contents go straight from the layer
// streams to their final blocks (DataArea), and once the merged tree is known, finishExt4 lays the
// metadata out after the data (layout.ts) and writes inodes, directories, bitmaps, descriptors
// and the superblock. Nothing is staged and nothing is read back; memory holds the tree's
// metadata and one group's inode table at a time. Same tree, same bytes: inode numbers follow a
// depth-first walk in byte order of names, and every time and id comes from the image.
import fs from 'node:fs';
import { showPath } from '../../../core/image/entry-path';
import { fail } from '../../../core/image/errors';
import type { DirInode, Inode } from '../../../core/image/rootfs-tree';
import {
  BLOCK, BLOCKS_PER_GROUP, DESC_SIZE, EXTENTS_FL, FILE_TYPE, FIRST_INO, INODE_SIZE, MAX_EXTENTS, ROOT_INO, S_IFMT,
  deviceIBlock, dirBlockCount, encodeDirBlocks, encodeExtentTree, encodeGroupDesc, encodeInode, encodeSuperblock,
  extentLeafBlocks, extentsOf, type DirEntry, type GroupDesc,
} from '../../../core/ext4/format';
import { DATA_START, planLayout } from '../../../core/ext4/layout';
import { encodeIbodyXattrs, encodeXattrBlock, fitsInInode, type XattrEntry } from '../../../core/ext4/xattr';

const ZEROS = Buffer.alloc(1 << 20);

/** Where file contents are written as they stream in: contiguous runs of blocks, in arrival order. */
export class DataArea {
  private next = DATA_START;
  constructor(readonly fd: number) {}

  get end(): number {
    return this.next;
  }

  /** A sink for one file of `size` bytes; its content starts at the returned block. */
  file(size: number): { start: number; write(chunk: Buffer): void; written(): number } {
    const start = this.next;
    this.next += Math.ceil(size / BLOCK);
    let pos = start * BLOCK;
    let written = 0;
    const fd = this.fd;
    return {
      start,
      write(chunk: Buffer) {
        if (written + chunk.length > size) throw new RangeError('more bytes than the entry declared');
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off, chunk.length - off, pos + off);
        pos += chunk.length;
        written += chunk.length;
      },
      written: () => written,
    };
  }

  read(start: number, size: number): Buffer {
    const b = Buffer.alloc(size);
    for (let off = 0; off < size; ) {
      const n = fs.readSync(this.fd, b, off, size - off, start * BLOCK + off);
      if (n === 0) break;
      off += n;
    }
    return b;
  }

  zero(start: number, blocks: number): void {
    for (let b = 0; b < blocks; ) {
      const n = Math.min(blocks - b, ZEROS.length / BLOCK);
      fs.writeSync(this.fd, ZEROS, 0, n * BLOCK, (start + b) * BLOCK);
      b += n;
    }
  }
}

export interface FinishOptions {
  uuid: Buffer;
  hashSeed: Buffer;
  label: string;
  /** Superblock times (the tree's own times are the image's). */
  time: number;
  headroomMiB: number;
  /** Per-inode xattrs in disk form, already checked (checkXattrs). */
  xattrs: (node: Inode) => XattrEntry[];
}

export interface Ext4Summary {
  blocks: number;
  inodes: number;
  inodesUsed: number;
  freeBlocks: number;
  deadBlocks: number;
}

/** One inode of the image as the layout needs it. */
interface Rec {
  node: Inode;
  ino: number;
  links: number;
  dirEntries?: DirEntry[];
  xattrs: XattrEntry[];
  /** Blocks this inode owns outside the data area: dir blocks, extent leaves, xattr block, symlink block. */
  metaBlocks: number;
  metaAt: number;
}

const textBytes = (s: string) => Buffer.from(s, 'latin1');
/** EXT4_LINK_MAX: Linux refuses a link past it (EMLINK), and i_links_count has 16 bits. */
const LINK_MAX = 65000;
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // latin1 keys: code units are bytes

function fileBlocks(node: Inode): number {
  return node.kind === 'file' ? Math.ceil(node.size / BLOCK) : 0;
}

/** Inode numbers by a depth-first walk (iterative: trees may be thousands of levels deep). */
function number(root: DirInode, lostFound: DirInode, opts: FinishOptions): { recs: Rec[]; parentOf: Map<Inode, Rec> } {
  const recs: Rec[] = [];
  const byNode = new Map<Inode, Rec>();
  const parentOf = new Map<Inode, Rec>();
  const add = (node: Inode, ino: number): Rec => {
    const rec: Rec = { node, ino, links: 0, xattrs: opts.xattrs(node), metaBlocks: 0, metaAt: 0 };
    recs.push(rec);
    byNode.set(node, rec);
    return rec;
  };
  const rootRec = add(root, ROOT_INO);
  add(lostFound, FIRST_INO);
  let nextIno = FIRST_INO + 1;
  const stack: [DirInode, Rec, string[]][] = [[root, rootRec, []]];
  while (stack.length) {
    const [dir, rec, parts] = stack.pop()!;
    const entries: DirEntry[] = [];
    const subdirs: [DirInode, Rec, string[]][] = [];
    for (const name of [...dir.children.keys()].sort(byteOrder)) {
      const child = dir.children.get(name)!;
      const crec = byNode.get(child) ?? add(child, nextIno++);
      if (++crec.links > LINK_MAX)
        fail('LIMIT_EXCEEDED', `${showPath([...parts, name])}: more than ${LINK_MAX} hard links to one file (ext4's limit)`);
      entries.push({ ino: crec.ino, name: textBytes(name), type: FILE_TYPE[child.kind] });
      if (child.kind === 'dir') {
        parentOf.set(child, rec);
        subdirs.push([child, crec, [...parts, name]]);
      }
    }
    rec.dirEntries = entries;
    // Pushed in reverse so that the first name's subtree is numbered next.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
  return { recs: recs.sort((a, b) => a.ino - b.ino), parentOf };
}

export function finishExt4(fd: number, data: DataArea, root: DirInode, opts: FinishOptions): Ext4Summary {
  const lostFound = root.children.get('lost+found');
  if (lostFound?.kind !== 'dir') throw new Error('finishExt4: the tree needs a /lost+found directory');
  const { recs, parentOf } = number(root, lostFound, opts);

  // Blocks each inode needs besides its data.
  for (const r of recs) {
    const n = r.node;
    if (n.kind === 'dir') {
      const all = [{ name: Buffer.from('.') }, { name: Buffer.from('..') }, ...r.dirEntries!];
      const blocks = dirBlockCount(all);
      r.metaBlocks += blocks + extentLeafBlocks(extentsOf(0, blocks).length);
    } else if (n.kind === 'file') {
      const extents = extentsOf(0, fileBlocks(n)).length;
      if (extents > MAX_EXTENTS) throw new RangeError(`a ${n.size}-byte file needs more than ${MAX_EXTENTS} extents`);
      r.metaBlocks += extentLeafBlocks(extents);
    } else if (n.kind === 'symlink' && textBytes(n.target).length >= 60) {
      r.metaBlocks += 1;
    }
    if (r.xattrs.length && !fitsInInode(r.xattrs)) r.metaBlocks += 1;
  }

  // Dead data: contents written for files a later layer replaced or removed. They are zeroed, not
  // just marked free: under Docker a container never sees a file a later layer deleted (a key
  // added and removed in the Dockerfile), and root in a micro-VM can read its whole disk.
  const live = recs.filter((r) => r.node.kind === 'file' && fileBlocks(r.node) > 0)
    .map((r) => [(r.node as { start: number }).start, fileBlocks(r.node)] as const)
    .sort((a, b) => a[0] - b[0]);
  let deadBlocks = 0;
  let cursor = DATA_START;
  for (const [start, blocks] of live) {
    if (start > cursor) {
      data.zero(cursor, start - cursor);
      deadBlocks += start - cursor;
    }
    cursor = Math.max(cursor, start + blocks);
  }
  if (data.end > cursor) {
    data.zero(cursor, data.end - cursor);
    deadBlocks += data.end - cursor;
  }

  const metaBlocks = recs.reduce((n, r) => n + r.metaBlocks, 0);
  const inodesUsed = recs[recs.length - 1].ino; // numbers are dense: 1..10 reserved, 11 lost+found, then the walk
  const L = planLayout({ dataEnd: data.end, inodesUsed, metaBlocks, headroomMiB: opts.headroomMiB });
  let at = L.metaStart;
  for (const r of recs) {
    r.metaAt = at;
    at += r.metaBlocks;
  }

  const used = new Uint8Array(Math.ceil(L.blocks / 8));
  const mark = (start: number, count: number) => {
    for (let b = start; b < start + count; b++) used[b >> 3] |= 1 << (b & 7);
  };
  mark(0, 1 + L.gdtBlocks);
  for (const [start, blocks] of live) mark(start, blocks);
  mark(L.blockBitmaps, L.metaStart - L.blockBitmaps);
  mark(L.metaStart, metaBlocks);

  const write = (buf: Buffer, block: number) => {
    for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off, block * BLOCK + off);
  };

  // Inode tables, one group at a time.
  const inodeRec = new Map<number, Rec>(recs.map((r) => [r.ino, r]));
  const usedDirs = new Array<number>(L.groups).fill(0);
  const usedInodes = new Array<number>(L.groups).fill(0);
  for (let g = 0; g < L.groups; g++) {
    const first = g * L.inodesPerGroup + 1;
    const last = Math.min(first + L.inodesPerGroup - 1, inodesUsed);
    if (last < first) continue;
    const table = Buffer.alloc((last - first + 1) * INODE_SIZE);
    for (let ino = first; ino <= last; ino++) {
      usedInodes[g]++;
      const r = inodeRec.get(ino);
      if (!r) continue; // reserved inodes stay zero
      if (r.node.kind === 'dir') usedDirs[g]++;
      encodeInode(inodeFields(r, parentOf, write), table, (ino - first) * INODE_SIZE);
    }
    write(table, L.inodeTables + g * L.tableBlocksPerGroup);
  }

  // Bitmaps and descriptors.
  let freeBlocks = 0;
  const descs = Buffer.alloc(L.gdtBlocks * BLOCK);
  for (let g = 0; g < L.groups; g++) {
    const bitmap = Buffer.alloc(BLOCK);
    let groupFree = 0;
    for (let i = 0; i < BLOCKS_PER_GROUP; i++) {
      const b = g * BLOCKS_PER_GROUP + i;
      const inUse = b >= L.blocks || (used[b >> 3] & (1 << (b & 7))) !== 0;
      if (inUse) bitmap[i >> 3] |= 1 << (i & 7);
      else groupFree++;
    }
    freeBlocks += groupFree;
    write(bitmap, L.blockBitmaps + g);
    const ibitmap = Buffer.alloc(BLOCK);
    for (let i = 0; i < BLOCK * 8; i++) if (i < usedInodes[g] || i >= L.inodesPerGroup) ibitmap[i >> 3] |= 1 << (i & 7);
    write(ibitmap, L.inodeBitmaps + g);
    const desc: GroupDesc = {
      blockBitmap: L.blockBitmaps + g,
      inodeBitmap: L.inodeBitmaps + g,
      inodeTable: L.inodeTables + g * L.tableBlocksPerGroup,
      freeBlocks: groupFree,
      freeInodes: L.inodesPerGroup - usedInodes[g],
      usedDirs: usedDirs[g],
    };
    encodeGroupDesc(desc, descs, g * DESC_SIZE);
  }
  write(descs, 1);
  const inodes = L.inodesPerGroup * L.groups;
  const sb = encodeSuperblock({
    inodesCount: inodes, blocksCount: L.blocks, freeBlocks, freeInodes: inodes - inodesUsed,
    inodesPerGroup: L.inodesPerGroup, uuid: opts.uuid, hashSeed: opts.hashSeed, label: opts.label, time: opts.time,
  });
  const block0 = Buffer.alloc(BLOCK);
  sb.copy(block0, 1024);
  write(block0, 0);
  fs.ftruncateSync(fd, L.blocks * BLOCK);
  return { blocks: L.blocks, inodes, inodesUsed, freeBlocks, deadBlocks };

  function inodeFields(r: Rec, parents: Map<Inode, Rec>, put: (b: Buffer, block: number) => void) {
    const n = r.node;
    let meta = r.metaAt;
    let sectors = 0;
    let flags = 0;
    let size = 0;
    let iBlock: Buffer = Buffer.alloc(60);
    let links = r.links;
    const extentTree = (start: number, blocks: number) => {
      const extents = extentsOf(start, blocks);
      const leafBlocks = Array.from({ length: extentLeafBlocks(extents.length) }, () => meta++);
      const tree = encodeExtentTree(extents, leafBlocks);
      tree.leaves.forEach((leaf, i) => put(leaf, leafBlocks[i]));
      flags |= EXTENTS_FL;
      sectors += (blocks + leafBlocks.length) * (BLOCK / 512);
      return tree.iBlock;
    };
    switch (n.kind) {
      case 'dir': {
        const parent = n === root ? r : parents.get(n)!;
        const all: DirEntry[] = [
          { ino: r.ino, name: Buffer.from('.'), type: FILE_TYPE.dir },
          { ino: parent.ino, name: Buffer.from('..'), type: FILE_TYPE.dir },
          ...r.dirEntries!,
        ];
        const blocks = encodeDirBlocks(all);
        const count = blocks.length / BLOCK;
        const start = meta;
        meta += count;
        put(blocks, start);
        iBlock = extentTree(start, count);
        size = blocks.length;
        const subdirs = r.dirEntries!.filter((e) => e.type === FILE_TYPE.dir).length;
        links = subdirs + 2 > LINK_MAX ? 1 : subdirs + 2; // dir_nlink: 1 means "too many to count", past 65,000 as Linux and e2fsck count
        break;
      }
      case 'file':
        size = n.size;
        iBlock = extentTree(n.start, fileBlocks(n));
        break;
      case 'symlink': {
        const target = textBytes(n.target);
        size = target.length;
        if (target.length < 60) {
          target.copy(iBlock);
        } else {
          const block = Buffer.alloc(BLOCK);
          target.copy(block);
          const start = meta++;
          put(block, start);
          iBlock = extentTree(start, 1);
        }
        break;
      }
      case 'char':
      case 'block':
        iBlock = deviceIBlock(n.major, n.minor);
        break;
      case 'fifo':
        break;
    }
    let xattrBlock = 0;
    let ibodyXattrs: Buffer | undefined;
    if (r.xattrs.length && fitsInInode(r.xattrs)) {
      ibodyXattrs = encodeIbodyXattrs(r.xattrs);
    } else if (r.xattrs.length) {
      xattrBlock = meta++;
      put(encodeXattrBlock(r.xattrs), xattrBlock);
      sectors += BLOCK / 512;
    }
    if (meta !== r.metaAt + r.metaBlocks) throw new Error(`inode ${r.ino}: ${meta - r.metaAt} metadata blocks, planned ${r.metaBlocks}`);
    return {
      mode: S_IFMT[n.kind] | n.mode, uid: n.uid, gid: n.gid, size, time: n.mtime, links, sectors, flags, iBlock,
      xattrBlock, ibodyXattrs,
    };
  }
}

