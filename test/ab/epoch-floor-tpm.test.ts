// The security-epoch floor and a cleared NVRAM, under QEMU + OVMF with and without a TPM 2.0
// (swtpm). The story in both: U1 (security_epoch 3) is committed; then the firmware's variables
// are lost (a fresh VARS file) and the disk carries an older signed build (epoch 2) instead.
//   - With a TPM, D0 raised its NV index at the commit itself (after ExitBootServices, through its
//     own TIS driver), so no further boot is needed: the older build is refused
//     (ev=boot_failed reason=epoch_below, the floor from source=tpm); U1 itself
//     (epoch 3, at the floor) still boots on a cleared NVRAM. The same holds with the TPM on CRB
//     (D0's CRB driver), and a raise the TPM refuses at the commit leaves the commit intact.
//     The swtpm state directory persists across the QEMU runs as a TPM's NV memory does across
//     power cycles.
//   - Without one, the floor lived only in the VARS file: the older build boots and is committed.
//     That is the documented limit (kernel/docs/ab.md, "Slots, updates and rollback").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import type { D0Event } from '../support/events';
import { tpmCommands, withSwtpm } from '../support/swtpm';
import {
  bootUntilExit,
  copyOfBase,
  freshVars,
  makeBuild,
  sharedFixture,
  type AbFixture,
  type Boots,
} from './support';

/** The one ev=epoch_floor of a boot. */
function floorOf(boot: D0Event[], text: string): Record<string, string> {
  const f = boot.filter((e) => e.ev === 'epoch_floor');
  assert.equal(f.length, 1, 'one ev=epoch_floor per boot\n' + text);
  return f[0].fields;
}

