// Log fairness under the SVM backend (QEMU -cpu EPYC): a VM printing 50,000 console lines as fast
// as it can is cut to its budget (kernel/hv/log_budget.h: 500 lines at once, then 50/s), with
// every dropped line counted in its vm_stats and one ev=log_throttled; the VM next to it keeps
// every line and its vm_health verdict arrives while the flood is still going. Guest and
// assertions: log-flood-guest.ts. Hard timeout, QEMU always killed.
import fs from 'node:fs';
import { assertLogFairness, LOG_FLOOD_VMS, logFloodGuest } from './log-flood-guest';
import { buildD0, RUN_TIMEOUT_MS, runVms, type D0Build } from './two-vms-run';

describe('hv-svm: one VM cannot flood the log (QEMU -cpu EPYC)', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);

  it('a 50,000-line flood is cut to its budget and counted; the other VM\'s lines and vm_health are untouched', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-log-flood-svm-');
      const m = assertLogFairness(await runVms(b, logFloodGuest(), LOG_FLOOD_VMS));
      console.log(`      flood: ${m.logged} lines logged, ${m.dropped} dropped in ${m.floodMs} ms; steady exited after ${m.steadyMs} ms`);
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
