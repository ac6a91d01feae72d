// The files of an image source, by name, whatever holds them: a directory (OCI layout) or a tar
// file (docker save output, an OCI layout packed as a tar), read through its index so that any
// member can be opened on its own, in any order, without reading the others.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fail } from '../../core/image/errors';
import { indexTar, member, readAt } from './tar-index';
import { TarFormatError } from '../../core/image/tar-header';

export interface ImageFiles {
  /** How messages name the source: "docker-archive:/x.tar". */
  name: string;
  has(file: string): boolean;
  size(file: string): number;
  /** A small member's bytes (JSON documents), refused past maxBytes. */
  read(file: string, maxBytes: number): Buffer;
  open(file: string): Readable;
}

export function jsonOf(files: ImageFiles, file: string, maxBytes: number): { value: unknown; sha256: string } {
  if (!files.has(file)) fail('FORMAT_INVALID', `${files.name}: ${file} is missing`);
  const bytes = files.read(file, maxBytes);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  try {
    return { value: JSON.parse(bytes.toString('utf8')), sha256 };
  } catch (err) {
    return fail('FORMAT_INVALID', `${files.name}: ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * A byte range of a file as a stream, read with synchronous 1 MiB reads: a page-cache read costs
 * a memcpy, while each async read waits for a thread-pool slot (measured: ~20 % of a conversion
 * idle). The file is closed when the stream ends or is destroyed.
 */
function fileRange(file: string, start: number, size: number): Readable {
  return Readable.from(
    (function* () {
      const fd = fs.openSync(file, 'r');
      try {
        for (let pos = start, left = size; left > 0; ) {
          const chunk = Buffer.allocUnsafe(Math.min(left, 1 << 20));
          const n = fs.readSync(fd, chunk, 0, chunk.length, pos);
          if (n === 0) throw new Error(`${file}: ends ${left} bytes early`);
          yield chunk.subarray(0, n);
          pos += n;
          left -= n;
        }
      } finally {
        fs.closeSync(fd);
      }
    })(),
    { objectMode: false },
  );
}

function tooLarge(files: ImageFiles, file: string, size: number, max: number): never {
  return fail('FORMAT_INVALID', `${files.name}: ${file} has ${size} bytes, more than the ${max} a JSON document may have`);
}

export function dirFiles(dir: string, name: string): ImageFiles {
  const at = (file: string) => {
    const p = path.join(dir, file);
    // Names come from the image's JSON: never outside the layout.
    if (path.relative(dir, p).startsWith('..')) fail('FORMAT_INVALID', `${name}: ${file} is outside the layout`);
    return p;
  };
  const files: ImageFiles = {
    name,
    has: (file) => fs.statSync(at(file), { throwIfNoEntry: false })?.isFile() ?? false,
    size: (file) => fs.statSync(at(file)).size,
    read(file, maxBytes) {
      const size = files.size(file);
      if (size > maxBytes) tooLarge(files, file, size, maxBytes);
      return fs.readFileSync(at(file));
    },
    open: (file) => fileRange(at(file), 0, fs.statSync(at(file)).size),
  };
  return files;
}

export function tarFiles(file: string, name: string): ImageFiles {
  let index;
  try {
    index = indexTar(file);
  } catch (err) {
    if (err instanceof TarFormatError) fail('FORMAT_INVALID', `${name}: not a readable tar: ${err.message}`);
    // A directory, a file without read permission, an I/O error: say which source.
    if ((err as NodeJS.ErrnoException).code) fail('FORMAT_INVALID', `${name}: cannot be read: ${(err as Error).message}`);
    throw err;
  }
  const get = (m: string) => {
    const found = member(index, m);
    if (!found) fail('FORMAT_INVALID', `${name}: ${m} is missing`);
    return found;
  };
  const files: ImageFiles = {
    name,
    has: (m) => member(index, m) !== undefined,
    size: (m) => get(m).size,
    read(m, maxBytes) {
      const { offset, size } = get(m);
      if (size > maxBytes) tooLarge(files, m, size, maxBytes);
      const fd = fs.openSync(file, 'r');
      try {
        return readAt(fd, offset, size);
      } finally {
        fs.closeSync(fd);
      }
    },
    open(m) {
      const { offset, size } = get(m);
      return fileRange(file, offset, size);
    },
  };
  return files;
}
