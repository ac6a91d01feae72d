// Every CPU up (kernel/arch/x86/smp.c): under QEMU q35 + OVMF, TCG with one host thread per
// vCPU (-accel tcg,thread=multi) and -cpu EPYC (SVM + NPT, as test/hv-svm), D0 starts each
// enabled CPU of the MADT with INIT-SIPI-SIPI; each CPU logs ev=cpu_up with its APIC id and
// backend=svm once EFER.SVME and its own host save area are set, and the BSP logs ev=cpus_up
// before it launches the VMs, which still run on the BSP (a tiny guest prints a line and exits
// 7). -smp 4 and -smp 1; each boot has a hard timeout and QEMU is always killed (withQemu).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous, type D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import { withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from '../hv-svm/slot';
import { asm, tinyBzImage } from '../hv-svm/tiny-kernel';

const PTE_P = 1n;
const PTE_RW = 2n;
const PTE_NX = 1n << 63n;
const BOOT_TIMEOUT_MS = 240_000; // OVMF starts every CPU under TCG too: -smp 4 is the slow one

describe('boot: every CPU up under QEMU + OVMF (TCG, -cpu EPYC)', function () {
  this.timeout(2 * BOOT_TIMEOUT_MS + 300_000);
  let dir: string;
  let esp: string;
  let secretKey: Uint8Array;
  let publicKeyHex: string;

  /** An ESP with D0 (efi) and a slot whose one VM prints a line and exits 7. */
  async function helloEsp(efi: Buffer, name: string): Promise<string> {
    const slot = makeLaunchSlot(
      secretKey,
      tinyBzImage([...asm.print('hello from the bsp\n'), ...asm.outb(0x501, 7), ...asm.haltLoop()]),
      Buffer.alloc(4096),
      { name: 'hello', memMb: 16 },
    );
    const file = path.join(dir, name);
    await buildEspDisk(file, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    return file;
  }

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-smp-boot-'));
    const built = await testD0();
    ({ secretKey, publicKeyHex } = built);
    esp = await helloEsp(built.efi, 'esp.img');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

  for (const smp of [4, 1]) {
    it(`-smp ${smp}: ${smp} cpu_up lines with the MADT's APIC ids and backend=svm, then the VM runs on the BSP`, async () => {
      await withQemu(
        {
          disk: esp,
          cpu: 'EPYC',
          accel: 'tcg,thread=multi',
          memMb: 256,
          timeoutMs: BOOT_TIMEOUT_MS,
          extraArgs: ['-smp', String(smp)],
        },
        async (vm) => {
          const cpus = await vm.waitFor('cpus');
          const up = await vm.waitFor('cpus_up');
          const tick = await vm.waitFor('tick');
          const exit = await vm.waitFor('vm_exit');
          const halt = await vm.waitFor('halt');
          const events = [...vm.events];
          const all = events.map((e) => e.raw).join('\n');
          assertContiguous(events); // every line whole, seq without gaps: the log lock held
          const madtIds = cpus.fields.apic_ids.split(',');
          assert.equal(madtIds.length, smp, all);
          assert.deepEqual(
            only(events, 'cpu_failed').map((e) => e.raw),
            [],
            all,
          );
          const cpuUp = only(events, 'cpu_up');
          assert.deepEqual(
            cpuUp.map((e) => e.fields.apic_id).sort(),
            [...madtIds].sort(),
            `one cpu_up per MADT CPU\n${all}`,
          );
          for (const e of cpuUp) assert.equal(e.fields.backend, 'svm', e.raw);
          assert.deepEqual(
            cpuUp.map((e) => e.fields.cpu).sort(),
            Array.from({ length: smp }, (_, i) => String(i)),
            `distinct per-CPU slots\n${all}`,
          );
          assert.deepEqual([up.fields.count, up.fields.of], [String(smp), String(smp)], all);
          if (smp > 1) {
            assert.equal(up.fields.lapic, 'xapic', all); // OVMF leaves q35 in xAPIC mode
            // The trampoline: a page below 1 MiB, and data again once the APs are up (W^X).
            assert.ok(
              BigInt(up.fields.trampoline) < 0x100000n &&
                BigInt(up.fields.trampoline) % 4096n === 0n,
              all,
            );
            const pte = BigInt(up.fields.trampoline_pte);
            assert.equal(pte & (PTE_P | PTE_RW | PTE_NX), PTE_P | PTE_RW | PTE_NX, all);
          }
          // All of it before the VMs start, and the VM then runs on the BSP as before.
          const at = (e: D0Event) => events.indexOf(e);
          const start = only(events, 'vm_start')[0];
          assert.ok(start !== undefined, all);
          for (const e of [...cpuUp, up, tick])
            assert.ok(at(e) < at(start), `${e.raw} before the VM\n${all}`);
          // D0's tick on the BSP's local APIC (kernel/arch/x86/host_tick.h): -cpu EPYC under TCG
          // has no TSC-deadline, so the periodic APIC timer measured against the TSC; the
          // 8259s all masked (no stray IRQ0 from the PIT OVMF left running).
          assert.deepEqual(
            [tick.fields.source, tick.fields.hz, tick.fields.reason, tick.fields.lapic],
            ['lapic', '250', 'no_tsc_deadline', 'xapic'],
            tick.raw,
          );
          assert.equal(tick.fields.pic_masks, '0xffff', tick.raw);
          // QEMU's APIC timer runs at 1 GHz / 16; the measurement is against the TSC D0 timed
          // with UEFI Stall, so only its order of magnitude is checked.
          const lapicHz = Number(tick.fields.lapic_hz);
          assert.ok(lapicHz > 62_500_000 / 4 && lapicHz < 62_500_000 * 4, tick.raw);
          assert.equal(Number(tick.fields.period), Math.round(lapicHz / 250), tick.raw);
          // No interrupt but the tick reached D0 (no IRQ0 from the masked 8259, none spurious).
          assert.equal(halt.fields.stray_irqs, '0', halt.raw);
          assert.deepEqual(
            only(events, 'console').map((e) => [e.fields.vm, e.fields.line]),
            [['hello', 'hello from the bsp']],
            all,
          );
          assert.equal(exit.fields.status, '7', all);
          // Placed (kernel/docs/acpi-and-cpus.md, "VMs on CPUs"): every CPU counts, the one VM on CPU 0.
          const plan = only(events, 'cpu_plan')[0];
          assert.deepEqual(
            [plan?.fields.cpus, plan?.fields.policy],
            [String(smp), 'dedicated'],
            all,
          );
          assert.deepEqual(
            only(events, 'vm_cpu').map((e) => [e.fields.vm, e.fields.cpu]),
            [['hello', '0']],
            all,
          );
          console.log(`      ${up.raw}`);
          for (const e of cpuUp) console.log(`      ${e.raw}`);
          console.log(`      ${tick.raw}`);
        },
      );
    });
  }

  // A test-only build (-DD0_SELFTEST_SMP_SILENT_APIC=2; release builds never define it) whose AP
  // with APIC id 2 halts before checking in, as a hung CPU would. The same build takes the host
  // tick's fallback (-DD0_SELFTEST_TICK_PIT: as if the local APIC timer could not be used), so
  // that path boots too without a boot of its own.
  it('-smp 4, APIC id 2 never checks in: cpu_failed reason=no_checkin, it is excluded, the others and the VM go on; the tick falls back to the PIT', async () => {
    const pub = path.join(dir, 'signing.pub');
    fs.writeFileSync(pub, `${publicKeyHex}\n`);
    const build = path.join(dir, 'build-silent');
    execFileSync(
      'make',
      [
        '-C',
        KERNEL_DIR,
        '--no-print-directory',
        `PUBKEY=${pub}`,
        `BUILD=${build}`,
        'EXTRA_CFLAGS=-DD0_SELFTEST_SMP_SILENT_APIC=2 -DD0_SELFTEST_TICK_PIT',
      ],
      { stdio: 'pipe' },
    );
    const silentEsp = await helloEsp(
      fs.readFileSync(path.join(build, 'efi', 'BOOTX64.EFI')),
      'esp-silent.img',
    );
    await withQemu(
      {
        disk: silentEsp,
        cpu: 'EPYC',
        accel: 'tcg,thread=multi',
        memMb: 256,
        timeoutMs: BOOT_TIMEOUT_MS,
        extraArgs: ['-smp', '4'],
      },
      async (vm) => {
        const up = await vm.waitFor('cpus_up');
        const tick = await vm.waitFor('tick');
        const exit = await vm.waitFor('vm_exit');
        const halt = await vm.waitFor('halt');
        const events = [...vm.events];
        const all = events.map((e) => e.raw).join('\n');
        assertContiguous(events);
        // The fallback is named with its reason; only IRQ0 (the PIT) is unmasked.
        assert.deepEqual(
          [tick.fields.source, tick.fields.hz, tick.fields.reason, tick.fields.pic_masks],
          ['pit', '250', 'selftest_forced_pit', '0xfffe'],
          tick.raw,
        );
        // With the PIT no AP has a tick to take a guest off its CPU: the VMs stay on the BSP.
        const plan = only(events, 'cpu_plan')[0];
        assert.deepEqual([plan?.fields.cpus, plan?.fields.reason], ['1', 'no_tick_on_aps'], all);
        assert.equal(halt.fields.stray_irqs, '0', halt.raw);
        assert.deepEqual(
          only(events, 'cpu_failed').map((e) => [e.fields.apic_id, e.fields.reason]),
          [['2', 'no_checkin']],
          all,
        );
        // APIC id 3 takes the per-CPU slot (stack, GDT/TSS, backend page) the silent CPU left.
        assert.deepEqual(
          only(events, 'cpu_up').map((e) => [e.fields.apic_id, e.fields.cpu, e.fields.backend]),
          [
            ['0', '0', 'svm'],
            ['1', '1', 'svm'],
            ['3', '2', 'svm'],
          ],
          all,
        );
        assert.deepEqual([up.fields.count, up.fields.of], ['3', '4'], all);
        assert.equal(exit.fields.status, '7', all);
        console.log(`      ${only(events, 'cpu_failed')[0].raw}`);
        console.log(`      ${up.raw}`);
        console.log(`      ${tick.raw}`);
      },
    );
  });
});
