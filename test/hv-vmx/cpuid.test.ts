// CPUID is chosen, not inherited (kernel/hv/cpuid.c), under Bochs on the VMX backend:
// corei7_skylake_x (no VMX bit, D0's signature, AVX-512 still shown). Guest and assertions:
// test/hv-svm/cpuid-guest.ts. One Bochs boot, hard timeout, Bochs always killed.
// The SVM backend runs this suite under QEMU (test/hv-svm/cpuid.test.ts); Bochs ryzen, the second SVM
// implementation, runs the suites where its NRIP save changes D0's path (hostile, bad-access),
// the periodic APIC tick (preemption) and a real Linux (launch-linux): a ryzen boot of this one
// would cost CI ~45 s and test code QEMU already runs (docs/ci.md).
import { assertGuestView, cpuidGuest } from '../hv-svm/cpuid-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 300_000;

for (const t of [
  {
    cpuModel: 'corei7_skylake_x',
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
    this.timeout(TIMEOUT_MS + 300_000);

    it('D0 signature, virtualization hidden, allow-listed bits only, OSXSAVE mirrors CR4', async () => {
      const d0 = await D0Under.build(`d0-cpuid-${t.backend}-`);
      try {
        const esp = await d0.vmsDisk(tinyBzImage(cpuidGuest()), [
          { name: 'cpuid', memMb: 16, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
        ]);
        const { events } = await d0.run(esp, { cpuModel: t.cpuModel, memMb: 256, timeoutMs: TIMEOUT_MS });
        assertGuestView(events, t);
      } finally {
        d0.dispose();
      }
    });
  });
}
