// The A/B soak (bench/ab/soak.ts) in CI: 20 update/rollback cycles with seed 1 (the first always a
// good update, then a seeded mix of good updates, bad signatures, corrupted images, lower epochs and broken
// D0 binaries). Each cycle is one writer run and 1-3 QEMU boots (~20 s on an idle 2-core machine, so
// ~6-7 minutes); `npx tsx bench/ab/soak.ts --cycles N` runs any size by hand.
import assert from 'node:assert/strict';
import { runSoak } from '../../bench/ab/soak';
import { sharedFixture } from './support';

const CI_CYCLES = 20;

describe('ab: soak', function () {
  this.timeout(2_400_000);
  it(`${CI_CYCLES} update/rollback cycles: no failure, no unbootable state`, async () => {
    const lines: string[] = [];
    const c = await runSoak({
      cycles: CI_CYCLES,
      seed: 1,
      fixture: await sharedFixture(),
      log: (l) => lines.push(l),
    });
    assert.equal(c.cycles, CI_CYCLES);
    assert.equal(c.failures, 0, lines.join('\n'));
    assert.equal(c.unbootable, 0, lines.join('\n'));
    assert.ok(c.commits >= 2, 'the first boot and the first (good) cycle commit');
    assert.ok(c.boots >= 1 + CI_CYCLES);
    console.log(`      ${lines.join('\n      ')}\n      ${JSON.stringify(c)}`);
  });
});
