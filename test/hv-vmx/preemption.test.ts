// The preemption scenario of test/hv-svm/preemption.test.ts under Bochs, on both backends of
// the one BOOTX64.EFI: "spinner" (launched first) loops on a jump forever with interrupts off,
// "worker" prints 20 ticks between HLTs and exits 0. VMX ends the spinner's run with its
// preemption timer and the host tick (external-interrupt exit); SVM (ryzen) with the host tick
// through the INTR intercept. Without them D0 would enter the spinner and never come back.
// Bochs is always killed.
//
// On ryzen the spinner sets IF first: Bochs masks physical interrupts in an SVM guest with the
// guest's IF even when V_INTR_MASKING is set, where AMD's APM (15.21.1) has the host's IF (at
// VMRUN) decide; QEMU follows the APM, and test/hv-svm/preemption.test.ts preempts a spinner
// with IF=0 there. Measured here: with IF=0 on Bochs ryzen the worker never ran (8 min), with
// IF=1 it runs to its exit.
import assert from 'node:assert/strict';
import { withBochs } from '../support/bochs';
import { preemptionProgram } from '../hv-svm/preemption-guest';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under, dump } from './d0-bochs';

const TIMEOUT_MS = 5 * 60_000;

describe('hv-vmx: a guest that never exits does not keep the CPU (Bochs, both backends)', function () {
  this.timeout(2 * TIMEOUT_MS + 120_000);
  let d0: D0Under;
  before(async function () {
    this.timeout(300_000);
    d0 = await D0Under.build('d0-bochs-preempt-');
  });
  after(() => d0?.dispose());

  for (const [cpuModel, backend, spinWithInterruptsOn, tickSource] of [
    ['corei7_skylake_x', 'vmx', false, 'tsc_deadline'],
    ['ryzen', 'svm', true, 'lapic'],
  ] as const) {
    const how = spinWithInterruptsOn ? 'IF=1' : 'IF=0';
    it(`${cpuModel} (${backend}): the worker runs to exit 0 while the spinner spins (${how})`, async () => {
      const esp = await d0.vmsDisk(tinyBzImage(preemptionProgram({ spinWithInterruptsOn })), [
        { name: 'spinner', memMb: 128, bootOrder: 1 },
        { name: 'worker', memMb: 48, bootOrder: 2 },
      ]);
      await withBochs({ disk: esp, cpuModel, memMb: 384, timeoutMs: TIMEOUT_MS }, async (vm) => {
        const exit = await vm.waitFor((e) => e.ev === 'vm_exit' && e.fields.vm === 'worker');
        const events = [...vm.events];
        const all = dump(events);
        // D0's tick on the local APIC (no ACPI tables here: its address from IA32_APIC_BASE),
        // the 8259s all masked: TSC-deadline on the Skylake-X model, the periodic APIC timer
        // (measured against the TSC) on ryzen, which has no TSC-deadline.
        const tick = events.find((e) => e.ev === 'tick');
        assert.deepEqual(
          [tick?.fields.source, tick?.fields.hz, tick?.fields.lapic, tick?.fields.pic_masks],
          [tickSource, '250', 'xapic', '0xffff'],
          all,
        );
        assert.equal(events.find((e) => e.ev === 'cpu')?.fields.backend, backend, all);
        assert.equal(exit.fields.status, '0', all);
        const ticks = events
          .filter((e) => e.ev === 'console' && e.fields.vm === 'worker')
          .map((e) => e.fields.line);
        assert.deepEqual(ticks, Array.from({ length: 20 }, (_, i) => `tick ${i + 1}`), all);
        assert.deepEqual(
          events.filter((e) => e.ev === 'vm_start').map((e) => e.fields.vm),
          ['spinner', 'worker'],
        );
        assert.equal(events.filter((e) => e.ev === 'vm_stopped' && e.fields.vm === 'spinner').length, 0, all);
      });
    });
  }
});
