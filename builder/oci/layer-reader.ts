// Reads one layer (tar, possibly gzip) into a LayerRecord: metadata in memory, file contents
// streamed into fresh files under blobDir. Nothing is ever written by an entry's own name, so a
// hostile name cannot reach outside blobDir; names are checked and normalised here and applied
// to the in-memory tree later (rootfs-tree.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { decompressor, type LayerFormat } from './decompress';
import { entryPathParts, linkTargetParts, showPath } from './entry-path';
import { fail, ImageError } from './errors';
import type { LayerEntry, LayerRecord, Meta } from './layer-entry';
import { ScratchFull, type Budget } from './limits';
import { installBinaryPaxDecoder, paxXattrs } from './tar-pax';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

export interface LayerReadOptions {
  label: string;
  blobDir: string;
  budget: Budget;
  /** Called with uncompressed bytes consumed so far (progress bars). */
  onBytes?: (n: number) => void;
}

let blobCounter = 0;

/** Hashes what passes through while `active()` holds (checked per chunk). */
function hashTap(hash: crypto.Hash, active: () => boolean, onBytes?: (n: number) => void) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (active()) hash.update(chunk);
      onBytes?.(chunk.length);
      yield chunk;
    }
  };
}

export async function readLayer(raw: Readable, opts: LayerReadOptions): Promise<LayerRecord> {
  installBinaryPaxDecoder();
  const stored = crypto.createHash('sha256');
  const plain = crypto.createHash('sha256');
  // An uncompressed layer (docker save) is its own tar: one sha256 serves as both digests.
  const format: LayerFormat = { identity: false };
  const extract = tar.extract();
  const always = () => true;
  const compressed = () => !format.identity;
  const feeding = pipeline(raw, hashTap(stored, always), decompressor(opts.label, format), hashTap(plain, compressed, opts.onBytes), extract);
  feeding.catch(() => {}); // awaited below; errors surface through the iterator or that await
  const entries: LayerEntry[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  try {
    for await (const item of extract) {
      const entry = item as unknown as Readable & { header: tar.Header };
      const recorded = await readEntry(entry, opts, warnings);
      if (recorded) {
        const tag = recorded.kind === 'opaque' ? 'opq:' : recorded.kind === 'whiteout' ? 'wh:' : '';
        const key = tag + recorded.parts.join('/');
        if (seen.has(key))
          fail('ENTRY_INVALID', `${opts.label}: duplicate entry ${showPath(recorded.parts)}`);
        seen.add(key);
        entries.push(recorded);
      }
      entry.resume();
    }
    await feeding;
  } catch (err) {
    raw.destroy();
    extract.destroy();
    await feeding.catch(() => {});
    if (err instanceof ImageError || err instanceof ScratchFull) throw err;
    fail('FORMAT_INVALID', `${opts.label}: not a readable layer: ${(err as Error).message}`);
  }
  const storedDigest = 'sha256:' + stored.digest('hex');
  return {
    label: opts.label,
    diffId: format.identity ? storedDigest : 'sha256:' + plain.digest('hex'),
    storedDigest,
    entries,
    warnings,
  };
}

/**
 * Entry contents -> a new file, with synchronous writes on an fd: a write to the page cache is a
 * memcpy, while an async write stream costs a thread-pool round trip per open, chunk and close,
 * which on a loaded 2-core host left the reader idle most of the time. Returns the bytes written.
 */
async function writeBlob(entry: AsyncIterable<Buffer>, blob: string): Promise<number> {
  const fd = fs.openSync(blob, 'wx', 0o600);
  let written = 0;
  try {
    for await (const chunk of entry) {
      for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
      written += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

async function readEntry(entry: Readable & { header: tar.Header }, opts: LayerReadOptions, warnings: string[]): Promise<LayerEntry | null> {
  const h = entry.header;
  const where = `${opts.label}: entry "${h.name}"`;
  const budget = opts.budget;
  if (++budget.entries > budget.limits.maxEntries)
    fail('ENTRY_INVALID', `${where}: more than ${budget.limits.maxEntries} entries`);
  const parts = entryPathParts(h.name, opts.label);
  const base = parts[parts.length - 1] ?? '';
  if (base.startsWith(WHITEOUT)) {
    const dir = parts.slice(0, -1);
    if (base === OPAQUE) return { kind: 'opaque', parts: dir };
    if (base.startsWith(WHITEOUT + WHITEOUT)) {
      warnings.push(`${where}: aufs metadata entry ignored`);
      return null;
    }
    const hidden = base.slice(WHITEOUT.length);
    if (hidden === '' || hidden === '.' || hidden === '..') fail('ENTRY_UNSAFE', `${where}: whiteout of "${hidden}"`);
    return { kind: 'whiteout', parts: [...dir, hidden] };
  }
  const pax = (h as { pax?: Record<string, string> | null }).pax;
  const meta: Meta = {
    mode: (h.mode ?? 0) & 0o7777,
    uid: pax?.uid !== undefined ? Number(pax.uid) : (h.uid ?? 0),
    gid: pax?.gid !== undefined ? Number(pax.gid) : (h.gid ?? 0),
    mtime: Math.max(0, Math.floor((h.mtime?.getTime() ?? 0) / 1000)),
    xattrs: paxXattrs(pax),
  };
  if (!Number.isSafeInteger(meta.uid) || meta.uid < 0 || meta.uid > 0xffffffff || !Number.isSafeInteger(meta.gid) || meta.gid < 0 || meta.gid > 0xffffffff)
    fail('ENTRY_INVALID', `${where}: uid/gid out of range`);
  if (parts.length === 0 && h.type !== 'directory') fail('ENTRY_INVALID', `${where}: the root must be a directory`);
  switch (h.type) {
    case 'directory':
      return { kind: 'dir', parts, ...meta };
    case 'file':
    case 'contiguous-file': {
      const size = h.size ?? 0;
      if (!Number.isSafeInteger(size) || size > budget.limits.maxFileBytes)
        fail('ENTRY_INVALID', `${where}: size ${size} exceeds the ${budget.limits.maxFileBytes}-byte file limit`);
      budget.bytes += size;
      if (budget.bytes > budget.limits.maxTotalBytes)
        fail('ENTRY_INVALID', `${where}: image contents exceed ${budget.limits.maxTotalBytes} bytes`);
      if (budget.spillAt !== undefined && budget.bytes > budget.spillAt) throw new ScratchFull(budget.spillAt);
      const blob = path.join(opts.blobDir, `${process.pid}-${++blobCounter}`);
      const written = await writeBlob(entry, blob);
      if (written !== size) fail('FORMAT_INVALID', `${where}: truncated (expected ${size} bytes)`);
      return { kind: 'file', parts, blob, size, ...meta };
    }
    case 'symlink':
      if (!h.linkname) fail('ENTRY_INVALID', `${where}: symlink without a target`);
      if (Buffer.byteLength(h.linkname) > 4095) fail('ENTRY_INVALID', `${where}: symlink target too long`);
      return { kind: 'symlink', parts, target: h.linkname, ...meta };
    case 'link':
      if (!h.linkname) fail('ENTRY_INVALID', `${where}: hardlink without a target`);
      return { kind: 'hardlink', parts, target: linkTargetParts(h.linkname, where), ...meta };
    case 'character-device':
    case 'block-device':
      return {
        kind: h.type === 'character-device' ? 'char' : 'block',
        parts,
        major: h.devmajor ?? 0,
        minor: h.devminor ?? 0,
        ...meta,
      };
    case 'fifo':
      return { kind: 'fifo', parts, ...meta };
    default:
      return fail('ENTRY_INVALID', `${where}: unsupported tar entry type ${String(h.type)} (e.g. GNU sparse)`);
  }
}
