// Property tests of the converter's pure parts: tar headers and pax records (round trips through
// the test's own encoder in test/support/oci-pack.ts; random bytes refused only with
// TarFormatError), entry-path normalisation, the merged tree (random layer sequences: only
// ImageError, whiteouts and opaque markers remove lower-layer entries only, nothing else of a
// lower layer is lost), the exec spec (encoding; image config + overrides -> spec), ext4
// extended attributes (namespaces, hash, fit and encoding), directory blocks and extent trees, and
// the ext4 layout's invariants.
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { entryPathParts, linkTargetParts, MAX_NAME_BYTES, MAX_PATH_BYTES } from '../../core/image/entry-path';
import { ImageError } from '../../core/image/errors';
import type { LayerEntry, LayerRecord, Meta } from '../../core/image/layer-entry';
import { decodeExecSpec, encodeExecSpec, ExecSpecError } from '../../core/image/exec-spec';
import { execSpecFromConfig } from '../../core/image/image-config';
import { applyLayer, emptyRoot, resolveInTree, type DirInode, type FileInode, type Inode } from '../../core/image/rootfs-tree';
import { applyPax, numeric, parseHeader, parsePax, paxXattrs, TarFormatError, type RawHeader } from '../../core/image/tar-header';
import {
  BLOCK, BLOCKS_PER_GROUP, GDT_RESERVED, IBODY_XATTR, INODES_PER_BLOCK, MAX_EXTENT_LEN, MAX_EXTENTS,
  dirBlockCount, direntSize, encodeDirBlocks, encodeExtentTree, extentLeafBlocks, extentsOf,
} from '../../core/ext4/format';
import { DATA_START, inodeTarget, planLayout } from '../../core/ext4/layout';
import { encodeIbodyXattrs, encodeXattrBlock, entryHash, fitsInBlock, fitsInInode, toDiskXattr, type XattrEntry } from '../../core/ext4/xattr';
import { paxRecords, putNumeric, rawEntry } from '../support/oci-pack';

const RUNS = { numRuns: 300 };
const binary = (min: number, max: number, exclude: number[] = []) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b.map((c) => (exclude.includes(c) ? 0x41 : c))).toString('latin1'));

/** Runs f; a TarFormatError (or ImageError when allowed) is a refusal, anything else fails the property. */
function refusedOnlyWith<T>(f: () => T, ...kinds: (typeof TarFormatError | typeof ImageError)[]): T | undefined {
  try {
    return f();
  } catch (e) {
    if (kinds.some((k) => e instanceof k)) return undefined;
    throw e;
  }
}

