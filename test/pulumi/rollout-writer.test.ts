// The EspSlotWriter provider called directly on real builds and real A/B disks (no engine, no
// boot): the first deployment lays out slot A, the next build goes to the inactive slot and leaves
// the active slot's bytes as they were, the same build is not written twice, two verified slots
// need a hint, and a target that is not a D0 A/B disk is refused with its path and left unchanged
// (an image file and a loop block device). Two writers on one disk at once (two processes, as two
// stacks would be): exactly one succeeds, the other fails at once with DISK_LOCKED.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeBuild, type BuildOutput } from '../../builder/site';
import { readGpt } from '../../builder/disk/gpt';
import * as writer from '../../provider/impl/esp-slot-writer';
import { failurePath } from '../../provider/impl/problems';
import { writeBusyboxArchive, webSiteSpec } from '../provider/fixture-image';
import { PUBLIC, SECRET } from './site-program';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** The bytes of partition n (1-based) of a disk image or device. */
function partitionBytes(target: string, n: number): Buffer {
  const p = readGpt(target).find((x) => x.index === n)!;
  const fd = fs.openSync(target, 'r');
  try {
    const b = Buffer.alloc(p.size);
    fs.readSync(fd, b, 0, p.size, p.offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

/** The MBR and both GPT copies (headers and entry arrays): the first and the last MiB. */
function gptBytes(target: string): Buffer {
  const size = fs.statSync(target).size;
  const fd = fs.openSync(target, 'r');
  try {
    const b = Buffer.alloc(2 << 20);
    fs.readSync(fd, b, 0, 1 << 20, 0);
    fs.readSync(fd, b, 1 << 20, 1 << 20, size - (1 << 20));
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

type Outs = writer.Written & Record<string, unknown>;

describe('EspSlotWriter on A/B disks (provider called directly)', function () {
  this.timeout(300_000);
  let dir: string;
  const builds: BuildOutput[] = [];
  const inputs = (b: BuildOutput, target: writer.Target, extra: Record<string, unknown> = {}) =>
    ({ buildUuid: b.buildUuid, slotDir: b.slotDir, publicKey: PUBLIC, target, ...extra }) as never;

  before(async function () {
    this.timeout(600_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-rollout-writer-'));
    for (const variant of ['v1', 'v2', 'v3']) {
      const image = await writeBusyboxArchive(path.join(dir, `${variant}.tar`), variant);
      builds.push(
        await makeBuild({
          spec: webSiteSpec(image),
          secretKey: Buffer.from(SECRET, 'hex'),
          outDir: path.join(dir, 'builds'),
          kernelMode: 'host',
        }),
      );
      await new Promise((r) => setTimeout(r, 2)); // UUIDv7 order is time order across ms only
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lays out slot A first, then writes the inactive slot B and leaves slot A byte for byte', async () => {
    const disk = path.join(dir, 'host.img');
    const [u1, u2] = builds;
    const first = (await writer.create(inputs(u1, { diskImage: disk }))).outs as Outs;
    assert.equal(first.slot, 'A');
    assert.equal(first.writtenUuid, u1.buildUuid);
    assert.equal(first.created, true);
    assert.deepEqual(
      readGpt(disk).map((p) => p.name),
      ['ESP_A', 'ESP_B'],
    );
    const gptBefore = gptBytes(disk);
    const slotA = partitionBytes(disk, 1);
    assert.equal(first.slotSha256, sha256(slotA));

    const second = (await writer.update('id', first as never, inputs(u2, { diskImage: disk })))
      .outs as Outs;
    assert.equal(second.slot, 'B');
    assert.equal(second.writtenUuid, u2.buildUuid);
    assert.equal(second.wrote, true);
    assert.equal(second.created, true, 'the disk stays the one this resource laid out');
    assert.equal(second.slotSha256, sha256(partitionBytes(disk, 2)));
    assert.ok(partitionBytes(disk, 1).equals(slotA), 'slot A changed');
    // The slot write touched only slot B: the GPT (both copies) and the MBR are as laid out.
    assert.ok(gptBytes(disk).equals(gptBefore), 'the slot write rewrote the GPT');

    // The same build again: found on slot B, nothing written.
    const before = fs.statSync(disk).mtimeMs;
    const again = (await writer.update('id', second as never, inputs(u2, { diskImage: disk })))
      .outs as Outs;
    assert.deepEqual([again.slot, again.wrote, again.slotSha256], ['B', false, second.slotSha256]);
    assert.equal(fs.statSync(disk).mtimeMs, before);

    // A third build with both slots verified: no guess without a hint; with D0's last good
    // build named, the other slot (A) is written and B is kept.
    const u3 = builds[2];
    const slotB = partitionBytes(disk, 2);
    await assert.rejects(
      writer.update('id', again as never, inputs(u3, { diskImage: disk })),
      (e: Error) => e.message.includes('DISK_ACTIVE_AMBIGUOUS') && e.message.includes(disk),
    );
    assert.ok(partitionBytes(disk, 1).equals(slotA), 'a refused write changed slot A');
    const third = (
      await writer.update(
        'id',
        again as never,
        inputs(u3, { diskImage: disk }, { activeUuid: u2.buildUuid }),
      )
    ).outs as Outs;
    assert.equal(third.slot, 'A');
    assert.ok(partitionBytes(disk, 2).equals(slotB), 'slot B (the active one) changed');

    writer.remove('id', third as never);
    assert.equal(fs.existsSync(disk), false);
  });

  it('two writers on one disk at once (two stacks): exactly one succeeds, the other fails at once with the lock\'s message', async () => {
    const child = path.join(__dirname, 'writer-create-child.ts');
    const race = async (a: unknown, b: unknown) => {
      const goAt = String(Date.now() + 4000); // both processes loaded by then
      const run = (i: unknown) =>
        new Promise<{ ok: boolean; pid: number; ms: number; error?: string; outs?: Outs }>((resolve, reject) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', child, JSON.stringify(i)],
            { env: { ...process.env, GO_AT: goAt }, timeout: 120_000 },
            (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)!))),
          );
        });
      const rs = await Promise.all([run(a), run(b)]);
      const won = rs.filter((r) => r.ok);
      const lost = rs.filter((r) => !r.ok);
      assert.equal(won.length, 1, JSON.stringify(rs));
      assert.match(lost[0].error!, /^EspSlotWriter: \[DISK_LOCKED\] .*another writer/);
      // "At once": the loser is refused when it asks for the lock (after its own reads of the
      // disk), without waiting for the holder: it ends while the winner is still writing.
      assert.ok(lost[0].ms < won[0].ms, JSON.stringify(rs));
      return { won: won[0], lost: lost[0] };
    };
    // A first deployment of one disk image from two stacks: one lays it out, the other is refused.
    const disk = path.join(dir, 'race.img');
    const first = await race(inputs(builds[0], { diskImage: disk }), inputs(builds[1], { diskImage: disk }));
    assert.equal(first.won.outs!.slot, 'A');
    assert.match(first.lost.error!, new RegExp(`${disk}: another writer`));
    // Two updates of the laid-out disk: one writes slot B, the other is refused; the disk holds
    // the winner's build, and slot A is as it was.
    const slotA = partitionBytes(disk, 1);
    const winner = first.won.outs!.writtenUuid;
    const [x, y] = builds.filter((b) => b.buildUuid !== winner);
    const second = await race(
      inputs(x, { diskImage: disk }, { activeUuid: winner }),
      inputs(y, { diskImage: disk }, { activeUuid: winner }),
    );
    assert.equal(second.won.outs!.slot, 'B');
    assert.equal(sha256(partitionBytes(disk, 2)), second.won.outs!.slotSha256, 'slot B is not the winner\'s');
    assert.ok(partitionBytes(disk, 1).equals(slotA), 'slot A changed');
    console.log(`      refused after ${first.lost.ms} and ${second.lost.ms} ms; the winners took ${first.won.ms} and ${second.won.ms} ms`);
    fs.rmSync(disk);
  });

  it('checks its active-slot hints, and refuses a VARS file that is not there, writing nothing', async () => {
    const failing = (extra: Record<string, unknown>) =>
      writer
        .check({} as never, inputs(builds[0], { diskImage: path.join(dir, 'x.img') }, extra))
        .failures!.map(failurePath);
    assert.deepEqual(failing({}), []);
    assert.deepEqual(failing({ activeUuid: 'not-a-uuid' }), ['activeUuid']);
    assert.deepEqual(failing({ ovmfVars: 'relative/vars.fd' }), ['ovmfVars']);
    assert.deepEqual(failing({ activeUuid: builds[0].buildUuid, ovmfVars: '/v.fd' }), [
      'activeUuid',
    ]);

    const disk = path.join(dir, 'hints.img');
    const first = (await writer.create(inputs(builds[0], { diskImage: disk }))).outs as Outs;
    const slotB = partitionBytes(disk, 2);
    await assert.rejects(
      writer.update(
        'id',
        first as never,
        inputs(builds[1], { diskImage: disk }, { ovmfVars: path.join(dir, 'missing.vars.fd') }),
      ),
      (e: Error) =>
        e.message.includes('DISK_VARS') && e.message.includes(path.join(dir, 'missing.vars.fd')),
    );
    assert.ok(partitionBytes(disk, 2).equals(slotB), 'slot B was written');
    writer.remove('id', first as never);
  });

  it('refuses a build that does not verify with the Deployment key, writing nothing', async () => {
    const disk = path.join(dir, 'wrong-key.img');
    const other = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
    await assert.rejects(
      writer.create(inputs(builds[0], { diskImage: disk }, { publicKey: other })),
      /DISK_BAD_BUILD.*bad_signature/,
    );
    assert.equal(fs.existsSync(disk), false);
  });

  it('refuses a disk image that is not a D0 A/B disk, naming it, and leaves it unchanged', async () => {
    const cases: Record<string, (f: string) => void> = {
      'no GPT': (f) => fs.writeFileSync(f, crypto.randomBytes(4 * 1024 * 1024)),
      'one ESP': (f) => {
        fs.writeFileSync(f, Buffer.alloc(64 * 1024 * 1024));
        execFileSync('sgdisk', ['-o', '-n', '1:2048:+40M', '-t', '1:EF00', f]);
      },
      'two Linux partitions': (f) => {
        fs.writeFileSync(f, Buffer.alloc(100 * 1024 * 1024));
        execFileSync('sgdisk', ['-o', '-n', '1:2048:+40M', '-n', '2:0:+40M', f]);
      },
      'two ESPs without D0 file systems': (f) => {
        fs.writeFileSync(f, Buffer.alloc(100 * 1024 * 1024));
        execFileSync('sgdisk', [
          '-o',
          '-n',
          '1:2048:+40M',
          '-t',
          '1:EF00',
          '-c',
          `1:${builds[0].buildUuid}`,
          '-n',
          '2:0:+40M',
          '-t',
          '2:EF00',
          '-c',
          '2:ESP_B',
          f,
        ]);
      },
    };
    for (const [name, make] of Object.entries(cases)) {
      const f = path.join(dir, `${name.replace(/\W+/g, '-')}.img`);
      make(f);
      const was = sha256(fs.readFileSync(f));
      await assert.rejects(
        writer.create(inputs(builds[0], { diskImage: f })),
        (e: Error) =>
          e.message.includes('DISK_NOT_AB') &&
          e.message.includes(`${f}: not an A/B disk made by D0`),
        name,
      );
      assert.equal(sha256(fs.readFileSync(f)), was, `${name}: the file changed`);
      fs.rmSync(f);
    }
  });

  it('writes the inactive slot of an A/B disk on a block device (a loop device), and refuses a device that is not one', async function () {
    const img = path.join(dir, 'device.img');
    const laidOut = (await writer.create(inputs(builds[0], { diskImage: img }))).outs as Outs;
    const loop = execFileSync('losetup', ['--find', '--show', img], { encoding: 'utf8' }).trim();
    try {
      const slotA = partitionBytes(loop, 1);
      assert.equal(sha256(slotA), laidOut.slotSha256);
      const r = (await writer.create(inputs(builds[1], { blockDevice: loop }))).outs as Outs;
      assert.deepEqual(
        [r.slot, r.writtenUuid, r.wrote, r.created],
        ['B', builds[1].buildUuid, true, false],
      );
      assert.ok(partitionBytes(loop, 1).equals(slotA), 'slot A changed');
      assert.equal(sha256(partitionBytes(loop, 2)), r.slotSha256);
      writer.remove('id', r as never);
      assert.ok(fs.existsSync(loop), 'delete touched the device');

      // Not an A/B disk: the device's first and last MiB are zeroed (no GPT, primary or backup:
      // with the backup alone the disk still reads, as firmware reads it); the writer names it.
      const fd = fs.openSync(loop, 'r+');
      fs.writeSync(fd, Buffer.alloc(1024 * 1024), 0, 1024 * 1024, 0);
      fs.writeSync(fd, Buffer.alloc(1024 * 1024), 0, 1024 * 1024, fs.statSync(img).size - 1024 * 1024);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const was = sha256(fs.readFileSync(img));
      await assert.rejects(
        writer.create(inputs(builds[2], { blockDevice: loop })),
        (e: Error) =>
          e.message.includes(`${loop}: not an A/B disk made by D0`) &&
          e.message.includes('does not lay out block devices'),
      );
      assert.equal(sha256(fs.readFileSync(img)), was, 'the device changed');
    } finally {
      execFileSync('losetup', ['-d', loop]);
    }
  });
});
