// The A/B disk's slot size (builder/disk/slots.ts): derived from the build when not given, so a
// build over the old fixed 128 MiB lays out; a given size wins but is refused, with the MiB it
// needs, when it cannot hold a build. Offline: unsigned slot trees (buildSlotDisk does not verify)
// whose big file is sparse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bootloaderName,
  FALLBACK_BOOTLOADER,
  manifestName,
  signatureName,
} from '../../core/naming';
import { espMiBFor } from '../../builder/disk/esp';
import { listFat } from '../../builder/disk/fat';
import { readGpt } from '../../builder/disk/gpt';
import {
  buildSlotDisk,
  readSlotTree,
  slotMiBFor,
  SlotSizeError,
  treeBytes,
} from '../../builder/disk/slots';

const MIB = 1 << 20;

/** A slot tree whose VM image is a sparse file of `mib` MiB. */
function sparseTree(dir: string, uuid: string, mib: number): string {
  const root = path.join(dir, uuid);
  const files: Record<string, number> = {
    [FALLBACK_BOOTLOADER]: 4096,
    [bootloaderName(uuid)]: 4096,
    [manifestName(uuid)]: 512,
    [signatureName(uuid)]: 64,
    [`VM/big-${uuid}.img`]: mib * MIB,
  };
  for (const [p, size] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), '');
    fs.truncateSync(path.join(root, p), size);
  }
  return root;
}

describe('ab: slot size derived from the build', function () {
  this.timeout(180_000);
  let dir: string;
  let big: string; // 150 MiB of files: more than the old fixed 128 MiB slot
  let small: string;
  const bigUuid = '01900000-0000-7000-8000-00000000000b';

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-slot-size-'));
    big = sparseTree(dir, bigUuid, 150);
    small = sparseTree(dir, '01900000-0000-7000-8000-00000000000a', 8);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows the documented rule: FAT32 room for two builds, rounded up to 64 MiB', () => {
    assert.equal(espMiBFor(0), 40); // FAT32's minimum
    assert.equal(espMiBFor(100 * MIB), 133); // 125 + 8
    assert.equal(slotMiBFor(0), 64);
    assert.equal(slotMiBFor(20 * MIB), 64); // 2 * 20 * 1.25 + 8 = 58
    assert.equal(slotMiBFor(22 * MIB), 64); // 63
    assert.equal(slotMiBFor(23 * MIB), 128); // 65.5 -> 66
    assert.equal(slotMiBFor(150 * MIB), 384); // 383
    for (let mib = 0; mib < 2000; mib += 37) {
      const s = slotMiBFor(mib * MIB);
      assert.equal(s % 64, 0);
      assert.ok(s >= espMiBFor(2 * mib * MIB), `${mib} MiB: ${s} cannot hold two builds`);
      assert.ok(s - 64 < espMiBFor(2 * mib * MIB), `${mib} MiB: ${s} is not the least multiple`);
    }
  });

  it('lays out a build of more than 128 MiB with no size given, both slots alike', async () => {
    const disk = path.join(dir, 'derived.img');
    const bytes = treeBytes(readSlotTree(big));
    const r = await buildSlotDisk(disk, { a: big });
    const want = slotMiBFor(bytes);
    assert.equal(want, 384);
    const parts = readGpt(disk);
    assert.deepEqual(
      parts.map((p) => [p.name, p.size / MIB]),
      [
        ['ESP_A', want],
        ['ESP_B', want],
      ],
    );
    assert.equal(r.partitions.length, 2);
    assert.ok((await listFat(disk, parts[0].offset)).includes(`VM/big-${bigUuid}.img`));
  });

  it('sizes for the larger of two builds', async () => {
    const disk = path.join(dir, 'two.img');
    await buildSlotDisk(disk, { a: small, b: big });
    assert.deepEqual(
      readGpt(disk).map((p) => p.size / MIB),
      [384, 384],
    );
  });

  it('takes a given size that holds the build, even below the derived one', async () => {
    const disk = path.join(dir, 'given.img');
    const needed = espMiBFor(treeBytes(readSlotTree(big)));
    await buildSlotDisk(disk, { a: big, sizeMiB: needed });
    assert.deepEqual(
      readGpt(disk).map((p) => p.size / MIB),
      [needed, needed],
    );
  });

  it('refuses a given size too small for a build, naming the MiB it needs; writes nothing', async () => {
    const disk = path.join(dir, 'small.img');
    const needed = espMiBFor(treeBytes(readSlotTree(big)));
    for (const opts of [
      { a: big, sizeMiB: 128 },
      { a: small, b: big, sizeMiB: needed - 1 },
    ])
      await assert.rejects(buildSlotDisk(disk, opts), (e: unknown) => {
        assert.ok(e instanceof SlotSizeError, String(e));
        assert.equal(e.code, 'DISK_SLOT_TOO_SMALL');
        assert.equal(e.neededMiB, needed);
        assert.equal(e.sizeMiB, opts.sizeMiB);
        assert.match(
          e.message,
          new RegExp(
            `^slot size: ${opts.sizeMiB} MiB cannot hold build ${bigUuid} .*needs at least ${needed} MiB; leave the size out to derive it from the build \\(384 MiB\\)$`,
          ),
        );
        return true;
      });
    assert.equal(fs.existsSync(disk), false);
  });
});
