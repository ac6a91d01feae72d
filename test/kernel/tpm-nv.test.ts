// kernel/boot/efi/tpm on the host (ASan + UBSan): the TPM 2.0 NV commands D0 sends, byte for
// byte; the response parsers on valid, truncated, inconsistent and randomly mutated responses;
// the epoch-floor policy against a simulated TPM (first use, foreign index, error codes,
// transport failures). kernel/tests/test_tpm_nv.c has the cases.
import assert from 'node:assert/strict';
import { bin, build, run, summary } from './host-build';

describe('kernel TPM NV marshalling (host build)', function () {
  this.timeout(5 * 60_000);
  before(() => build('kernel/build/host/test_tpm_nv'));

  it('builds the four NV commands exactly, refuses malformed responses, and keeps the floor policy', async () => {
    const r = await run(bin('test_tpm_nv'), [], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = summary(r.stdout, 'tpm_nv');
    assert.equal(s.failed, 0);
    // 45 buffer sizes x 5, truncations and mutations of three responses (3 x 20000), the policy cases
    assert.ok(s.checks > 60_000, `only ${s.checks} checks ran`);
  });
});
