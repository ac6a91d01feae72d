// publishBuild end to end on signed builds: the layout (the slot tree verbatim, pointers of
// signature + TLV), a host moved to a new build, an identical build reused, and every class of
// refusal leaving the site exactly as it was.
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode } from '../../core/errors';
import {
  bootloaderName,
  FALLBACK_BOOTLOADER,
  manifestName,
  signatureName,
} from '../../core/naming';
import { slotFiles } from '../../builder/site/slot-files';
import {
  checkBuild,
  publishBuild,
  PublishError,
  writePublication,
  type PublishRequest,
} from '../../builder/publish';
import { flipByte, makeTestBuild, OTHER_KEY, SITE_KEY, snapshot, type TestBuild } from './support';

const H1 = '52-54-00-12-34-56';
const H2 = '52-54-00-12-34-57';

describe('publish: publishBuild', () => {
  let tmp: string;
  let n = 0;
  /** A fresh site directory (not created) and a parent for builds. */
  const fresh = () => path.join(tmp, `site-${++n}`);

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-publish-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const req = (site: string, b: TestBuild, hosts = [H1]): PublishRequest => ({
    site,
    buildDir: b.dir,
    publicKey: SITE_KEY.publicKey,
    hosts,
  });

  /** A site holding one published build pointed at by H1, and a snapshot of it. */
  async function publishedSite(): Promise<{
    site: string;
    first: TestBuild;
    before: Record<string, string>;
  }> {
    const site = fresh();
    const first = makeTestBuild(tmp);
    await publishBuild(req(site, first));
    return { site, first, before: snapshot(site) };
  }

  /** publishBuild must fail with `code` (and `reason`) and leave the site as it was. */
  async function refused(
    site: string,
    before: Record<string, string>,
    r: PublishRequest,
    code: string,
    reason?: string | RegExp,
  ): Promise<PublishError> {
    const e = await publishBuild(r).then(
      () => assert.fail('published a build that should be refused'),
      (x: unknown) => x,
    );
    assert.ok(e instanceof PublishError, String(e));
    assert.equal(errorCode(e), code, e.message);
    if (reason instanceof RegExp) assert.match(e.reason ?? '', reason);
    else if (reason !== undefined) assert.equal(e.reason, reason);
    if (code === 'PUBLISH_BAD_BUILD') assert.match(e.message, /refused: .*nothing was published/);
    assert.deepEqual(snapshot(site), before, 'the site changed');
    return e;
  }

  it('publishes the slot tree verbatim under builds/<uuid>/ and each pointer as signature + TLV', async () => {
    const site = fresh();
    const b = makeTestBuild(tmp);
    const r = await publishBuild(req(site, b, [H1, H2, H1]));
    assert.equal(r.uuid, b.uuid);
    assert.equal(r.reused, false);
    assert.equal(r.buildDir, path.join(site, 'builds', b.uuid));
    const want = slotFiles(b.slotDir);
    assert.deepEqual(slotFiles(r.buildDir), want);
    assert.deepEqual(
      r.files.map((f) => f.path),
      want,
    );
    for (const f of want)
      assert.ok(
        fs.readFileSync(path.join(r.buildDir, f)).equals(fs.readFileSync(path.join(b.slotDir, f))),
        f,
      );
    assert.deepEqual(
      r.pointers.map((p) => p.host),
      [H1, H2],
    );
    for (const p of r.pointers) {
      assert.equal(p.file, path.join(site, 'hosts', `${p.host}.d0ptr`));
      assert.equal(p.previous, undefined);
      assert.ok(fs.readFileSync(p.file).equals(Buffer.concat([b.sig, b.tlv])));
    }
    // Nothing else: no staging directory, no temp pointer, no build.json.
    assert.deepEqual(fs.readdirSync(path.join(site, 'builds')), [b.uuid]);
    assert.deepEqual(fs.readdirSync(path.join(site, 'hosts')).sort(), [
      `${H1}.d0ptr`,
      `${H2}.d0ptr`,
    ]);
    // The D0 a blank host netboots: the build's, byte for byte.
    assert.equal(r.netboot, path.join(site, 'netboot', 'BOOTX64.EFI'));
    assert.ok(
      fs.readFileSync(r.netboot).equals(fs.readFileSync(path.join(b.slotDir, 'EFI/BOOT/BOOTX64.EFI'))),
    );
    assert.deepEqual(fs.readdirSync(path.join(site, 'netboot')), ['BOOTX64.EFI']);
    assert.deepEqual(fs.readdirSync(site).sort(), ['builds', 'hosts', 'netboot']);
  });

  it('takes the slot/ directory as the build as well, and publishes a build with no host', async () => {
    const site = fresh();
    const b = makeTestBuild(tmp);
    const r = await publishBuild({ ...req(site, b, []), buildDir: b.slotDir });
    assert.deepEqual(r.pointers, []);
    assert.deepEqual(slotFiles(r.buildDir), slotFiles(b.slotDir));
    assert.deepEqual(fs.readdirSync(path.join(site, 'hosts')), []);
  });

  it('moves a host to a new build by replacing its pointer and names the build it pointed at', async () => {
    const { site, first } = await publishedSite();
    const next = makeTestBuild(tmp);
    const r = await publishBuild(req(site, next, [H1, H2]));
    assert.deepEqual(
      r.pointers.map((p) => [p.host, p.previous]),
      [
        [H1, first.uuid],
        [H2, undefined],
      ],
    );
    assert.ok(fs.readFileSync(r.pointers[0].file).equals(Buffer.concat([next.sig, next.tlv])));
    assert.deepEqual(
      fs.readdirSync(path.join(site, 'builds')).sort(),
      [first.uuid, next.uuid].sort(),
    );
  });

  it('reuses an identical builds/<uuid>/ as it is (same inodes), and still writes the pointers', async () => {
    const { site, first } = await publishedSite();
    const efi = path.join(site, 'builds', first.uuid, bootloaderName(first.uuid));
    const ino = fs.statSync(efi).ino;
    const r = await publishBuild(req(site, first, [H2]));
    assert.equal(r.reused, true);
    assert.equal(fs.statSync(efi).ino, ino);
    assert.ok(
      fs
        .readFileSync(path.join(site, 'hosts', `${H2}.d0ptr`))
        .equals(Buffer.concat([first.sig, first.tlv])),
    );
    assert.deepEqual(fs.readdirSync(path.join(site, 'builds')), [first.uuid]);
  });

  it('refuses a builds/<uuid>/ that differs from the build: a changed byte or size, an extra file, a missing file', async () => {
    const { site, first } = await publishedSite();
    const pub = path.join(site, 'builds', first.uuid);
    const disk = first.manifest.containers[0].disk_path;
    const edits: [string, () => void, () => void, RegExp][] = [
      [
        'changed byte',
        () => flipByte({ ...first, slotDir: pub }, FALLBACK_BOOTLOADER),
        () => flipByte({ ...first, slotDir: pub }, FALLBACK_BOOTLOADER),
        /EFI\/BOOT\/BOOTX64\.EFI has other bytes/,
      ],
      [
        'changed size',
        () => fs.appendFileSync(path.join(pub, FALLBACK_BOOTLOADER), 'x'),
        () => fs.truncateSync(path.join(pub, FALLBACK_BOOTLOADER), first.efi.length),
        /EFI\/BOOT\/BOOTX64\.EFI has 3001 bytes/,
      ],
      [
        'extra file',
        () => fs.writeFileSync(path.join(pub, 'VM', 'extra.img'), 'x'),
        () => fs.rmSync(path.join(pub, 'VM', 'extra.img')),
        /VM\/extra\.img is not a file of the build/,
      ],
      [
        'missing file',
        () => fs.renameSync(path.join(pub, disk), path.join(tmp, 'aside')),
        () => fs.renameSync(path.join(tmp, 'aside'), path.join(pub, disk)),
        new RegExp(`${disk.replace(/[.]/g, '\\.')} is missing`),
      ],
    ];
    for (const [what, edit, undo, why] of edits) {
      edit();
      const before = snapshot(site);
      const e = await refused(site, before, req(site, first, [H2]), 'PUBLISH_CONFLICT');
      assert.match(e.message, why, what);
      assert.match(e.message, /already exists and differs/);
      undo();
    }
    assert.equal((await publishBuild(req(site, first, [H2]))).reused, true);
  });

  describe('refuses, writing nothing', () => {
    let site: string;
    let clean: Record<string, string>;
    before(async () => {
      ({ site, before: clean } = await publishedSite());
    });

    it('a signature by another key', async () => {
      await refused(
        site,
        clean,
        req(site, makeTestBuild(tmp, { key: OTHER_KEY })),
        'PUBLISH_BAD_BUILD',
        'bad_signature',
      );
    });

    it('a signature with a flipped bit', async () => {
      const b = makeTestBuild(tmp);
      flipByte(b, signatureName(b.uuid), 3);
      await refused(site, clean, req(site, b), 'PUBLISH_BAD_BUILD', 'bad_signature');
    });

    it('a signed manifest that does not decode', async () => {
      const b = makeTestBuild(tmp, { tlv: Buffer.from('not a TLV at all') });
      await refused(site, clean, req(site, b), 'PUBLISH_BAD_BUILD', /^tlv:/);
    });

    it('a signed manifest whose build_uuid is not the one of its file name', async () => {
      const a = makeTestBuild(tmp);
      const b = makeTestBuild(tmp);
      fs.writeFileSync(path.join(b.slotDir, manifestName(b.uuid)), a.tlv);
      fs.writeFileSync(path.join(b.slotDir, signatureName(b.uuid)), a.sig);
      await refused(site, clean, req(site, b), 'PUBLISH_BAD_BUILD', 'uuid_mismatch');
    });

    it('a build without the loader field', async () => {
      const e = await refused(
        site,
        clean,
        req(site, makeTestBuild(tmp, { loader: 'none' })),
        'PUBLISH_BAD_BUILD',
        'loader_unsigned',
      );
      assert.match(e.message, /could not check the D0 it downloads/);
    });

    it("a loader digest that is not D0's", async () => {
      const b = makeTestBuild(tmp, { loader: { sha256: 'ab'.repeat(32), size: '3000' } });
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `loader_digest_mismatch path=${bootloaderName(b.uuid)}`,
      );
    });

    it("a loader size that is not D0's", async () => {
      const efi = Buffer.alloc(3000, 1);
      const sha256 = crypto.createHash('sha256').update(efi).digest('hex');
      const b = makeTestBuild(tmp, { efi, loader: { sha256, size: '3001' } });
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `loader_size_mismatch path=${bootloaderName(b.uuid)}`,
      );
    });

    it('D0 under its named path differing from the signed loader digest', async () => {
      const b = makeTestBuild(tmp);
      flipByte(b, bootloaderName(b.uuid));
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `loader_digest_mismatch path=${bootloaderName(b.uuid)}`,
      );
    });

    it('EFI/BOOT/BOOTX64.EFI differing from EFI/BOOT/BOOTX64-<uuid>.EFI', async () => {
      const b = makeTestBuild(tmp);
      flipByte(b, FALLBACK_BOOTLOADER);
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `fallback_differs path=${FALLBACK_BOOTLOADER}`,
      );
    });

    it("a disk image whose digest is not the manifest's", async () => {
      const b = makeTestBuild(tmp);
      const disk = b.manifest.containers[0].disk_path;
      flipByte(b, disk, 100);
      await refused(site, clean, req(site, b), 'PUBLISH_BAD_BUILD', `digest_mismatch path=${disk}`);
    });

    it("a guest kernel whose size is not the manifest's", async () => {
      const b = makeTestBuild(tmp);
      fs.appendFileSync(path.join(b.slotDir, b.manifest.guest_kernel.path), 'x');
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `size_mismatch path=${b.manifest.guest_kernel.path}`,
      );
    });

    it('a missing signed file', async () => {
      const b = makeTestBuild(tmp);
      fs.rmSync(path.join(b.slotDir, b.manifest.guest_kernel.path));
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        `missing_file path=${b.manifest.guest_kernel.path}`,
      );
    });

    it('a missing D0 image, signature or manifest', async () => {
      for (const rel of [FALLBACK_BOOTLOADER, 'BOOTX64-named', 'sig', 'tlv']) {
        const b = makeTestBuild(tmp);
        const file =
          rel === 'BOOTX64-named'
            ? bootloaderName(b.uuid)
            : rel === 'sig'
              ? signatureName(b.uuid)
              : rel === 'tlv'
                ? manifestName(b.uuid)
                : rel;
        fs.rmSync(path.join(b.slotDir, file));
        const e = await refused(site, clean, req(site, b), 'PUBLISH_BAD_BUILD', 'not_a_build');
        assert.match(
          e.message,
          rel === 'tlv'
            ? /exactly one manifest/
            : new RegExp(`${path.basename(file).replace(/[.]/g, '\\.')} is missing`),
        );
      }
    });

    it('a file no signed digest covers', async () => {
      const b = makeTestBuild(tmp);
      fs.writeFileSync(path.join(b.slotDir, 'VM', 'notes.txt'), 'hello');
      await refused(
        site,
        clean,
        req(site, b),
        'PUBLISH_BAD_BUILD',
        'unsigned_file path=VM/notes.txt',
      );
    });

    it('a bad host identity, naming it, even with a good build', async () => {
      const e = await refused(
        site,
        clean,
        req(site, makeTestBuild(tmp), [H2, '52:54:00:12:34:58']),
        'PUBLISH_HOST_ID',
      );
      assert.match(e.message, /host "52:54:00:12:34:58"/);
    });

    it("a site whose builds/ or hosts/ is a file, or whose host's pointer is a directory", async () => {
      const s = fresh();
      fs.mkdirSync(s);
      fs.writeFileSync(path.join(s, 'hosts'), 'not a directory');
      let e = await refused(s, snapshot(s), req(s, makeTestBuild(tmp)), 'PUBLISH_SITE');
      assert.match(e.message, /hosts: not a directory/);
      fs.mkdirSync(path.join(site, 'hosts', `${H2}.d0ptr`));
      e = await refused(site, snapshot(site), req(site, makeTestBuild(tmp), [H2]), 'PUBLISH_SITE');
      assert.match(e.message, /52-54-00-12-34-57\.d0ptr: not a regular file/);
      fs.rmdirSync(path.join(site, 'hosts', `${H2}.d0ptr`));
    });

    it('a file that changed after the build was checked (the staged copy is removed)', async () => {
      const b = makeTestBuild(tmp);
      const checked = await checkBuild(b.dir, SITE_KEY.publicKey);
      flipByte(b, b.manifest.guest_kernel.path);
      const s = fresh();
      assert.throws(
        () => writePublication(s, checked, [H1]),
        (e: unknown) =>
          errorCode(e) === 'PUBLISH_BAD_BUILD' &&
          /changed while it was published/.test((e as Error).message),
      );
      // The site's directories may now exist, empty: no build, no pointer, no staging left.
      assert.deepEqual(snapshot(s), { builds: 'dir', hosts: 'dir' });
    });
  });
});
