// What `pulumi refresh` reads, with the providers called directly on real files: a Deployment is
// still there while its slot tree verifies with its key (a changed file or a vanished directory
// reads as gone, an empty id), a KernelBuild while its EFI keeps its digest. An EspSlotWriter's
// read is in test/pulumi/refresh.test.ts, through the engine.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { d0Efi } from '../../builder/d0-efi/cache';
import { makeBuild } from '../../builder/site';
import * as deployment from '../../provider/impl/deployment';
import * as kernelBuild from '../../provider/impl/kernel-build';
import { writeBusyboxArchive, webSiteSpec } from './fixture-image';

const SECRET = Buffer.from(
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  'hex',
);
const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

/** Runs fn with process.stderr.write captured; returns what was written. */
async function stderrOf(fn: () => Promise<unknown> | unknown): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

describe('provider: read() for refresh (Deployment, KernelBuild)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-read-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Deployment: kept while its slot tree verifies; a changed file or a vanished directory is gone', async () => {
    const image = await writeBusyboxArchive(path.join(dir, 'busybox.tar'));
    const b = await makeBuild({
      spec: webSiteSpec(image),
      secretKey: SECRET,
      outDir: path.join(dir, 'builds'),
      kernelMode: 'host',
    });
    const props = {
      site: 'site-a',
      buildUuid: b.buildUuid,
      buildDir: b.dir,
      slotDir: b.slotDir,
      publicKey: PUBLIC,
      __provider: 'serialized provider',
    } as never;
    const kept = await deployment.read(b.buildUuid, props);
    assert.equal(kept.id, b.buildUuid);
    assert.equal((kept.props as Record<string, unknown>).slotDir, b.slotDir);
    assert.equal('__provider' in (kept.props as object), false);

    // Another key: the signature no longer verifies.
    const other = {
      ...(props as object),
      publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    };
    let r: Awaited<ReturnType<typeof deployment.read>> | undefined;
    const refused = await stderrOf(
      async () => (r = await deployment.read(b.buildUuid, other as never)),
    );
    assert.equal(r!.id, '');
    assert.match(refused, /bad_signature/);

    const vm = path.join(b.slotDir, 'VM', `web-${b.buildUuid}.img`);
    // A new file in its place: the build's disk is a hardlink of the shared image cache's entry,
    // which must never be written.
    const bytes = fs.readFileSync(vm);
    bytes[bytes.length - 1] ^= 1;
    fs.rmSync(vm);
    fs.writeFileSync(vm, bytes);
    const said = await stderrOf(async () => (r = await deployment.read(b.buildUuid, props)));
    assert.equal(r!.id, '');
    assert.match(
      said,
      new RegExp(`Deployment site-a: build ${b.buildUuid} is gone \\(.*web-${b.buildUuid}\\.img`),
    );

    fs.rmSync(b.dir, { recursive: true });
    const gone = await stderrOf(async () => (r = await deployment.read(b.buildUuid, props)));
    assert.equal(r!.id, '');
    assert.match(gone, /not a directory/);
  });

  it('KernelBuild: kept while its EFI has its digest; an altered or removed EFI is gone', async () => {
    const efi = path.join(dir, 'BOOTX64.EFI');
    fs.writeFileSync(efi, crypto.randomBytes(4096));
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(efi)).digest('hex');
    const props = { publicKey: PUBLIC, path: efi, sha256, size: 4096 } as never;
    assert.deepEqual(kernelBuild.read('k1', props), { id: 'k1', props });
    fs.appendFileSync(efi, 'x');
    let r: ReturnType<typeof kernelBuild.read> | undefined;
    assert.match(await stderrOf(() => (r = kernelBuild.read('k1', props))), /its SHA-256 is/);
    assert.equal(r!.id, '');
    fs.rmSync(efi);
    assert.match(
      await stderrOf(() => (r = kernelBuild.read('k1', props))),
      /cannot be read \(ENOENT\)/,
    );
    assert.equal(r!.id, '');
  });

  it('the EFI cache builds again an entry whose EFI was altered, never hands it out', async function () {
    this.timeout(900_000);
    const real = await d0Efi(PUBLIC, { mode: 'host' }); // this machine's cache: built once
    const root = path.join(dir, 'cache');
    const entry = path.join(root, 'd0-efi', real.key);
    fs.cpSync(path.dirname(real.path), entry, { recursive: true });
    assert.equal((await d0Efi(PUBLIC, { mode: 'host', cacheRoot: root })).cached, true);
    fs.appendFileSync(path.join(entry, 'BOOTX64.EFI'), 'x');
    const again = await d0Efi(PUBLIC, { mode: 'host', cacheRoot: root });
    assert.equal(again.cached, false, 'the altered entry was handed out');
    assert.equal(again.path, path.join(entry, 'BOOTX64.EFI'));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(again.path)).digest('hex');
    assert.equal(sha, again.sha256);
  });
});
