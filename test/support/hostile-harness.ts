// The harness of test/oci/hostile: each hostile archive is written as an OCI layout (or a docker
// save tar) by the test, converted by buildImage, and then either refused - its ImageErrorCode,
// a message naming the path and the layer, no --out - or accepted, and its image checked with
// `e2fsck -fn`. After every case, accepted or not: a canary directory outside the work dir is
// byte-identical (names, modes, contents, link targets), the host's /etc/passwd is unchanged,
// the build left nothing in $CACHE/tmp, and no d0-* file appeared in /dev/shm.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage, type BuildResult } from '../../builder/image/build';
import { ImageError, type ImageErrorCode } from '../../core/image/errors';
import type { Limits } from '../../core/image/limits';
import { RawImage, fsck } from './ext4-raw';
import { imageConfig, rawTar, writeDockerArchive, writeOciLayout, type RawEntry } from './oci-pack';

/** What every image needs to be built at all: an executable /bin/sh for Cmd (a stand-in, never run). */
export const BASE: RawEntry[] = [
  { name: 'bin/', type: '5' },
  { name: 'bin/sh', content: '#!/bin/true\n', mode: 0o755 },
];

/** A tar of BASE and then the entries. */
export const withBase = (entries: RawEntry[], opts?: { end?: boolean }) => rawTar([...BASE, ...entries], opts);

/** Every archive a hostile test converted, by name (the corpus size is reported at the end). */
export const corpus = new Set<string>();

export interface CaseOptions {
  limits?: Partial<Limits>;
  /** Stored bytes per layer instead of the plain tar (compressed, cut, zstd). */
  blobs?: (Buffer | undefined)[];
  gzip?: boolean;
  /** 'docker-archive': a docker save tar instead of an OCI layout directory. */
  source?: 'oci' | 'docker-archive';
  /** The image config's `config` (default Cmd ["/bin/sh"]; the base layer has /bin/sh). */
  config?: Record<string, unknown>;
}

export interface Refusal {
  code: ImageErrorCode;
  /** What the message must say: the path at least. */
  mention: RegExp;
  /** The layer index the message must name, or null when the refusal is about the merged tree. */
  layer: number | null;
}

interface Snapshot {
  canary: string;
  passwd: string;
  shm: Set<string>;
}

/** name -> type, mode, size, content sha256 / link target of every file under dir, sorted. */
function treeDigest(dir: string): string {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    let what = '';
    if (st.isSymbolicLink()) what = 'link:' + fs.readlinkSync(abs);
    else if (st.isFile()) what = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${what}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(abs).sort()) walk(path.join(rel, n));
  };
  walk('.');
  return out.join('\n');
}

const shmD0 = () => new Set(fs.readdirSync('/dev/shm').filter((n) => n.startsWith('d0-')));

/** A d0-* name tagged with another live process's pid (a bench running beside the tests) is not ours. */
function ours(name: string): boolean {
  const pid = /-(\d+)$/.exec(name)?.[1];
  return !(pid && +pid !== process.pid && fs.existsSync(`/proc/${pid}`));
}