describe('oci properties: tar headers and pax records', () => {
  const safe = fc.oneof(fc.integer({ min: 0, max: 0o7777777 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

  it('numeric() reads back any safe value written as octal or base-256, in 8- and 12-byte fields', () => {
    fc.assert(fc.property(safe, fc.constantFrom(8, 12), (v, len) => {
      const b = Buffer.alloc(len);
      putNumeric(b, 0, len, v);
      assert.equal(numeric(b, 0, len, 'f'), v);
    }), RUNS);
  });

  it('numeric() on random bytes returns a safe whole number or throws TarFormatError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 12 }), (bytes) => {
      const v = refusedOnlyWith(() => numeric(Buffer.from(bytes), 0, bytes.length, 'f'), TarFormatError);
      if (v !== undefined) assert(Number.isSafeInteger(v) && v >= 0, String(v));
    }), RUNS);
  });

  it('parseHeader(encode(h)) == h for names, link names, ids, sizes, times and device numbers', () => {
    const flags: [string, RawHeader['type']][] = [['0', 'file'], ['7', 'file'], ['1', 'hardlink'], ['2', 'symlink'], ['3', 'char'], ['4', 'block'], ['5', 'dir'], ['6', 'fifo'], ['S', 'unsupported'], ['V', 'unsupported']];
    fc.assert(fc.property(
      fc.record({
        name: binary(1, 100, [0]), linkname: binary(0, 100, [0]), prefix: fc.option(binary(1, 155, [0]), { nil: undefined }),
        flag: fc.constantFrom(...flags), mode: fc.integer({ min: 0, max: 0o7777 }), uid: safe, gid: safe, size: safe, mtime: safe,
        devmajor: safe, devminor: safe, signed: fc.boolean(),
      }),
      (r) => {
        let block: Buffer;
        try {
          block = rawEntry({ ...r, type: r.flag[0], checksum: r.signed ? 'signed' : undefined }).subarray(0, 512);
        } catch (e) {
          fc.pre(!(e instanceof RangeError)); // a signed sum below zero has no octal form
          throw e;
        }
        const h = parseHeader(block);
        assert.equal(h.type, r.flag[1]);
        assert.equal(h.name, r.prefix === undefined ? r.name : `${r.prefix}/${r.name}`);
        assert.deepEqual(
          [h.linkname, h.mode, h.uid, h.gid, h.size, h.mtime, h.devmajor, h.devminor],
          [r.linkname, r.mode, r.uid, r.gid, r.size, r.mtime, r.devmajor, r.devminor],
        );
      },
    ), RUNS);
  });

  it('parseHeader on random blocks (with a valid checksum) returns sane fields or throws TarFormatError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 512, maxLength: 512 }), fc.boolean(), (bytes, ustar) => {
      const b = Buffer.from(bytes);
      if (ustar) b.write('ustar\x0000', 257, 'latin1');
      b.fill(0x20, 148, 156);
      const sum = b.reduce((s, c) => s + c, 0);
      b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
      const h = refusedOnlyWith(() => parseHeader(b), TarFormatError);
      if (!h) return;
      for (const v of [h.mode, h.uid, h.gid, h.size, h.mtime, h.devmajor, h.devminor]) assert(Number.isSafeInteger(v) && v >= 0);
      assert(!h.name.includes('\0') && !h.linkname.includes('\0'));
    }), RUNS);
  });

  const paxKey = binary(1, 40, [0x3d]); // any byte but '='
  const paxValue = fc.oneof(binary(0, 300), fc.constantFrom('', '=', '\n', '12 x=y\n', '\0'));

  it('parsePax(records(m)) == m, whatever bytes keys (but "=") and values hold, NUL padding after', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(paxKey, paxValue), { selector: ([k]) => k, maxLength: 8 }), fc.nat(600), (records, pad) => {
      const body = Buffer.concat([paxRecords(records), Buffer.alloc(pad)]);
      assert.deepEqual(parsePax(body), new Map(records));
    }), RUNS);
  });

  it('parsePax refuses a record with an empty key or a length that is off by any amount', () => {
    fc.assert(fc.property(paxKey, paxValue, fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0), (k, v, delta) => {
      assert.throws(() => parsePax(paxRecords([['', v]])), TarFormatError);
      const good = paxRecords([[k, v]]);
      const len = parseInt(good.toString('latin1'), 10);
      if (String(len + delta).length !== String(len).length) return; // "9" -> "10" would be right again
      const bad = Buffer.concat([Buffer.from(String(len + delta)), good.subarray(String(len).length)]);
      // A shorter length may still land on a newline inside the value; then the record must parse differently or be refused.
      const m = refusedOnlyWith(() => parsePax(bad), TarFormatError);
      if (m) assert.notDeepEqual(m, new Map([[k, v]]));
    }), RUNS);
  });

  it('parsePax never throws anything but TarFormatError (random bytes, and damaged valid records)', () => {
    const damaged = fc.tuple(fc.array(fc.tuple(paxKey, paxValue), { maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([records, flips]) => {
        const b = paxRecords(records);
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        return b;
      });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), damaged), (body) => {
      const m = refusedOnlyWith(() => parsePax(body), TarFormatError);
      if (m) for (const k of m.keys()) assert(k.length > 0 && !k.includes('='));
    }), { numRuns: 1000 });
  });

  const header = (): RawHeader => ({ type: 'file', flag: '0', name: 'n', linkname: '', mode: 0o644, uid: 1, gid: 2, size: 3, mtime: 4, devmajor: 0, devminor: 0 });

  it('applyPax: path and linkpath are taken byte for byte; whole numbers override; anything else is a TarFormatError naming the entry', () => {
    const num = fc.oneof(fc.nat().map(String), fc.constantFrom('-1', '1e3', '0x10', ' 1', '1 ', '', '9'.repeat(20), '1.5'), binary(1, 6));
    fc.assert(fc.property(binary(1, 200, [0]), binary(0, 200), num, num, num, fc.oneof(num, fc.constantFrom('-5.25', '7.', '1700000000.123456789')), (path, link, uid, gid, size, mtime) => {
      const h = header();
      const pax = new Map([['path', path], ['linkpath', link], ['uid', uid], ['gid', gid], ['size', size], ['mtime', mtime]]);
      const whole = (v: string) => /^[0-9]+$/.test(v) && Number.isSafeInteger(Number(v));
      const ok = whole(uid) && whole(gid) && whole(size) && /^-?[0-9]+(\.[0-9]*)?$/.test(mtime);
      try {
        applyPax(h, pax);
      } catch (e) {
        assert(e instanceof TarFormatError, String(e));
        assert(!ok, `refused ${JSON.stringify([uid, gid, size, mtime])}: ${e.message}`);
        assert.match(e.message, /^entry "/);
        return;
      }
      assert(ok, `accepted ${JSON.stringify([uid, gid, size, mtime])}`);
      assert.deepEqual([h.name, h.linkname, h.uid, h.gid, h.size, h.mtime], [path, link, +uid, +gid, +size, Math.floor(Number(mtime))]);
    }), RUNS);
  });

  it('paxXattrs: SCHILY.xattr values are the raw bytes; LIBARCHIVE.xattr names are percent-decoded, values base64', () => {
    fc.assert(fc.property(binary(1, 30), fc.uint8Array({ maxLength: 100 }), (name, value) => {
      const v = Buffer.from(value);
      const pct = [...Buffer.from(name, 'latin1')].map((c) => `%${c.toString(16).padStart(2, '0')}`).join('');
      const x = paxXattrs(new Map([[`SCHILY.xattr.${name}`, v.toString('latin1')], [`LIBARCHIVE.xattr.other.${pct}`, v.toString('base64')]]));
      assert.deepEqual(x.get(name), v);
      assert.deepEqual(x.get(`other.${name}`), v);
    }), RUNS);
  });
});

