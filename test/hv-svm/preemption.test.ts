// A guest that computes without ever exiting must not keep the CPU: D0's host tick (the local
// APIC timer, kernel/arch/x86/host_tick.h) ends its run through the SVM INTR intercept,
// and the round-robin gives the next VM its turn. One tiny kernel, two VMs told apart by their
// RAM size (the e820 map in boot_params): "spinner" (128 MiB, launched first) loops on a jump
// forever with interrupts off; "worker" (48 MiB) prints 20 ticks between HLTs and exits 0.
// Without the host tick D0 would enter the spinner and never come back.
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { buildEspDisk } from '../../builder/disk/esp';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles } from './slot';
import { preemptionProgram } from './preemption-guest';
import { tinyBzImage } from './tiny-kernel';
import { buildD0, type D0Build } from './two-vms-run';

const TIMEOUT_MS = 180_000;
describe('hv-svm: preemption (a guest that never exits does not keep the CPU)', function () {
  this.timeout(TIMEOUT_MS + 120_000);
  let b: D0Build;
  before(async function () {
    this.timeout(300_000);
    b = await buildD0('d0-preempt-');
  });
  after(() => fs.rmSync(b.dir, { recursive: true, force: true }));

  it('the worker VM runs to its exit while the spinner VM spins; the host tick forces exits', async () => {
    const slot = makeVmsSlot(b.secretKey, tinyBzImage(preemptionProgram()), [
      { name: 'spinner', memMb: 128, bootOrder: 1 },
      { name: 'worker', memMb: 48, bootOrder: 2 },
    ]);
    const esp = path.join(b.dir, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, b.efi) }]);
    await withQemu({ disk: esp, cpu: 'EPYC', memMb: 512, timeoutMs: TIMEOUT_MS }, async (vm) => {
      // -cpu EPYC under TCG has no TSC-deadline: the periodic APIC timer, the 8259s all masked.
      const tick = await vm.waitFor('tick');
      assert.deepEqual(
        [tick.fields.source, tick.fields.hz, tick.fields.pic_masks],
        ['lapic', '250', '0xffff'],
        tick.raw,
      );
      const fw = await vm.waitFor('firmware_exited');
      assert.equal(fw.fields.host_tick_hz, '250');
      const exit = await vm.waitFor((e) => e.ev === 'vm_exit' && e.fields.vm === 'worker');
      assert.equal(exit.fields.status, '0');
      const events = [...vm.events];
      const ticks = events
        .filter((e) => e.ev === 'console' && e.fields.vm === 'worker')
        .map((e) => e.fields.line);
      assert.deepEqual(ticks, Array.from({ length: 20 }, (_, i) => `tick ${i + 1}`));
      assert.equal(events.filter((e) => e.ev === 'console' && e.fields.vm === 'spinner').length, 0);
      // The spinner was started first and is still running: nothing stopped it.
      const starts = events.filter((e) => e.ev === 'vm_start').map((e) => e.fields.vm);
      assert.deepEqual(starts, ['spinner', 'worker']);
      assert.equal(events.filter((e) => e.ev === 'vm_stopped' && e.fields.vm === 'spinner').length, 0);
      const stats = await vm.waitFor((e) => e.ev === 'vm_stats' && e.fields.vm === 'worker');
      assert.equal(stats.fields.hlt, '20', stats.raw);
    });
  });
});
