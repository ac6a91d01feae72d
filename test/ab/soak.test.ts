// The A/B soak (bench/ab/soak.ts) in CI at a size the suite's budget allows: each cycle is one
// writer run and 1-3 QEMU boots (~20-60 s here), so CI runs 3 cycles (the first always a good
// update, then, with seed 1, a corrupted VM image (rolled back) and a good update); `npx tsx bench/ab/soak.ts --cycles 20` is the full soak.
import assert from 'node:assert/strict';
import { runSoak } from '../../bench/ab/soak';
import { sharedFixture } from './support';

const CI_CYCLES = 3;

describe('ab: soak', function () {
  this.timeout(900_000);
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
