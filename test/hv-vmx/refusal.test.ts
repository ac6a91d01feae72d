// The one BOOTX64.EFI on Intel CPU models without what the VMX backend needs: the launch stage
// fails closed with the reason word logged (ev=boot_failed reason=no_virtualization detail=...),
// before any VM is prepared or the firmware is left, and nothing runs. Bochs CPU models: a
// Pentium 4 without VT-x, and a Core 2 (Penryn) with VT-x but without the VMX-preemption timer
// and EPT (Nehalem brought both): the first check that fails is the pin-based controls'.
// And on a CPU the VMX backend runs on but without "unrestricted guest" (Lynnfield, a Nehalem:
// Westmere brought it), a container asking for more than one vCPU is refused by the launch
// check (an AP starts in real mode, which VMX runs only with unrestricted guest;
// proto/SEMANTICS.md "vCPUs"), named with both numbers, before anything is allocated: never run
// on fewer CPUs than it asked for. (Skylake-X runs it: test/hv-vmx/smp-guest.test.ts.)
import assert from 'node:assert/strict';
import { asm, tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under, dump, only } from './d0-bochs';

const TIMEOUT_MS = 240_000;

describe('hv-vmx: Intel CPUs without VT-x + EPT are refused, nothing launched (Bochs)', function () {
  this.timeout(3 * TIMEOUT_MS + 300_000);
  let d0: D0Under;
  let esp: string;
  let wide: string;

  before(async function () {
    this.timeout(300_000);
    d0 = await D0Under.build('d0-vmx-refuse-');
    const kernel = tinyBzImage(asm.haltLoop());
    esp = await d0.disk(kernel, Buffer.alloc(4096), { name: 'web', memMb: 16 });
    wide = await d0.vmsDisk(kernel, [
      { name: 'one', memMb: 16, bootOrder: 1 },
      { name: 'wide', memMb: 16, bootOrder: 2, vcpu: 2 },
    ]);
  });
  after(() => d0?.dispose());

  for (const [cpuModel, detail] of [
    ['p4_prescott_celeron_336', 'no_vmx'],
    ['core2_penryn_t9600', 'vmx_no_pin_controls'],
  ] as const) {
    it(`${cpuModel}: boot_failed reason=no_virtualization detail=${detail}`, async () => {
      const { events } = await d0.run(esp, { cpuModel, memMb: 128, timeoutMs: TIMEOUT_MS });
      const all = dump(events);
      const cpu = only(events, 'cpu');
      assert.equal(cpu.length, 1, all);
      assert.deepEqual([cpu[0].fields.vendor, cpu[0].fields.backend], ['intel', 'none'], all);
      const failed = only(events, 'boot_failed');
      assert.equal(failed.length, 1, all);
      assert.deepEqual([failed[0].fields.reason, failed[0].fields.detail], ['no_virtualization', detail], all);
      // Refused before any VM was prepared or launched, and the firmware was never left.
      for (const ev of ['images_loaded', 'vm_prepared', 'firmware_exited', 'vm_start'])
        assert.equal(only(events, ev).length, 0, `${ev} after a refusal\n${all}`);
    });
  }

  it('corei5_lynnfield_750, a container with vcpu 2: ev=vcpu_plan max=1, boot_failed reason=vcpu_unsupported', async () => {
    const { events } = await d0.run(wide, { cpuModel: 'corei5_lynnfield_750', memMb: 256, timeoutMs: TIMEOUT_MS });
    const all = dump(events);
    assert.equal(only(events, 'cpu')[0]?.fields.backend, 'vmx', all);
    const plan = only(events, 'vcpu_plan');
    assert.equal(plan.length, 1, all);
    assert.deepEqual([plan[0].fields.container, plan[0].fields.vcpu, plan[0].fields.max], ['wide', '2', '1'], all);
    const failed = only(events, 'boot_failed');
    assert.deepEqual([failed[0]?.fields.reason, failed[0]?.fields.detail], ['vcpu_unsupported', 'wide'], all);
    for (const ev of ['memory_plan', 'images_loaded', 'vm_prepared', 'firmware_exited', 'vm_start'])
      assert.equal(only(events, ev).length, 0, `${ev} after a refusal\n${all}`);
  });
});
