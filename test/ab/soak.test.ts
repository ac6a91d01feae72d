// The A/B soak (bench/ab/soak.ts) in CI: 6 update/rollback cycles with seed 42, the shortest seeded
// run that meets every kind once: a good update, then a corrupted image, a bad signature, a broken
// D0 binary, a lower epoch, and a good update again (the host still updates after all of them).
// Each cycle is one writer run and 1-3 QEMU boots (~20 s on an idle 2-core machine). The long mix
// is the bench's: `npx tsx bench/ab/soak.ts --cycles 20` (bench/README.md records its runs).
import assert from 'node:assert/strict';
import { runSoak } from '../../bench/ab/soak';
import { sharedFixture } from './support';

const CI_CYCLES = 6;
const CI_SEED = 42;
const KINDS = ['good', 'corrupt_disk', 'bad_signature', 'broken_efi', 'epoch_below', 'good'];

describe('ab: soak', function () {
  this.timeout(2_400_000);
  it(`${CI_CYCLES} update/rollback cycles: no failure, no unbootable state`, async () => {
    const lines: string[] = [];
    const c = await runSoak({
      cycles: CI_CYCLES,
      seed: CI_SEED,
      fixture: await sharedFixture(),
      log: (l) => lines.push(l),
    });
    assert.equal(c.cycles, CI_CYCLES);
    const kinds = lines.flatMap((l) => /^cycle \d+ (\w+):/.exec(l)?.[1] ?? []);
    assert.deepEqual(kinds, KINDS, 'the seed no longer gives one cycle of each kind: pick another');
    assert.equal(c.failures, 0, lines.join('\n'));
    assert.equal(c.unbootable, 0, lines.join('\n'));
    assert.ok(c.commits >= 2, 'the first boot and the first (good) cycle commit');
    assert.ok(c.boots >= 1 + CI_CYCLES);
    console.log(`      ${lines.join('\n      ')}\n      ${JSON.stringify(c)}`);
  });
});
