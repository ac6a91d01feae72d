// Accesses D0 must not emulate stop only their VM, each with its own error, and never reach a
// device model (QEMU TCG -cpu EPYC, SVM backend): a guest page walk into the device window
// (EXITINFO1 bit 33), an instruction the MMIO decoder refuses, a fetch from the window, a load
// outside RAM and window; a benign VM ticks on and exits 0. Guest: bad-access-guest.ts;
// assertions: bad-access-check.ts. Hard timeout, QEMU always killed.
import fs from 'node:fs';
import { assertBadAccesses, badAccessVms, TICKS } from './bad-access-check';
import { badAccessGuest } from './bad-access-guest';
import { buildD0, RUN_TIMEOUT_MS, runVms, type D0Build } from './two-vms-run';

describe('hv-svm: bad accesses are named and contained (QEMU -cpu EPYC)', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);

  it('page walk, undecodable, fetch and out-of-range accesses stop only their VM with their own error', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-bad-access-svm-');
      assertBadAccesses(await runVms(b, badAccessGuest(TICKS), badAccessVms()));
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
