// `d0 image build`: SOURCE -> reproducible ext4 disk image with the flattened rootfs, /.d0/init
// and /.d0/exec, plus <out>.json {sha256, size, execSpec, warnings}. One pass: each layer streams
// (decompress -> tar -> file contents straight into the image's data blocks), its metadata is
// merged into the tree, and the ext4 metadata is written after the last layer. See
// builder/oci/README.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { dockerArchiveFiles, resolveDockerArchive } from '../oci/docker-archive';
import { engineImage, resolveEngineImage, type EngineRead } from '../oci/docker-engine';
import { engineClient, fromDockerode, type Engine } from '../oci/engine-client';
import { fail } from '../../core/image/errors';
import { encodeExecSpec, ExecSpecError, type ImageExecSpec } from '../../core/image/exec-spec';
import { execSpecFromConfig, type ExecOverrides } from '../../core/image/image-config';
import { readLayer } from '../oci/layer-reader';
import { Budget, DEFAULT_LIMITS, type Limits } from '../../core/image/limits';
import { ociFiles, resolveOciLayout } from '../oci/oci-layout';
import type { ResolvedImage } from '../oci/resolved-image';
import { applyLayer, emptyRoot, type DirInode, type FileInode } from '../../core/image/rootfs-tree';
import { cacheKey, entryPaths, publish, uuidFrom } from './cache';
import { d0CacheRoot } from '../cache/root';
import { HashThread } from '../hash-thread';
import { diskXattrs } from '../../core/ext4/tree-xattrs';
import { DataArea, finishExt4 } from './ext4/writer';
import { parseSource, type ImageSourceRef } from './source';

/** Superblock times: a fixed epoch, so that the bytes depend on the image only. */
export const FS_EPOCH = 946684800; // 2000-01-01T00:00:00Z

export interface ImageMeta {
  sha256: string;
  size: number;
  execSpec: ImageExecSpec;
  warnings: string[];
  configDigest: string;
  source: string;
}

export type ProgressEvent =
  /**
   * `bytes`: uncompressed layer bytes read so far; `stored`: the stored blobs' bytes read so far,
   * of `storedTotal` when every layer's stored size is known without reading (then the last
   * layers event has stored === storedTotal).
   */
  | { phase: 'layers'; bytes: number; stored: number; storedTotal?: number }
  | { phase: 'image'; step: 'metadata' | 'digest' };

export interface BuildOptions {
  source: string;
  out: string;
  /** Static PID1 binary placed at /.d0/init. */
  init: string;
  overrides?: ExecOverrides;
  /** Free space for the container, MiB (default 0: the 10 % / 16 MiB slack only). */
  headroomMiB?: number;
  docker?: Dockerode;
  cacheDir?: string;
  limits?: Partial<Limits>;
  onProgress?: (e: ProgressEvent) => void;
  /**
   * A docker: source: read the layers from the engine's own store when it is local and readable
   * (default true; false always goes through the engine's save, slower: builder/oci/README.md).
   */
  engineStore?: boolean;
  /** A docker: source on a cache miss: whether its layers came from the engine's store or a save. */
  onEngineRead?: (how: EngineRead) => void;
}

export interface BuildResult {
  image: string;
  meta: ImageMeta;
  cached: boolean;
  key: string;
}

function normalizedOverrides(o: ExecOverrides): ExecOverrides {
  const out: ExecOverrides = {};
  if (o.entrypoint) out.entrypoint = [...o.entrypoint];
  if (o.args) out.args = [...o.args];
  if (o.env?.length) out.env = [...o.env];
  if (o.cwd !== undefined) out.cwd = o.cwd;
  if (o.user !== undefined) out.user = o.user;
  return out;
}

function readInit(init: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(init);
  } catch {
    return fail('INIT_INVALID', `init binary ${init}: no such file`);
  }
  if (!st.isFile()) fail('INIT_INVALID', `init binary ${init}: not a regular file`);
  return fs.readFileSync(init);
}

/** The caller's dockerode if given, else a plain HTTP client on the engine socket (no dockerode load). */
function engine(opts: BuildOptions): Engine {
  return opts.docker ? fromDockerode(opts.docker) : engineClient();
}

/**
 * The image resolved without reading a layer: from an archive's index or a layout's JSON, or the
 * engine's id. For the engine, `resolve` finds the layers in its store or saves the image (only on
 * a cache miss).
 */
