// An image read from a local Docker engine's own layer store, the way the engine's `docker save`
// reads it, without the save. For each layer the engine keeps the tar it was made from split in
// two: the files, unpacked in the storage driver's directory for the layer, and every other byte
// of the tar (headers, pax records, padding, the trailer) in `tar-split.json.gz`, a list of
// segments and file entries (github.com/vbatts/tar-split: {"type":2,"payload":<base64 bytes>} and
// {"type":1,"name"|"name_raw":..., "size":N}). Putting the two back together gives the layer's
// tar byte for byte, which is how Docker 20.10 serves a save (after first copying every layer to
// a temp dir, and ordering them so that the stream must be taken whole before a layer can be
// placed: the reason this path exists). The tar goes through the same layer reader as every other
// source and its sha256 is checked against the config's diff_ids, so the image is byte-identical
// to one built from `docker save` and nothing the store holds is trusted unchecked.
//
// Layout under the engine's data root R, driver D (overlay2 or vfs), image id sha256:<I>:
//   R/image/D/imagedb/content/sha256/<I>             the config's bytes (sha256 = I)
//   R/image/D/layerdb/sha256/<chain id>/{diff,cache-id,tar-split.json.gz}
//   R/overlay2/<cache-id>/diff  or  R/vfs/dir/<cache-id>   the layer's files
// chain id: of layer 0 its diff_id, of layer n sha256("<chain id n-1> <diff_id n>").
//
// Used only when all of that is there and readable (a local engine, run as root); otherwise, and
// for any other driver, the caller falls back to the engine's save. File names come from the
// image: each is opened only below the layer's directory, through directories that are not
// symlinks, and the file itself is never a symlink (O_NOFOLLOW), so that a layer whose tar wrote
// through a symlink of its own cannot make this read a build-host file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { fail } from '../../core/image/errors';
import { display } from '../../core/image/tar-header';
import type { ImageConfig } from '../../core/image/image-config';
import type { EngineStorage } from './engine-client';
import { checkConfig, type LayerRef, type ResolvedImage } from './resolved-image';

const LAYER_DIRS: Record<string, (root: string, cacheId: string) => string> = {
  overlay2: (root, cacheId) => path.join(root, 'overlay2', cacheId, 'diff'),
  vfs: (root, cacheId) => path.join(root, 'vfs', 'dir', cacheId),
};

/** Where `driver` keeps the files of the layer `cacheId`; undefined for a driver this does not read. */
export function layerFilesDir(root: string, driver: string, cacheId: string): string | undefined {
  return Object.hasOwn(LAYER_DIRS, driver) ? LAYER_DIRS[driver](root, cacheId) : undefined;
}

/** Segments and small files are passed on in chunks of about this size (fewer, larger writes into the tar parser). */
const CHUNK = 1 << 20;
/** A tar-split line longer than this is not one the engine wrote (a segment is a header, a pax record set, or padding). */
const MAX_LINE = 16 << 20;

export type StoreLookup = { image: ResolvedImage } | { unusable: string };

