// CPUID is chosen, not inherited (kernel/hv/cpuid.c), under Bochs on the VMX backend:
// corei7_skylake_x (no VMX bit, D0's signature, AVX-512 still shown). Guest and assertions:
// test/hv-svm/cpuid-guest.ts. Its VM runs in the shared VMX boot (./shared-suites.ts).
// The SVM backend runs this suite under QEMU (test/hv-svm/cpuid.test.ts); Bochs ryzen, the second SVM
// implementation, runs the suites where its NRIP save changes D0's path (hostile, bad-access),
// the periodic APIC tick (preemption) and a real Linux (launch-linux): a ryzen boot of this one
// would cost CI ~45 s and test code QEMU already runs (docs/ci.md).
import { assertGuestView } from '../hv-svm/cpuid-guest';
import { sharedView, SHARED_TEST_TIMEOUT_MS } from './shared-suites';

for (const t of [
  {
    cpuModel: 'corei7_skylake_x' as const,
    backend: 'vmx',
    vendor: 'GenuineIntel',
    mustHave: [
      ['1.0', 'ecx', 28, 'AVX'],
      ['7.0', 'ebx', 16, 'AVX512F'],
      ['7.0', 'ebx', 5, 'AVX2'],
    ] as Array<[string, 'eax' | 'ebx' | 'ecx' | 'edx', number, string]>,
  },
]) {
  describe(`hv-vmx: the guest's CPUID is D0's choice (Bochs ${t.cpuModel}, ${t.backend})`, function () {
    this.timeout(SHARED_TEST_TIMEOUT_MS);

    it('D0 signature, virtualization hidden, allow-listed bits only, OSXSAVE mirrors CR4', async () => {
      assertGuestView(await sharedView(t.cpuModel, 'cpuid'), t);
    });
  });
}
