// kernel/boot/efi/tpm/tis.c on the host (ASan + UBSan): D0's TIS/FIFO TPM driver against a
// simulated register file and clock: a well-behaved TPM at several burstCounts, the floor policy
// over it, every fault ending in its own error within its spec timeout (locality, commandReady,
// burstCount 0 forever, stsValid, Expect, no dataAvail, oversized/short/overlong responses), the
// interface probe, and random register contents. kernel/tests/test_tpm_tis.c has the cases.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel TPM TIS driver (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_tpm_tis'));

  it('exchanges commands over the FIFO and gives up on every fault within its timeout', async () => {
    const r = await run(bin('test_tpm_tis'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'tpm_tis');
    assert.equal(s.failed, 0);
    // 3000 random-register runs (2 checks each) and the fixed cases
    assert.ok(s.checks > 6_000, `only ${s.checks} checks ran`);
  });
});