describe('oci properties: entry paths', () => {
  const component = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('a', 'b\xe9', 'c\n', '...', '.wh.x', ' ') },
    { weight: 2, arbitrary: fc.constantFrom('', '.') },
    { weight: 1, arbitrary: fc.constantFrom('..', 'x\0y', 'n'.repeat(256), 'm'.repeat(255), '.wh.' + 'w'.repeat(255), '.wh.' + 'v'.repeat(256)) },
    { weight: 2, arbitrary: binary(1, 12, [0x2f]) },
  );
  const name = fc.tuple(fc.boolean(), fc.array(component, { maxLength: 12 }), fc.boolean())
    .map(([abs, parts, slash]) => (abs ? '/' : '') + parts.join('/') + (slash ? '/' : ''));
  const anyName = fc.oneof(name, binary(0, 60), fc.constant('p/'.repeat(2049)));

  // A whiteout (last component ".wh." + name) hides a name of up to 255 bytes; nothing else is longer.
  const maxLen = (p: string, last: boolean) => (last && p.startsWith('.wh.') ? MAX_NAME_BYTES + 4 : MAX_NAME_BYTES);
  const check = (parts: string[], input: string, whiteoutsToo: boolean) => {
    parts.forEach((p, i) => {
      assert(p !== '' && p !== '.' && p !== '..', JSON.stringify(p));
      assert(!p.includes('/') && !p.includes('\0'), JSON.stringify(p));
      assert(p.length <= maxLen(p, whiteoutsToo && i === parts.length - 1), `${p.length} bytes`);
    });
    assert(parts.join('/').length <= input.length);
  };

  it('entryPathParts never yields "", ".", "..", "/" or NUL in a component, and refuses only with ImageError', () => {
    fc.assert(fc.property(anyName, (n) => {
      let parts: string[];
      try {
        parts = entryPathParts(n, 'layer 0');
      } catch (e) {
        assert(e instanceof ImageError, String(e));
        assert(['ENTRY_UNSAFE', 'ENTRY_INVALID'].includes(e.code));
        const comps = n.split('/').filter((c) => c !== '' && c !== '.');
        // Refused only for a reason: absolute, '..', NUL, a name or the path too long.
        const tooLong = comps.some((c, i) => c.length > maxLen(c, i === comps.length - 1));
        assert(n.startsWith('/') || comps.includes('..') || n.includes('\0') || tooLong || n.length > MAX_PATH_BYTES, JSON.stringify(n));
        return;
      }
      check(parts, n, true);
      assert.deepEqual(entryPathParts(parts.join('/'), 'again'), parts, 'normalisation is idempotent');
      assert.deepEqual(parts, n.split('/').filter((c) => c !== '' && c !== '.'));
    }), { numRuns: 1000 });
  });

  it('linkTargetParts: the same guarantees; a leading "/" means the layer root', () => {
    fc.assert(fc.property(name, (n) => {
      const parts = refusedOnlyWith(() => linkTargetParts(n, 'layer 0'), ImageError);
      if (!parts) return;
      check(parts, n, false);
      const rel = refusedOnlyWith(() => linkTargetParts(n.replace(/^\/+/, ''), 'layer 0'), ImageError);
      assert.deepEqual(rel, parts);
    }), { numRuns: 1000 });
  });
});