async function locate(
  src: ImageSourceRef,
  opts: BuildOptions,
  limits: Limits,
): Promise<{ configDigest: string; resolve: (spool: string) => Promise<ResolvedImage> }> {
  if (src.kind === 'docker') {
    const e = engine(opts);
    const { id } = await engineImage(e, src.image);
    return {
      configDigest: id,
      resolve: (spool) =>
        resolveEngineImage(e, src.image, id, spool, {
          maxJsonBytes: limits.maxJsonBytes,
          useStore: opts.engineStore ?? true,
          onRead: opts.onEngineRead,
        }),
    };
  }
  const image =
    src.kind === 'oci'
      ? resolveOciLayout(ociFiles(src.location), limits.maxJsonBytes, src.ref)
      : resolveDockerArchive(dockerArchiveFiles(src.file), limits.maxJsonBytes, src.ref);
  return { configDigest: image.configDigest, resolve: async () => image };
}

export async function buildImage(opts: BuildOptions): Promise<BuildResult> {
  const src = parseSource(opts.source);
  const overrides = normalizedOverrides(opts.overrides ?? {});
  const headroomMiB = opts.headroomMiB ?? 0;
  if (!Number.isInteger(headroomMiB) || headroomMiB < 0)
    fail('OVERRIDE_INVALID', `headroom ${headroomMiB}: expected whole MiB >= 0`);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const cacheDir = opts.cacheDir ?? d0CacheRoot();
  const init = readInit(opts.init);
  const initDigest = crypto.createHash('sha256').update(init).digest('hex');
  fs.mkdirSync(path.join(cacheDir, 'images'), { recursive: true });
  fs.mkdirSync(path.join(cacheDir, 'tmp'), { recursive: true });

  const found = await locate(src, opts, limits);
  const key = cacheKey({ configDigest: found.configDigest, initDigest, overrides, headroomMiB });
  const hit = fromCache(cacheDir, key, opts.out);
  if (hit) return hit;

  const work = fs.mkdtempSync(path.join(cacheDir, 'tmp', 'image-'));
  try {
    const image = await found.resolve(work);
    const made = path.join(work, 'image.img');
    const fd = fs.openSync(made, 'wx+', 0o600);
    let meta: ImageMeta;
    try {
      meta = await convert(image, fd, { opts, overrides, headroomMiB, limits, init, key });
    } finally {
      fs.closeSync(fd);
    }
    const entry = entryPaths(cacheDir, key);
    fs.chmodSync(made, 0o444);
    fs.renameSync(made, entry.img);
    fs.writeFileSync(entry.meta, JSON.stringify(meta, null, 2) + '\n');
    publish(entry.img, opts.out);
    fs.writeFileSync(`${opts.out}.json`, JSON.stringify(meta, null, 2) + '\n');
    return { image: opts.out, meta, cached: false, key };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

interface Job {
  opts: BuildOptions;
  overrides: ExecOverrides;
  headroomMiB: number;
  limits: Limits;
  init: Buffer;
  key: string;
}

/** convertOn with the layers' and the image's digests taken on a second thread. */
async function convert(image: ResolvedImage, fd: number, job: Job): Promise<ImageMeta> {
  const hashThread = new HashThread();
  try {
    return await convertOn(image, fd, job, hashThread);
  } finally {
    await hashThread.close();
  }
}

/** Layers -> tree + data blocks -> exec spec -> ext4 metadata; the image's sha256 last. */
async function convertOn(
  image: ResolvedImage,
  fd: number,
  job: Job,
  hashThread: HashThread,
): Promise<ImageMeta> {
  const { opts } = job;
  const data = new DataArea(fd);
  const budget = new Budget(job.limits);
  let layerBytes = 0;
  let stored = 0;
  const sizes = image.layers.map((l) => l.bytes);
  const storedTotal = sizes.every((b) => b !== undefined)
    ? sizes.reduce((a, b) => a! + b!, 0)
    : undefined;
  const progress = () =>
    opts.onProgress?.({ phase: 'layers', bytes: layerBytes, stored, storedTotal });
  const onBytes = (n: number) => {
    layerBytes += n;
    progress();
  };
  const onStoredBytes = (n: number) => {
    stored += n;
  };
  const root = emptyRoot();
  const warnings: string[] = [];
  for (const ref of image.layers) {
    const layer = await readLayer(ref.open(), {
      label: ref.label,
      data,
      budget,
      onBytes,
      onStoredBytes,
      hashThread,
    });
    if (ref.storedDigest !== undefined && layer.storedDigest !== ref.storedDigest)
      fail(
        'DIGEST_MISMATCH',
        `${ref.label}: blob ${ref.storedDigest} has sha256 ${layer.storedDigest}`,
      );
    if (layer.diffId !== ref.diffId)
      fail(
        'DIGEST_MISMATCH',
        `${ref.label}: uncompressed sha256 is ${layer.diffId}, config rootfs.diff_ids says ${ref.diffId}`,
      );
    applyLayer(root, layer);
    warnings.push(...layer.warnings);
  }
  progress(); // every layer read: stored === storedTotal
  const read = (f: FileInode) => data.read(f.start, f.size);
  const exec = execSpecFromConfig(image.config, root, job.overrides, image.name, read);
  warnings.unshift(...exec.warnings);
  addD0Files(root, data, job.init, execSpecBytes(exec.spec, image.name));
  addLostFound(root);

  opts.onProgress?.({ phase: 'image', step: 'metadata' });
  const xattrs = diskXattrs(root);
  finishExt4(fd, data, root, {
    uuid: uuidBytes(uuidFrom(job.key, 'uuid')),
    hashSeed: uuidBytes(uuidFrom(job.key, 'hash_seed')),
    label: 'd0-rootfs',
    time: FS_EPOCH,
    headroomMiB: job.headroomMiB,
    xattrs: (n) => xattrs.get(n) ?? [],
  });
  opts.onProgress?.({ phase: 'image', step: 'digest' });
  const size = fs.fstatSync(fd).size;
  return {
    sha256: await hashThread.fd(fd),
    size,
    execSpec: exec.spec,
    warnings,
    configDigest: image.configDigest,
    source: opts.source,
  };
}

/** The spec PID1 reads; a config it could not honour (a NUL, an Env entry without NAME=) is refused. */
function execSpecBytes(spec: ImageExecSpec, image: string): Buffer {
  try {
    return encodeExecSpec(spec);
  } catch (e) {
    if (e instanceof ExecSpecError) return fail('CONFIG_UNSUPPORTED', `${image}: ${e.message}`);
    throw e;
  }
}

const uuidBytes = (u: string) => Buffer.from(u.replace(/-/g, ''), 'hex');

function addD0Files(root: DirInode, data: DataArea, init: Buffer, exec: Buffer): void {
  if (root.children.has('.d0'))
    fail('ENTRY_INVALID', 'the image already contains /.d0, which D0 reserves');
  const meta = { uid: 0, gid: 0, mtime: FS_EPOCH, xattrs: new Map<string, Buffer>() };
  const file = (bytes: Buffer, mode: number): FileInode => {
    const f = data.file(bytes.length);
    f.write(bytes);
    return { kind: 'file', start: f.start, size: bytes.length, mode, ...meta };
  };
  const d0: DirInode = { kind: 'dir', children: new Map(), mode: 0o755, ...meta };
  d0.children.set('init', file(init, 0o755));
  d0.children.set('exec', file(exec, 0o644));
  root.children.set('.d0', d0);
}

/**
 * ext4's checker wants /lost+found to be a directory. An image's own lost+found directory is kept
 * as the image made it (its owner, mode and contents); any other kind of file by that name is
 * refused, since e2fsck would take the name over. Without one, an empty root-owned 0700 one is made.
 */
function addLostFound(root: DirInode): void {
  const existing = root.children.get('lost+found');
  if (existing === undefined) {
    root.children.set('lost+found', {
      kind: 'dir',
      children: new Map(),
      mode: 0o700,
      uid: 0,
      gid: 0,
      mtime: FS_EPOCH,
      xattrs: new Map(),
    });
  } else if (existing.kind !== 'dir') {
    fail(
      'ENTRY_INVALID',
      `the image's /lost+found is a ${existing.kind}; ext4 reserves that name for a directory`,
    );
  }
}

function fromCache(cacheDir: string, key: string, out: string): BuildResult | undefined {
  const entry = entryPaths(cacheDir, key);
  if (!fs.existsSync(entry.img) || !fs.existsSync(entry.meta)) return undefined;
  const meta = JSON.parse(fs.readFileSync(entry.meta, 'utf8')) as ImageMeta;
  publish(entry.img, out);
  fs.writeFileSync(`${out}.json`, JSON.stringify(meta, null, 2) + '\n');
  return { image: out, meta, cached: true, key };
}
