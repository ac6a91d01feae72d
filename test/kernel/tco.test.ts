// kernel/boot/efi/wdog/tco.c on the host (ASan + UBSan): D0's ICH9 TCO watchdog logic against a
// model of the chip (QEMU's q35 timer rules; status registers both write-one-to-clear and QEMU's
// masked store): the probe's refusals (not ICH9, no PMBASE decode, RCBA off, NO_REBOOT locked,
// TCO_LOCK) with nothing written to a foreign chip, the period arithmetic, a petted timer that
// never resets, a hang reset exactly one period after the last pet, the next boot seeing and
// clearing the cause with no timer running, and stop. kernel/tests/test_tco.c has the cases.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel TCO watchdog (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_tco'));

  it('finds, arms, pets and stops the TCO, and reads back why the last boot reset', async () => {
    const r = await run(bin('test_tco'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'tco');
    assert.equal(s.failed, 0);
    // the period sweep (~9400) and the fixed cases
    assert.ok(s.checks > 9_000, `only ${s.checks} checks ran`);
  });
});