describe('oci properties: the merged tree (applyLayer)', () => {
  type Kind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'fifo' | 'whiteout' | 'opaque';
  const part = fc.constantFrom('a', 'b', 'c');
  const parts = fc.array(part, { minLength: 1, maxLength: 3 });
  const meta = (): Meta => ({ mode: 0o644, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
  const entry = fc.tuple(fc.constantFrom<Kind>('file', 'dir', 'dir', 'symlink', 'hardlink', 'char', 'fifo', 'whiteout', 'opaque'), fc.oneof({ weight: 9, arbitrary: parts }, { weight: 1, arbitrary: fc.constant([] as string[]) }), parts)
    .map(([kind, p, target]): LayerEntry => {
      switch (kind) {
        case 'file': return { kind, parts: p, start: 0, size: 0, ...meta() };
        case 'dir': return { kind, parts: p, ...meta() };
        case 'symlink': return { kind, parts: p, target: '/a', ...meta() };
        case 'hardlink': return { kind, parts: p, target, ...meta() };
        case 'char': return { kind, parts: p, major: 1, minor: 3, ...meta() };
        case 'fifo': return { kind, parts: p, ...meta() };
        case 'whiteout': return { kind, parts: p };
        case 'opaque': return { kind, parts: p };
      }
    })
    .filter((e) => e.parts.length > 0 || e.kind === 'dir' || e.kind === 'opaque');
  // As the layer reader guarantees: no two entries of one layer at one path (markers apart).
  const tag = (e: LayerEntry) => (e.kind === 'opaque' ? 'opq:' : e.kind === 'whiteout' ? 'wh:' : '') + e.parts.join('/');
  const layer = fc.uniqueArray(entry, { selector: tag, maxLength: 10 });

  /** Every path of the tree -> its node. */
  function paths(root: DirInode): Map<string, Inode> {
    const out = new Map<string, Inode>();
    const stack: [DirInode, string[]][] = [[root, []]];
    while (stack.length) {
      const [dir, at] = stack.pop()!;
      for (const [n, child] of dir.children) {
        assert(n !== '' && n !== '.' && n !== '..' && !n.includes('/'));
        const p = [...at, n];
        out.set(p.join('/'), child);
        if (child.kind === 'dir') stack.push([child, p]);
      }
    }
    return out;
  }
  const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((x, i) => x === b[i]);

  it('random layer sequences: only ImageError; whiteouts and opaque markers remove lower entries only; nothing else of a lower layer is lost', () => {
    fc.assert(fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), (layers) => {
      const root = emptyRoot();
      for (const [i, entries] of layers.entries()) {
        const before = paths(root);
        const rec: LayerRecord = { label: `layer ${i}`, diffId: '', storedDigest: '', entries, warnings: [] };
        try {
          applyLayer(root, rec);
        } catch (e) {
          assert(e instanceof ImageError, String(e));
          assert.match(e.message, new RegExp(`^layer ${i}: entry /`));
          return;
        }
        const after = paths(root);
        const items = entries.filter((e) => e.kind !== 'whiteout' && e.kind !== 'opaque');
        // A whiteout hides what lower layers had, and only that: what this layer adds at or under it stays.
        for (const w of entries.filter((e) => e.kind === 'whiteout'))
          if (!items.some((e) => isPrefix(w.parts, e.parts))) assert(!after.has(w.parts.join('/')), `whiteout of ${w.parts.join('/')} kept it`);
        // An opaque directory holds only what this layer put in it.
        for (const o of entries.filter((e) => e.kind === 'opaque')) {
          const d = o.parts.length ? after.get(o.parts.join('/')) : root;
          if (d?.kind !== 'dir') continue;
          for (const n of d.children.keys())
            assert(items.some((e) => isPrefix([...o.parts, n], e.parts)), `${n} survived an opaque marker on /${o.parts.join('/')}`);
        }
        // Every entry of this layer is there, unless a later entry replaced an ancestor by a non-directory.
        items.forEach((e, k) => {
          if (e.parts.length === 0) return;
          const replaced = items.slice(k + 1).some((l) => l.kind !== 'dir' && l.parts.length < e.parts.length && isPrefix(l.parts, e.parts));
          if (replaced) return;
          const node = after.get(e.parts.join('/'));
          assert(node, `entry /${e.parts.join('/')} missing`);
          if (e.kind !== 'hardlink') assert.equal(node.kind, e.kind);
          else assert.notEqual(node.kind, 'dir');
        });
        // Lower entries this layer neither hid nor replaced are the same nodes.
        for (const [p, node] of before) {
          const q = p.split('/');
          const hidden = entries.some((e) =>
            (e.kind === 'whiteout' && isPrefix(e.parts, q)) ||
            (e.kind === 'opaque' && e.parts.length < q.length && isPrefix(e.parts, q)) ||
            (e.kind !== 'whiteout' && e.kind !== 'opaque' && isPrefix(e.parts, q) && (e.kind !== 'dir' || e.parts.length === q.length)));
          if (!hidden) assert.equal(after.get(p), node, `lower entry /${p} lost or replaced`);
        }
      }
    }), { numRuns: 2000 });
  });
});

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

