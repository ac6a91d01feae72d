// No register state crosses VMs under Bochs: the VMX backend on corei7_skylake_x (x87, SSE, AVX
// and AVX-512: XCR0 up to 0xE7, so opmask k0-7, ZMM upper halves and ZMM16-31 too). The VMs form a ring in which every ordered pair of XCR0
// values follows each other once; each plants its own markers in every register its XCR0
// covers and checks them on every beat while the others run; fresh VMs must start from the
// reset state; VMs that ran with XCR0 = 1 and set a wider XCR0 late must read zero upper parts.
// Guest: test/hv-svm/xstate-guest.ts; assertions: test/hv-svm/xstate-check.ts; under test:
// kernel/arch/x86/xstate.c. One Bochs boot, hard timeout, Bochs always killed.
// The SVM backend runs this suite under QEMU (test/hv-svm/xstate.test.ts); Bochs ryzen, the second SVM
// implementation, runs the suites where its NRIP save changes D0's path (hostile, bad-access),
// the periodic APIC tick (preemption) and a real Linux (launch-linux): a ryzen boot of this one
// would cost CI ~45 s and test code QEMU already runs (docs/ci.md).
import { assertNoCrossing, BEATS, ring, ringSpecs } from '../hv-svm/xstate-check';
import { xstateGuest } from '../hv-svm/xstate-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 420_000;
const E7 = 0xe7;

for (const t of [
  {
    cpuModel: 'corei7_skylake_x',
    backend: 'vmx',
    supported: '0xe7',
    // 1→3→1→7→1→E7→3→7→3→E7→7→E7→(1): all 12 ordered pairs of {1, 3, 7, E7}.
    xcr0s: [1, 3, 1, 7, 1, E7, 3, 7, 3, E7, 7, E7],
    late: [7, E7],
  },
]) {
  describe(`hv-vmx: extended register state is per VM (Bochs ${t.cpuModel}, ${t.backend})`, function () {
    this.timeout(TIMEOUT_MS + 300_000);

    it(`markers in every component and XCR0 ${[...new Set(t.xcr0s)].map((x) => x.toString(16)).join('/')} (and set late) never cross VMs in either order`, async () => {
      const vms = ring(t.xcr0s, t.late);
      const d0 = await D0Under.build(`d0-xstate-${t.backend}-`);
      try {
        const esp = await d0.vmsDisk(tinyBzImage(xstateGuest(vms, BEATS)), ringSpecs(vms));
        const { events } = await d0.run(esp, { cpuModel: t.cpuModel, memMb: 1024, timeoutMs: TIMEOUT_MS });
        assertNoCrossing(events, vms, t.supported);
      } finally {
        d0.dispose();
      }
    });
  });
}
