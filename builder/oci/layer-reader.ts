// Reads one layer (tar, possibly gzip) into a LayerRecord in one pass: metadata in memory, each
// regular file's content written straight into the disk image's data area (DataArea) as it
// streams. Nothing is ever written by an entry's own name. Names are checked and normalised here
// and applied to the merged tree afterwards (rootfs-tree.ts). The stored and uncompressed sha256
// are taken on the way; real (not declared) byte counts are held to the limits.
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { BLOCK } from '../../core/ext4/format';
import type { DataArea } from '../image/ext4/writer';
import { fitsInBlock, toDiskXattr, type XattrEntry } from '../../core/ext4/xattr';
import { decompressor, type LayerFormat } from './decompress';
import { entryPathParts, linkTargetParts, showPath } from '../../core/image/entry-path';
import { fail, ImageError } from '../../core/image/errors';
import type { LayerEntry, LayerRecord, Meta } from '../../core/image/layer-entry';
import { ENTRY_OVERHEAD_BYTES, type Budget, type Limits } from '../../core/image/limits';
import { display, paxXattrs, TarFormatError, type RawHeader } from '../../core/image/tar-header';
import { readTar, type ContentSink } from './tar-reader';
import type { HashThread, StreamHash } from '../hash-thread';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

export interface LayerReadOptions {
  label: string;
  data: DataArea;
  budget: Budget;
  /** Called with uncompressed bytes consumed so far (progress bars). */
  onBytes?: (n: number) => void;
  /** Called with each chunk's size as the stored (maybe compressed) blob is read. */
  onStoredBytes?: (n: number) => void;
  /** Where the layer's digests are taken: a second core (../hash-thread.ts), else this thread. */
  hashThread?: HashThread;
}

async function* tap(
  source: AsyncIterable<Buffer>,
  see: (chunk: Buffer) => Promise<void> | undefined,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const wait = see(chunk);
    if (wait) await wait;
    yield chunk;
  }
}

/** A sha256 on this thread, with the interface of one on the hash thread. */
function localHash(): StreamHash {
  const h = crypto.createHash('sha256');
  return {
    update: (chunk) => {
      h.update(chunk);
      return undefined;
    },
    digest: () => Promise.resolve(h.digest('hex')),
  };
}

