// Property tests: tar headers and pax records (round trips through the test's own encoder in
// test/support/oci-pack.ts; random bytes refused only with TarFormatError) and entry-path normalisation.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { entryPathParts, linkTargetParts, MAX_NAME_BYTES, MAX_PATH_BYTES } from '../../../core/image/entry-path';
import { ImageError } from '../../../core/image/errors';
import { applyPax, numeric, parseHeader, parsePax, paxXattrs, TarFormatError, type RawHeader } from '../../../core/image/tar-header';
import { paxRecords, putNumeric, rawEntry } from '../../support/oci-pack';
import { binary, refusedOnlyWith, RUNS } from './support';

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
