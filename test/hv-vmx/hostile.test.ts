// The hostile-guest suite under Bochs on both backends: corei7_skylake_x (VMX) and ryzen (SVM
// with NRIP save). The guest and the assertions are the QEMU test's
// (test/hv-svm/hostile-guest.ts, hostile-check.ts). One Bochs boot per model, hard timeout,
// Bochs always killed.
//
// Left out on ryzen: the triple fault. Bochs 2.7 does not deliver the SHUTDOWN intercept D0 sets:
// a guest's triple fault resets the whole emulated machine ("3rd (13) exception with no
// resolution ... resetting" in bochs.log), D0 included. QEMU (SVM) and Bochs VMX run the case.
import { assertHostileSuite } from '../hv-svm/hostile-check';
import { hostileGuest, hostileVms } from '../hv-svm/hostile-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 420_000;

for (const [cpuModel, backend, skip] of [
  ['corei7_skylake_x', 'vmx', []],
  ['ryzen', 'svm', ['triple-fault']],
] as const) {
  describe(`hv-vmx: hostile guests are contained, the benign VM is unharmed (Bochs ${cpuModel}, ${backend})`, function () {
    this.timeout(TIMEOUT_MS + 300_000);

    it('each hostile VM ends as its case says; the benign VM passes every check; D0 reaches its end', async () => {
      const d0 = await D0Under.build(`d0-hostile-${backend}-`);
      try {
        const esp = await d0.vmsDisk(tinyBzImage(hostileGuest()), hostileVms([...skip]));
        const { events } = await d0.run(esp, { cpuModel, memMb: 512, timeoutMs: TIMEOUT_MS });
        const outcomes = assertHostileSuite(events, [...skip]);
        console.log(`      ${Object.entries(outcomes).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
      } finally {
        d0.dispose();
      }
    });
  });
}