export async function readLayer(raw: Readable, opts: LayerReadOptions): Promise<LayerRecord> {
  const { budget, label } = opts;
  const limits = budget.limits;
  const stored = opts.hashThread?.stream() ?? localHash();
  const plain = opts.hashThread?.stream() ?? localHash();
  // An uncompressed layer (docker save) is its own tar: one sha256 serves as both digests.
  const format: LayerFormat = { identity: false };
  let storedBytes = 0;
  let plainBytes = 0;
  const storedTap = tap(raw, (c) => {
    storedBytes += c.length;
    opts.onStoredBytes?.(c.length);
    return stored.update(c);
  });
  const plainTap = tap(decompressor(label, format)(storedTap), (c) => {
    const wait = format.identity ? undefined : plain.update(c);
    plainBytes += c.length;
    budget.bytes += c.length;
    opts.onBytes?.(c.length);
    if (budget.bytes > limits.maxTotalBytes)
      fail(
        'LIMIT_EXCEEDED',
        `${label}: the layers expand past ${limits.maxTotalBytes} bytes (maxTotalBytes)`,
      );
    if (
      !format.identity &&
      plainBytes > limits.expansionFloorBytes &&
      plainBytes > limits.maxExpansion * storedBytes
    )
      fail(
        'LIMIT_EXCEEDED',
        `${label}: ${storedBytes} compressed bytes expanded to ${plainBytes}, more than ${limits.maxExpansion}x (a compression bomb?)`,
      );
    return wait;
  });
  const entries: LayerEntry[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  try {
    await readTar(plainTap, ({ header, pax }) => {
      const { entry, sink } = readEntry(header, pax, opts, warnings);
      if (!entry) return undefined;
      const tag = entry.kind === 'opaque' ? 'opq:' : entry.kind === 'whiteout' ? 'wh:' : '';
      const key = tag + entry.parts.join('/');
      if (seen.has(key))
        fail('ENTRY_INVALID', `${label}: duplicate entry ${showPath(entry.parts)}`);
      seen.add(key);
      entries.push(entry);
      return sink;
    });
  } catch (err) {
    raw.destroy();
    if (err instanceof ImageError) throw err;
    if (err instanceof TarFormatError)
      fail('FORMAT_INVALID', `${label}: not a readable layer: ${err.message}`);
    fail('FORMAT_INVALID', `${label}: not a readable layer: ${(err as Error).message}`);
  }
  const storedDigest = 'sha256:' + (await stored.digest());
  const plainDigest = 'sha256:' + (await plain.digest());
  return {
    label,
    diffId: format.identity ? storedDigest : plainDigest,
    storedDigest,
    entries,
    warnings,
  };
}

/**
 * An entry's own extended attributes, refused here so that the message names the layer: a value
 * past maxXattrValueBytes, a name Linux would not store, a set larger than one ext4 block. (Sets
 * merged through hardlinks are checked again on the merged tree.)
 */
function checkXattrs(xattrs: Map<string, Buffer>, where: string, limits: Limits): void {
  const disk: XattrEntry[] = [];
  for (const [name, value] of xattrs) {
    if (value.length > limits.maxXattrValueBytes)
      fail(
        'LIMIT_EXCEEDED',
        `${where}: extended attribute "${display(name)}" has ${value.length} bytes, more than ${limits.maxXattrValueBytes} (maxXattrValueBytes)`,
      );
    const e = toDiskXattr(Buffer.from(name, 'latin1'), value);
    if (typeof e === 'string')
      fail('ENTRY_INVALID', `${where}: extended attribute "${display(name)}": ${e}`);
    disk.push(e);
  }
  if (!fitsInBlock(disk))
    fail(
      'LIMIT_EXCEEDED',
      `${where}: its extended attributes do not fit in one ${BLOCK}-byte ext4 block`,
    );
}

function readEntry(
  h: RawHeader,
  pax: Map<string, string>,
  opts: LayerReadOptions,
  warnings: string[],
): { entry?: LayerEntry; sink?: ContentSink } {
  const { budget, label } = opts;
  const limits = budget.limits;
  const where = `${label}: entry "${display(h.name)}"`;
  if (++budget.entries > limits.maxEntries)
    fail('LIMIT_EXCEEDED', `${where}: more than ${limits.maxEntries} entries (maxEntries)`);
  if (h.type === 'unsupported')
    fail(
      'ENTRY_INVALID',
      `${where}: unsupported tar entry type '${display(h.flag)}' (e.g. GNU sparse)`,
    );
  const parts = entryPathParts(h.name, label);
  if (parts.length > limits.maxDepth)
    fail(
      'LIMIT_EXCEEDED',
      `${where}: ${parts.length} path components, more than ${limits.maxDepth} (maxDepth)`,
    );
  const base = parts[parts.length - 1] ?? '';
  if (base.startsWith(WHITEOUT)) {
    const dir = parts.slice(0, -1);
    if (base === OPAQUE) return { entry: { kind: 'opaque', parts: dir } };
    if (base.startsWith(WHITEOUT + WHITEOUT)) {
      warnings.push(`${where}: aufs metadata entry ignored`);
      return {};
    }
    const hidden = base.slice(WHITEOUT.length);
    if (hidden === '' || hidden === '.' || hidden === '..')
      fail('ENTRY_UNSAFE', `${where}: whiteout of "${display(hidden)}"`);
    return { entry: { kind: 'whiteout', parts: [...dir, hidden] } };
  }
  const xattrs = paxXattrs(pax);
  if (xattrs.size) checkXattrs(xattrs, where, limits);
  let xattrBytes = 0;
  for (const [name, value] of xattrs) xattrBytes += name.length + value.length;
  budget.metadataBytes += ENTRY_OVERHEAD_BYTES + h.name.length + h.linkname.length + xattrBytes;
  if (budget.metadataBytes > limits.maxMetadataBytes)
    fail(
      'LIMIT_EXCEEDED',
      `${where}: the layers' names, links and xattrs pass ${limits.maxMetadataBytes} bytes of metadata (maxMetadataBytes)`,
    );
  const meta: Meta = {
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    mtime: Math.max(0, h.mtime),
    xattrs,
  };
  if (meta.uid > 0xffffffff || meta.gid > 0xffffffff)
    fail('ENTRY_INVALID', `${where}: uid/gid out of range`);
  if (parts.length === 0 && h.type !== 'dir')
    fail('ENTRY_INVALID', `${where}: the root must be a directory`);
  switch (h.type) {
    case 'dir':
      return { entry: { kind: 'dir', parts, ...meta } };
    case 'file': {
      if (h.size > limits.maxFileBytes)
        fail(
          'LIMIT_EXCEEDED',
          `${where}: size ${h.size} exceeds the ${limits.maxFileBytes}-byte file limit (maxFileBytes)`,
        );
      const file = opts.data.file(h.size);
      return {
        entry: { kind: 'file', parts, start: file.start, size: h.size, ...meta },
        sink: file.write,
      };
    }
    case 'symlink':
      if (!h.linkname) fail('ENTRY_INVALID', `${where}: symlink without a target`);
      if (h.linkname.length > 4095)
        fail('ENTRY_INVALID', `${where}: symlink target longer than 4095 bytes`);
      if (h.linkname.includes('\0'))
        fail('ENTRY_INVALID', `${where}: symlink target contains a NUL byte`);
      return { entry: { kind: 'symlink', parts, target: h.linkname, ...meta } };
    case 'hardlink':
      if (!h.linkname) fail('ENTRY_INVALID', `${where}: hardlink without a target`);
      return {
        entry: { kind: 'hardlink', parts, target: linkTargetParts(h.linkname, where), ...meta },
      };
    case 'char':
    case 'block':
      if (h.devmajor > 0xfff || h.devminor > 0xfffff)
        fail('ENTRY_INVALID', `${where}: device ${h.devmajor}:${h.devminor} out of range`);
      return { entry: { kind: h.type, parts, major: h.devmajor, minor: h.devminor, ...meta } };
    case 'fifo':
      return { entry: { kind: 'fifo', parts, ...meta } };
    default:
      return fail('ENTRY_INVALID', `${where}: unexpected tar entry type '${display(h.flag)}'`);
  }
}
