// The hostile-guest suite under the SVM backend (QEMU TCG -cpu EPYC): MSR probes, SVM/VMX
// instructions, a sweep of all 65,536 I/O ports, an exception storm, string I/O and a triple
// fault, each in its own VM next to a benign VM that checks its RAM, LSTAR and XMM0 on every
// beat. Guest: hostile-guest.ts; assertions: hostile-check.ts. Bad accesses, state leaks and log
// floods have their own tests (bad-access, xstate, log-flood). Hard timeout, QEMU always killed.
import fs from 'node:fs';
import { assertHostileSuite } from './hostile-check';
import { hostileGuest, hostileVms } from './hostile-guest';
import { buildD0, RUN_TIMEOUT_MS, runVms, type D0Build } from './two-vms-run';

describe('hv-svm: hostile guests are contained, the benign VM is unharmed (QEMU -cpu EPYC)', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);

  it('each hostile VM ends as its case says; the benign VM passes every check; D0 reaches its end', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-hostile-svm-');
      const outcomes = assertHostileSuite(await runVms(b, hostileGuest(), hostileVms()));
      console.log(`      ${Object.entries(outcomes).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
