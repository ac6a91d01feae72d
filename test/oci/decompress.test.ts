// Layer bytes -> tar bytes (builder/oci/decompress.ts): a stored blob that fails while it is read
// (an I/O error, a file that shrank under the build) fails the layer with that error, gzip or
// not, instead of leaving the gunzip waiting and the error unhandled (the process died of it).
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { decompressor } from '../../builder/oci/decompress';

async function* failingAfter(first: Buffer): AsyncGenerator<Buffer> {
  yield first;
  await new Promise((r) => setTimeout(r, 5));
  throw new Error('the blob could not be read further');
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of source) n += c.length;
  return n;
}

describe('oci: layer decompression', () => {
  const tar = Buffer.alloc(1 << 22, 7);

  it('passes gzip and plain layers through whole', async () => {
    async function* one(b: Buffer) {
      yield b;
    }
    assert.equal(await drain(decompressor('gzip')(one(zlib.gzipSync(tar)))), tar.length);
    assert.equal(await drain(decompressor('plain')(one(tar))), tar.length);
  });

  it('fails a gzip layer whose blob fails mid-read, with the reason', async () => {
    const gz = zlib.gzipSync(tar);
    await assert.rejects(
      drain(decompressor('gzip')(failingAfter(gz.subarray(0, 1000)))),
      /could not be read further/,
    );
  });

  it('fails a plain layer whose blob fails mid-read, with the reason', async () => {
    await assert.rejects(
      drain(decompressor('plain')(failingAfter(tar.subarray(0, 4096)))),
      /could not be read further/,
    );
  });
});
