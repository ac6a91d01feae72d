// Accesses D0 must not emulate stop only their VM, each with its own error, and never reach a
// device model, under Bochs on both backends: corei7_skylake_x (VMX: a guest page walk is an
// EPT violation with qualification bit 8 clear) and ryzen (SVM with NRIP save: #NPF EXITINFO1
// bit 33). The guest and the assertions are the QEMU test's (test/hv-svm/bad-access-*.ts). Its
// VMs run in the shared boot of each CPU model (./shared-suites.ts); the checks see them only.
import { assertBadAccesses } from '../hv-svm/bad-access-check';
import { sharedView, SHARED_TEST_TIMEOUT_MS } from './shared-suites';

for (const [cpuModel, backend] of [
  ['corei7_skylake_x', 'vmx'],
  ['ryzen', 'svm'],
] as const) {
  describe(`hv-vmx: bad accesses are named and contained (Bochs ${cpuModel}, ${backend})`, function () {
    this.timeout(SHARED_TEST_TIMEOUT_MS);

    it('page walk, undecodable, fetch and out-of-range accesses stop only their VM with their own error', async () => {
      assertBadAccesses(await sharedView(cpuModel, 'ba'));
    });
  });
}
