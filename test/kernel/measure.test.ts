// kernel/boot/efi/measure_events.c on the host (ASan + UBSan): the digests, event-log texts and
// order D0 measures, and the PCR 12 chain over them, equal the golden files of
// test/vectors/measure (the same files `d0 manifest pcr` is checked against), and an over-long
// description is cut, never overrun. kernel/tests/test_measure.c.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel measured-boot events (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_measure'));

  it('match the golden PCR predictions of test/vectors/measure', async () => {
    const r = await run(bin('test_measure'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'measure');
    assert.equal(s.failed, 0);
    assert.ok(s.checks >= 10, `only ${s.checks} checks ran`);
  });
});
