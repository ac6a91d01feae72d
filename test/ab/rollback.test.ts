// Bad builds in the inactive slot under QEMU + OVMF, each from the same committed state (U1 in
// slot A): the writer refuses them; forced onto the disk anyway, D0 refuses or rolls them back,
// logs why with both UUIDs, records the slot as bad and keeps booting U1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import { diskStatus } from '../../builder/disk/status';
import type { D0Event } from '../support/events';
import {
  bootUntilExit,
  committedBase,
  copyOfBase,
  makeBuild,
  sharedFixture,
  type AbFixture,
  type BuildDefects,
} from './support';

describe('ab: refusal and rollback of bad builds', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let u1: { dir: string; uuid: string }; // security_epoch 3

  before(async () => {
    fx = await sharedFixture();
    u1 = (await committedBase()).u1;
  });

  /** A copy of the committed disk and VARS with a bad U2 forced into slot B. */
  async function withBadU2(name: string, d: BuildDefects, refusal: string | undefined) {
    const { disk, vars } = await copyOfBase(name);
    const u2 = makeBuild(fx, name, d);
    const opts = { target: disk, buildDir: u2.dir, publicKey: fx.pub, vars };
    if (refusal) {
      const before = fs.readFileSync(disk);
      await assert.rejects(writeSlot(opts), (e: D0Error) => {
        assert.equal(e.code, refusal.split(':')[0], e.message);
        assert.match(e.message, new RegExp(refusal.split(':')[1] ?? ''));
        return true;
      });
      assert.ok(
        before.equals(fs.readFileSync(disk)),
        'a refused write changes nothing on the disk',
      );
    }
    const w = await writeSlot({ ...opts, unsafeSkipBuildChecks: true });
    assert.equal(w.slot, 'B');
    return { disk, vars, u2 };
  }

  function assertStillU1(last: D0Event[], text: string) {
    const choice = last.find((e) => e.ev === 'slot_choice');
    assert.equal(choice?.fields.boot, u1.uuid, text);
    assert.ok(
      last.some((e) => e.ev === 'ready_to_launch' && e.fields.uuid === u1.uuid),
      text,
    );
    // U1 really runs: its VMs launched and were healthy, and D0 halted after they stopped.
    assert.equal(last.filter((e) => e.ev === 'build_healthy').length, 1, text);
    assert.equal(last.at(-1)?.ev, 'halt', text);
  }

  it('bad signature: refused by the writer; forced, D0 marks slot B bad and stays on U1', async () => {
    const { disk, vars, u2 } = await withBadU2(
      'badsig',
      { badSignature: true },
      'DISK_BAD_BUILD:bad_signature',
    );
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 1, 'no trial, no reset\n' + b.text);
    const bad = b.all('slot_bad');
    assert.equal(bad.length, 1, b.text);
    assert.equal(bad[0].fields.reason, 'bad_signature');
    assert.equal(bad[0].fields.bad, u2.uuid);
    assert.equal(bad[0].fields.last_good, u1.uuid);
    assertStillU1(b.last, b.text);
    const state = readAbState(vars)!;
    assert.equal(state.bad, u2.uuid);
    assert.equal(state.lastGood, u1.uuid);
    const status = await diskStatus(disk, fx.pub, state);
    assert.equal(status.find((s) => s.letter === 'B')?.role, 'bad');
    assert.equal(status.find((s) => s.letter === 'A')?.role, 'active');

    const again = await bootUntilExit(disk, vars);
    assert.equal(
      again.all('slot_bad').length,
      0,
      'a bad build is not checked again\n' + again.text,
    );
    assertStillU1(again.last, again.text);
  });

  it('corrupted VM image: refused by the writer; forced, the trial fails its digest check and rolls back to U1', async () => {
    const { disk, vars, u2 } = await withBadU2(
      'digest',
      { corruptDisk: true },
      'DISK_BAD_BUILD:digest_mismatch',
    );
    const b = await bootUntilExit(disk, vars);
    assert.equal(
      b.boots.length,
      3,
      'U1 starts the trial, U2 fails and resets, U1 again\n' + b.text,
    );
    const failed = b.boots[1].find((e) => e.ev === 'boot_failed');
    assert.equal(failed?.fields.reason, 'digest_mismatch', b.text);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.equal(rb[0].fields.from, u2.uuid);
    assert.equal(rb[0].fields.to, u1.uuid);
    assert.equal(rb[0].fields.reason, 'digest_mismatch');
    assert.equal(b.all('commit').length, 0, b.text);
    assertStillU1(b.last, b.text);
    assert.equal(b.last.find((e) => e.ev === 'slot_choice')?.fields.role, 'committed');
    const state = readAbState(vars)!;
    assert.equal(state.bad, u2.uuid);
    assert.equal(state.trial, undefined);
  });

  it('lower security_epoch: refused by the writer; forced, D0 refuses it before any trial', async () => {
    const { disk, vars, u2 } = await withBadU2(
      'epoch',
      { epoch: 2 },
      'DISK_EPOCH_BELOW:security_epoch 2 is below',
    );
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 1, b.text);
    const bad = b.all('slot_bad');
    assert.equal(bad[0]?.fields.reason, 'epoch_below', b.text);
    assert.equal(bad[0].fields.bad, u2.uuid);
    assert.equal(bad[0].fields.epoch, '2');
    assert.equal(bad[0].fields.committed_epoch, '3');
    assertStillU1(b.last, b.text);
  });

  it('lower security_epoch in the slot the firmware boots: D0 refuses to launch it', async () => {
    // The NVRAM of a host that committed epoch 3, on a disk whose only build has epoch 2 (an
    // old disk put back, or a slot overwritten behind the writer's back).
    const { vars } = await copyOfBase('epoch-own');
    const old = makeBuild(fx, 'epoch-own', { epoch: 2 });
    const disk = path.join(path.dirname(vars), 'epoch-own-fresh.img');
    await buildSlotDisk(disk, { a: old.dir, sizeMiB: 40 });
    const b = await bootUntilExit(disk, vars);
    const choice = b.last.find((e) => e.ev === 'slot_choice');
    assert.equal(choice?.fields.role, 'recovery', b.text);
    const failed = b.last.find((e) => e.ev === 'boot_failed');
    assert.equal(failed?.fields.reason, 'epoch_below', b.text);
    assert.equal(failed.fields.epoch, '2');
    assert.equal(failed.fields.committed_epoch, '3');
    assert.equal(b.all('ready_to_launch').length, 0, b.text);
    assert.equal(b.all('commit').length, 0, b.text);
    assert.equal(b.end, 'exit', 'a boot that fails before the launch returns to the firmware');
    const state = readAbState(vars)!;
    assert.equal(state.epoch, 3n);
    assert.equal(state.lastGood, u1.uuid);
  });

  it('a trial build that never starts: retried once, then rolled back (tries exhausted)', async () => {
    // The D0 binary is not covered by the manifest: a broken one passes the writer, and the
    // firmware cannot load it, so the trial never reaches a commit.
    const { disk, vars } = await copyOfBase('noload');
    const u2 = makeBuild(fx, 'noload');
    const efi = path.join(u2.dir, `EFI/BOOT/BOOTX64-${u2.uuid}.EFI`);
    fs.writeFileSync(efi, Buffer.from('not a PE image'));
    await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });
    const b = await bootUntilExit(disk, vars);
    const roles = b.all('slot_choice').map((e) => e.fields.role);
    assert.deepEqual(roles, ['trial_start', 'trial_retry', 'committed'], b.text);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.equal(rb[0].fields.reason, 'tries_exhausted');
    assert.equal(rb[0].fields.from, u2.uuid);
    assert.equal(rb[0].fields.to, u1.uuid);
    assertStillU1(b.last, b.text);
    assert.equal(readAbState(vars)!.bad, u2.uuid);
  });
});
