// Builds are never deleted while a host disk's slot holds them (builder/site/retention.ts): the
// Deployment and EspSlotWriter providers called directly, in the order `pulumi up` calls them on
// two replacements, on real builds and a real A/B disk image. And destroy takes the disk's NV state
// with the disk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildOutput } from '../../builder/site';
import { diskStatus } from '../../builder/disk/status';
import * as deployment from '../../provider/impl/deployment';
import * as writer from '../../provider/impl/esp-slot-writer';
import { TEST_PUBLIC, webSiteBuilds, writeBusyboxArchive } from './fixture-image';

describe('provider: build directories outlive their Deployment while a slot holds them', function () {
  this.timeout(300_000);
  let dir: string;
  let image: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-retention-'));
    image = await writeBusyboxArchive(path.join(dir, 'busybox.tar'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const { build, write } = webSiteBuilds(
    () => dir,
    () => image,
  );
  const olds = (b: BuildOutput) => ({ buildDir: b.dir, publicKey: TEST_PUBLIC }) as never;
  const slots = async (disk: string) =>
    (await diskStatus(disk, Buffer.from(TEST_PUBLIC, 'hex'))).map((s) => s.uuid);

  it('the replaced build stays while its slot holds it, and the next replacement collects it', async () => {
    const disk = path.join(dir, 'host.img');
    const b1 = await build(64);
    const w = await writer.create(write(b1, disk) as never);

    // Second build: written to slot B; its Deployment replaces the first one's, which is deleted.
    const b2 = await build(96);
    await writer.update(
      'w',
      { ...write(b1, disk), ...(w.outs as object) } as never,
      write(b2, disk, b1.buildUuid) as never,
    );
    assert.deepEqual(await slots(disk), [b1.buildUuid, b2.buildUuid]);
    await deployment.remove(b1.buildUuid, olds(b1));
    assert.ok(
      fs.existsSync(path.join(b1.slotDir, `manifest-${b1.buildUuid}.tlv`)),
      'slot A holds build 1: its directory stays',
    );
    assert.ok(fs.existsSync(path.join(b1.dir, 'retained')));

    // Third build: written over slot A (build 1); deleting build 2's Deployment (slot B holds it)
    // keeps build 2 and collects build 1, which no slot holds any more.
    const b3 = await build(128);
    await writer.update('w', write(b2, disk) as never, write(b3, disk, b2.buildUuid) as never);
    assert.deepEqual(await slots(disk), [b3.buildUuid, b2.buildUuid]);
    await deployment.remove(b2.buildUuid, olds(b2));
    assert.equal(fs.existsSync(b1.dir), false, 'build 1 collected');
    assert.ok(fs.existsSync(b2.dir), 'build 2 kept: slot B holds it');
    assert.ok(fs.existsSync(b3.dir));

    // Destroy: the writer removes the disk it laid out and the NV state beside it; then the
    // Deployments' directories go, nothing holding them.
    fs.writeFileSync(`${disk}.vars.fd`, 'nv state');
    writer.remove('w', { ...write(b3, disk), created: true } as never);
    assert.equal(fs.existsSync(disk), false);
    assert.equal(fs.existsSync(`${disk}.vars.fd`), false);
    await deployment.remove(b3.buildUuid, olds(b3));
    assert.equal(fs.existsSync(b3.dir), false);
    assert.equal(
      fs.existsSync(b2.dir),
      false,
      'the retained build 2 is collected with the last deletion',
    );
  });

  it('a build no disk holds is removed at once; a directory that is another build is left alone', async () => {
    const b = await build(64);
    await deployment.remove(b.buildUuid, olds(b));
    assert.equal(fs.existsSync(b.dir), false);
    const other = await build(64);
    await deployment.remove('01890a5d-ac96-774b-bcce-b302099a8057', olds(other));
    assert.ok(fs.existsSync(other.dir));
  });
});
