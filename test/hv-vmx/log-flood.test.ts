// Log fairness under the VMX backend (Bochs corei7_skylake_x): the QEMU test's flood next to a
// steady VM (test/hv-svm/log-flood-guest.ts). One Bochs boot, hard timeout, Bochs always killed.
import { assertLogFairness, LOG_FLOOD_VMS, logFloodGuest } from '../hv-svm/log-flood-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 300_000;

describe('hv-vmx: one VM cannot flood the log (Bochs corei7_skylake_x, vmx)', function () {
  this.timeout(TIMEOUT_MS + 300_000);

  it('a 50,000-line flood is cut to its budget and counted; the other VM\'s lines and vm_health are untouched', async () => {
    const d0 = await D0Under.build('d0-log-flood-vmx-');
    try {
      const esp = await d0.vmsDisk(tinyBzImage(logFloodGuest()), LOG_FLOOD_VMS);
      const { events } = await d0.run(esp, { cpuModel: 'corei7_skylake_x', memMb: 256, timeoutMs: TIMEOUT_MS });
      const m = assertLogFairness(events);
      console.log(`      flood: ${m.logged} lines logged, ${m.dropped} dropped in ${m.floodMs} ms; steady exited after ${m.steadyMs} ms`);
    } finally {
      d0.dispose();
    }
  });
});
