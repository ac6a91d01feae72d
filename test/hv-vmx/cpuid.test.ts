// CPUID is chosen, not inherited (kernel/hv/cpuid.c), under Bochs on both backends:
// corei7_skylake_x (VMX: no VMX bit, D0's signature, AVX-512 still shown) and ryzen (SVM: no SVM
// bit and no leaf 0x8000000A). Guest and assertions: test/hv-svm/cpuid-guest.ts. One Bochs boot
// per model, hard timeout, Bochs always killed.
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
  {
    cpuModel: 'ryzen',
    backend: 'svm',
    vendor: 'AuthenticAMD',
    mustHave: [
      ['1.0', 'ecx', 28, 'AVX'],
      ['80000001.0', 'edx', 29, 'LM'],
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
