// Log fairness under the VMX backend (Bochs corei7_skylake_x): the QEMU test's flood next to a
// steady VM (test/hv-svm/log-flood-guest.ts), both in the shared VMX boot (./shared-suites.ts).
// The budget is per VM, so the other suites' VMs there change nothing the checks look at.
import { assertLogFairness } from '../hv-svm/log-flood-guest';
import { sharedView, SHARED_TEST_TIMEOUT_MS } from './shared-suites';

describe('hv-vmx: one VM cannot flood the log (Bochs corei7_skylake_x, vmx)', function () {
  this.timeout(SHARED_TEST_TIMEOUT_MS);

  it('a 50,000-line flood is cut to its budget and counted; the other VM\'s lines and vm_health are untouched', async () => {
    const m = assertLogFairness(await sharedView('corei7_skylake_x', 'lf'));
    console.log(`      flood: ${m.logged} lines logged, ${m.dropped} dropped in ${m.floodMs} ms; steady exited after ${m.steadyMs} ms`);
  });
});
