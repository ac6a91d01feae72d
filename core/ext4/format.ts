// The ext4 on-disk structures D0's writer emits, encoded byte by byte (Linux
// Documentation/filesystems/ext4/, e2fsprogs lib/ext2fs/ext2_fs.h). Pure: no I/O.
//
// The subset: 4 KiB blocks, 256-byte inodes, 32-byte group descriptors (no 64bit), extents,
// flex_bg with every bitmap and inode table placed after the file data, sparse_super2 with no
// backup superblocks, no journal, no checksums. A container's disk is a throw-away copy (D0 gives
// each VM a write overlay), so a journal would only cost blocks.
export const BLOCK = 4096;
export const BLOCKS_PER_GROUP = 8 * BLOCK;
export const INODE_SIZE = 256;
export const INODES_PER_BLOCK = BLOCK / INODE_SIZE;
export const EXTRA_ISIZE = 32;
export const FIRST_INO = 11;
export const ROOT_INO = 2;
/** Blocks 1..GDT_RESERVED hold the group descriptors (up to 2048 groups, 256 GiB); the unused rest is free. */
export const GDT_RESERVED = 16;
export const DESC_SIZE = 32;
export const MAX_EXTENT_LEN = 32768;

const COMPAT_EXT_ATTR = 0x8;
const COMPAT_DIR_INDEX = 0x20;
const COMPAT_SPARSE_SUPER2 = 0x200;
const INCOMPAT_FILETYPE = 0x2;
const INCOMPAT_EXTENTS = 0x40;
const INCOMPAT_FLEX_BG = 0x200;
const RO_SPARSE_SUPER = 0x1;
const RO_LARGE_FILE = 0x2;
const RO_DIR_NLINK = 0x20;
const RO_EXTRA_ISIZE = 0x40;

export const EXTENTS_FL = 0x80000;
export const S_IFMT = {
  file: 0o100000, dir: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000,
} as const;
export const FILE_TYPE = { file: 1, dir: 2, char: 3, block: 4, fifo: 5, symlink: 7 } as const;

export interface SuperblockFields {
  inodesCount: number;
  blocksCount: number;
  freeBlocks: number;
  freeInodes: number;
  inodesPerGroup: number;
  uuid: Buffer; // 16 bytes
  hashSeed: Buffer; // 16 bytes
  label: string;
  time: number;
}

/** The 1024-byte superblock (it lives at byte 1024 of block 0). */
export function encodeSuperblock(f: SuperblockFields): Buffer {
  const b = Buffer.alloc(1024);
  b.writeUInt32LE(f.inodesCount, 0x0);
  b.writeUInt32LE(f.blocksCount, 0x4);
  b.writeUInt32LE(f.freeBlocks, 0xc);
  b.writeUInt32LE(f.freeInodes, 0x10);
  b.writeUInt32LE(0, 0x14); // s_first_data_block
  b.writeUInt32LE(2, 0x18); // log2(4096) - 10
  b.writeUInt32LE(2, 0x1c);
  b.writeUInt32LE(BLOCKS_PER_GROUP, 0x20);
  b.writeUInt32LE(BLOCKS_PER_GROUP, 0x24);
  b.writeUInt32LE(f.inodesPerGroup, 0x28);
  b.writeUInt32LE(f.time, 0x30); // s_wtime
  b.writeUInt16LE(0xffff, 0x36); // s_max_mnt_count: no forced checks
  b.writeUInt16LE(0xef53, 0x38);
  b.writeUInt16LE(1, 0x3a); // clean
  b.writeUInt16LE(1, 0x3c); // errors: continue
  b.writeUInt32LE(f.time, 0x40); // s_lastcheck
  b.writeUInt32LE(1, 0x4c); // dynamic revision
  b.writeUInt32LE(FIRST_INO, 0x54);
  b.writeUInt16LE(INODE_SIZE, 0x58);
  b.writeUInt32LE(COMPAT_EXT_ATTR | COMPAT_DIR_INDEX | COMPAT_SPARSE_SUPER2, 0x5c);
  b.writeUInt32LE(INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_FLEX_BG, 0x60);
  b.writeUInt32LE(RO_SPARSE_SUPER | RO_LARGE_FILE | RO_DIR_NLINK | RO_EXTRA_ISIZE, 0x64);
  f.uuid.copy(b, 0x68, 0, 16);
  Buffer.from(f.label, 'utf8').subarray(0, 16).copy(b, 0x78);
  f.hashSeed.copy(b, 0xec, 0, 16);
  b.writeUInt8(1, 0xfc); // s_def_hash_version: half_md4, for directories the guest indexes later
  b.writeUInt32LE(0x0c, 0x100); // default mount options: user_xattr, acl
  b.writeUInt32LE(f.time, 0x108); // s_mkfs_time
  b.writeUInt16LE(EXTRA_ISIZE, 0x15c);
  b.writeUInt16LE(EXTRA_ISIZE, 0x15e);
  b.writeUInt32LE(0x1, 0x160); // signed directory hash (x86 char), as mke2fs sets it here
  b.writeUInt8(4, 0x174); // s_log_groups_per_flex
  // s_backup_bgs (0x24c) stay 0, 0: with sparse_super2 no group but 0 holds a superblock.
  return b;
}

