// A docker: source read from the engine's own layer store (builder/oci/engine-store.ts), with a
// real dockerd: no save, the same bytes as through the save and from `docker save`'s archive; the
// save when the store is not on this host; and a store that lies (a copy of the real one, then
// damaged) is refused with the layer and file named, writing nothing and reading nothing through
// a symlink.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type Dockerode from 'dockerode';
import { buildImage, type BuildOptions } from '../../builder/image/build';
import type { EngineRead } from '../../builder/oci/docker-engine';
import { chainIds, layerFilesDir, resolveEngineStore } from '../../builder/oci/engine-store';
import type { ImageError } from '../../core/image/errors';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';
import { countingSaves, withDataRoot } from '../support/engine-proxies';

const TAG = 'd0-test/engine-store:1';
const INIT = '/bin/busybox';
const D0_BIN = path.join(__dirname, '../../cli/d0.js');

interface Storage {
  DockerRootDir: string;
  Driver: string;
}

interface SplitFile {
  layer: number;
  name: string;
  size: number;
}

describe('oci: a docker: source read from the engine store', function () {
  this.timeout(300_000);
  let dockerd: DockerHandle;
  let docker: Dockerode;
  let tmp: string;
  let id: string;
  let storage: Storage;
  let reference: string;

  before(async () => {
    dockerd = await ensureDockerd();
    docker = dockerd.docker;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-store-'));
    const ctx = path.join(tmp, 'ctx');
    fs.cpSync(path.join(__dirname, '../support/images/multilayer'), ctx, { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
    execFileSync('/usr/bin/docker', ['build', '-q', '-t', TAG, ctx], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    id = (await docker.getImage(TAG).inspect()).Id;
    storage = (await docker.info()) as Storage;
    const save = path.join(tmp, 'save.tar');
    execFileSync('/usr/bin/docker', ['save', '-o', save, TAG]);
    reference = (await build('reference', { source: `docker-archive:${save}` })).meta.sha256;
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    execFileSync('/usr/bin/docker', ['rmi', '-f', TAG], { stdio: 'ignore' });
    await dockerd?.stop();
  });

  const build = (name: string, extra: Partial<BuildOptions> = {}) =>
    buildImage({
      source: `docker:${TAG}`,
      out: path.join(tmp, `${name}.img`),
      init: INIT,
      docker,
      cacheDir: path.join(tmp, `cache-${name}`),
      ...extra,
    });

  it('reads the layers from the store without a save: the bytes of docker save', async () => {
    const counting = countingSaves(docker);
    const reads: EngineRead[] = [];
    const r = await build('store', { docker: counting.docker, onEngineRead: (h) => reads.push(h) });
    assert.deepEqual(reads, [{ via: 'store' }]);
    assert.equal(counting.saves(), 0);
    assert.equal(r.meta.sha256, reference);
  });

  it('goes through the save when asked to, with the same bytes', async () => {
    const counting = countingSaves(docker);
    const reads: EngineRead[] = [];
    const r = await build('save', {
      docker: counting.docker,
      engineStore: false,
      onEngineRead: (h) => reads.push(h),
    });
    assert.equal(reads.length, 1);
    assert.equal(reads[0].via, 'save');
    assert.equal(counting.saves(), 1);
    assert.equal(r.meta.sha256, reference);
  });

  it('goes through the save when the store is not on this host', async () => {
    const counting = countingSaves(withDataRoot(docker, path.join(tmp, 'no-such-root')));
    const reads: EngineRead[] = [];
    const r = await build('elsewhere', {
      docker: counting.docker,
      onEngineRead: (h) => reads.push(h),
    });
    assert.equal(reads.length, 1);
    assert.equal(reads[0].via, 'save');
    assert.match((reads[0] as { because: string }).because, /no-such-root.* is not readable here/);
    assert.equal(counting.saves(), 1);
    assert.equal(r.meta.sha256, reference);
  });

  it('d0 image build says why it goes through the save: the store hidden in another mount namespace', () => {
    const out = path.join(tmp, 'cli.img');
    // A private mount namespace in which the engine's image records are an empty tmpfs: the
    // engine answers on its socket, its store is not there (an engine in a VM or a container).
    const script = 'mount -t tmpfs d0-hidden "$1" && shift && exec "$@"';
    const r = spawnSync(
      'unshare',
      [
        '-m',
        'sh',
        '-c',
        script,
        'sh',
        path.join(storage.DockerRootDir, 'image'),
        process.execPath,
        D0_BIN,
        'image',
        'build',
        `docker:${TAG}`,
        '--out',
        out,
        '--init',
        INIT,
      ],
      { encoding: 'utf8', env: { ...process.env, D0_CACHE: path.join(tmp, 'cli-cache') } },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /the engine's layer store cannot be read here \(.*imagedb.* is not readable here\); going through docker save/,
    );
    assert.match(r.stdout, new RegExp(`sha256 ${reference}`));
  });

  describe('a damaged copy of the store', () => {
    let root: string;
    let files: SplitFile[];
    let canary: string;
    let canaryBefore: Buffer;

    // Paths in the copy, or (base) in the real store.
    const imageDir = (base = root) => path.join(base, 'image', storage.Driver);
    const configFile = (base = root) =>
      path.join(imageDir(base), 'imagedb/content/sha256', id.slice(7));
    const diffIds = (base = root) =>
      (JSON.parse(fs.readFileSync(configFile(base), 'utf8')) as { rootfs: { diff_ids: string[] } })
        .rootfs.diff_ids;
    const layerRecord = (layer: number, base = root) =>
      path.join(imageDir(base), 'layerdb/sha256', chainIds(diffIds(base))[layer].slice(7));
    const layerFiles = (layer: number, base = root) =>
      layerFilesDir(
        base,
        storage.Driver,
        fs.readFileSync(path.join(layerRecord(layer, base), 'cache-id'), 'utf8').trim(),
      )!;

    /** A fresh copy of the image's part of the real store: its config, layer records and layer files. */
    beforeEach(() => {
      root = fs.mkdtempSync(path.join(tmp, 'root-'));
      const real = storage.DockerRootDir;
      const copy = (p: string) => {
        const to = path.join(root, path.relative(real, p));
        fs.mkdirSync(path.dirname(to), { recursive: true });
        execFileSync('cp', ['-a', '--', p, to]);
      };
      copy(configFile(real));
      files = [];
      for (const layer of diffIds(real).keys()) {
        copy(layerRecord(layer, real));
        copy(layerFiles(layer, real));
        const lines = zlib
          .gunzipSync(fs.readFileSync(path.join(layerRecord(layer), 'tar-split.json.gz')))
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim());
        for (const l of lines) {
          const e = JSON.parse(l) as { type: number; name?: string; size?: number };
          if (e.type === 1 && (e.size ?? 0) > 0)
            files.push({ layer, name: e.name!, size: e.size! });
        }
      }
      canary = fs.mkdtempSync(path.join(tmp, 'canary-'));
      fs.writeFileSync(path.join(canary, 'secret'), 'host file: never in an image\n');
      canaryBefore = fs.readFileSync(path.join(canary, 'secret'));
    });
    afterEach(() => {
      assert.ok(fs.readFileSync(path.join(canary, 'secret')).equals(canaryBefore));
      fs.rmSync(root, { recursive: true, force: true });
    });

    /** Builds from the damaged copy: refused with `code` and a message matching `message`; nothing written. */
    async function refused(name: string, code: string, message: RegExp): Promise<void> {
      const out = path.join(tmp, `${name}.img`);
      const cacheDir = path.join(tmp, `cache-${name}`);
      const reads: EngineRead[] = [];
      await assert.rejects(
        build(name, {
          docker: withDataRoot(docker, root),
          out,
          cacheDir,
          onEngineRead: (h) => reads.push(h),
        }),
        (e: ImageError) => {
          assert.equal(e.code, code, e.message);
          assert.match(e.message, message);
          return true;
        },
      );
      assert.equal(fs.existsSync(out), false);
      assert.deepEqual(fs.readdirSync(path.join(cacheDir, 'tmp')), []);
      assert.deepEqual(fs.readdirSync(path.join(cacheDir, 'images')), []);
    }

    /** A file of a layer with at least one directory above it, and more than a few bytes. */
    const nested = () => files.find((f) => f.name.includes('/') && f.size > 4)!;

    it('builds the reference bytes from the undamaged copy', async () => {
      const reads: EngineRead[] = [];
      const r = await build('copy', {
        docker: withDataRoot(docker, root),
        onEngineRead: (h) => reads.push(h),
      });
      assert.deepEqual(reads, [{ via: 'store' }]);
      assert.equal(r.meta.sha256, reference);
    });

    it("refuses a file whose bytes differ from the layer's diff_id", async () => {
      const f = nested();
      const p = path.join(layerFiles(f.layer), f.name);
      const bytes = fs.readFileSync(p);
      bytes[0] ^= 0xff;
      fs.writeFileSync(p, bytes);
      await refused('changed', 'DIGEST_MISMATCH', new RegExp(`layer ${f.layer} .*diff_ids`));
    });

    it('refuses a file of another size than its tar header says', async () => {
      const f = nested();
      fs.truncateSync(path.join(layerFiles(f.layer), f.name), f.size - 1);
      await refused(
        'short',
        'FORMAT_INVALID',
        new RegExp(`has ${f.size - 1} bytes, its tar header says ${f.size}`),
      );
    });

    it('refuses, without reading through it, a parent directory that is a symlink', async () => {
      const f = nested();
      const parent = path.dirname(f.name);
      const dir = path.join(layerFiles(f.layer), parent);
      // The canary holds a file of the same name and size: followed, it would be read as the image's.
      fs.writeFileSync(path.join(canary, path.basename(f.name)), Buffer.alloc(f.size, 0x41));
      fs.rmSync(dir, { recursive: true });
      fs.symlinkSync(canary, dir);
      await refused('parent-link', 'ENTRY_UNSAFE', new RegExp(`parent "${parent}" is a symlink`));
      fs.rmSync(path.join(canary, path.basename(f.name)));
    });

    it('refuses a file that is a symlink', async () => {
      const f = nested();
      const p = path.join(layerFiles(f.layer), f.name);
      fs.writeFileSync(path.join(canary, 'same-size'), Buffer.alloc(f.size, 0x41));
      fs.rmSync(p);
      fs.symlinkSync(path.join(canary, 'same-size'), p);
      await refused('file-link', 'ENTRY_UNSAFE', /is a symlink/);
      fs.rmSync(path.join(canary, 'same-size'));
    });

    it('refuses a tar-split entry naming a path outside the layer', async () => {
      const f = nested();
      const record = path.join(layerRecord(f.layer), 'tar-split.json.gz');
      const text = zlib.gunzipSync(fs.readFileSync(record)).toString('utf8');
      const escaped = text.replace(JSON.stringify(f.name), JSON.stringify(`../../${f.name}`));
      assert.notEqual(escaped, text);
      fs.writeFileSync(record, zlib.gzipSync(escaped));
      await refused('escape', 'ENTRY_UNSAFE', /not a path below the layer/);
    });

    it('refuses a tar-split that is not JSON lines', async () => {
      const record = path.join(layerRecord(0), 'tar-split.json.gz');
      fs.writeFileSync(
        record,
        zlib.gzipSync('{"type":2,"payload":"AAAA","position":0}\nnot json\n'),
      );
      await refused('garbled', 'FORMAT_INVALID', /tar-split, line 2/);
    });

    it('fails, and does not hang, when a layer record goes away after the image was resolved', async function () {
      this.timeout(20_000); // a hang is the failure this looks for
      const found = resolveEngineStore(
        { ...storage, DockerRootDir: root },
        `docker:${TAG}`,
        id,
        1 << 20,
      );
      assert.ok('image' in found, JSON.stringify(found));
      fs.rmSync(path.join(layerRecord(0), 'tar-split.json.gz'));
      const read = async () => {
        for await (const chunk of found.image.layers[0].open()) void chunk;
      };
      await assert.rejects(read(), /ENOENT/);
    });

    it("refuses a config that does not hash to the image's id", async () => {
      fs.appendFileSync(configFile(), ' ');
      await refused('config', 'DIGEST_MISMATCH', /does not hash to/);
    });
  });
});