describe('ab: the epoch floor survives a cleared NVRAM with a TPM', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let old: { dir: string; uuid: string }; // security_epoch 2, below U1's 3
  let oldDisk: string;

  before(async () => {
    fx = await sharedFixture();
    old = makeBuild(fx, 'floor-old', { epoch: 2 });
    oldDisk = path.join(fx.dir, 'floor-old.img');
    await buildSlotDisk(oldDisk, { a: old.dir, sizeMiB: 40 });
  });

  /** A fresh copy of the disk with only the older build, and a VARS file as OVMF ships it. */
  function olderBuildClearedVars(name: string): { disk: string; vars: string } {
    const disk = path.join(fx.dir, `${name}.img`);
    fs.copyFileSync(oldDisk, disk);
    return { disk, vars: freshVars(path.join(fx.dir, `${name}.vars.fd`)) };
  }

  it('with swtpm: the commit raises the TPM at once; with the VARS file then cleared an older build is refused, an equal one boots', async () => {
    const tpmDir = path.join(fx.dir, 'floor-tpm.swtpm');
    const withTpm = (disk: string, vars: string): Promise<Boots> =>
      withSwtpm(tpmDir, (args) => bootUntilExit(disk, vars, { extraArgs: args }));
    const u1 = makeBuild(fx, 'floor-u1'); // security_epoch 3
    const disk = path.join(fx.dir, 'floor-tpm.img');
    const vars = freshVars(path.join(fx.dir, 'floor-tpm.vars.fd'));
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });

    // First boot with a TPM: D0 defines its index (floor 0) before ExitBootServices, commits U1
    // (epoch 3) in NVRAM and, in the same boot, raises the TPM to 3 through its own TIS driver.
    const first = await withTpm(disk, vars);
    assert.equal(first.boots.length, 1, first.text);
    const iface = first.all('tpm_interface');
    assert.deepEqual(
      iface.map((e) => [e.fields.iface, e.fields.commit_raise]),
      [['fifo', 'yes']],
      first.text,
    );
    const raised = first.all('tpm_floor_raised');
    assert.deepEqual(
      raised.map((e) => [e.fields.from, e.fields.to, e.fields.defined, e.fields.at]),
      [
        ['0', '0', 'yes', 'boot'],
        ['0', '3', 'no', 'commit'],
      ],
      first.text,
    );
    const f0 = floorOf(first.last, first.text);
    assert.deepEqual([f0.source, f0.value, f0.tpm, f0.nvram], ['tpm', '0', '0', '0'], first.text);
    assert.equal(first.all('commit')[0]?.fields.epoch, '3', first.text);
    assert.equal(first.all('tpm_error').length, 0, first.text);
    const order = first.last.map((e) => e.ev);
    assert.ok(
      order.indexOf('firmware_exited') < order.lastIndexOf('tpm_floor_raised') &&
        order.indexOf('commit') < order.lastIndexOf('tpm_floor_raised'),
      'the raise follows ExitBootServices and the commit\n' + first.text,
    );
    assert.equal(first.end, 'halt', 'U1 runs on after the raise\n' + first.text);
    // The read and raise over D0's TIS driver took a measured, bounded time (four exchanges).
    const us = Number(raised[1].fields.us);
    assert.ok(us > 0 && us < 5_000_000, `commit raise took ${raised[1].fields.us} us`);
    console.log(`      TPM raise at the commit: ${us} us`);

    // With no further boot: the VARS file is lost and the disk holds the older build. The TPM's
    // floor, raised at the commit, refuses it.
    const cleared = olderBuildClearedVars('floor-tpm-cleared');
    const b = await withTpm(cleared.disk, cleared.vars);
    assert.equal(b.boots.length, 1, b.text);
    const state = b.last.find((e) => e.ev === 'ab_state');
    assert.equal(state?.fields.nv, 'absent', 'the VARS file really was cleared\n' + b.text);
    const f2 = floorOf(b.last, b.text);
    assert.deepEqual([f2.source, f2.value, f2.tpm, f2.nvram], ['tpm', '3', '3', '0'], b.text);
    assert.equal(b.all('tpm_floor_raised').length, 0, 'the TPM is never lowered\n' + b.text);
    const failed = b.last.find((e) => e.ev === 'boot_failed');
    assert.equal(failed?.fields.reason, 'epoch_below', b.text);
    assert.equal(failed.fields.epoch, '2');
    assert.equal(failed.fields.committed_epoch, '3');
    assert.equal(b.all('ready_to_launch').length, 0, b.text);
    assert.equal(b.all('commit').length, 0, b.text);
    assert.equal(b.end, 'exit', 'the refused boot returns to the firmware\n' + b.text);
    assert.equal(readAbState(cleared.vars), undefined, 'nothing was committed to NVRAM');

    // A build at the floor still boots on a cleared NVRAM, and the NVRAM cache gets the floor
    // back; its commit leaves the TPM, already at 3, alone.
    const again = freshVars(path.join(fx.dir, 'floor-tpm-again.vars.fd'));
    const c = await withTpm(disk, again);
    const f3 = floorOf(c.last, c.text);
    assert.deepEqual([f3.source, f3.value, f3.tpm, f3.nvram], ['tpm', '3', '3', '0'], c.text);
    assert.equal(c.all('boot_failed').length, 0, c.text);
    assert.equal(c.all('commit')[0]?.fields.boot, u1.uuid, c.text);
    assert.equal(c.all('tpm_floor_raised').length, 0, c.text);
    assert.equal(readAbState(again)!.epoch, 3n);
  });

  it('with swtpm: a trial with a higher epoch leaves the TPM alone until its commit, which raises it at once', async () => {
    const { disk, vars, u1 } = await copyOfBase('floor-trial'); // U1 (epoch 3) committed, no TPM then
    const tpmDir = path.join(fx.dir, 'floor-trial.swtpm');
    const withTpm = (d: string, v: string): Promise<Boots> =>
      withSwtpm(tpmDir, (args) => bootUntilExit(d, v, { extraArgs: args }));
    const u2 = makeBuild(fx, 'floor-trial-u2', { epoch: 5 });
    await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });

    // U1 defines the index at 3 (its first boot with this TPM) and starts U2's trial; the trial
    // boot reads 3, and U2's commit raises the TPM to 5.
    const t = await withTpm(disk, vars);
    assert.deepEqual(
      t.all('slot_choice').map((e) => e.fields.role),
      ['trial_start', 'trial'],
      t.text,
    );
    assert.deepEqual(
      t
        .all('tpm_floor_raised')
        .map((e) => [e.fields.from, e.fields.to, e.fields.defined, e.fields.at]),
      [
        ['0', '3', 'yes', 'boot'],
        ['3', '5', 'no', 'commit'],
      ],
      'the trial leaves the TPM at 3 until its commit\n' + t.text,
    );
    assert.deepEqual(
      t.all('epoch_floor').map((e) => [e.fields.source, e.fields.value]),
      [
        ['tpm', '3'],
        ['tpm', '3'],
      ],
      t.text,
    );
    const commit = t.all('commit');
    assert.deepEqual([commit[0]?.fields.boot, commit[0]?.fields.epoch], [u2.uuid, '5'], t.text);

    // With no further boot: NVRAM cleared, and U1 (epoch 3, slot A) the only build left:
    // refused by the TPM's 5.
    const only = path.join(fx.dir, 'floor-trial-u1-only.img');
    await buildSlotDisk(only, { a: u1.dir, sizeMiB: 40 });
    const b = await withTpm(only, freshVars(path.join(fx.dir, 'floor-trial-cleared.vars.fd')));
    const failed = b.last.find((e) => e.ev === 'boot_failed');
    assert.deepEqual(
      [failed?.fields.reason, failed?.fields.epoch, failed?.fields.committed_epoch],
      ['epoch_below', '3', '5'],
      b.text,
    );
    assert.equal(floorOf(b.last, b.text).source, 'tpm');
  });

  it("with swtpm: an index D0 did not define at its handle is a tpm_error; the floor is NVRAM's and the index is left alone", async () => {
    const { disk, vars, u1 } = await copyOfBase('floor-foreign'); // U1 (epoch 3) committed
    const tpmDir = path.join(fx.dir, 'floor-foreign.swtpm');
    // NV_DefineSpace of a 16-byte index at D0's handle (D0's is 8 bytes), as other software could.
    const defineForeign =
      '8002 0000002d 0000012a 40000001 00000009 40000009 0000 00 0000 0000' +
      '000e 0180d0e0 000b 02060002 0000 0010';
    const readPublic = '8001 0000000e 00000169 0180d0e0';
    const [defined] = await tpmCommands(tpmDir, [defineForeign]);
    assert.equal(defined.slice(12, 20), '00000000', `NV_DefineSpace answered ${defined}`);

    const b = await withSwtpm(tpmDir, (args) => bootUntilExit(disk, vars, { extraArgs: args }));
    const err = b.all('tpm_error');
    assert.deepEqual(
      err.map((e) => [e.fields.op, e.fields.kind]),
      [['nv_read_public', 'foreign_index']],
      b.text,
    );
    const f = floorOf(b.last, b.text);
    assert.deepEqual([f.source, f.value, f.tpm, f.nvram], ['nvram', '3', 'error', '3'], b.text);
    assert.equal(b.all('tpm_floor_raised').length, 0, b.text);
    assert.equal(b.last.find((e) => e.ev === 'slot_choice')?.fields.boot, u1.uuid, b.text);
    assert.equal(b.end, 'halt', 'U1 boots on the NVRAM floor\n' + b.text);
    const [pub] = await tpmCommands(tpmDir, [readPublic]);
    assert.equal(pub.slice(12, 20), '00000000', pub);
    assert.equal(pub.slice(48, 52), '0010', 'the foreign index still has 16 bytes');
  });

  it('with swtpm: a raise the TPM refuses at the commit is a tpm_error at=commit; the commit stands', async () => {
    const tpmDir = path.join(fx.dir, 'floor-auth.swtpm');
    // TPM2_HierarchyChangeAuth: the owner's password becomes "ab", as other software could set
    // it. D0 authorises NV_DefineSpace with the empty owner password, so every define fails.
    const changeOwnerAuth =
      '8002 0000001f 00000129 40000001 00000009 40000009 0000 00 0000 0002 6162';
    const [changed] = await tpmCommands(tpmDir, [changeOwnerAuth]);
    assert.equal(changed.slice(12, 20), '00000000', `HierarchyChangeAuth answered ${changed}`);
    const u1 = makeBuild(fx, 'floor-auth-u1'); // security_epoch 3
    const disk = path.join(fx.dir, 'floor-auth.img');
    const vars = freshVars(path.join(fx.dir, 'floor-auth.vars.fd'));
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });

    const b = await withSwtpm(tpmDir, (args) => bootUntilExit(disk, vars, { extraArgs: args }));
    assert.equal(b.boots.length, 1, b.text);
    assert.deepEqual(
      b.all('tpm_error').map((e) => [e.fields.op, e.fields.kind, e.fields.at]),
      [
        ['nv_define', 'rc', 'boot'],
        ['nv_define', 'rc', 'commit'],
      ],
      b.text,
    );
    assert.equal(b.all('tpm_floor_raised').length, 0, b.text);
    const f = floorOf(b.last, b.text);
    assert.deepEqual([f.source, f.value, f.tpm, f.nvram], ['nvram', '0', 'absent', '0'], b.text);
    // The commit itself is intact: NVRAM holds epoch 3 for the next boot to raise the TPM from.
    assert.deepEqual(
      b.all('commit').map((e) => [e.fields.boot, e.fields.epoch]),
      [[u1.uuid, '3']],
      b.text,
    );
    assert.equal(readAbState(vars)!.epoch, 3n);
    assert.equal(b.end, 'halt', 'U1 runs on after the failed raise\n' + b.text);
  });

  it("with swtpm on CRB: the commit raises the TPM through D0's CRB driver; with the VARS file then cleared an older build is refused", async () => {
    const { disk, vars, u1 } = await copyOfBase('floor-crb'); // U1 (epoch 3) committed, no TPM then
    const tpmDir = path.join(fx.dir, 'floor-crb.swtpm');
    const withCrb = (d: string, v: string): Promise<Boots> =>
      withSwtpm(tpmDir, (args) => bootUntilExit(d, v, { extraArgs: args }), {
        device: 'tpm-crb',
      });
    const u2 = makeBuild(fx, 'floor-crb-u2', { epoch: 4 });
    await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });

    // U1 defines the index at 3 through TCG2 and starts U2's trial; U2's commit raises it to 4
    // over CRB in the same boot.
    const t = await withCrb(disk, vars);
    assert.deepEqual(
      t.all('tpm_interface').map((e) => [e.fields.iface, e.fields.commit_raise]),
      [
        ['crb', 'yes'],
        ['crb', 'yes'],
      ],
      t.text,
    );
    assert.deepEqual(
      t.all('tpm_floor_raised').map((e) => [e.fields.from, e.fields.to, e.fields.at]),
      [
        ['0', '3', 'boot'],
        ['3', '4', 'commit'],
      ],
      t.text,
    );
    assert.equal(t.all('tpm_error').length, 0, t.text);
    assert.equal(t.all('commit')[0]?.fields.epoch, '4', t.text);

    // With no further boot: NVRAM cleared, and U1 (epoch 3) the only build: refused by the 4.
    const only = path.join(fx.dir, 'floor-crb-u1-only.img');
    await buildSlotDisk(only, { a: u1.dir, sizeMiB: 40 });
    const b = await withCrb(only, freshVars(path.join(fx.dir, 'floor-crb-cleared.vars.fd')));
    const failed = b.last.find((e) => e.ev === 'boot_failed');
    assert.deepEqual(
      [failed?.fields.reason, failed?.fields.epoch, failed?.fields.committed_epoch],
      ['epoch_below', '3', '4'],
      b.text,
    );
    assert.equal(floorOf(b.last, b.text).source, 'tpm');
  });

  it('without a TPM: the same sequence boots and commits the older build (the floor lived in NVRAM only)', async () => {
    // U1's commit (epoch 3) by the shared base boot, which had no TPM.
    const base = await copyOfBase('floor-nvram');
    assert.equal(readAbState(base.vars)!.epoch, 3n);
    const cleared = olderBuildClearedVars('floor-nvram-cleared');
    const b = await bootUntilExit(cleared.disk, cleared.vars);
    assert.equal(b.boots.length, 1, b.text);
    const f = floorOf(b.last, b.text);
    assert.deepEqual([f.source, f.value, f.tpm, f.nvram], ['nvram', '0', 'none', '0'], b.text);
    assert.equal(b.all('boot_failed').length, 0, b.text);
    const commit = b.all('commit');
    assert.equal(commit.length, 1, b.text);
    assert.equal(commit[0].fields.boot, old.uuid);
    assert.equal(commit[0].fields.role, 'first');
    assert.equal(commit[0].fields.epoch, '2');
    const state = readAbState(cleared.vars)!;
    assert.equal(state.epoch, 2n, 'the floor went back from 3 to 2');
    assert.equal(state.lastGood, old.uuid);
  });
});
