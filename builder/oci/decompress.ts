// Layer bytes -> tar bytes, choosing by magic number rather than by media type so that
// docker-save (plain tar), OCI gzip and mislabeled blobs all work. Streaming throughout.
import zlib from 'node:zlib';
import { pipeline, Readable } from 'node:stream';
import { fail } from '../../core/image/errors';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** What the decompressor found; `identity` means the stored bytes are the tar itself. */
export interface LayerFormat {
  identity: boolean;
}

/** `format.identity` is set before the first byte is yielded. */
export function decompressor(label: string, format: LayerFormat = { identity: false }) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    while (head.length < 4) {
      const next = await it.next();
      if (next.done) break;
      head = Buffer.concat([head, next.value]);
    }
    const rest = async function* () {
      if (head.length) yield head;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    };
    format.identity = false;
    if (head.subarray(0, 2).equals(GZIP)) {
      // pipeline, not pipe: a source that fails (a read error, a file that shrank) must fail the
      // gunzip, which pipe() leaves waiting while the error goes unhandled (the process dies).
      yield* pipeline(Readable.from(rest()), zlib.createGunzip(), () => {});
    } else if (head.subarray(0, 4).equals(ZSTD)) {
      fail(
        'COMPRESSION_UNSUPPORTED',
        `${label}: zstd layers are not supported (Node ${process.version} has no zstd)`,
      );
    } else {
      format.identity = true;
      yield* rest();
    }
  };
}
