// Extended attributes in ext4's format: in the inode's spare 96 bytes when they fit, else in one
// xattr block (fs/ext4/xattr.h, e2fsprogs lib/ext2fs/ext_attr.c). Names arrive as the image has
// them (bytes, "user.foo"); ext4 stores a prefix index and the rest. A name whose namespace Linux
// would refuse, a NUL in a name, or a set too large for one block is refused by the caller with
// the entry's path (checkXattrs). POSIX ACLs arrive in the VFS xattr format and are stored in
// ext4's own (short entries for the owner, group, mask and other classes). Pure: no I/O.
import { BLOCK, IBODY_XATTR } from './format';

const MAGIC = 0xea020000;
const PREFIXES: [string, number][] = [
  ['system.posix_acl_access', 2],
  ['system.posix_acl_default', 3],
  ['user.', 1],
  ['trusted.', 4],
  ['security.', 6],
];
const ENTRY_HEAD = 16;

export interface XattrEntry {
  index: number;
  name: Buffer; // without the prefix
  value: Buffer; // as stored on disk
}

const pad4 = (n: number) => (n + 3) & ~3;
const entrySize = (e: XattrEntry) => pad4(ENTRY_HEAD + e.name.length);

/** The ext4 form of one attribute, or a reason it cannot be stored. */
export function toDiskXattr(name: Buffer, value: Buffer): XattrEntry | string {
  if (name.includes(0)) return 'an extended attribute name contains a NUL byte';
  // XATTR_NAME_MAX bounds the whole name, prefix included: Linux's setxattr and getxattr refuse more.
  if (name.length > 255) return 'an extended attribute name is longer than 255 bytes';
  for (const [prefix, index] of PREFIXES) {
    const p = Buffer.from(prefix, 'latin1');
    if (name.length < p.length || !name.subarray(0, p.length).equals(p)) continue;
    const rest = name.subarray(p.length);
    if (index === 2 || index === 3) {
      if (rest.length) continue;
      const acl = aclToDisk(value);
      return typeof acl === 'string' ? `${prefix}: ${acl}` : { index, name: rest, value: acl };
    }
    if (rest.length === 0) return `extended attribute name "${prefix}" has nothing after its namespace`;
    return { index, name: rest, value };
  }
  return `extended attribute namespace of "${printable(name)}" is not one Linux stores (user., trusted., security., system.posix_acl_*)`;
}

function printable(b: Buffer): string {
  return JSON.stringify(b.subarray(0, 64).toString('latin1')).slice(1, -1);
}

/** VFS posix_acl_xattr (version 2, 8-byte entries) -> ext4_acl (version 1, short entries where no id). */
function aclToDisk(v: Buffer): Buffer | string {
  if (v.length < 4 || (v.length - 4) % 8 !== 0 || v.readUInt32LE(0) !== 2) return 'not a version 2 POSIX ACL';
  const out: Buffer[] = [Buffer.from([1, 0, 0, 0])];
  for (let off = 4; off < v.length; off += 8) {
    const tag = v.readUInt16LE(off);
    const perm = v.readUInt16LE(off + 2);
    if (perm > 7) return `ACL entry permission ${perm} out of range`;
    if (tag === 0x01 || tag === 0x04 || tag === 0x10 || tag === 0x20) {
      const e = Buffer.alloc(4);
      e.writeUInt16LE(tag, 0);
      e.writeUInt16LE(perm, 2);
      out.push(e);
    } else if (tag === 0x02 || tag === 0x08) {
      out.push(v.subarray(off, off + 8));
    } else {
      return `unknown ACL entry tag ${tag}`;
    }
  }
  return Buffer.concat(out);
}

/** ext2fs_ext_attr_hash_entry (unsigned name bytes, the form both Linux and e2fsck accept). */
export function entryHash(e: XattrEntry): number {
  let h = 0;
  for (const c of e.name) h = ((h << 5) ^ (h >>> 27) ^ c) >>> 0;
  const padded = Buffer.alloc(pad4(e.value.length));
  e.value.copy(padded);
  for (let off = 0; off < padded.length; off += 4) h = ((h << 16) ^ (h >>> 16) ^ padded.readUInt32LE(off)) >>> 0;
  return h;
}

/** Linux's order for block entries (it stops searching at the first larger one). */
function sorted(entries: XattrEntry[]): XattrEntry[] {
  return [...entries].sort((a, b) => a.index - b.index || a.name.length - b.name.length || Buffer.compare(a.name, b.name));
}

const spaceFor = (entries: XattrEntry[]) =>
  entries.reduce((n, e) => n + entrySize(e) + pad4(e.value.length), 0) + 4; // + the 4-byte end mark

export const fitsInInode = (entries: XattrEntry[]) => entries.length === 0 || spaceFor(entries) + 4 <= IBODY_XATTR;
export const fitsInBlock = (entries: XattrEntry[]) => spaceFor(entries) + 32 <= BLOCK;

/** Entries at `entriesAt`, values packed from `end` downwards; offsets relative to `base`. */
function pack(buf: Buffer, entries: XattrEntry[], entriesAt: number, end: number, base: number): number[] {
  let e = entriesAt;
  let v = end;
  const hashes: number[] = [];
  for (const x of sorted(entries)) {
    v -= pad4(x.value.length);
    x.value.copy(buf, v);
    const h = entryHash(x);
    hashes.push(h);
    buf.writeUInt8(x.name.length, e);
    buf.writeUInt8(x.index, e + 1);
    buf.writeUInt16LE(x.value.length ? v - base : 0, e + 2);
    buf.writeUInt32LE(0, e + 4);
    buf.writeUInt32LE(x.value.length, e + 8);
    buf.writeUInt32LE(h, e + 12);
    x.name.copy(buf, e + ENTRY_HEAD);
    e += entrySize(x);
  }
  if (e + 4 > v) throw new Error('xattrs overflow their space');
  return hashes;
}

/** The inode's xattr area (magic + entries + values), IBODY_XATTR bytes. */
export function encodeIbodyXattrs(entries: XattrEntry[]): Buffer {
  const buf = Buffer.alloc(IBODY_XATTR);
  buf.writeUInt32LE(MAGIC, 0);
  pack(buf, entries, 4, IBODY_XATTR, 4);
  return buf;
}

/** One xattr block with refcount 1. */
export function encodeXattrBlock(entries: XattrEntry[]): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(1, 4); // h_refcount
  buf.writeUInt32LE(1, 8); // h_blocks
  const hashes = pack(buf, entries, 32, BLOCK, 0);
  let h = 0;
  for (const eh of hashes) {
    if (eh === 0) {
      h = 0;
      break;
    }
    h = ((h << 16) ^ (h >>> 16) ^ eh) >>> 0;
  }
  buf.writeUInt32LE(h, 12);
  return buf;
}
