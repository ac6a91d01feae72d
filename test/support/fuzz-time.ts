// How long each libFuzzer run of the test suites lasts. The figures at the call sites are what
// every CI run spends (a regression net over the seed corpora plus a short random search, inside
// the CI budget: docs/ci.md); a longer campaign scales them all without editing a test:
//
//   D0_FUZZ_SCALE=20 npx mocha test/kernel/fuzz.test.ts     # 20x each run's seconds
//
// A scale that is not a positive number is refused (a typo must not turn fuzzing off).
const ENV = 'D0_FUZZ_SCALE';

export function fuzzSeconds(ciSeconds: number): number {
  const raw = process.env[ENV];
  if (raw === undefined || raw === '') return ciSeconds;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`${ENV}=${raw}: not a positive number`);
  return Math.max(1, Math.round(ciSeconds * scale));
}
