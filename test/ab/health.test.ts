// The commit waits for the VMs' health, and a trial whose health never comes rolls back (issue 7),
// under QEMU + OVMF with -cpu EPYC (SVM, so D0 launches). Each case starts from the committed base
// (U1 in slot A, healthy) and puts a U2 whose tiny guest (./guests.ts) fails its health into slot
// B with the real writer (the build itself is valid: only its run can tell). The healthy case and
// the order "vm_health healthy -> build_healthy -> commit" are in update.test.ts; the same with a
// real Linux guest is test/hv-svm/health-linux.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { buildSlotDisk } from '../../builder/disk/slots';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeSlot } from '../../builder/disk/writer';
import { assertHealthRollback, assertRunsU1 } from './health-asserts';
import {
  bootUntilExit,
  copyOfBase,
  freshVars,
  makeBuild,
  sharedFixture,
  type AbFixture,
  type BuildDefects,
} from './support';

describe('ab: health decides the commit; a trial whose health never comes rolls back', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  before(async () => {
    fx = await sharedFixture();
  });

  /** A copy of the committed base with a valid U2 of these defects written into slot B. */
  async function withU2(name: string, d: BuildDefects) {
    const base = await copyOfBase(name);
    const u2 = makeBuild(fx, name, d);
    const w = await writeSlot({
      target: base.disk,
      buildDir: u2.dir,
      publicKey: fx.pub,
      vars: base.vars,
    });
    assert.equal(w.slot, 'B');
    return { ...base, u2 };
  }

  it("U2's guest exits with status 1 at once: health_failed, rollback to U1, U2 bad and never tried again", async () => {
    const { disk, vars, u1, u2 } = await withU2('health-exit1', { guest: 'exit1' });
    const b = await bootUntilExit(disk, vars);
    assertHealthRollback(b, u1.uuid, u2.uuid, ['exit-nonzero', 'exit-before-ready']);
    const failedVm = b.boots[1].find((e) => e.ev === 'health_failed')!.fields.vm;
    const exit = b.boots[1].find((e) => e.ev === 'vm_exit' && e.fields.vm === failedVm);
    assert.equal(exit?.fields.status, '1', b.text);
    const state = readAbState(vars)!;
    assert.equal(state.bad, u2.uuid);
    assert.equal(state.lastGood, u1.uuid);
    assert.equal(state.trial, undefined);
    // The story of the decision survives in the VARS file: `d0 disk status` prints the rollback's
    // reason and the failing VM's verdict offline, as the console logged them.
    const failed = b.boots[1].find((e) => e.ev === 'health_failed')!.fields;
    const pubFile = path.join(fx.dir, 'health-exit1.pub');
    fs.writeFileSync(pubFile, formatPublicKeyFile(fx.pub));
    const st = await d0(['disk', 'status', disk, '--vars', vars, '--pub', pubFile]);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, new RegExp(`^last decision: rollback from ${u2.uuid} to ${u1.uuid}, reason health:${failed.reason}$`, 'm'));
    assert.match(st.out, new RegExp(`^  vm ${failed.vm}: failed \\(${failed.reason}\\)$`, 'm'), st.out);
    assert.match(st.out, new RegExp(`^  health failed on vm ${failed.vm}: ${failed.reason}$`, 'm'));
    const json = JSON.parse((await d0(['disk', 'status', disk, '--vars', vars, '--pub', pubFile, '--json'])).out);
    assert.deepEqual(
      json.lastBoot.events.map((e: { ev: string }) => e.ev).filter((ev: string) => ev !== 'vm_health' && ev !== 'vm_exit'),
      ['ab_state', 'slot_choice', 'manifest_verified', 'health_failed', 'slot_bad', 'rollback'],
    );
    assert.equal(json.lastBoot.dropped, 0);

    const again = await bootUntilExit(disk, vars);
    assert.equal(again.boots.length, 1, 'no second trial of a bad build\n' + again.text);
    assert.equal(again.all('slot_bad').length, 0, again.text);
    assertRunsU1(again.last, u1.uuid, again.text);
  });

  it('U2 never becomes ready (halts forever, health_timeout_s 2): timeout, rollback to U1', async () => {
    const { disk, vars, u1, u2 } = await withU2('health-timeout', {
      guest: 'never_ready',
      vms: { healthTimeoutS: 2 },
    });
    const b = await bootUntilExit(disk, vars);
    assertHealthRollback(b, u1.uuid, u2.uuid, 'timeout');
    assert.equal(b.boots[1].filter((e) => e.ev === 'vm_exit').length, 0, 'the guest never exited');
    assert.equal(readAbState(vars)!.bad, u2.uuid);
    // Where the failed VM's vCPU was (ev=vcpu_state, before health_failed): halted at its HLT
    // with interrupts off (the boot protocol's), its local APIC never enabled, no vector pending.
    const failed = b.boots[1].find((e) => e.ev === 'health_failed')!;
    const look = b.boots[1].find((e) => e.ev === 'vcpu_state' && e.fields.vm === failed.fields.vm);
    assert.ok(look && look.seq < failed.seq, b.text);
    const f = look.fields;
    assert.deepEqual(
      [f.vcpu, f.state, f.halted, f.last_exit, f.if, f.lapic_on, f.isr, f.irr],
      ['0', 'running', '1', 'hlt', '0', '0', undefined, undefined],
      look.raw,
    );
    assert.ok(Number(f.exits) > 1 && /^0x[0-9a-f]+$/.test(f.rip), look.raw);
  });

  it('a first-ever build whose VMs fail is not committed: it runs on, nothing is written', async () => {
    // role=first (nothing committed yet): a failure has no last good build to go back to, so
    // D0 commits nothing, resets nothing, lets the VMs stop and halts.
    const u = makeBuild(fx, 'health-first-bad', { guest: 'exit1' });
    const disk = path.join(fx.dir, 'health-first-bad.img');
    const vars = freshVars(path.join(fx.dir, 'health-first-bad.vars.fd'));
    await buildSlotDisk(disk, { a: u.dir, sizeMiB: 40 });
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 1, b.text);
    assert.equal(b.last.find((e) => e.ev === 'slot_choice')?.fields.role, 'first', b.text);
    const failed = b.all('health_failed');
    assert.equal(failed.length, 1, b.text);
    assert.equal(failed[0].fields.role, 'first');
    for (const ev of ['commit', 'rollback', 'slot_bad', 'reset', 'build_healthy'])
      assert.equal(b.all(ev).length, 0, `ev=${ev}\n${b.text}`);
    assert.deepEqual(
      b
        .all('vm_stopped')
        .map((e) => [e.fields.vm, e.fields.state])
        .sort(),
      [
        ['api', 'exited'],
        ['web', 'exited'],
      ],
      b.text,
    );
    assert.equal(b.end, 'halt');
    const state = readAbState(vars);
    assert.equal(state?.lastGood, undefined, 'nothing committed');
  });

  it('no SVM (-cpu qemu64): nothing is launched, so nothing is committed; the boot returns', async () => {
    // A valid, healthy build on a CPU D0 cannot virtualize: a refusal before the launch.
    const u = makeBuild(fx, 'health-no-svm');
    const disk = path.join(fx.dir, 'health-no-svm.img');
    const vars = freshVars(path.join(fx.dir, 'health-no-svm.vars.fd'));
    await buildSlotDisk(disk, { a: u.dir, sizeMiB: 40 });
    const b = await bootUntilExit(disk, vars, { cpu: 'qemu64' });
    assert.equal(b.last.find((e) => e.ev === 'slot_choice')?.fields.role, 'first', b.text);
    const failed = b.all('boot_failed');
    assert.equal(failed.length, 1, b.text);
    assert.equal(failed[0].fields.reason, 'no_virtualization');
    for (const ev of ['vm_start', 'vm_health', 'commit', 'rollback', 'reset'])
      assert.equal(b.all(ev).length, 0, `ev=${ev}\n${b.text}`);
    assert.equal(b.end, 'exit');
    assert.equal(readAbState(vars)?.lastGood, undefined, 'nothing committed');
  });
});
