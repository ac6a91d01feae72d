// Where everything goes in the image, decided once every file's data is written: block 0 (boot
// sector and superblock), the group descriptors from block 1, file data from DATA_START in the
// order it arrived, then the metadata (all block bitmaps, all inode bitmaps, all inode tables,
// then each inode's directory, extent-leaf, xattr and symlink blocks in inode order), then free
// space. flex_bg lets a group's bitmaps and inode table live anywhere, which is what allows the
// data to be written before the inode count is known. Pure: no I/O.
import { BLOCK, BLOCKS_PER_GROUP, DESC_SIZE, GDT_RESERVED, INODES_PER_BLOCK } from './format';

export const DATA_START = 1 + GDT_RESERVED;
const MIB_BLOCKS = (1 << 20) / BLOCK;

export interface LayoutInput {
  /** First block after the file data. */
  dataEnd: number;
  /** Inodes in use, reserved ones (1..11) included. */
  inodesUsed: number;
  /** Directory, extent-leaf, xattr and symlink blocks. */
  metaBlocks: number;
  /** Free space on top of the 10 % / 16 MiB slack, MiB. */
  headroomMiB: number;
}

export interface Layout {
  blocks: number;
  groups: number;
  inodesPerGroup: number;
  gdtBlocks: number;
  blockBitmaps: number; // first block of the G block bitmaps
  inodeBitmaps: number;
  inodeTables: number;
  tableBlocksPerGroup: number;
  /** First block of the per-inode metadata blocks. */
  metaStart: number;
}

/** Room for what the container creates: a quarter more inodes, at least 1024, more with headroom. */
export function inodeTarget(used: number, headroomMiB: number): number {
  return used + Math.max(1024, Math.ceil(used / 4)) + headroomMiB * 16;
}

export function planLayout(i: LayoutInput): Layout {
  const inodes = inodeTarget(i.inodesUsed, i.headroomMiB);
  const used = i.dataEnd + i.metaBlocks;
  let groups = Math.max(1, Math.ceil(used / BLOCKS_PER_GROUP));
  for (;;) {
    const ipg = Math.ceil(Math.ceil(inodes / groups) / INODES_PER_BLOCK) * INODES_PER_BLOCK;
    if (ipg > BLOCKS_PER_GROUP) {
      groups = Math.ceil(inodes / BLOCKS_PER_GROUP);
      continue;
    }
    const tableBlocks = ipg / INODES_PER_BLOCK;
    const metaEnd = i.dataEnd + 2 * groups + groups * tableBlocks + i.metaBlocks;
    const slack = Math.max(Math.ceil((metaEnd - DATA_START) * 0.1), 16 * MIB_BLOCKS);
    let blocks = Math.ceil((metaEnd + slack + i.headroomMiB * MIB_BLOCKS) / MIB_BLOCKS) * MIB_BLOCKS;
    // The group count is derived from the block count: the last group must not be empty.
    blocks = Math.max(blocks, (groups - 1) * BLOCKS_PER_GROUP + MIB_BLOCKS);
    const need = Math.ceil(blocks / BLOCKS_PER_GROUP);
    if (need > groups) {
      groups = need;
      continue;
    }
    const gdtBlocks = Math.ceil((groups * DESC_SIZE) / BLOCK);
    if (gdtBlocks > GDT_RESERVED) throw new RangeError(`an image of ${blocks} blocks needs more than ${GDT_RESERVED} descriptor blocks`);
    if (blocks >= 2 ** 32) throw new RangeError(`an image of ${blocks} blocks is beyond 32-bit block numbers`);
    const blockBitmaps = i.dataEnd;
    return {
      blocks,
      groups,
      inodesPerGroup: ipg,
      gdtBlocks,
      blockBitmaps,
      inodeBitmaps: blockBitmaps + groups,
      inodeTables: blockBitmaps + 2 * groups,
      tableBlocksPerGroup: tableBlocks,
      metaStart: blockBitmaps + 2 * groups + groups * tableBlocks,
    };
  }
}
