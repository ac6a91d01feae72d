// Property tests: ext4 extended attributes (namespaces, hash, fit and encoding), directory blocks
// and extent trees, and the layout's invariants.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BLOCK, BLOCKS_PER_GROUP, GDT_RESERVED, IBODY_XATTR, INODES_PER_BLOCK, MAX_EXTENT_LEN, MAX_EXTENTS, dirBlockCount, direntSize, encodeDirBlocks, encodeExtentTree, extentLeafBlocks, extentsOf } from '../../../core/ext4/format';
import { DATA_START, inodeTarget, planLayout } from '../../../core/ext4/layout';
import { encodeIbodyXattrs, encodeXattrBlock, entryHash, fitsInBlock, fitsInInode, toDiskXattr, type XattrEntry } from '../../../core/ext4/xattr';
import { RUNS } from './support';

describe('oci properties: ext4 extended attributes', () => {
  const PREFIXES = [['user.', 1], ['trusted.', 4], ['security.', 6]] as const;

  it('toDiskXattr: user./trusted./security. names of at most 255 bytes in all, with no NUL, are stored by index; anything else is a reason, never a throw', () => {
    const prefix = fc.constantFrom('user.', 'trusted.', 'security.', 'system.', 'foo.', '', 'User.', 'system.posix_acl_access');
    const long = fc.integer({ min: 240, max: 260 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => b.map((c) => c || 1)));
    const rest = fc.oneof(fc.uint8Array({ maxLength: 20 }), long);
    fc.assert(fc.property(prefix, rest, fc.uint8Array({ maxLength: 50 }), (p, rest, value) => {
      const name = Buffer.concat([Buffer.from(p), Buffer.from(rest)]);
      const r = toDiskXattr(name, Buffer.from(value));
      const known = PREFIXES.find(([q]) => q === p);
      const storable = known && rest.length >= 1 && name.length <= 255 && !name.includes(0);
      if (!storable) {
        if (p !== 'system.posix_acl_access') assert.equal(typeof r, 'string');
        return;
      }
      assert.notEqual(typeof r, 'string', r as string);
      const e = r as XattrEntry;
      assert.equal(e.index, known[1]);
      assert.deepEqual(e.name, Buffer.from(rest));
      assert.deepEqual(e.value, Buffer.from(value));
    }), RUNS);
  });

  /** e2fsprogs ext2fs_ext_attr_hash_entry, written from its definition. */
  function referenceHash(name: Buffer, value: Buffer): number {
    let h = 0;
    for (const c of name) h = (((h << 5) | (h >>> 27)) ^ c) >>> 0;
    const words = Math.ceil(value.length / 4);
    for (let i = 0; i < words; i++) {
      let w = 0;
      for (let j = 3; j >= 0; j--) w = (w * 256 + (value[i * 4 + j] ?? 0)) >>> 0;
      h = (((h << 16) | (h >>> 16)) ^ w) >>> 0;
    }
    return h;
  }

  it('entryHash matches e2fsprogs\' definition', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 255 }), fc.uint8Array({ maxLength: 300 }), (name, value) => {
      assert.equal(entryHash({ index: 1, name: Buffer.from(name), value: Buffer.from(value) }), referenceHash(Buffer.from(name), Buffer.from(value)));
    }), RUNS);
  });

  const pad4 = (n: number) => (n + 3) & ~3;
  const need = (es: XattrEntry[]) => es.reduce((n, e) => n + pad4(16 + e.name.length) + pad4(e.value.length), 0) + 4;

  /** Reads entries back from an encoded area: table at `at`, value offsets relative to `base`. */
  function decode(buf: Buffer, at: number, base: number): { e: XattrEntry; hash: number; offs: number }[] {
    const out = [];
    for (let off = at; buf.readUInt32LE(off) !== 0; ) {
      const len = buf[off];
      const size = buf.readUInt32LE(off + 8);
      const offs = buf.readUInt16LE(off + 2);
      assert.equal(buf.readUInt32LE(off + 4), 0, 'no value inodes');
      out.push({ e: { index: buf[off + 1], name: buf.subarray(off + 16, off + 16 + len), value: buf.subarray(base + offs, base + offs + size) }, hash: buf.readUInt32LE(off + 12), offs: base + offs });
      off += pad4(16 + len);
      assert(off + 4 <= buf.length);
    }
    return out;
  }

  const xentry = fc.record({ index: fc.constantFrom(1, 4, 6), name: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b.map((c) => c || 1))), value: fc.uint8Array({ maxLength: 700 }).map((b) => Buffer.from(b)) });
  const xset = fc.uniqueArray(xentry, { selector: (e) => `${e.index}:${e.name.toString('hex')}`, maxLength: 12 });
  const key = (e: XattrEntry) => `${e.index}:${e.name.toString('hex')}:${e.value.toString('hex')}`;

  it('fitsInInode / fitsInBlock at their exact edges: a set filling the space fits, four bytes more does not', () => {
    fc.assert(fc.property(xset.filter((es) => es.length > 0), fc.uint8Array({ minLength: 1, maxLength: 20 }), (es, nm) => {
      const name = Buffer.from(nm.map((c) => c || 1));
      for (const [space, fits, encode] of [[BLOCK - 32, fitsInBlock, encodeXattrBlock], [IBODY_XATTR - 4, fitsInInode, encodeIbodyXattrs]] as const) {
        const base = es.filter((e) => need([e]) <= space / 4).slice(0, 2);
        const left = space - need(base) - pad4(16 + name.length);
        if (left < 0) continue;
        const last = (size: number): XattrEntry => ({ index: 7, name, value: Buffer.alloc(size, 0x5a) });
        assert.equal(fits([...base, last(left)]), true);
        assert.doesNotThrow(() => encode([...base, last(left)]));
        assert.equal(fits([...base, last(left + 1)]), false);
      }
    }), RUNS);
  });

  it('fitsInInode / fitsInBlock are exact, and what fits encodes and decodes to the same set, in Linux order, hashes set', () => {
    fc.assert(fc.property(xset, (es) => {
      assert.equal(fitsInInode(es), es.length === 0 || 4 + need(es) <= IBODY_XATTR);
      assert.equal(fitsInBlock(es), 32 + need(es) <= BLOCK);
      if (es.length && fitsInInode(es)) {
        const area = encodeIbodyXattrs(es);
        assert.equal(area.length, IBODY_XATTR);
        assert.equal(area.readUInt32LE(0), 0xea020000);
        const got = decode(area, 4, 4);
        assert.deepEqual(got.map((g) => key(g.e)).sort(), es.map(key).sort());
      }
      if (fitsInBlock(es)) {
        const blk = encodeXattrBlock(es);
        assert.equal(blk.length, BLOCK);
        assert.deepEqual([blk.readUInt32LE(0), blk.readUInt32LE(4), blk.readUInt32LE(8)], [0xea020000, 1, 1]);
        const got = decode(blk, 32, 0);
        assert.deepEqual(got.map((g) => key(g.e)).sort(), es.map(key).sort());
        const tableEnd = 32 + got.reduce((n, g) => n + pad4(16 + g.e.name.length), 0) + 4;
        for (let i = 0; i < got.length; i++) {
          const g = got[i];
          assert.equal(g.hash, referenceHash(g.e.name, g.e.value));
          if (g.e.value.length) assert(g.offs >= tableEnd && g.offs + g.e.value.length <= BLOCK, 'values after the entry table');
          if (i) {
            const p = got[i - 1].e;
            assert(p.index < g.e.index || (p.index === g.e.index && (p.name.length < g.e.name.length || (p.name.length === g.e.name.length && Buffer.compare(p.name, g.e.name) < 0))), 'sorted');
          }
        }
      }
    }), RUNS);
  });
});

