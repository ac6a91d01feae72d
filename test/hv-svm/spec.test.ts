// Speculation controls under the SVM backend on QEMU TCG -cpu EPYC, whose CPU model has none
// (QEMU 7.2's TCG offers no SPEC_CTRL/PRED_CMD/ARCH_CAPABILITIES): ev=spec logs that, with the
// RSB fill on exit as the one unconditional mitigation, and the guest is not shown SPEC_CTRL.
// The virtualized case runs under Bochs tigerlake (test/hv-vmx/spec.test.ts). Hard timeout, QEMU
// always killed.
import fs from 'node:fs';
import { assertAbsent, assertSpecLog, specGuest, specVms } from './spec-guest';
import { buildD0, RUN_TIMEOUT_MS, runVms, type D0Build } from './two-vms-run';

describe('hv-svm: speculation controls as the CPU has them (QEMU -cpu EPYC: none)', function () {
  this.timeout(RUN_TIMEOUT_MS + 300_000);

  it('ev=spec says absent, RSB fill on exit; the guest is not shown SPEC_CTRL', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-spec-svm-');
      const events = await runVms(b, specGuest(), specVms(false));
      assertSpecLog(events, {
        spec_ctrl: 'absent',
        spec_ctrl_bits: '0x0',
        pred_cmd: 'absent',
        ibpb_on_switch: '0',
        rsb_fill_on_exit: '1',
        l1d_flush_on_entry: '0',
        verw_on_entry: '0',
        arch_capabilities: 'absent',
      });
      assertAbsent(events);
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });
});