const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** A small file of the store, or undefined when it is missing or unreadable (then the store is not used). */
function readSmall(file: string, maxBytes: number): Buffer | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds)
    out.push(out.length === 0 ? d : 'sha256:' + sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

/**
 * The image `id` as the engine stores it, when the store is local and readable; else why not.
 * Nothing is read here but the config and each layer's small files.
 */
export function resolveEngineStore(
  storage: EngineStorage,
  name: string,
  id: string,
  maxJsonBytes: number,
): StoreLookup {
  const { DockerRootDir: root, Driver: driver } = storage;
  if (!root || !path.isAbsolute(root) || !driver || !Object.hasOwn(LAYER_DIRS, driver))
    return { unusable: `storage driver ${driver ?? '(none)'} at ${root ?? '(none)'}` };
  const hex = /^sha256:([0-9a-f]{64})$/.exec(id)?.[1];
  if (!hex) return { unusable: `image id ${id}` };
  const imageRoot = path.join(root, 'image', driver);
  const configFile = path.join(imageRoot, 'imagedb', 'content', 'sha256', hex);
  const configBytes = readSmall(configFile, maxJsonBytes);
  if (!configBytes) return { unusable: `${configFile} is not readable here` };
  // The engine's own record of the image: a mismatch is a damaged store, not a reason to go on.
  if (sha256(configBytes) !== hex)
    fail(
      'DIGEST_MISMATCH',
      `${name}: the engine's stored config ${configFile} does not hash to ${id}`,
    );
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch (err) {
    return fail(
      'FORMAT_INVALID',
      `${name}: config ${id} is not valid JSON: ${(err as Error).message}`,
    );
  }
  const diffIds = checkConfig(name, config, config?.rootfs?.diff_ids?.length ?? 0);
  const chains = chainIds(diffIds);
  const layers: LayerRef[] = [];
  for (const [i, diffId] of diffIds.entries()) {
    const chainHex = /^sha256:([0-9a-f]{64})$/.exec(chains[i])?.[1];
    if (!chainHex)
      return fail('FORMAT_INVALID', `${name}: config rootfs.diff_ids[${i}] is not a sha256 digest`);
    const meta = path.join(imageRoot, 'layerdb', 'sha256', chainHex);
    const recorded = readSmall(path.join(meta, 'diff'), 256)?.toString('latin1').trim();
    const cacheId = readSmall(path.join(meta, 'cache-id'), 256)?.toString('latin1').trim();
    const tarSplit = path.join(meta, 'tar-split.json.gz');
    if (recorded === undefined || cacheId === undefined || !fs.existsSync(tarSplit))
      return { unusable: `layer ${i}'s record ${meta} is not readable here` };
    if (recorded !== diffId)
      fail(
        'DIGEST_MISMATCH',
        `${name}: the engine's layer record ${meta} is of ${recorded}, the config says ${diffId}`,
      );
    if (!/^[0-9a-f]{64}$/.test(cacheId))
      return { unusable: `layer ${i}'s cache-id ${display(cacheId)}` };
    const files = layerFilesDir(root, driver, cacheId)!;
    if (!fs.statSync(files, { throwIfNoEntry: false })?.isDirectory())
      return { unusable: `layer ${i}'s files ${files} are not here` };
    const label = `${name}: layer ${i} (${diffId})`;
    layers.push({ label, diffId, open: () => Readable.from(layerTar(tarSplit, files, label)) });
  }
  return { image: { name, configDigest: id, config, layers } };
}

interface SplitEntry {
  type?: number;
  name?: string;
  name_raw?: string;
  size?: number;
  payload?: string | null;
}

/** The tar-split's entries, one JSON document a line, streamed (a layer of many entries is never held whole). */
async function* splitEntries(tarSplit: string, label: string): AsyncGenerator<SplitEntry> {
  let rest = '';
  let line = 0;
  const parse = (text: string): SplitEntry => {
    line++;
    try {
      return JSON.parse(text) as SplitEntry;
    } catch (err) {
      return fail(
        'FORMAT_INVALID',
        `${label}: the engine's tar-split, line ${line}: ${(err as Error).message}`,
      );
    }
  };
  // pipe() does not pass the file's errors on: without this a tar-split gone since the image was
  // resolved (the image removed meanwhile) would leave the gunzip waiting for ever.
  const gunzip = zlib.createGunzip();
  fs.createReadStream(tarSplit)
    .on('error', (err) => gunzip.destroy(err))
    .pipe(gunzip);
  for await (const chunk of gunzip) {
    rest += (chunk as Buffer).toString('latin1');
    let nl;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const text = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (text.trim()) yield parse(Buffer.from(text, 'latin1').toString('utf8'));
    }
    if (rest.length > MAX_LINE)
      fail(
        'FORMAT_INVALID',
        `${label}: the engine's tar-split has a line of more than ${MAX_LINE} bytes`,
      );
  }
  if (rest.trim()) yield parse(Buffer.from(rest, 'latin1').toString('utf8'));
}

