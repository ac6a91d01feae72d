// `d0 image build`: SOURCE -> reproducible ext4 disk image with the flattened rootfs, /.d0/init
// and /.d0/exec, plus <out>.json {sha256, size, execSpec, warnings}. See builder/README.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { readDockerArchiveFile, type ReadOpts } from '../oci/docker-archive';
import { engineImage, readEngineImage } from '../oci/docker-engine';
import { engineClient, fromDockerode, type Engine } from '../oci/engine-client';
import { fail } from '../oci/errors';
import { encodeExecSpec, type ExecSpec } from '../oci/exec-spec';
import { execSpecFromConfig, type Overrides } from '../oci/image-config';
import { Budget, DEFAULT_LIMITS, ScratchFull, type Limits } from '../oci/limits';
import { ociConfigDigest, readOciLayout } from '../oci/oci-layout';
import type { ResolvedImage } from '../oci/resolved-image';
import { applyLayer, emptyRoot, type DirInode } from '../oci/rootfs-tree';
import { cacheKey, d0Cache, entryPaths, publish, sha256FileSync, uuidFrom } from './cache';
import { FS_EPOCH, makeExt4, toolVersions } from './ext4';
import { materialize } from './materialize';
import { chooseScratch, diskScratch, type Scratch, type ScratchOptions } from './scratch';
import { parseSource, type ImageSourceRef } from './source';

export interface ImageMeta {
  sha256: string;
  size: number;
  execSpec: ExecSpec;
  warnings: string[];
  configDigest: string;
  source: string;
}

export type ProgressEvent =
  | { phase: 'layers'; bytes: number }
  | { phase: 'image'; step: 'stage' | 'mke2fs' | 'debugfs' | 'digest' };

export interface BuildOptions {
  source: string;
  out: string;
  /** Static PID1 binary placed at /.d0/init. */
  init: string;
  overrides?: Overrides;
  /** Free space for the container, MiB (default 0: the 10 % / 16 MiB slack only). */
  headroomMiB?: number;
  docker?: Dockerode;
  cacheDir?: string;
  limits?: Partial<Limits>;
  onProgress?: (e: ProgressEvent) => void;
  /** Where layer contents are unpacked: a tmpfs when they fit (see scratch.ts). */
  scratch?: ScratchOptions;
}

export interface BuildResult {
  image: string;
  meta: ImageMeta;
  cached: boolean;
  key: string;
  /** Directory the layer contents were unpacked under (absent on a cache hit). */
  scratch?: string;
}

let tools: string | undefined;

function normalizedOverrides(o: Overrides): Overrides {
  const out: Overrides = {};
  if (o.entrypoint) out.entrypoint = [...o.entrypoint];
  if (o.args) out.args = [...o.args];
  if (o.env?.length) out.env = [...o.env];
  if (o.cwd !== undefined) out.cwd = o.cwd;
  if (o.user !== undefined) out.user = o.user;
  return out;
}

function checkInit(init: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(init);
  } catch {
    return fail('INIT_INVALID', `init binary ${init}: no such file`);
  }
  if (!st.isFile()) fail('INIT_INVALID', `init binary ${init}: not a regular file`);
  return crypto.createHash('sha256').update(fs.readFileSync(init)).digest('hex');
}

/** The caller's dockerode if given, else a plain HTTP client on the engine socket (no dockerode load). */
function engine(opts: BuildOptions): Engine {
  return opts.docker ? fromDockerode(opts.docker) : engineClient();
}

/** What is known before any layer is read, where the source allows it (engine, OCI dir). */
interface Preview {
  configDigest?: string;
  /** Rough bytes of layer content, for choosing the scratch space. */
  estimate?: number;
}

async function preview(src: ImageSourceRef, opts: BuildOptions, maxJsonBytes: number): Promise<Preview> {
  if (src.kind === 'docker') {
    const info = await engineImage(engine(opts), src.image);
    return { configDigest: info.id, estimate: info.size };
  }
  if (src.kind === 'oci') {
    if (!fs.existsSync(src.location)) fail('IMAGE_NOT_FOUND', `oci:${src.location}: no such file or directory`);
    return { configDigest: ociConfigDigest(src.location, { maxJsonBytes }, src.ref) };
  }
  return { estimate: fs.existsSync(src.file) ? fs.statSync(src.file).size : undefined };
}

async function readImage(src: ImageSourceRef, opts: BuildOptions, ro: ReadOpts, id?: string): Promise<ResolvedImage> {
  if (src.kind === 'docker') return readEngineImage(engine(opts), src.image, id!, ro);
  if (src.kind === 'oci') return readOciLayout(src.location, ro, src.ref);
  return readDockerArchiveFile(src.file, ro, src.ref);
}

function addD0Files(root: DirInode, initBlob: string, initSize: number, execBlob: string, execSize: number): void {
  if (root.children.has('.d0')) fail('ENTRY_INVALID', 'the image already contains /.d0, which D0 reserves');
  const meta = { uid: 0, gid: 0, mtime: FS_EPOCH, xattrs: new Map<string, Buffer>() };
  const d0: DirInode = { kind: 'dir', children: new Map(), mode: 0o755, ...meta };
  d0.children.set('init', { kind: 'file', blob: initBlob, size: initSize, mode: 0o755, ...meta });
  d0.children.set('exec', { kind: 'file', blob: execBlob, size: execSize, mode: 0o644, ...meta });
  root.children.set('.d0', d0);
}

