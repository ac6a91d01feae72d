// No register state crosses VMs under the SVM backend (QEMU TCG -cpu EPYC: x87, SSE and AVX;
// XCR0 up to 7). Six VMs in a ring of XCR0 values 1, 3, 7 plant their own markers in x87,
// MXCSR, every XMM and YMM register, and check them on every beat while the others run; fresh
// VMs must start from the reset state; a VM that ran with XCR0 = 1 and sets 7 late must read
// zero YMM upper halves. The guest is test/hv-svm/xstate-guest.ts, the assertions
// xstate-check.ts; kernel/arch/x86/xstate.c is what is tested. Hard timeout, QEMU always killed.
import fs from 'node:fs';
import { buildD0, runVms, type D0Build } from './two-vms-run';
import { assertNoCrossing, BEATS, ring, ringSpecs } from './xstate-check';
import { xstateGuest } from './xstate-guest';

describe('hv-svm: extended register state is per VM (QEMU -cpu EPYC)', function () {
  this.timeout(600_000);

  it('x87/MXCSR/XMM/YMM markers and XCR0 1, 3, 7 (and set late) never cross VMs in either order', async () => {
    const vms = ring([1, 3, 7, 1, 7, 3], [7]);
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-xstate-svm-');
      const events = await runVms(b, xstateGuest(vms, BEATS), ringSpecs(vms));
      assertNoCrossing(events, vms, '0x7');
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