describe('oci properties: resolveInTree', () => {
  const m = (): Meta => ({ mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
  const name = fc.constantFrom('a', 'b', 'c');
  const target = fc.tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'c', '..', '.', ''), { maxLength: 5 })).map(([abs, p]) => (abs ? '/' : '') + p.join('/') || '.');
  const entry = fc.tuple(fc.constantFrom('dir', 'dir', 'file', 'symlink'), fc.array(name, { minLength: 1, maxLength: 3 }), target)
    .map(([kind, parts, t]): LayerEntry => (kind === 'symlink' ? { kind, parts, target: t, ...m() } : kind === 'file' ? { kind, parts, start: 0, size: 0, ...m() } : { kind: 'dir', parts, ...m() }));

  /** The walk written plainly: names from the root, a symlink's target joined to the rest, 40 links. */
  function reference(root: DirInode, absPath: string, hops = 0): Inode | undefined {
    if (hops > 40) return undefined;
    const at = (names: string[]) => names.reduce<Inode | undefined>((n, p) => (n?.kind === 'dir' ? n.children.get(p) : undefined), root);
    const parts = absPath.split('/').filter((p) => p !== '' && p !== '.');
    const names: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (at(names)?.kind !== 'dir') return undefined; // a file with components after it (ENOTDIR)
      if (parts[i] === '..') {
        names.pop();
        continue;
      }
      const node = at([...names, parts[i]]);
      if (node === undefined) return undefined;
      if (node.kind === 'symlink') {
        const base = node.target.startsWith('/') ? node.target : '/' + [...names, node.target].join('/');
        return reference(root, [base, ...parts.slice(i + 1)].join('/'), hops + 1);
      }
      names.push(parts[i]);
    }
    return at(names);
  }

  it('agrees with the plain walk on random trees of directories, files and symlinks (loops, "..", absolute targets)', () => {
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.parts.join('/'), maxLength: 12 }), fc.array(fc.constantFrom('a', 'b', 'c', '..', '.'), { maxLength: 6 }), (entries, q) => {
      const root = emptyRoot();
      try {
        applyLayer(root, { label: 'layer 0', diffId: '', storedDigest: '', warnings: [], entries });
      } catch (e) {
        if (e instanceof ImageError) return;
        throw e;
      }
      const p = '/' + q.join('/');
      assert.equal(resolveInTree(root, p), reference(root, p), p);
    }), { numRuns: 3000 });
  });
});

