// CPUID is chosen, not inherited (kernel/hv/cpuid.c), under the SVM backend on QEMU TCG
// -cpu EPYC: the guest sees D0's hypervisor leaf "D0D0D0D0D0D0" (not QEMU's TCGTCGTCGTCG), no
// SVM bit and no SVM leaf 0x8000000A, only allow-listed bits, OSXSAVE from its own CR4, and still
// EPYC's SSE/AVX/AVX2. Guest and assertions: cpuid-guest.ts. Hard timeout, QEMU always killed.
import fs from 'node:fs';
import { assertGuestView, cpuidGuest } from './cpuid-guest';
import { buildD0, RUN_TIMEOUT_MS, runVms, type D0Build } from './two-vms-run';

describe('hv-svm: the guest\'s CPUID is D0\'s choice (QEMU -cpu EPYC)', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);

  it('D0 signature, virtualization hidden, allow-listed bits only, OSXSAVE mirrors CR4', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-cpuid-svm-');
      const events = await runVms(b, cpuidGuest(), [
        { name: 'cpuid', memMb: 16, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
      ]);
      assertGuestView(events, {
        vendor: 'AuthenticAMD',
        mustHave: [
          ['1.0', 'ecx', 0, 'SSE3'],
          ['1.0', 'ecx', 28, 'AVX'],
          ['1.0', 'ecx', 26, 'XSAVE'],
          ['7.0', 'ebx', 5, 'AVX2'],
          ['80000001.0', 'edx', 29, 'LM'],
        ],
      });
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
