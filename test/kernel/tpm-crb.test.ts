// kernel/boot/efi/tpm/crb.c on the host (ASan + UBSan): D0's CRB TPM driver against a simulated
// register page and clock: a well-behaved TPM (one shared and two separate buffers), the floor
// policy over it, every fault ending in its own error within its timeout (locality, cmdReady,
// Start never cleared then Cancel, tpmSts error, buffers outside the page or too small,
// responses too big or too short), and random register contents. kernel/tests/test_tpm_crb.c.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel TPM CRB driver (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_tpm_crb'));

  it('exchanges commands through the CRB buffers and gives up on every fault within its timeout', async () => {
    const r = await run(bin('test_tpm_crb'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'tpm_crb');
    assert.equal(s.failed, 0);
    // 3000 random-register runs (2 checks each) and the fixed cases
    assert.ok(s.checks > 6_000, `only ${s.checks} checks ran`);
  });
});
