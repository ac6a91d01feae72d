// libFuzzer (ASan + UBSan) on manifest_parse + manifest_dump + ed25519_verify for 60 s, seeded
// with the golden vectors and kernel/tests/corpus. Any crash, sanitizer report, leak or broken
// invariant (kernel/tests/fuzz_manifest.c) makes libFuzzer exit non-zero.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, VECTORS, bin, build, run } from './host-build';

const SECONDS = 60;

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
          path.join(REPO, 'kernel/tests/corpus'),
        ],
        (SECONDS + 120) * 1000,
      );
      assert.equal(r.timedOut, false, 'libFuzzer outlived its time limit');
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(r.stderr);
      assert.ok(runs && Number(runs[1]) > 1000, `too few executions: ${runs?.[1]}`);
      assert.deepEqual(fs.readdirSync(work).filter((f) => /^(crash|leak|timeout|oom)-/.test(f)), []);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
