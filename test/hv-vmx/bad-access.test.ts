// Accesses D0 must not emulate stop only their VM, each with its own error, and never reach a
// device model, under Bochs on both backends: corei7_skylake_x (VMX: a guest page walk is an
// EPT violation with qualification bit 8 clear) and ryzen (SVM with NRIP save: #NPF EXITINFO1
// bit 33). The guest and the assertions are the QEMU test's (test/hv-svm/bad-access-*.ts).
// One Bochs boot per model, hard timeout, Bochs always killed.
import { assertBadAccesses, badAccessVms, TICKS } from '../hv-svm/bad-access-check';
import { badAccessGuest } from '../hv-svm/bad-access-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 300_000;

for (const [cpuModel, backend] of [
  ['corei7_skylake_x', 'vmx'],
  ['ryzen', 'svm'],
] as const) {
  describe(`hv-vmx: bad accesses are named and contained (Bochs ${cpuModel}, ${backend})`, function () {
    this.timeout(TIMEOUT_MS + 300_000);

    it('page walk, undecodable, fetch and out-of-range accesses stop only their VM with their own error', async () => {
      const d0 = await D0Under.build(`d0-bad-access-${backend}-`);
      try {
        const esp = await d0.vmsDisk(tinyBzImage(badAccessGuest(TICKS)), badAccessVms());
        const { events } = await d0.run(esp, { cpuModel, memMb: 512, timeoutMs: TIMEOUT_MS });
        assertBadAccesses(events);
      } finally {
        d0.dispose();
      }
    });
  });
}
