// Speculation controls under the VMX backend on Bochs tigerlake (SPEC_CTRL with IBRS/STIBP/SSBD,
// PRED_CMD, MD_CLEAR, ARCH_CAPABILITIES = 0x1f): two VMs each write their own SPEC_CTRL, read it
// back and keep it across switches to the other VM; an IBPB write is carried out; a reserved bit
// is a #GP; ev=spec logs the mitigations chosen for this CPU (VERW on entry: MD_CLEAR without
// MDS_NO; no L1D flush: RDCL_NO). Guest and assertions: test/hv-svm/spec-guest.ts. One Bochs
// boot, hard timeout, Bochs always killed.
import { assertSpecLog, assertVirtualized, specGuest, specVms } from '../hv-svm/spec-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under } from './d0-bochs';

const TIMEOUT_MS = 300_000;

describe('hv-vmx: SPEC_CTRL is per VM, PRED_CMD passes, mitigations logged (Bochs tigerlake, vmx)', function () {
  this.timeout(TIMEOUT_MS + 300_000);

  it('each VM\'s SPEC_CTRL reads back and survives switches; reserved bits #GP; ev=spec', async () => {
    const d0 = await D0Under.build('d0-spec-vmx-');
    try {
      const esp = await d0.vmsDisk(tinyBzImage(specGuest()), specVms(true));
      const { events } = await d0.run(esp, { cpuModel: 'tigerlake', memMb: 256, timeoutMs: TIMEOUT_MS });
      assertSpecLog(events, {
        spec_ctrl: 'per_vcpu',
        spec_ctrl_bits: '0x7',
        pred_cmd: 'passed',
        ibpb_on_switch: '1',
        rsb_fill_on_exit: '1',
        l1d_flush_on_entry: '0',
        verw_on_entry: '1',
        arch_capabilities: '0x1f',
      });
      assertVirtualized(events);
    } finally {
      d0.dispose();
    }
  });
});
