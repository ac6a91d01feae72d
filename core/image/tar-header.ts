// tar headers as bytes (POSIX ustar + pax, GNU long names), decoded without ever turning a name
// into UTF-8: names, link targets and xattr names stay byte strings ("binary" JS strings, one
// char per byte, latin1), so a name Docker keeps byte-exact is kept byte-exact here too. Pure: no
// I/O. The streaming reader (tar-reader.ts) and the archive index (tar-index.ts) share it.
export type TarType =
  | 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo'
  | 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink' | 'unsupported';

export interface RawHeader {
  type: TarType;
  /** The typeflag byte as a character, for messages. */
  flag: string;
  name: string; // binary string
  linkname: string; // binary string
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
}

export class TarFormatError extends Error {}

const TYPES: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block',
  '5': 'dir', '6': 'fifo', x: 'pax', g: 'pax-global', L: 'gnu-longname', K: 'gnu-longlink',
};

/** NUL-terminated field as a binary string. */
function str(b: Buffer, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const end = f.indexOf(0);
  return f.subarray(0, end < 0 ? len : end).toString('latin1');
}

/** Octal (space/NUL padded) or GNU base-256 (high bit of the first byte). */
export function numeric(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    if (f[0] === 0xff) throw new TarFormatError(`negative ${what}`);
    let v = BigInt(f[0] & 0x7f);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(f[i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError(`${what} ${v} is out of range`);
    return Number(v);
  }
  const text = f.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`${what} field "${JSON.stringify(text).slice(1, -1)}" is not octal`);
  const v = parseInt(text, 8);
  if (!Number.isSafeInteger(v)) throw new TarFormatError(`${what} ${text} is out of range`);
  return v;
}

export const isZeroBlock = (b: Buffer) => b.every((x) => x === 0);

/** One 512-byte header; the checksum is checked (unsigned or signed sum, as tar accepts both). */
export function parseHeader(b: Buffer): RawHeader {
  if (b.length !== 512) throw new TarFormatError('short header block');
  const stored = numeric(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('header checksum mismatch');
  const flag = String.fromCharCode(b[156]);
  // The formats as Go's archive/tar (Docker) tells them apart: POSIX ustar ("ustar\0") has a
  // 155-byte name prefix at 345 (131 bytes in star's variant, "tar\0" at 508); GNU ("ustar  \0")
  // has times there, not a prefix; both have device numbers; v7 has neither.
  const magic = b.subarray(257, 265).toString('latin1');
  const posix = magic.startsWith('ustar\0');
  const ustar = posix || magic === 'ustar  \0';
  let name = str(b, 0, 100);
  if (posix) {
    const star = b.subarray(508, 512).toString('latin1') === 'tar\0';
    const prefix = str(b, 345, star ? 131 : 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    type: TYPES[flag] ?? 'unsupported',
    flag,
    name,
    linkname: str(b, 157, 100),
    mode: numeric(b, 100, 8, 'mode'),
    uid: numeric(b, 108, 8, 'uid'),
    gid: numeric(b, 116, 8, 'gid'),
    size: numeric(b, 124, 12, 'size'),
    mtime: numeric(b, 136, 12, 'mtime'),
    devmajor: ustar ? numeric(b, 329, 8, 'devmajor') : 0,
    devminor: ustar ? numeric(b, 337, 8, 'devminor') : 0,
  };
}

/** pax records ("LEN KEY=VALUE\n"), keys as UTF-8 text, values as binary strings. */
export function parsePax(buf: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < buf.length) {
    if (buf[off] === 0) break; // NUL padding after the last record
    const space = buf.indexOf(0x20, off);
    if (space < 0 || space - off > 20) throw new TarFormatError('malformed pax record length');
    const lenText = buf.subarray(off, space).toString('latin1');
    if (!/^[0-9]+$/.test(lenText)) throw new TarFormatError('malformed pax record length');
    const len = Number(lenText);
    if (len <= space - off + 1 || off + len > buf.length || buf[off + len - 1] !== 0x0a)
      throw new TarFormatError('malformed pax record');
    const record = buf.subarray(space + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new TarFormatError('pax record without a key');
    out.set(record.subarray(0, eq).toString('latin1'), record.subarray(eq + 1).toString('latin1'));
    off += len;
  }
  return out;
}

/** Pax values that override header fields; unknown keys are ignored as POSIX says. Errors name the entry. */
export function applyPax(h: RawHeader, pax: Map<string, string>): void {
  // pax paths are UTF-8 by the standard; Go's archive/tar (Docker) writes a name's raw bytes there
  // when they are not. Either way the bytes are the name, kept as they are.
  if (pax.has('path')) h.name = pax.get('path')!;
  if (pax.has('linkpath')) h.linkname = pax.get('linkpath')!;
  const where = () => `entry "${display(h.name.slice(0, 200))}"`; // only built for an error
  const num = (key: string, what: string) => {
    const v = pax.get(key);
    if (v === undefined) return undefined;
    if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new TarFormatError(`${where()}: pax ${what} "${v.slice(0, 40)}" is not a whole number`);
    return Number(v);
  };
  h.uid = num('uid', 'uid') ?? h.uid;
  h.gid = num('gid', 'gid') ?? h.gid;
  h.size = num('size', 'size') ?? h.size;
  const mtime = pax.get('mtime');
  if (mtime !== undefined) {
    if (!/^-?[0-9]+(\.[0-9]*)?$/.test(mtime)) throw new TarFormatError(`${where()}: pax mtime "${mtime.slice(0, 40)}" is not a number`);
    h.mtime = Math.floor(Number(mtime));
  }
  for (const key of pax.keys())
    if (key.startsWith('GNU.sparse.')) throw new TarFormatError(`${where()}: GNU sparse files are not supported`);
}

/** Extended attributes of an entry: SCHILY.xattr.NAME (raw bytes) and LIBARCHIVE.xattr.NAME (base64). */
export function paxXattrs(pax: Map<string, string>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [key, value] of pax) {
    if (key.startsWith('SCHILY.xattr.')) out.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value, 'latin1'));
    else if (key.startsWith('LIBARCHIVE.xattr.'))
      out.set(percentDecoded(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value, 'base64'));
  }
  return out;
}

const percentDecoded = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** A binary string for messages: UTF-8 where it is, \xNN escapes where it is not. */
export function display(name: string): string {
  const bytes = Buffer.from(name, 'latin1');
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return text.replace(/[\0-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return [...bytes].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
}

/** A UTF-8 text (from JSON: a config path) as the binary string the tree is keyed by. */
export const binaryOf = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
