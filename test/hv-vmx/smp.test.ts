// Every CPU up under Bochs, where the VMX backend runs (kernel/docs/acpi-and-cpus.md, "CPUs"):
// Debian's Bochs is built with SMP support (`cpu: count=`), and OVMF installs no ACPI tables
// there (no fw_cfg), so D0 takes the processor list from the firmware's MP services
// (ev=cpus source=firmware) instead of running on the BSP alone. Each CPU then logs ev=cpu_up
// with its own backend enabled: VMXON with its own VMXON region on corei7_skylake_x (the VMX
// per-CPU path, which QEMU cannot run), EFER.SVME and its host save area on ryzen. Then the
// build's two tiny VMs (test/boot/placement-guest.ts, workers) are placed one per CPU
// (ev=vm_cpu): the second one's vCPU is created on the AP (its VMCS's host state is that CPU's;
// VMLAUNCH there) and both run to their exit. Bochs simulates its CPUs in one thread, so the
// interference figure is QEMU's (test/boot/placement.test.ts). Bochs is always killed
// (withBochs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { withBochs } from '../support/bochs';
import { assertContiguous, type D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import { makeVmsSlot, slotFiles } from '../hv-svm/slot';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { placementProgram, WORKER_MEM_MB } from '../boot/placement-guest';

const BOOT_TIMEOUT_MS = 240_000;
const UNITS = 3; // each worker's timed units: three console lines, then exit 0
// Long enough that each CPU's host tick (every 4 ms of emulated time) ends a unit's run.
const LOOPS = 2_000_000;
const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

describe("hv-vmx: every CPU up under Bochs (cpu: count=2, the firmware's processor list)", function () {
  this.timeout(2 * BOOT_TIMEOUT_MS + 120_000);
  let dir: string;
  let esp: string;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bochs-smp-'));
    const { efi, secretKey } = await testD0();
    const slot = makeVmsSlot(
      secretKey,
      tinyBzImage(placementProgram({ units: UNITS, loops: LOOPS })),
      [
        { name: 'first', memMb: WORKER_MEM_MB, bootOrder: 1 },
        { name: 'second', memMb: WORKER_MEM_MB + 4, bootOrder: 2 },
      ],
    );
    esp = path.join(dir, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [cpuModel, backend] of [
    ['corei7_skylake_x', 'vmx'],
    ['ryzen', 'svm'],
  ] as const) {
    it(`${cpuModel}: both CPUs from the firmware's list, each with ${backend} on, then one VM on each`, async () => {
      await withBochs(
        {
          disk: esp,
          cpuModel,
          memMb: 256,
          timeoutMs: BOOT_TIMEOUT_MS,
          extraLines: ['cpu: count=2'],
        },
        async (vm) => {
          await vm.waitFor(
            (e) => e.ev === 'halt' || e.ev === 'boot_failed' || e.ev === 'cpu_exception',
          );
          const events = [...vm.events];
          const all = events.map((e) => e.raw).join('\n');
          assertContiguous(events);
          const cpus = only(events, 'cpus')[0];
          assert.deepEqual(
            [cpus?.fields.count, cpus?.fields.apic_ids, cpus?.fields.source, cpus?.fields.root],
            ['2', '0,1', 'firmware', 'none'],
            all,
          );
          assert.deepEqual(
            only(events, 'cpu_up').map((e) => [e.fields.apic_id, e.fields.cpu, e.fields.backend]),
            [
              ['0', '0', backend],
              ['1', '1', backend],
            ],
            all,
          );
          assert.deepEqual(only(events, 'cpu_failed'), [], all);
          const up = only(events, 'cpus_up')[0];
          assert.deepEqual(
            [up?.fields.count, up?.fields.of, up?.fields.lapic],
            ['2', '2', 'xapic'],
            all,
          );
          assert.ok(BigInt(up.fields.trampoline) < 0x100000n, all);
          const pte = BigInt(up.fields.trampoline_pte);
          assert.equal(
            pte & 0x8000000000000003n,
            0x8000000000000003n,
            `trampoline RW+NX after use\n${all}`,
          );
          const at = (e: D0Event | undefined) => (e ? events.indexOf(e) : -1);
          assert.ok(at(up) < at(only(events, 'vm_start')[0]), `CPUs up before the VMs\n${all}`);
          assert.deepEqual(
            only(events, 'vm_cpu').map((e) => [e.fields.vm, e.fields.cpu, e.fields.apic_id]),
            [
              ['first', '0', '0'],
              ['second', '1', '1'],
            ],
            all,
          );
          assert.equal(only(events, 'cpu_plan')[0]?.fields.policy, 'dedicated', all);
          assert.deepEqual(
            only(events, 'vm_exit')
              .map((e) => [e.fields.vm, e.fields.status])
              .sort(),
            [
              ['first', '0'],
              ['second', '0'],
            ],
            all,
          );
          for (const vm of ['first', 'second'])
            assert.equal(
              events.filter((e) => e.ev === 'console' && e.fields.vm === vm).length,
              UNITS,
              `${vm}: every unit printed\n${all}`,
            );
          // With VMX each VM was taken off its CPU by that CPU's own host tick (intr exits): the
          // AP's local APIC timer works and VMX leaves the guest for it there too. (Not on Bochs's ryzen:
          // Bochs masks physical interrupts in an SVM guest with the guest's IF, and this guest
          // runs with IF=0 (test/hv-vmx/preemption.test.ts); SVM's are checked under QEMU,
          // test/boot/placement.test.ts.)
          for (const [vm, cpu] of [
            ['first', '0'],
            ['second', '1'],
          ]) {
            const st = events.find((e) => e.ev === 'vm_stats' && e.fields.vm === vm);
            assert.equal(st?.fields.cpu, cpu, st?.raw ?? all);
            if (backend === 'vmx') assert.ok(Number(st?.fields.intr) > 0, st?.raw);
          }
          // Each CPU's account: the AP's before it parked, the BSP's before ev=halt.
          assert.deepEqual(
            only(events, 'cpu_stats')
              .map((e) => [e.fields.cpu, e.fields.vms])
              .sort(),
            [
              ['0', '1'],
              ['1', '1'],
            ],
            all,
          );
          assert.ok(only(events, 'halt').length === 1, all);
        },
      );
    });
  }
});
