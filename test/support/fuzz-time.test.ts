// The fuzz-time knob: CI's seconds by default, scaled by D0_FUZZ_SCALE, a bad scale refused.
import assert from 'node:assert/strict';
import { fuzzSeconds } from './fuzz-time';

describe('support: libFuzzer run time (D0_FUZZ_SCALE)', () => {
  const saved = process.env.D0_FUZZ_SCALE;
  afterEach(() => {
    if (saved === undefined) delete process.env.D0_FUZZ_SCALE;
    else process.env.D0_FUZZ_SCALE = saved;
  });

  it('is the CI figure when unset, scaled and rounded when set, never below 1 s', () => {
    delete process.env.D0_FUZZ_SCALE;
    assert.equal(fuzzSeconds(30), 30);
    process.env.D0_FUZZ_SCALE = '20';
    assert.equal(fuzzSeconds(30), 600);
    process.env.D0_FUZZ_SCALE = '0.01';
    assert.equal(fuzzSeconds(30), 1);
  });

  it('refuses a scale that is not a positive number instead of fuzzing for 0 s', () => {
    for (const bad of ['0', '-2', 'x', 'NaN', 'Infinity']) {
      process.env.D0_FUZZ_SCALE = bad;
      assert.throws(() => fuzzSeconds(30), /D0_FUZZ_SCALE=.*not a positive number/, bad);
    }
  });
});