describe('oci properties: exec spec', () => {
  const text = fc.string({ unit: 'binary', maxLength: 30 });
  const value = text.filter((t) => !t.includes('\0'));
  const name = value.filter((t) => t !== '' && !t.includes('='));
  const spec = fc.record({
    args: fc.array(value, { minLength: 1, maxLength: 4 }).filter((a) => a[0] !== ''),
    env: fc.array(fc.tuple(name, value).map(([n, v]) => `${n}=${v}`), { maxLength: 4 }),
    cwd: value.map((v) => '/' + v),
    uid: fc.nat(), gid: fc.nat(), groups: fc.array(fc.nat(), { maxLength: 3 }),
    path: fc.option(value.filter((v) => v !== ''), { nil: undefined }),
  });

  it('encode refuses what PID1 could not honour: NUL anywhere, env without NAME=, a relative cwd', () => {
    fc.assert(fc.property(spec, fc.nat(3), value, (s, which, v) => {
      const bad = [
        { ...s, args: [...s.args, `${v}\0`] },
        { ...s, env: [...s.env, `=${v}`] },
        { ...s, cwd: v.startsWith('/') ? `x${v}` : v },
        { ...s, path: `${v}\0` },
      ][which];
      assert.throws(() => encodeExecSpec(bad), ExecSpecError);
    }), RUNS);
  });

  it('decode(utf8(encode(s))) == s, one line per value whatever the bytes (no value can add a line)', () => {
    fc.assert(fc.property(spec, (s) => {
      const encoded = encodeExecSpec(s).toString('utf8');
      const lines = encoded.split('\n');
      assert.equal(lines.length - 1, 1 + s.args.length + s.env.length + 4 + (s.path === undefined ? 0 : 1));
      for (const l of lines.slice(1, -1)) assert.match(l, /^(arg|env|cwd|uid|gid|groups|path)( |$)/);
      const back = decodeExecSpec(Buffer.from(encoded, 'utf8').toString('utf8'));
      assert.deepEqual({ ...back }, JSON.parse(JSON.stringify(s)));
    }), RUNS);
  });

  // A small image: /bin/sh, /etc/passwd and /etc/group (their text random around a valid core).
  function tree(passwd: string, group: string): { root: DirInode; read: (f: FileInode) => Buffer } {
    const files = [Buffer.alloc(0), Buffer.from(passwd), Buffer.from(group)];
    const m = (): Meta => ({ mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
    const root = emptyRoot();
    applyLayer(root, { label: 'layer 0', diffId: '', storedDigest: '', warnings: [], entries: [
      { kind: 'dir', parts: ['bin'], ...m() }, { kind: 'file', parts: ['bin', 'sh'], start: 0, size: 0, ...m() },
      { kind: 'dir', parts: ['etc'], ...m() }, { kind: 'dir', parts: ['home'], ...m() },
      { kind: 'file', parts: ['etc', 'passwd'], start: 1, size: files[1].length, ...m() },
      { kind: 'file', parts: ['etc', 'group'], start: 2, size: files[2].length, ...m() },
    ] });
    return { root, read: (f) => files[f.start] };
  }
  const dbLine = fc.oneof(
    fc.constantFrom('root:x:0:0:root:/root:/bin/sh', 'app:x:1000:1000::/home/app:/bin/sh', 'odd:x:7:zz:odd:/:/bin/sh', 'short:x:8', 'neg:x:9:-1', '# comment', ''),
    fc.array(fc.oneof(fc.constantFrom('app', 'x', '5', '', 'extra'), text), { maxLength: 7 }).map((f) => f.join(':')),
  );
  const groupLine = fc.oneof(fc.constantFrom('root:x:0:', 'app:x:1000:', 'extra:x:5:app,odd', 'bad:x:q:app', 'big:x:99999999999:app'), text);
  const list = fc.oneof(fc.constant(undefined), fc.constant(null), fc.array(fc.oneof(fc.constantFrom('/bin/sh', 'sh', '-c', 'bin/sh'), text), { maxLength: 3 }), fc.anything());
  const config = fc.record({
    Entrypoint: list, Cmd: list, Env: fc.oneof(list, fc.array(fc.constantFrom('A=b', 'PATH=/bin', 'HOME=/x', 'PATH=', '=x', 'noeq'), { maxLength: 3 })),
    WorkingDir: fc.oneof(fc.constantFrom(undefined, '', '/', '/bin', '/nope', 'rel', '/bin/sh'), text),
    User: fc.oneof(fc.constantFrom(undefined, '', 'root', 'app', 'odd', 'short', 'neg', '1000', '1000:5', 'app:extra', 'app:bad', 'nobody', '0:0', 'a:b:c', '99999999999'), text),
    Labels: fc.anything(), Volumes: fc.anything(),
  }, { requiredKeys: [] });
  const overrides = fc.record({
    args: fc.array(fc.constantFrom('/bin/sh', 'x'), { maxLength: 2 }), entrypoint: fc.array(fc.constantFrom('sh', '/bin/sh'), { minLength: 1, maxLength: 2 }),
    env: fc.array(fc.constantFrom('A=1', 'PATH=/bin', 'bad'), { maxLength: 2 }), cwd: fc.constantFrom('/', '/bin', 'rel'), user: fc.constantFrom('root', 'app', '0', 'app:extra'),
  }, { requiredKeys: [] });

  it('execSpecFromConfig: any config and overrides give a spec with whole ids and a resolved argv, or an ImageError', () => {
    fc.assert(fc.property(config, overrides, fc.array(dbLine, { maxLength: 5 }), fc.array(groupLine, { maxLength: 4 }), (c, ov, pw, gr) => {
      const { root, read } = tree(pw.join('\n') + '\n', gr.join('\n') + '\n');
      let r;
      try {
        r = execSpecFromConfig({ architecture: 'amd64', os: 'linux', config: c as Record<string, unknown> }, root, ov, 'img', read);
      } catch (e) {
        assert(e instanceof ImageError, String(e));
        assert(['FORMAT_INVALID', 'COMMAND_MISSING', 'USER_UNKNOWN', 'OVERRIDE_INVALID'].includes(e.code), e.code);
        return;
      }
      const { spec } = r;
      for (const id of [spec.uid, spec.gid, ...spec.groups]) assert(Number.isInteger(id) && id >= 0 && id <= 0xffffffff, `id ${id}`);
      assert(spec.groups.includes(spec.gid));
      const entry = ov.entrypoint ?? ((c.Entrypoint as string[] | null | undefined) ?? []);
      const cmd = ov.args ?? (ov.entrypoint ? [] : ((c.Cmd as string[] | null | undefined) ?? []));
      assert.deepEqual(spec.args, [...entry, ...cmd]);
      assert(spec.env.some((e) => e.startsWith('PATH=')), 'a PATH, the image\'s or Docker\'s default');
      assert(spec.cwd.startsWith('/'));
      assert.equal(spec.path, spec.args[0].includes('/') ? path.posix.resolve(spec.cwd, spec.args[0]) : spec.path);
      assert(spec.path === '/bin/sh' || spec.path === '/bin/sh/', spec.path);
    }), { numRuns: 1000 });
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