export async function buildImage(opts: BuildOptions): Promise<BuildResult> {
  const src = parseSource(opts.source);
  const overrides = normalizedOverrides(opts.overrides ?? {});
  const headroomMiB = opts.headroomMiB ?? 0;
  if (!Number.isInteger(headroomMiB) || headroomMiB < 0) fail('OVERRIDE_INVALID', `headroom ${headroomMiB}: expected whole MiB >= 0`);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const cacheDir = opts.cacheDir ?? d0Cache();
  const initDigest = checkInit(opts.init);
  tools ??= toolVersions();
  fs.mkdirSync(path.join(cacheDir, 'images'), { recursive: true });
  fs.mkdirSync(path.join(cacheDir, 'tmp'), { recursive: true });
  const keyOf = (configDigest: string) => cacheKey({ configDigest, initDigest, overrides, tools: tools!, headroomMiB });

  const seen = await preview(src, opts, limits.maxJsonBytes);
  if (seen.configDigest !== undefined) {
    const hit = fromCache(cacheDir, keyOf(seen.configDigest), opts.out);
    if (hit) return hit;
  }
  const job: Job = { src, opts, overrides, headroomMiB, limits, cacheDir, keyOf, configDigest: seen.configDigest };
  const scratch = chooseScratch(cacheDir, seen.estimate, opts.scratch);
  try {
    return await convert(job, scratch);
  } catch (err) {
    if (!(err instanceof ScratchFull)) throw err;
    return convert(job, diskScratch(cacheDir));
  }
}

interface Job {
  src: ImageSourceRef;
  opts: BuildOptions;
  overrides: Overrides;
  headroomMiB: number;
  limits: Limits;
  cacheDir: string;
  keyOf: (configDigest: string) => string;
  configDigest?: string;
}

/** One cold conversion with layer contents in `scratch`; the image ends up in the cache. */
async function convert(job: Job, scratch: Scratch): Promise<BuildResult> {
  const { opts, cacheDir } = job;
  fs.mkdirSync(scratch.dir, { recursive: true });
  const imgDir = fs.mkdtempSync(path.join(cacheDir, 'tmp', 'image-'));
  const work = scratch.allowance === undefined && scratch.dir === path.join(cacheDir, 'tmp') ? imgDir : fs.mkdtempSync(path.join(scratch.dir, 'd0-image-'));
  const blobDir = path.join(work, 'blobs');
  fs.mkdirSync(blobDir);
  const ro: ReadOpts = { blobDir, budget: new Budget(job.limits, scratch.allowance), maxJsonBytes: job.limits.maxJsonBytes };
  let layerBytes = 0;
  ro.onBytes = (n) => opts.onProgress?.({ phase: 'layers', bytes: (layerBytes += n) });
  try {
    const image = await readImage(job.src, opts, ro, job.configDigest);
    const key = job.keyOf(image.configDigest);
    const hit = fromCache(cacheDir, key, opts.out);
    if (hit) return hit;

    const root = emptyRoot();
    for (const layer of image.layers) applyLayer(root, layer);
    const { spec, warnings } = execSpecFromConfig(image.config, root, job.overrides, image.name);
    for (const layer of image.layers) warnings.push(...layer.warnings);

    const initBlob = path.join(blobDir, 'd0-init');
    fs.copyFileSync(opts.init, initBlob);
    const execBlob = path.join(blobDir, 'd0-exec');
    const execText = encodeExecSpec(spec);
    fs.writeFileSync(execBlob, execText);
    addD0Files(root, initBlob, fs.statSync(initBlob).size, execBlob, Buffer.byteLength(execText));

    opts.onProgress?.({ phase: 'image', step: 'stage' });
    const stage = path.join(work, 'root');
    const values = path.join(work, 'xattrs');
    fs.mkdirSync(stage, { mode: 0o700 });
    fs.mkdirSync(values);
    const plan = materialize(root, stage, values);
    opts.onProgress?.({ phase: 'image', step: 'mke2fs' });
    // The image is made on the cache's filesystem (a rename publishes it), whatever the scratch:
    // making it on tmpfs and copying it over in the hashing pass measured slower.
    const made = path.join(imgDir, 'image.img');
    makeExt4({
      stage, out: made, plan, uuid: uuidFrom(key, 'uuid'), hashSeed: uuidFrom(key, 'hash_seed'),
      scriptFile: path.join(work, 'debugfs.txt'), policy: { headroomMiB: job.headroomMiB },
    });
    opts.onProgress?.({ phase: 'image', step: 'digest' });
    const size = fs.statSync(made).size;
    const sha256 = sha256FileSync(made);
    const meta: ImageMeta = { sha256, size, execSpec: spec, warnings, configDigest: image.configDigest, source: opts.source };
    const entry = entryPaths(cacheDir, key);
    fs.chmodSync(made, 0o444);
    fs.renameSync(made, entry.img);
    fs.writeFileSync(entry.meta, JSON.stringify(meta, null, 2) + '\n');
    publish(entry.img, opts.out);
    fs.writeFileSync(`${opts.out}.json`, JSON.stringify(meta, null, 2) + '\n');
    return { image: opts.out, meta, cached: false, key, scratch: scratch.dir };
  } finally {
    if (work !== imgDir) fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(imgDir, { recursive: true, force: true });
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