export interface GroupDesc {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
  usedDirs: number;
}

export function encodeGroupDesc(g: GroupDesc, into: Buffer, off: number): void {
  into.writeUInt32LE(g.blockBitmap, off);
  into.writeUInt32LE(g.inodeBitmap, off + 4);
  into.writeUInt32LE(g.inodeTable, off + 8);
  into.writeUInt16LE(g.freeBlocks, off + 0xc);
  into.writeUInt16LE(g.freeInodes, off + 0xe);
  into.writeUInt16LE(g.usedDirs, off + 0x10);
}

/** The last second ext4's 34-bit times reach (2446-05-10). */
export const MAX_TIME = 3 * 2 ** 32 + 2 ** 31 - 1;

/** ext4 time: low 32 bits signed seconds, the two epoch bits in the *_extra field. */
export function timeFields(seconds: number): { lo: number; extra: number } {
  seconds = Math.min(Math.max(0, seconds), MAX_TIME); // as Linux clamps a time ext4 cannot hold
  const lo = seconds | 0; // int32 view of the low 32 bits
  const epoch = Math.floor((seconds - lo) / 2 ** 32) & 3;
  return { lo: lo >>> 0, extra: epoch };
}

export interface InodeFields {
  mode: number; // type | permission bits
  uid: number;
  gid: number;
  size: number;
  time: number;
  links: number;
  /** 512-byte sectors of data, extent-tree and xattr blocks. */
  sectors: number;
  flags: number;
  iBlock: Buffer; // 60 bytes
  xattrBlock: number;
  /** Pre-encoded in-inode extended attributes (magic + entries + values), at most IBODY_XATTR bytes. */
  ibodyXattrs?: Buffer;
}

export const IBODY_XATTR_OFFSET = 128 + EXTRA_ISIZE;
export const IBODY_XATTR = INODE_SIZE - IBODY_XATTR_OFFSET;

export function encodeInode(f: InodeFields, into: Buffer, off: number): void {
  const t = timeFields(f.time);
  into.writeUInt16LE(f.mode, off);
  into.writeUInt16LE(f.uid & 0xffff, off + 0x2);
  into.writeUInt32LE(f.size % 2 ** 32, off + 0x4);
  for (const at of [0x8, 0xc, 0x10]) into.writeUInt32LE(t.lo, off + at); // atime, ctime, mtime
  into.writeUInt16LE(f.gid & 0xffff, off + 0x18);
  into.writeUInt16LE(f.links, off + 0x1a);
  into.writeUInt32LE(f.sectors % 2 ** 32, off + 0x1c);
  into.writeUInt32LE(f.flags, off + 0x20);
  f.iBlock.copy(into, off + 0x28, 0, 60);
  into.writeUInt32LE(f.xattrBlock, off + 0x68);
  into.writeUInt32LE(Math.floor(f.size / 2 ** 32), off + 0x6c);
  into.writeUInt16LE(Math.floor(f.sectors / 2 ** 32), off + 0x74);
  into.writeUInt16LE(f.uid >>> 16, off + 0x78);
  into.writeUInt16LE(f.gid >>> 16, off + 0x7a);
  into.writeUInt16LE(EXTRA_ISIZE, off + 0x80);
  for (const at of [0x84, 0x88, 0x8c, 0x94]) into.writeUInt32LE(t.extra, off + at); // c, m, a, crtime extra
  into.writeUInt32LE(t.lo, off + 0x90); // crtime
  if (f.ibodyXattrs) f.ibodyXattrs.copy(into, off + IBODY_XATTR_OFFSET);
}

export interface Extent {
  logical: number;
  start: number;
  len: number;
}

/** Splits a contiguous run of blocks into extents of at most MAX_EXTENT_LEN blocks. */
export function extentsOf(start: number, blocks: number): Extent[] {
  const out: Extent[] = [];
  for (let done = 0; done < blocks; done += MAX_EXTENT_LEN)
    out.push({ logical: done, start: start + done, len: Math.min(MAX_EXTENT_LEN, blocks - done) });
  return out;
}

