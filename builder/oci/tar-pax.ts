// tar-stream decodes every PAX record value as UTF-8, which corrupts binary values such as
// SCHILY.xattr.security.capability (Go's archive/tar, used by Docker, writes them raw). This
// replaces its decoder, once, with one that keeps SCHILY.xattr.* values as latin1 strings (one
// char per byte, so Buffer.from(v, 'latin1') gives the exact bytes back) and decodes every other
// record as UTF-8 exactly like the original. Records with a malformed length end the parse, as
// before.
import path from 'node:path';

type PaxRecords = Record<string, string>;
const XATTR_PREFIX = 'SCHILY.xattr.';
let installed = false;

function decodePax(buf: Buffer): PaxRecords {
  const result: PaxRecords = {};
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 0x20) i++;
    const len = parseInt(buf.subarray(0, i).toString('latin1'), 10);
    if (!len || len > buf.length || len <= i + 1) return result;
    const record = buf.subarray(i + 1, len - 1);
    const eq = record.indexOf(0x3d);
    if (eq === -1) return result;
    const key = record.subarray(0, eq).toString('utf8');
    const raw = record.subarray(eq + 1);
    result[key] = key.startsWith(XATTR_PREFIX) ? raw.toString('latin1') : raw.toString('utf8');
    buf = buf.subarray(len);
  }
  return result;
}

export function installBinaryPaxDecoder(): void {
  if (installed) return;
  const dir = path.dirname(require.resolve('tar-stream/package'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const headers = require(path.join(dir, 'headers.js')) as { decodePax: unknown };
  headers.decodePax = decodePax;
  installed = true;
}

/** Extended attributes of a tar entry, from SCHILY.xattr.* (raw) and LIBARCHIVE.xattr.* (base64). */
export function paxXattrs(pax: PaxRecords | null | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!pax) return out;
  for (const [key, value] of Object.entries(pax)) {
    if (key.startsWith(XATTR_PREFIX)) out.set(key.slice(XATTR_PREFIX.length), Buffer.from(value, 'latin1'));
    else if (key.startsWith('LIBARCHIVE.xattr.'))
      out.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value, 'base64'));
  }
  return out;
}
