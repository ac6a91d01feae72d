// The VMX backend under Bochs (the only emulator here with VT-x + EPT): VMXTEST.EFI
// (kernel/arch/x86/vmx/selftest) checks the CPU's VMX features, enters VMX operation, builds a
// VMCS with EPT and runs a tiny 64-bit guest through D0's generic core (vm_init/vm_start/vm_run,
// the platform UART, the status port). The guest prints a console line, checks what CPUID and
// RDMSR return, spins across preemption-timer slices, halts, and writes its verdict to the
// status port. A CPU without VMX must be refused with a logged reason before anything runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { FALLBACK_BOOTLOADER } from '../../core/naming';
import { assertContiguous, type D0Event } from '../support/events';
import { withBochs } from '../support/bochs';

const KERNEL = path.resolve(__dirname, '../../kernel');

describe('hv-vmx: VMX backend self-test under Bochs', function () {
  this.timeout(400_000);
  let dir: string;
  let disk: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-vmx-'));
    const build = path.join(dir, 'build');
    execFileSync('make', ['-s', '-f', 'arch/x86/vmx/selftest/selftest.mk', `BUILD=${build}`], {
      cwd: KERNEL,
      stdio: 'pipe',
    });
    disk = path.join(dir, 'disk.img');
    await buildEspDisk(disk, [
      {
        name: 'ESP_A',
        label: 'D0_A',
        files: [
          { path: FALLBACK_BOOTLOADER, data: fs.readFileSync(path.join(build, 'VMXTEST.EFI')) },
        ],
      },
    ]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const names = (events: D0Event[]) => events.map((e) => e.ev);

  it('enters VMX, runs a 64-bit guest under EPT and handles its exits (corei7_skylake_x)', async () => {
    await withBochs({ disk, cpuModel: 'corei7_skylake_x', timeoutMs: 300_000 }, async (vm) => {
      const stopped = await vm.waitFor((e) => e.ev === 'halt' || e.ev === 'boot_failed');
      const events = [...vm.events];
      const all = events.map((e) => e.raw).join('\n');
      assertContiguous(events);
      assert.equal(stopped.ev, 'halt', all);
      assert.deepEqual(
        names(events),
        [
          'vmx_selftest',
          'vmx_features',
          'vm_prepared',
          'firmware_exited',
          'vm_start',
          'console',
          'hv',
          'vm_exit',
          'vm_stopped',
          'halt',
        ],
        all,
      );
      const byName = (n: string) => events.find((e) => e.ev === n)!.fields;
      assert.equal(byName('vmx_selftest').cpu, 'intel');
      // EPTP = PML4 | (3 << 3) | 6: 4-level walk, write-back.
      assert.equal(BigInt(byName('vm_prepared').eptp) & 0xfffn, 0x1en, all);
      // The platform UART turned the guest's OUTs into one console line.
      assert.equal(byName('console').line, 'hello from a VMX guest');
      // The RDMSR of IA32_APIC_BASE (not passed through by the MSR bitmap) reached the core.
      assert.deepEqual(
        [byName('hv').dev, byName('hv').what, byName('hv').a],
        ['msr', 'unknown-rdmsr', '0x1b'],
      );
      // 0x40 | hypervisor bit (1) | VMX hidden (0) | unknown MSR read as 0 (4): every exit
      // went through the core and back into the guest's registers.
      assert.equal(byName('vm_exit').status, '0x46', all);
      const s = byName('vm_stopped');
      assert.equal(s.state, 'exited');
      // 23 OUTs + CPUID + RDMSR + HLT + the status OUT at least; the spin crossed timer slices.
      assert.ok(Number(s.exits) >= 27, all);
      assert.ok(Number(s.timer_exits) >= 1, all);
      console.log(
        `      bochs: vmx_selftest after ${vm.timeTo('vmx_selftest')} ms, vm_stopped after ${vm.timeTo('vm_stopped')} ms; ` +
          `exits=${s.exits} timer_exits=${s.timer_exits} run_ms=${s.run_ms}`,
      );
    });
  });

  it('refuses a CPU without VMX with a logged reason and runs nothing (ryzen)', async () => {
    await withBochs({ disk, cpuModel: 'ryzen', timeoutMs: 300_000 }, async (vm) => {
      const failed = await vm.waitFor('boot_failed');
      assert.equal(failed.fields.reason, 'no_vmx', vm.describe());
      assert.deepEqual(names(vm.events), ['vmx_selftest', 'boot_failed'], vm.describe());
      assert.equal(vm.events[0].fields.cpu, 'amd');
    });
  });
});
