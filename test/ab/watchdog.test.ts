// The chipset's TCO watchdog guards D0 after the launch (kernel/boot/efi/wdog/). QEMU's q35 TCO
// only resets with its pin strap off (-global ICH9-LPC.noreboot=false; QEMU 7.2's default is
// true) and GCS.NO_REBOOT cleared, which D0 does. QEMU + OVMF with SVM, every boot of a test in
// one QEMU run with a persistent VARS file.
//
// - A trial whose D0 hangs right after arming (a test-only D0 built with -DD0_SELFTEST_HANG:
//   interrupts off, a spin loop) is reset by the TCO, with nobody doing anything: the firmware
//   boots the last good build, which reads the watchdog's second-timeout status, retries the
//   trial while tries are left and then rolls it back. U1 runs, and the VARS file says so.
// - A healthy trial with the watchdog armed runs across more than three periods before its
//   commit (its VM's health window is longer than that) and is never reset.
// - Not only trials: a build that is not on trial (a first boot) and hangs is reset too, and the
//   firmware boots it again.
import assert from 'node:assert/strict';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import type { D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { assertRunsU1 } from './health-asserts';
import {
  AB_CPU,
  bootUntilExit,
  committedBase,
  copyOfBase,
  freshVars,
  makeBuild,
  selftestFixture,
  sharedFixture,
  splitBoots,
} from './support';

const AB_TRIES = 2; // kernel/boot/efi/ab/ab.h: tries a new build gets
const PERIOD_MS = 6000; // kernel/boot/efi/wdog/watchdog.h: D0_WATCHDOG_PERIOD_MS
/** The TCO may reset the machine (QEMU's default pin strap forbids it). */
const TCO_RESETS = ['-global', 'ICH9-LPC.noreboot=false'];

const find = (boot: D0Event[], ev: string, f: Record<string, string> = {}) =>
  boot.find((e) => e.ev === ev && Object.entries(f).every(([k, v]) => e.fields[k] === v));

describe('ab: the TCO watchdog resets a hung trial and leaves a healthy one alone', function () {
  this.timeout(900_000);

  it('a trial D0 that hangs is reset by the TCO, retried, and rolled back to U1 with no intervention', async () => {
    const fx = await sharedFixture();
    const { u1 } = await committedBase();
    const { disk, vars } = await copyOfBase('wdog-hang');
    const hang = await selftestFixture(fx, 'D0_SELFTEST_HANG');
    // The hang exists only in the test build.
    assert.ok(hang.efi.includes('selftest_hang') && !fx.efi.includes('selftest_hang'));
    const u2 = makeBuild(hang, 'wdog-hang-u2');
    const w = await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });
    assert.equal(w.slot, 'B');

    const b = await bootUntilExit(disk, vars, { timeoutMs: 400_000, extraArgs: TCO_RESETS });
    const trialAt = b.boots.flatMap((boot, i) =>
      find(boot, 'slot_choice', { role: 'trial', boot: u2.uuid }) ? [i] : [],
    );
    assert.equal(trialAt.length, AB_TRIES, 'every try of U2 ran\n' + b.text);
    for (const i of trialAt) {
      const t = b.boots[i];
      assert.ok(find(t, 'watchdog', { state: 'found' }), b.text);
      const armed = find(t, 'watchdog', { state: 'armed' });
      assert.equal(armed?.fields.period_ms, String(PERIOD_MS), b.text);
      assert.ok(t.indexOf(armed!) > t.findIndex((e) => e.ev === 'firmware_exited'), b.text);
      // D0 hung: nothing after the hang, no reset of its own. The firmware booted again anyway.
      assert.equal(t.at(-1)?.ev, 'selftest_hang', b.text);
      assert.equal(t.indexOf(armed!), t.length - 2, b.text);
      const next = b.boots[i + 1];
      assert.ok(next, 'a boot follows the hang: the TCO reset the machine\n' + b.text);
      assert.ok(find(next, 'watchdog', { state: 'found', last_reset: 'watchdog' }), b.text);
      const choice = find(next, 'slot_choice');
      assert.deepEqual([choice?.fields.boot, choice?.fields.slot], [u1.uuid, 'A'], b.text);
    }
    // After the first hang U1 retries U2; after the second it rolls back.
    const retry = find(b.boots[trialAt[0] + 1], 'slot_choice', { role: 'trial_retry' });
    assert.equal(retry?.fields.last_reset, 'watchdog', b.text);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.deepEqual(
      [rb[0].fields.from, rb[0].fields.to, rb[0].fields.reason, rb[0].fields.last_reset],
      [u2.uuid, u1.uuid, 'tries_exhausted', 'watchdog'],
    );
    assert.ok(b.last.includes(rb[0]), 'the last boot rolled back and runs U1\n' + b.text);
    assert.equal(b.all('commit').length, 0, 'the hung trial is never committed\n' + b.text);
    assertRunsU1(b.last, u1.uuid, b.text);
    assert.ok(find(b.last, 'watchdog', { state: 'armed' }), 'U1 runs with the watchdog armed');
    assert.equal(b.end, 'halt');
    const shown = b.events.filter(
      (e) => (e.ev === 'watchdog' && e.fields.state !== 'found') || e.ev === 'selftest_hang' ||
        e.fields.last_reset === 'watchdog',
    );
    console.log(`      ${b.boots.length} boots:\n${shown.map((e) => `        ${e.raw}`).join('\n')}`);
    assert.deepEqual(readAbState(vars), {
      lastGood: u1.uuid,
      trial: undefined,
      triesLeft: 0,
      epoch: readAbState(vars)!.epoch,
      bad: u2.uuid,
    });
  });

  it('a healthy trial runs across more than 3 watchdog periods, is never reset, and commits', async () => {
    const fx = await sharedFixture();
    const { u1 } = await committedBase();
    const { disk, vars } = await copyOfBase('wdog-healthy');
    // Ready at once but healthy only once its 20 s health window closes; it never exits.
    const u2 = makeBuild(fx, 'wdog-healthy-u2', { guest: 'ready_running', vms: { healthTimeoutS: 20 } });
    await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });

    const q = { disk, vars, cpu: AB_CPU, timeoutMs: 300_000, extraArgs: TCO_RESETS };
    const events = await withQemu(q, async (vm) => {
      await vm.waitFor((e) => e.ev === 'commit' && e.fields.boot === u2.uuid);
      return [...vm.events];
    });
    const text = events.map((e) => e.raw).join('\n');
    const boots = splitBoots(events);
    assert.equal(boots.length, 2, 'U1 starts the trial, U2 runs and commits: no other boot\n' + text);
    const trial = boots[1];
    assert.ok(find(trial, 'slot_choice', { role: 'trial', boot: u2.uuid }), text);
    const armed = find(trial, 'watchdog', { state: 'armed' });
    assert.equal(armed?.fields.period_ms, String(PERIOD_MS), text);
    const commit = find(trial, 'commit', { boot: u2.uuid })!;
    assert.equal(commit.fields.previous, u1.uuid);
    // D0's own clock: the watchdog was armed, and petted, for more than 3 periods.
    const armedFor = Number(commit.fields.ms) - Number(armed!.fields.ms);
    assert.ok(armedFor >= 3 * PERIOD_MS, `armed for only ${armedFor} ms before the commit\n${text}`);
    assert.equal(events.filter((e) => e.fields.last_reset === 'watchdog').length, 0, text);
    assert.equal(readAbState(vars)?.lastGood, u2.uuid);
    console.log(`      the trial ran ${armedFor} ms (${(armedFor / PERIOD_MS).toFixed(1)} periods) with the watchdog armed`);
  });

  it('a first boot (not a trial) whose D0 hangs is reset too, and boots again', async () => {
    const fx = await sharedFixture();
    const hang = await selftestFixture(fx, 'D0_SELFTEST_HANG');
    const u = makeBuild(hang, 'wdog-first-hang');
    const disk = path.join(fx.dir, 'wdog-first.img');
    const vars = freshVars(path.join(fx.dir, 'wdog-first.vars.fd'));
    await buildSlotDisk(disk, { a: u.dir, sizeMiB: 40 });
    const q = { disk, vars, cpu: AB_CPU, timeoutMs: 240_000, extraArgs: TCO_RESETS };
    const events = await withQemu(q, async (vm) => {
      await vm.waitFor((e) => e.ev === 'watchdog' && e.fields.last_reset === 'watchdog');
      return [...vm.events];
    });
    const text = events.map((e) => e.raw).join('\n');
    const boots = splitBoots(events);
    assert.equal(boots.length, 2, text);
    assert.ok(find(boots[0], 'slot_choice', { role: 'first', boot: u.uuid }), text);
    assert.ok(find(boots[0], 'watchdog', { state: 'armed' }), text);
    assert.equal(boots[0].at(-1)?.ev, 'selftest_hang', text);
    assert.ok(find(boots[1], 'watchdog', { state: 'found', last_reset: 'watchdog' }), text);
    assert.equal(readAbState(vars), undefined, 'nothing was committed or written\n' + text);
  });
});
