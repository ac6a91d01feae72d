// EspSlotWriter's `nextBoot` output says what the host's next boot will do (predictBoot,
// builder/disk/status.ts): the writer provider called directly, as `pulumi up` calls it, on real
// builds and a real A/B disk image written twice before any boot, then with D0's committed build
// named. `pulumi refresh` (read) reports the same. What D0 really does on such a disk is
// test/ab/first-boot-newest.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as writer from '../../provider/impl/esp-slot-writer';
import * as reader from '../../provider/impl/esp-slot-read';
import { webSiteBuilds, writeBusyboxArchive } from './fixture-image';

describe('provider: EspSlotWriter nextBoot says what the next boot will do', function () {
  this.timeout(300_000);
  let dir: string;
  let image: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-next-boot-'));
    image = await writeBusyboxArchive(path.join(dir, 'busybox.tar'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const { build, write } = webSiteBuilds(
    () => dir,
    () => image,
  );
  const nextBoot = (outs: unknown) => (outs as { nextBoot?: reader.NextBoot }).nextBoot;

  it('written twice before any boot: the newer build runs first; with build 1 committed: a trial of build 2', async () => {
    const disk = path.join(dir, 'host.img');
    const b1 = await build(64);
    const w1 = await writer.create(write(b1, disk) as never);
    assert.deepEqual(nextBoot(w1.outs), {
      slot: 'A',
      uuid: b1.buildUuid,
      path: 'first boot: no candidate, commit',
    });

    // No boot yet (no VARS file, no activeUuid): the writer finds slot A the only verified one
    // and writes slot B; the host's first boot will try build 2 first, build 1 as fallback.
    const b2 = await build(96);
    const w2 = await writer.update(
      'w',
      { ...write(b1, disk), ...(w1.outs as object) } as never,
      write(b2, disk) as never,
    );
    assert.equal((w2.outs as { slot: string }).slot, 'B');
    const first = { slot: 'B', uuid: b2.buildUuid, path: 'first boot: trial, commit' };
    assert.deepEqual(nextBoot(w2.outs), first);
    const refreshed = await reader.read('w', {
      ...write(b2, disk),
      ...(w2.outs as object),
    } as never);
    assert.deepEqual(nextBoot(refreshed.props), first);

    // The host committed build 1 (activeUuid): build 2 is tried from it, then committed.
    const committed = await reader.read('w', {
      ...write(b2, disk, b1.buildUuid),
      ...(w2.outs as object),
    } as never);
    assert.deepEqual(nextBoot(committed.props), {
      slot: 'B',
      uuid: b2.buildUuid,
      path: 'trial, commit',
    });

    // A missing target: no slots, no prediction.
    fs.rmSync(disk);
    const gone = await reader.read('w', { ...write(b2, disk), ...(w2.outs as object) } as never);
    assert.equal(nextBoot(gone.props), undefined);
    assert.match(String((gone.props as { targetProblem?: string }).targetProblem), /no such file/);
  });
});