function extentHeader(into: Buffer, off: number, entries: number, max: number, depth: number): void {
  into.writeUInt16LE(0xf30a, off);
  into.writeUInt16LE(entries, off + 2);
  into.writeUInt16LE(max, off + 4);
  into.writeUInt16LE(depth, off + 6);
}

function leafEntry(into: Buffer, off: number, e: Extent): void {
  into.writeUInt32LE(e.logical, off);
  into.writeUInt16LE(e.len, off + 4);
  into.writeUInt16LE(Math.floor(e.start / 2 ** 32), off + 6);
  into.writeUInt32LE(e.start % 2 ** 32, off + 8);
}

export const LEAF_CAPACITY = Math.floor((BLOCK - 12) / 12); // 340 whole 12-byte extents after the header
export const MAX_EXTENTS = 4 * LEAF_CAPACITY;

/** Leaf blocks an extent list needs outside the inode (0 when it fits in i_block). */
export function extentLeafBlocks(extents: number): number {
  return extents <= 4 ? 0 : Math.ceil(extents / LEAF_CAPACITY);
}

/**
 * i_block for an extent list, and the leaf blocks when it does not fit in the inode: depth 0 up to
 * four extents, else depth 1 with up to four leaves (1,360 extents, 170 GiB at 128 MiB each).
 */
export function encodeExtentTree(extents: Extent[], leafBlocks: number[]): { iBlock: Buffer; leaves: Buffer[] } {
  const iBlock = Buffer.alloc(60);
  if (extents.length <= 4) {
    extentHeader(iBlock, 0, extents.length, 4, 0);
    extents.forEach((e, i) => leafEntry(iBlock, 12 + 12 * i, e));
    return { iBlock, leaves: [] };
  }
  if (leafBlocks.length !== extentLeafBlocks(extents.length) || leafBlocks.length > 4)
    throw new Error(`extent tree: ${extents.length} extents need ${extentLeafBlocks(extents.length)} leaves`);
  extentHeader(iBlock, 0, leafBlocks.length, 4, 1);
  const leaves = leafBlocks.map((block, i) => {
    const chunk = extents.slice(i * LEAF_CAPACITY, (i + 1) * LEAF_CAPACITY);
    const leaf = Buffer.alloc(BLOCK);
    extentHeader(leaf, 0, chunk.length, LEAF_CAPACITY, 0);
    chunk.forEach((e, j) => leafEntry(leaf, 12 + 12 * j, e));
    const idx = 12 + 12 * i;
    iBlock.writeUInt32LE(chunk[0].logical, idx);
    iBlock.writeUInt32LE(block % 2 ** 32, idx + 4);
    iBlock.writeUInt16LE(Math.floor(block / 2 ** 32), idx + 8);
    return leaf;
  });
  return { iBlock, leaves };
}

/** i_block of a device node: the old 16-bit encoding when it fits, else the new one (as Linux writes it). */
export function deviceIBlock(major: number, minor: number): Buffer {
  const b = Buffer.alloc(60);
  if (major < 256 && minor < 256) b.writeUInt32LE((major << 8) | minor, 0);
  else b.writeUInt32LE(((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0, 4);
  return b;
}

export interface DirEntry {
  ino: number;
  name: Buffer;
  type: number;
}

export const direntSize = (nameLen: number) => (8 + nameLen + 3) & ~3;

/** Linear directory blocks: entries never cross a block; the last of each block takes the rest. */
export function encodeDirBlocks(entries: DirEntry[]): Buffer {
  const blocks: Buffer[] = [];
  let cur = Buffer.alloc(BLOCK);
  let used = 0;
  let lastOff = -1;
  const close = () => {
    if (lastOff >= 0) cur.writeUInt16LE(BLOCK - lastOff, lastOff + 4);
    blocks.push(cur);
  };
  for (const e of entries) {
    const size = direntSize(e.name.length);
    if (used + size > BLOCK) {
      close();
      cur = Buffer.alloc(BLOCK);
      used = 0;
      lastOff = -1;
    }
    cur.writeUInt32LE(e.ino, used);
    cur.writeUInt16LE(size, used + 4);
    cur.writeUInt8(e.name.length, used + 6);
    cur.writeUInt8(e.type, used + 7);
    e.name.copy(cur, used + 8);
    lastOff = used;
    used += size;
  }
  close();
  return Buffer.concat(blocks);
}

export function dirBlockCount(entries: { name: Buffer }[]): number {
  let blocks = 1;
  let used = 0;
  for (const e of entries) {
    const size = direntSize(e.name.length);
    if (used + size > BLOCK) {
      blocks++;
      used = 0;
    }
    used += size;
  }
  return blocks;
}