describe('oci properties: ext4 directories and extents', () => {
  it('encodeDirBlocks: dirBlockCount blocks, each a rec_len chain covering 4096 bytes, entries read back in order', () => {
    const dirent = fc.record({
      ino: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      name: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.uint8Array({ minLength: 240, maxLength: 255 })).map((b) => Buffer.from(b.map((c) => (c === 0 || c === 0x2f ? 0x41 : c)))),
      type: fc.constantFrom(1, 2, 3, 4, 5, 7),
    }).map((r) => ({ ...r }));
    fc.assert(fc.property(fc.array(dirent, { maxLength: 120 }), (entries) => {
      const all = [{ ino: 2, name: Buffer.from('.'), type: 2 }, { ino: 2, name: Buffer.from('..'), type: 2 }, ...entries];
      const blocks = encodeDirBlocks(all);
      assert.equal(blocks.length, dirBlockCount(all) * BLOCK);
      const back = [];
      for (let b = 0; b < blocks.length; b += BLOCK) {
        let off = 0;
        while (off < BLOCK) {
          const rec = blocks.readUInt16LE(b + off + 4);
          const len = blocks[b + off + 6];
          assert(rec % 4 === 0 && rec >= direntSize(len) && off + rec <= BLOCK, `rec_len ${rec} at ${off}`);
          back.push({ ino: blocks.readUInt32LE(b + off), name: blocks.subarray(b + off + 8, b + off + 8 + len), type: blocks[b + off + 7] });
          off += rec;
        }
        assert.equal(off, BLOCK, 'the chain ends at the block end');
      }
      assert.deepEqual(back, all);
    }), RUNS);
  });

  it('extentsOf + encodeExtentTree: contiguous extents of at most 32,768 blocks, in the inode up to 4, else one level of leaves', () => {
    // Extent counts at the leaf edges (340 extents a leaf, four leaves), and anything up to 1,360 extents.
    const edge = fc.tuple(fc.constantFrom(4, 5, 340, 341, 680, 681, 1020, 1021, 1359, 1360), fc.integer({ min: -1, max: 0 })).map(([n, d]) => n * MAX_EXTENT_LEN + d);
    const blocksArb = fc.oneof(fc.integer({ min: 0, max: 5 * MAX_EXTENT_LEN }), edge, fc.integer({ min: 0, max: 1360 * MAX_EXTENT_LEN }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), blocksArb, (start, blocks) => {
      assert(Math.ceil(blocks / MAX_EXTENT_LEN) <= MAX_EXTENTS);
      const ex = extentsOf(start, blocks);
      assert.equal(ex.length, Math.ceil(blocks / MAX_EXTENT_LEN));
      let logical = 0;
      for (const e of ex) {
        assert(e.len >= 1 && e.len <= MAX_EXTENT_LEN);
        assert.deepEqual([e.logical, e.start], [logical, start + logical]);
        logical += e.len;
      }
      assert.equal(logical, blocks);
      const leafBlocks = Array.from({ length: extentLeafBlocks(ex.length) }, (_, i) => 1000 + i);
      const { iBlock, leaves } = encodeExtentTree(ex, leafBlocks);
      const readLeaf = (b: Buffer, n: number) => Array.from({ length: n }, (_, i) => ({
        logical: b.readUInt32LE(12 + 12 * i), len: b.readUInt16LE(16 + 12 * i), start: b.readUInt16LE(18 + 12 * i) * 2 ** 32 + b.readUInt32LE(20 + 12 * i),
      }));
      assert.equal(iBlock.readUInt16LE(0), 0xf30a);
      const n = iBlock.readUInt16LE(2);
      if (ex.length <= 4) {
        assert.equal(iBlock.readUInt16LE(6), 0, 'depth 0');
        assert.deepEqual(readLeaf(iBlock, n), ex);
        assert.equal(leaves.length, 0);
      } else {
        assert.equal(iBlock.readUInt16LE(6), 1, 'depth 1');
        assert.equal(n, leaves.length);
        assert(leaves.length <= 4);
        const got = leaves.flatMap((leaf, i) => {
          assert.equal(iBlock.readUInt32LE(16 + 12 * i), leafBlocks[i], 'index points at its leaf');
          assert.equal(leaf.readUInt16LE(0), 0xf30a);
          assert.equal(leaf.readUInt16LE(4), (BLOCK - 12) / 12 | 0, 'eh_max: whole entries a block holds');
          assert(leaf.readUInt16LE(2) <= leaf.readUInt16LE(4));
          return readLeaf(leaf, leaf.readUInt16LE(2));
        });
        assert.deepEqual(got, ex);
      }
    }), RUNS);
  });
});

