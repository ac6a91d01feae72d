// Every limit of core/image/limits.ts, made small through `buildImage({limits})` so that the
// archives stay small: refused one past the limit with LIMIT_EXCEEDED naming the layer, the entry
// (where there is one) and the limit; accepted exactly at it.
import assert from 'node:assert/strict';
import { rawTar, type RawEntry } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';

const files = (n: number, prefix = 'f'): RawEntry[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, content: 'x' }));

describe('oci hostile: limits', function () {
  this.timeout(60_000);
  const ctx = hostileSuite();

  it('maxEntries: exactly at the limit is accepted (BASE has 2 entries)', async () => {
    const img = await ctx.h.accepted('entries-at-limit', [withBase(files(8))], { limits: { maxEntries: 10 } });
    assert.equal(img.ls(2).has('f7'), true);
  });

  it('maxEntries: one past it is refused, naming the entry', async () => {
    await ctx.h.refused('entries-over', [withBase(files(9))], {
      code: 'LIMIT_EXCEEDED', mention: /entry "f8": more than 10 entries \(maxEntries\)/, layer: 0,
    }, { limits: { maxEntries: 10 } });
  });

  it('maxEntries counts all layers together (whiteouts and directories included)', async () => {
    await ctx.h.refused('entries-over-layers', [withBase(files(5)), rawTar([{ name: '.wh.f0', content: '' }, { name: 'd/', type: '5' }, ...files(3, 'g')])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "g1": more than 10 entries/, layer: 1,
    }, { limits: { maxEntries: 10 } });
  });

  it('maxMetadataBytes: long names and xattrs that stay inside every other limit are refused by their sum', async () => {
    // 40 entries of a 200-byte name and a 3,000-byte xattr: ~130 KB of metadata against a 64 KiB bound.
    const heavy = Array.from({ length: 40 }, (_, i) => ({
      name: `${'n'.repeat(190)}${String(i).padStart(4, '0')}`, content: 'x',
      pax: [[`SCHILY.xattr.user.k${i}`, 'v'.repeat(3000)]] as [string, string][],
    }));
    await ctx.h.refused('metadata-bytes-over', [withBase(heavy)], {
      code: 'LIMIT_EXCEEDED', mention: /pass 65536 bytes of metadata \(maxMetadataBytes\)/, layer: 0,
    }, { limits: { maxMetadataBytes: 64 * 1024 } });
    const img = await ctx.h.accepted('metadata-bytes-under', [withBase(heavy.slice(0, 10))], { limits: { maxMetadataBytes: 64 * 1024 } });
    assert.equal(img.ls(2).size >= 10, true);
  });

  it('maxTotalBytes: an uncompressed layer past it is refused while it streams', async () => {
    await ctx.h.refused('total-bytes-one-layer', [withBase([{ name: 'big', content: Buffer.alloc(300_000, 1) }])], {
      code: 'LIMIT_EXCEEDED', mention: /the layers expand past 262144 bytes \(maxTotalBytes\)/, layer: 0,
    }, { limits: { maxTotalBytes: 256 * 1024 } });
  });

  it('maxTotalBytes counts every layer: the second one crosses it', async () => {
    const l = (n: string) => rawTar([{ name: n, content: Buffer.alloc(150_000, 2) }]);
    await ctx.h.refused('total-bytes-layers', [withBase([]), l('a'), l('b')], {
      code: 'LIMIT_EXCEEDED', mention: /expand past 262144 bytes/, layer: 2,
    }, { limits: { maxTotalBytes: 256 * 1024 } });
  });

  it('maxTotalBytes counts gzip layers by their uncompressed bytes', async () => {
    await ctx.h.refused('total-bytes-gzip', [withBase([{ name: 'z', content: Buffer.alloc(1 << 20) }])], {
      code: 'LIMIT_EXCEEDED', mention: /expand past 262144 bytes/, layer: 0,
    }, { gzip: true, limits: { maxTotalBytes: 256 * 1024 } });
  });

  it('maxFileBytes: one byte past it is refused by the declared size before any content', async () => {
    await ctx.h.refused('file-bytes-over', [withBase([{ name: 'f', content: Buffer.alloc(1001) }])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "f": size 1001 exceeds the 1000-byte file limit \(maxFileBytes\)/, layer: 0,
    }, { limits: { maxFileBytes: 1000 } });
  });

  it('maxFileBytes: exactly at it is accepted', async () => {
    const img = await ctx.h.accepted('file-bytes-at', [withBase([{ name: 'f', content: Buffer.alloc(1000, 7) }])], { limits: { maxFileBytes: 1000 } });
    assert.deepEqual(img.content(img.get(['f']).ino), Buffer.alloc(1000, 7));
  });

  it('maxDepth (small): at the limit accepted, past it refused, whiteout paths included', async () => {
    await ctx.h.accepted('depth-small-at', [withBase([{ name: 'a/b/c', content: 'x' }])], { limits: { maxDepth: 3 } });
    await ctx.h.refused('depth-small-over', [withBase([{ name: 'a/b/c/d', content: 'x' }])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "a\/b\/c\/d": 4 path components, more than 3 \(maxDepth\)/, layer: 0,
    }, { limits: { maxDepth: 3 } });
    await ctx.h.refused('depth-small-whiteout', [withBase([]), rawTar([{ name: 'a/b/c/.wh.d', content: '' }])], {
      code: 'LIMIT_EXCEEDED', mention: /4 path components, more than 3 \(maxDepth\)/, layer: 1,
    }, { limits: { maxDepth: 3 } });
  });

  it('maxXattrValueBytes (small): at the limit accepted, one past refused', async () => {
    const img = await ctx.h.accepted('xattr-value-at', [withBase([{ name: 'f', content: 'x', pax: [['SCHILY.xattr.user.v', 'x'.repeat(10)]] }])], { limits: { maxXattrValueBytes: 10 } });
    assert.equal(img.xattrs(img.get(['f']).ino).get('user.v')!.toString(), 'x'.repeat(10));
    await ctx.h.refused('xattr-value-over', [withBase([{ name: 'f', content: 'x', pax: [['SCHILY.xattr.user.v', 'x'.repeat(11)]] }])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "f": extended attribute "user\.v" has 11 bytes, more than 10 \(maxXattrValueBytes\)/, layer: 0,
    }, { limits: { maxXattrValueBytes: 10 } });
  });

  describe('work the config can ask for', () => {
    // A symlink whose target is itself 2,047 times: each lookup through it walks 40 links.
    const chain = () => withBase([{ name: 's', type: '2', linkname: Array(2047).fill('s').join('/') }]);

    it('a PATH of 1,000 entries through a 2,047-link symlink chain is searched in seconds', async function () {
      this.timeout(30_000);
      const t = Date.now();
      const img = await ctx.h.accepted('path-symlink-chain', [chain()], { config: { Cmd: ['sh'], Env: [`PATH=${'/s:'.repeat(1000)}/bin`] } });
      assert.equal(img.result.meta.execSpec.path, '/bin/sh');
      assert(Date.now() - t < 10_000, `${Date.now() - t} ms`);
    });

    it('a PATH of 100,000 entries is searched only so far (its first 1,024 entries: COMMAND_MISSING), in seconds', async function () {
      this.timeout(30_000);
      const t = Date.now();
      await ctx.h.refused('path-100000', [chain()], { code: 'COMMAND_MISSING', mention: /command "sh" is not an executable file in the image/, layer: null }, {
        config: { Cmd: ['sh'], Env: [`PATH=${'/s:'.repeat(100_000)}/bin`] },
      });
      assert(Date.now() - t < 10_000, `${Date.now() - t} ms`);
    });
  });

  it('maxJsonBytes: the image\'s JSON past it is refused before any layer is read (FORMAT_INVALID)', async () => {
    await ctx.h.refused('json-bytes-over', [withBase([])], {
      code: 'FORMAT_INVALID', mention: /has \d+ bytes, more than the 300 a JSON document may have/, layer: null,
    }, { limits: { maxJsonBytes: 300 }, config: { Cmd: ['/bin/sh'], Env: Array.from({ length: 20 }, (_, i) => `PADDING_${i}=${'p'.repeat(10)}`) } });
  });
});
