// The slot writer's refusals, offline (no QEMU): each class of bad input is refused with its code,
// names what and where, and leaves the target byte-for-byte unchanged. Plus the readers the
// writer trusts: a GPT whose primary copy has a bad CRC (the backup is read, as firmware does) and a D0 state record that is not one are refused.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { buildEspDisk, espMiBFor } from '../../builder/disk/esp';
import { readGpt, readGptTable } from '../../builder/disk/gpt';
import { decodeAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk, readSlotTree, treeBytes } from '../../builder/disk/slots';
import { writeSlot, type WriteOptions } from '../../builder/disk/writer';
import { makeBuild, sharedFixture, type AbFixture } from './support';

const digest = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('ab: slot writer refusals', function () {
  this.timeout(300_000);
  let fx: AbFixture;
  let dir: string;
  let u1: { dir: string; uuid: string };
  let u2: { dir: string; uuid: string };
  let disk: string; // U1 in A, U2 in B: both verify

  before(async () => {
    fx = await sharedFixture();
    dir = fs.mkdtempSync(path.join(fx.dir, 'writer-'));
    u1 = makeBuild(fx, 'w-u1');
    u2 = makeBuild(fx, 'w-u2');
    disk = path.join(dir, 'ab.img');
    await buildSlotDisk(disk, { a: u1.dir, b: u2.dir, sizeMiB: 40 });
  });

  async function refused(
    opts: Partial<WriteOptions>,
    code: string,
    message: RegExp,
    target = disk,
  ) {
    const before = digest(target);
    await assert.rejects(
      writeSlot({ target, buildDir: u1.dir, publicKey: fx.pub, ...opts }),
      (e: D0Error) => {
        assert.equal(e.code, code, e.message);
        assert.match(e.message, message);
        return true;
      },
    );
    assert.equal(digest(target), before, `${code}: the target changed`);
  }

  it('refuses to guess the active slot when both verify', async () => {
    const u3 = makeBuild(fx, 'w-u3');
    await refused(
      { buildDir: u3.dir },
      'DISK_ACTIVE_AMBIGUOUS',
      /both slots hold a verified build/,
    );
  });

  it('never writes the active slot, nor the active build again', async () => {
    const u3 = makeBuild(fx, 'w-u3b');
    await refused(
      { buildDir: u3.dir, active: u2.uuid, slot: 'B' },
      'DISK_SLOT_ACTIVE',
      /slot B holds the active build/,
    );
    await refused(
      { buildDir: u2.dir, active: u2.uuid },
      'DISK_SAME_BUILD',
      new RegExp(`${u2.uuid} is the active build`),
    );
    await refused(
      { buildDir: u3.dir, active: '01900000-0000-7000-8000-000000000000' },
      'DISK_ACTIVE_MISSING',
      /is on no slot/,
    );
  });

  it('refuses a build signed with another key, or with a missing file', async () => {
    const other = crypto.randomBytes(32);
    await refused(
      { publicKey: new Uint8Array(other), active: u2.uuid },
      'DISK_BAD_BUILD',
      /refused: bad_signature/,
    );
    const u4 = makeBuild(fx, 'w-u4');
    const img = fs.readdirSync(path.join(u4.dir, 'VM')).find((f) => f.startsWith('web-'))!;
    fs.rmSync(path.join(u4.dir, 'VM', img));
    await refused(
      { buildDir: u4.dir, active: u2.uuid },
      'DISK_BAD_BUILD',
      new RegExp(`missing_file path=VM/${img}`),
    );
  });

  it('refuses a build too big for the slot before writing anything, naming the MiB it needs', async () => {
    // Over 48 MiB of files: FAT32 needs over 48 * 1.25 + 8 = 68 MiB; these slots are 40 MiB.
    const big = makeBuild(fx, 'w-big', { vms: { webDisk: Buffer.alloc(48 << 20) } });
    const needs = espMiBFor(treeBytes(readSlotTree(big.dir)));
    assert.ok(needs >= 68, String(needs));
    await refused(
      { buildDir: big.dir, active: u2.uuid },
      'DISK_SLOT_TOO_SMALL',
      new RegExp(
        `${disk}: slot A: 40 MiB cannot hold build ${big.uuid} .*needs at least ${needs} MiB; nothing was written`,
      ),
    );
    // The GPT was not touched either (refused() compares the whole image; the names are the layout's).
    assert.deepEqual(readGpt(disk).map((p) => p.name), ['ESP_A', 'ESP_B']);
  });

  it('refuses a directory that is not a slot tree, and a disk that is not an A/B disk', async () => {
    await refused({ buildDir: dir }, 'SLOT_TREE', /needs exactly one manifest-<uuid>.tlv/);
    const one = path.join(dir, 'one.img');
    await buildEspDisk(one, [{ name: 'ESP_A', label: 'D0_A', files: [] }]);
    await refused(
      { active: u2.uuid },
      'DISK_LAYOUT',
      /partition 2 \(slot B\) is not an EFI System Partition/,
      one,
    );
    const raw = path.join(dir, 'raw.img');
    fs.writeFileSync(raw, Buffer.alloc(1 << 20));
    await refused({}, 'GPT_MISSING', /no primary GPT header at LBA 1; no backup GPT header at LBA 2047/, raw);
  });

  it('reads the backup GPT when the primary is invalid, as firmware does, and neither when both are', async () => {
    const copy = path.join(dir, 'crc.img');
    fs.copyFileSync(disk, copy);
    assert.equal(readGptTable(copy).copy, 'primary');
    const size = fs.statSync(copy).size;
    const fd = fs.openSync(copy, 'r+');
    const flip = (at: number) => {
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0] ^= 0xff;
      fs.writeSync(fd, b, 0, 1, at);
    };
    try {
      flip(1024 + 56); // first entry's name, LBA 2
      const t = readGptTable(copy);
      assert.equal(t.copy, 'backup');
      assert.match(t.primaryError!, /primary GPT partition array CRC mismatch/);
      assert.deepEqual(t.partitions.map((p) => [p.name, p.firstLba]), [['ESP_A', 2048], ['ESP_B', 2048 + 40 * 2048]]);
      // The status a user reads says which copy it read.
      const pub = path.join(dir, 'd0.pub');
      fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
      const r = await d0(['disk', 'status', copy, '--pub', pub]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^gpt: backup copy read, as firmware does \(primary: primary GPT partition array CRC mismatch\)$/m);
      // A torn backup header too (its CRC field): nothing is read, and both faults are named.
      flip(size - 512 + 16);
      assert.throws(
        () => readGpt(copy),
        /primary GPT partition array CRC mismatch; backup GPT header CRC mismatch/,
      );
    } finally {
      fs.closeSync(fd);
    }
  });

  it('decodes D0 state records and refuses anything else', () => {
    const b = Buffer.alloc(128);
    b.writeUInt32LE(0x42413044, 0);
    b.writeUInt16LE(1, 4);
    b[6] = 1;
    b.writeBigUInt64LE(7n, 8);
    b.write(u1.uuid, 16, 'latin1');
    const s = decodeAbState(b);
    assert.deepEqual(s, {
      triesLeft: 1,
      epoch: 7n,
      lastGood: u1.uuid,
      trial: undefined,
      bad: undefined,
    });
    assert.throws(() => decodeAbState(b.subarray(0, 127)), /not a version 1 state record/);
    const v2 = Buffer.from(b);
    v2.writeUInt16LE(2, 4);
    assert.throws(() => decodeAbState(v2), /not a version 1 state record/);
  });
});