/** A file's name in the tar, as bytes: tar-split keeps valid UTF-8 as `name`, anything else base64 in `name_raw`. */
function entryName(e: SplitEntry): Buffer {
  if (e.name_raw) return Buffer.from(e.name_raw, 'base64');
  return Buffer.from(e.name ?? '', 'utf8');
}

/** root (a path of this host, UTF-8) joined with a relative name of the image (bytes, as a latin1 string). */
const below = (root: string, rel: string) =>
  Buffer.concat([Buffer.from(root + '/', 'utf8'), Buffer.from(rel, 'latin1')]);

/** How messages name a file of a layer (built only for a message). */
const fileWhere = (label: string, name: Buffer) =>
  `${label}: file "${display(name.toString('latin1'))}" in the engine's store`;

/**
 * Opens `name` below `root` without following a symlink anywhere: every directory on the way is
 * checked once with lstat (`dirs` remembers the good ones), the file itself with O_NOFOLLOW.
 */
function openBelow(root: string, name: Buffer, dirs: Set<string>, label: string): number {
  const parts = name
    .toString('latin1')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  const where = () => fileWhere(label, name);
  if (parts.length === 0 || parts.includes('..'))
    fail('ENTRY_UNSAFE', `${where()}: not a path below the layer`);
  let dir = '';
  for (const part of parts.slice(0, -1)) {
    dir = dir ? `${dir}/${part}` : part;
    if (dirs.has(dir)) continue;
    const st = fs.lstatSync(below(root, dir), { throwIfNoEntry: false });
    if (!st?.isDirectory())
      fail(
        'ENTRY_UNSAFE',
        `${where()}: its parent "${display(dir)}" is ${st ? (st.isSymbolicLink() ? 'a symlink' : 'not a directory') : 'missing'}`,
      );
    dirs.add(dir);
  }
  try {
    return fs.openSync(
      below(root, parts.join('/')),
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW,
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') fail('ENTRY_UNSAFE', `${where()}: is a symlink`);
    return fail(
      'FORMAT_INVALID',
      `${where()}: cannot be opened (${code ?? (err as Error).message}); was the image removed meanwhile?`,
    );
  }
}

/** The layer's tar, reassembled: the segments as recorded, each file's bytes from the layer's directory. */
async function* layerTar(tarSplit: string, root: string, label: string): AsyncGenerator<Buffer> {
  const dirs = new Set<string>();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (b: Buffer) => {
    pending.push(b);
    pendingBytes += b.length;
  };
  const flush = () => {
    const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return out;
  };
  for await (const e of splitEntries(tarSplit, label)) {
    if (e.type === 2) {
      take(Buffer.from(e.payload ?? '', 'base64'));
    } else if (e.type === 1) {
      const size = e.size ?? 0;
      if (!Number.isSafeInteger(size) || size < 0)
        fail('FORMAT_INVALID', `${label}: the engine's tar-split gives a file size of ${size}`);
      if (size === 0) continue; // hardlinks, empty files: nothing between their headers
      const name = entryName(e);
      const fd = openBelow(root, name, dirs, label);
      try {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) fail('ENTRY_UNSAFE', `${fileWhere(label, name)}: not a regular file`);
        if (st.size !== size)
          fail(
            'FORMAT_INVALID',
            `${fileWhere(label, name)}: has ${st.size} bytes, its tar header says ${size}`,
          );
        for (let pos = 0; pos < size;) {
          const want = Math.min(size - pos, CHUNK);
          if (pendingBytes + want > CHUNK && pendingBytes > 0) yield flush();
          const buf = Buffer.allocUnsafe(want);
          const n = fs.readSync(fd, buf, 0, want, pos);
          if (n === 0)
            fail('FORMAT_INVALID', `${fileWhere(label, name)}: ends ${size - pos} bytes early`);
          take(n === want ? buf : buf.subarray(0, n));
          pos += n;
        }
      } finally {
        fs.closeSync(fd);
      }
    } else {
      fail(
        'FORMAT_INVALID',
        `${label}: the engine's tar-split has an entry of type ${String(e.type)}`,
      );
    }
    if (pendingBytes >= CHUNK) yield flush();
  }
  if (pendingBytes > 0) yield flush();
}
