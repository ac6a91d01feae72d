// Assertions shared by the health tests (test/ab/health.test.ts with tiny guests,
// test/hv-svm/health-linux.test.ts with a real Linux guest).
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import type { Boots } from './support';

/**
 * A trial that failed its health and rolled back: U1 starts the trial, U2 launches, fails with
 * reason, is marked bad and resets into U1, which runs (role committed) and halts.
 */
export function assertHealthRollback(
  b: Boots,
  u1: string,
  u2: string,
  reason: string | string[],
): void {
  const reasons = ([] as string[]).concat(reason);
  assert.equal(b.boots.length, 3, 'U1 starts the trial, U2 fails its health, U1 again\n' + b.text);
  const trial = b.boots[1];
  const at = (ev: string) => trial.findIndex((e) => e.ev === ev);
  assert.equal(trial.find((e) => e.ev === 'slot_choice')?.fields.role, 'trial', b.text);
  const failed = trial.find((e) => e.ev === 'health_failed');
  assert.ok(failed, b.text);
  assert.ok(reasons.includes(failed.fields.reason), `${failed.raw} is not ${reasons}`);
  assert.equal(failed.fields.role, 'trial');
  // Every VM of these builds runs the failing guest: the build fails on whichever one the
  // scheduler reaches first (launch order only breaks ties within one pass), a VM it launched.
  const launched = trial.filter((e) => e.ev === 'vm_start').map((e) => e.fields.vm);
  assert.ok(launched.includes(failed.fields.vm), `${failed.raw}: not a VM of the trial\n${b.text}`);
  // The failed VM's last verdict is the one the build failed on (a real guest is ready before
  // its workload exits, so a healthy verdict may come first: it must not have been committed).
  const verdicts = trial.filter((e) => e.ev === 'vm_health' && e.fields.vm === failed.fields.vm);
  const verdict = verdicts.at(-1);
  assert.equal(verdict?.fields.verdict, 'failed', b.text);
  assert.equal(verdict?.fields.reason, failed.fields.reason);
  assert.ok(trial.indexOf(verdict) < trial.indexOf(failed), b.text);
  assert.equal(trial.filter((e) => e.ev === 'build_healthy').length, 0, b.text);
  assert.ok(at('firmware_exited') < at('vm_health'), 'the verdict came from the running VMs');
  assert.ok(at('vm_health') < at('health_failed'));
  assert.ok(at('health_failed') < at('slot_bad') && at('slot_bad') < at('rollback'), b.text);
  assert.ok(at('rollback') < at('reset'), b.text);
  const bad = trial.find((e) => e.ev === 'slot_bad')!;
  assert.equal(bad.fields.bad, u2);
  assert.equal(bad.fields.last_good, u1);
  assert.equal(bad.fields.reason, `health:${failed.fields.reason}`);
  const rb = b.all('rollback');
  assert.equal(rb.length, 1, b.text);
  assert.deepEqual(
    [rb[0].fields.from, rb[0].fields.to, rb[0].fields.reason],
    [u2, u1, `health:${failed.fields.reason}`],
  );
  const reset = trial.find((e) => e.ev === 'reset')!;
  assert.deepEqual([reset.fields.reason, reset.fields.next], ['rollback', u1]);
  assert.equal(b.all('commit').length, 0, 'nothing is committed\n' + b.text);
  assert.equal(trial.filter((e) => e.ev === 'halt' || e.ev === 'exit').length, 0);
  assertRunsU1(b.last, u1, b.text);
  assert.equal(b.end, 'halt');
}

/** The boot ran U1 as the committed build, launched it and its VMs were healthy. */
export function assertRunsU1(boot: D0Event[], u1: string, text: string): void {
  const choice = boot.find((e) => e.ev === 'slot_choice');
  assert.deepEqual(
    [choice?.fields.role, choice?.fields.boot, choice?.fields.slot],
    ['committed', u1, 'A'],
    text,
  );
  assert.ok(
    boot.some((e) => e.ev === 'ready_to_launch' && e.fields.uuid === u1),
    text,
  );
  assert.equal(boot.filter((e) => e.ev === 'build_healthy').length, 1, text);
}
