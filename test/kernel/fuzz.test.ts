// libFuzzer (ASan + UBSan) on manifest_parse + manifest_dump + ed25519_verify for 30 s (test/support/fuzz-time.ts), seeded
// with the golden vectors and kernel/tests/corpus. Any crash, sanitizer report, leak or broken
// invariant (kernel/tests/fuzz_manifest.c) makes libFuzzer exit non-zero.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, VECTORS, bin, build, run , assertFuzzClean } from './host-build';
import { fuzzSeconds } from '../support/fuzz-time';

const SECONDS = fuzzSeconds(30);

describe('kernel manifest + Ed25519 fuzzer', function () {
  this.timeout((SECONDS + 300) * 1000);
  before(() => build('fuzz'));

  it(`runs ${SECONDS} s without a crash`, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-fuzz-'));
    try {
      const r = await run(
        bin('fuzz_manifest'),
        [
          `-max_total_time=${SECONDS}`,
          `-dict=${path.join(REPO, 'kernel/tests/manifest.dict')}`,
          `-artifact_prefix=${work}/`,
          '-print_final_stats=1',
          work, // new inputs go to the first directory; the seed directories stay untouched
          VECTORS,
          path.join(REPO, 'test/vectors/semantic'), // decodable manifests that reach every semantic rule
          path.join(REPO, 'kernel/tests/corpus'),
        ],
        (SECONDS + 120) * 1000,
      );
      assertFuzzClean(r, work);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