export class Hostile {
  readonly root: string;
  /** Outside every work dir; hostile archives aim at it by absolute path and by '..'. */
  readonly canary: string;
  readonly cacheDir: string;
  private readonly canaryDigest: string;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-hostile-'));
    this.canary = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-canary-'));
    fs.writeFileSync(path.join(this.canary, 'passwd'), 'root:x:0:0:canary:/root:/bin/sh\n');
    fs.mkdirSync(path.join(this.canary, 'etc'));
    fs.writeFileSync(path.join(this.canary, 'etc', 'shadow'), 'secret\n', { mode: 0o600 });
    fs.symlinkSync('passwd', path.join(this.canary, 'link'));
    this.cacheDir = path.join(this.root, 'cache');
    this.canaryDigest = treeDigest(this.canary);
  }

  /** '../' enough times to climb from any work dir to '/', then the canary's path. */
  get up(): string {
    return '../'.repeat(24) + this.canary.slice(1);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(this.canary, { recursive: true, force: true });
  }

  private snapshot(): Snapshot {
    return { canary: treeDigest(this.canary), passwd: fs.readFileSync('/etc/passwd', 'latin1'), shm: shmD0() };
  }

  private contained(before: Snapshot, out: string): void {
    assert.equal(treeDigest(this.canary), this.canaryDigest, 'the canary directory changed');
    assert.equal(fs.readFileSync('/etc/passwd', 'latin1'), before.passwd, "the host's /etc/passwd changed");
    const tmp = path.join(this.cacheDir, 'tmp');
    assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], [], 'work files left in $CACHE/tmp');
    const left = [...shmD0()].filter((n) => !before.shm.has(n) && ours(n));
    assert.deepEqual(left, [], 'files left in /dev/shm');
    assert.equal(fs.existsSync(`${out}.tmp-${process.pid}`), false);
  }

  private source(name: string, layers: Buffer[], opts: CaseOptions): string {
    assert(!corpus.has(name), `case name ${name} used twice`);
    corpus.add(name);
    const config = imageConfig(layers, opts.config ?? { Cmd: ['/bin/sh'] });
    if (opts.source === 'docker-archive') {
      const file = path.join(this.root, `${name}.tar`);
      return `docker-archive:${file}`;
    }
    const dir = path.join(this.root, name);
    fs.mkdirSync(dir);
    writeOciLayout(dir, layers, config, { gzip: opts.gzip, blobs: opts.blobs });
    return `oci:${dir}`;
  }

  private async build(name: string, layers: Buffer[], opts: CaseOptions): Promise<{ out: string; before: Snapshot; run: Promise<BuildResult> }> {
    const src = this.source(name, layers, opts);
    if (src.startsWith('docker-archive:'))
      await writeDockerArchive(src.slice('docker-archive:'.length), layers, imageConfig(layers, opts.config ?? { Cmd: ['/bin/sh'] }));
    const out = path.join(this.root, `${name}.img`);
    const before = this.snapshot();
    const run = buildImage({ source: src, out, init: '/bin/busybox', cacheDir: this.cacheDir, limits: opts.limits });
    return { out, before, run };
  }

  /** The build must fail with `code`, naming the path (and the layer); nothing is published. */
  async refused(name: string, layers: Buffer[], r: Refusal, opts: CaseOptions = {}): Promise<ImageError> {
    const { out, before, run } = await this.build(name, layers, opts);
    return this.expectRefusal(name, out, before, run, r);
  }

  /** Like refused, for a source the test assembled itself (archive-level tricks). */
  async refusedSource(name: string, source: string, r: Refusal, limits?: Partial<Limits>): Promise<ImageError> {
    assert(!corpus.has(name), `case name ${name} used twice`);
    corpus.add(name);
    const out = path.join(this.root, `${name}.img`);
    const before = this.snapshot();
    const run = buildImage({ source, out, init: '/bin/busybox', cacheDir: this.cacheDir, limits });
    return this.expectRefusal(name, out, before, run, r);
  }

  private async expectRefusal(name: string, out: string, before: Snapshot, run: Promise<BuildResult>, r: Refusal): Promise<ImageError> {
    let caught: unknown;
    try {
      await run;
    } catch (e) {
      caught = e;
    }
    assert(caught instanceof ImageError, `${name}: expected ImageError ${r.code}, got ${caught === undefined ? 'success' : String(caught)}`);
    assert.equal(caught.code, r.code, `${name}: ${caught.message}`);
    assert.match(caught.message, r.mention, `${name}: message does not name what was wrong: ${caught.message}`);
    if (r.layer !== null) assert.match(caught.message, new RegExp(`: layer ${r.layer} \\(`), `${name}: message does not name layer ${r.layer}`);
    assert.equal(fs.existsSync(out), false, '--out exists after a refusal');
    assert.equal(fs.existsSync(`${out}.json`), false, '--out.json exists after a refusal');
    this.contained(before, out);
    this.drop(name);
    return caught;
  }

  /** The build must succeed with a clean `e2fsck -fn`; returns the image for debugfs reads. */
  async accepted(name: string, layers: Buffer[], opts: CaseOptions = {}): Promise<RawImage & { result: BuildResult }> {
    const { out, before, run } = await this.build(name, layers, opts);
    const result = await run;
    assert.equal(result.cached, false);
    const check = fsck(out);
    assert.equal(check.status, 0, `${name}: e2fsck -fn:\n${check.output}`);
    this.contained(before, out);
    this.drop(name);
    return Object.assign(new RawImage(out), { result });
  }

  /** Like accepted, for a source the test assembled itself. */
  async acceptedSource(name: string, source: string): Promise<RawImage & { result: BuildResult }> {
    assert(!corpus.has(name), `case name ${name} used twice`);
    corpus.add(name);
    const out = path.join(this.root, `${name}.img`);
    const before = this.snapshot();
    const result = await buildImage({ source, out, init: '/bin/busybox', cacheDir: this.cacheDir });
    assert.equal(result.cached, false);
    const check = fsck(out);
    assert.equal(check.status, 0, `${name}: e2fsck -fn:\n${check.output}`);
    this.contained(before, out);
    this.drop(name);
    return Object.assign(new RawImage(out), { result });
  }

  /** Removes a case's input (the image stays until cleanup, for reads). */
  private drop(name: string): void {
    fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    fs.rmSync(path.join(this.root, `${name}.tar`), { force: true });
    fs.rmSync(path.join(this.cacheDir, 'images'), { recursive: true, force: true });
  }
}

/** One Hostile per mocha file: made before its tests, removed after; the corpus size is printed once. */
export function hostileSuite(): { h: Hostile } {
  const ctx = {} as { h: Hostile };
  before(() => {
    ctx.h = new Hostile();
  });
  after(() => ctx.h?.cleanup());
  return ctx;
}

// Root-level: once every hostile file has run, say how many archives the corpus held (under mocha only).
if (typeof after === 'function')
  after(() => {
    if (corpus.size) console.log(`      hostile corpus: ${corpus.size} archives converted`);
  });
