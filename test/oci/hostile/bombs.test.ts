// Compression bombs: limits are held on the bytes that really arrive, not on what headers
// declare. A gzip layer of 128 MiB of zeros (130 KB stored) is stopped by the expansion limit at
// the default limits, wherever the zeros sit (all of the stream, inside a file, after the
// end-of-archive blocks in a second gzip member); zstd is refused by its magic number.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { DEFAULT_LIMITS } from '../../../core/image/limits';
import { rawTar } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';

const MiB = 2 ** 20;

describe('oci hostile: compression bombs', function () {
  this.timeout(120_000);
  const ctx = hostileSuite();
  // 128 MiB of zeros, compressed once and shared (the plain bytes are only hashed for diff_ids).
  const zeros = Buffer.alloc(128 * MiB);
  let zerosGz: Buffer;
  before(() => {
    zerosGz = zlib.gzipSync(zeros);
  });

  it('128 MiB of zeros, gzip-compressed, is refused by the expansion limit at the default limits (LIMIT_EXCEEDED)', async () => {
    assert(zerosGz.length < MiB, `${zerosGz.length} bytes stored`);
    const e = await ctx.h.refused('bomb-gzip-zeros', [withBase([]), zeros], {
      code: 'LIMIT_EXCEEDED', mention: /(\d+) compressed bytes expanded to (\d+), more than 200x \(a compression bomb\?\)/, layer: 1,
    }, { blobs: [undefined, zerosGz] });
    const [, stored, plain] = /(\d+) compressed bytes expanded to (\d+)/.exec(e.message)!.map(Number);
    assert(stored <= zerosGz.length);
    // Stopped as soon as the floor was passed, not after expanding the whole layer.
    assert(plain > DEFAULT_LIMITS.expansionFloorBytes && plain <= DEFAULT_LIMITS.expansionFloorBytes + 4 * MiB, `stopped at ${plain} bytes`);
  });

  it('a 128 MiB file of zeros inside a gzip layer is refused while it streams (LIMIT_EXCEEDED)', async () => {
    const header = rawTar([{ name: 'zeros', size: 128 * MiB }], { end: false });
    const tar = Buffer.concat([withBase([], { end: false }), header, zeros, Buffer.alloc(1024)]);
    await ctx.h.refused('bomb-gzip-file', [tar], {
      code: 'LIMIT_EXCEEDED', mention: /compressed bytes expanded to \d+, more than 200x/, layer: 0,
    }, { blobs: [zlib.gzipSync(tar, { level: 1 })] });
  });

  it('a bomb in a second gzip member after the end-of-archive blocks is still counted (LIMIT_EXCEEDED)', async () => {
    const tar = withBase([{ name: 'innocent', content: 'i' }]);
    const trailing = Buffer.alloc(16 * MiB);
    await ctx.h.refused('bomb-gzip-second-member', [Buffer.concat([tar, trailing])], {
      code: 'LIMIT_EXCEEDED', mention: /more than 10x \(a compression bomb\?\)/, layer: 0,
    }, { blobs: [Buffer.concat([zlib.gzipSync(tar), zlib.gzipSync(trailing)])], limits: { expansionFloorBytes: MiB, maxExpansion: 10 } });
  });

  it('a zstd layer (128 MiB of zeros in 4 KB) is refused by its magic number (COMPRESSION_UNSUPPORTED)', async () => {
    const z = spawnSync('zstd', ['-c', '-q', '-19'], { input: zeros, maxBuffer: 64 * MiB });
    assert.equal(z.status, 0, z.stderr?.toString());
    assert(z.stdout.length < 64 * 1024);
    await ctx.h.refused('bomb-zstd', [withBase([]), zeros], {
      code: 'COMPRESSION_UNSUPPORTED', mention: /zstd layers are not supported/, layer: 1,
    }, { blobs: [undefined, z.stdout] });
  });

  it('gzip inside gzip is not a tar (FORMAT_INVALID)', async () => {
    const tar = withBase([{ name: 'x', content: 'x' }]);
    const inner = zlib.gzipSync(tar);
    await ctx.h.refused('bomb-gzip-in-gzip', [inner], {
      code: 'FORMAT_INVALID', mention: /not a readable layer: (header checksum mismatch|.*not octal|the archive ends inside a header)/, layer: 0,
    }, { blobs: [zlib.gzipSync(inner)] });
  });

  it('a gzip layer under the floor and the ratio is accepted, with its contents', async () => {
    const img = await ctx.h.accepted('gzip-ordinary', [withBase([{ name: 'z', content: Buffer.alloc(2 * MiB) }])], { gzip: true });
    const z = img.get(['z']);
    assert.equal(z.size, 2 * MiB);
  });
});