describe('oci properties: ext4 layout', () => {
  it('planLayout: groups == ceil(blocks/32768), the inodes fit, the metadata sits after the data, the slack is there; or a RangeError', () => {
    const input = fc.record({
      dataEnd: fc.integer({ min: DATA_START, max: 2 ** 26 }),
      inodesUsed: fc.integer({ min: 11, max: 5_000_000 }),
      metaBlocks: fc.integer({ min: 0, max: 2 ** 20 }),
      headroomMiB: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8192 })),
    });
    fc.assert(fc.property(input, (i) => {
      let L;
      try {
        L = planLayout(i);
      } catch (e) {
        assert(e instanceof RangeError, String(e));
        assert(i.dataEnd + i.metaBlocks + i.headroomMiB * 256 > 2040 * BLOCKS_PER_GROUP * 0.85, `refused a small image: ${JSON.stringify(i)}`);
        return;
      }
      assert.equal(L.groups, Math.ceil(L.blocks / BLOCKS_PER_GROUP));
      assert(L.blocks > (L.groups - 1) * BLOCKS_PER_GROUP, 'the last group is not empty');
      assert.equal(L.blocks % 256, 0, 'whole MiB');
      assert.equal(L.gdtBlocks, Math.ceil((L.groups * 32) / BLOCK));
      assert(L.gdtBlocks <= GDT_RESERVED);
      assert.equal(L.inodesPerGroup % INODES_PER_BLOCK, 0);
      assert(L.inodesPerGroup <= BLOCKS_PER_GROUP, 'one inode bitmap block per group');
      assert(L.inodesPerGroup * L.groups >= inodeTarget(i.inodesUsed, i.headroomMiB));
      assert(inodeTarget(i.inodesUsed, i.headroomMiB) >= i.inodesUsed + 1024);
      assert.equal(L.tableBlocksPerGroup, L.inodesPerGroup / INODES_PER_BLOCK);
      assert.equal(L.blockBitmaps, i.dataEnd, 'metadata starts right after the data');
      assert.equal(L.inodeBitmaps, L.blockBitmaps + L.groups);
      assert.equal(L.inodeTables, L.inodeBitmaps + L.groups);
      assert.equal(L.metaStart, L.inodeTables + L.groups * L.tableBlocksPerGroup);
      assert(L.blocks - (L.metaStart + i.metaBlocks) >= 4096 + i.headroomMiB * 256, 'at least 16 MiB of slack plus the headroom');
      assert(L.blocks < 2 ** 32);
    }), { numRuns: 2000 });
  });
});
