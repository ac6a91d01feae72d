// A trial build whose D0 itself faults after ExitBootServices (a test-only D0 built with
// -DD0_SELFTEST_WX writes to its own code and takes #PF) must not leave the machine halted on
// the trial: D0 resets at once (ab_fatal, nothing written), the firmware falls back to the last
// good build, which retries the trial while tries are left and then rolls it back. U1 keeps
// running. QEMU + OVMF with SVM; every boot in one QEMU run with a persistent VARS file.
import assert from 'node:assert/strict';
import { writeSlot } from '../../builder/disk/writer';
import { assertRunsU1 } from './health-asserts';
import { bootUntilExit, committedBase, copyOfBase, makeBuild, selftestFixture, sharedFixture } from './support';

const AB_TRIES = 2; // kernel/boot/efi/ab/ab.h: tries a new build gets

describe('ab: a trial whose D0 faults after ExitBootServices is reset, retried and rolled back', function () {
  this.timeout(900_000);

  it('cpu_exception on the trial -> reset, trial_retry, reset, rollback tries_exhausted -> U1 runs', async () => {
    const fx = await sharedFixture();
    const { u1 } = await committedBase();
    const { disk, vars } = await copyOfBase('fatal');
    // The same key, a D0 that faults right after switching to its own page tables.
    const faulty = await selftestFixture(fx, 'D0_SELFTEST_WX');
    const u2 = makeBuild(faulty, 'fatal-u2');
    const w = await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });
    assert.equal(w.slot, 'B');

    const b = await bootUntilExit(disk, vars, { timeoutMs: 300_000 });
    const trials = b.boots.filter((boot) =>
      boot.some((e) => e.ev === 'slot_choice' && e.fields.role === 'trial' && e.fields.boot === u2.uuid),
    );
    assert.equal(trials.length, AB_TRIES, 'every try of U2 ran\n' + b.text);
    for (const t of trials) {
      const at = (ev: string) => t.findIndex((e) => e.ev === ev);
      assert.ok(at('cpu_exception') > at('host_paging'), 'the fault came after ExitBootServices\n' + b.text);
      assert.equal(t[at('cpu_exception')].fields.vector, '14');
      const reset = t[at('reset')];
      assert.deepEqual([reset?.fields.reason, reset?.fields.trial], ['cpu_exception', u2.uuid], b.text);
      assert.equal(at('reset'), t.length - 1, 'the reset is the last thing the trial logs');
      assert.equal(t.filter((e) => e.ev === 'vm_start').length, 0, 'nothing launched');
    }
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.deepEqual([rb[0].fields.from, rb[0].fields.to, rb[0].fields.reason], [u2.uuid, u1.uuid, 'tries_exhausted']);
    assert.equal(b.all('commit').length, 0, 'the faulty trial is never committed\n' + b.text);
    assertRunsU1(b.last, u1.uuid, b.text);
    assert.equal(b.end, 'halt');
  });
});
