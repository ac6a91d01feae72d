// D0 reads the host's ACPI tables at boot (kernel/boot/efi/acpi_tables.c, kernel/acpi): under
// QEMU q35 + OVMF with -smp 4 and -smp 1 it finds the RSDP in the EFI configuration table and
// logs one ev=cpus with the CPUs and APIC ids of the MADT, the IOAPIC, the FADT's reset register
// and the MCFG's ECAM range, and no ev=acpi_error; the boot then goes on as before (here: a slot
// with no manifest, so ev=boot_failed reason=no_manifest follows). QEMU is always killed
// (withQemu), with a hard timeout per boot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous } from '../support/events';
import { withQemu } from '../support/qemu';
import { testD0 } from '../support/test-d0';

const BOOT_TIMEOUT_MS = 180_000; // OVMF starts every CPU under TCG: -smp 4 is the slow one

describe('boot: ACPI tables under QEMU + OVMF', function () {
  this.timeout(2 * BOOT_TIMEOUT_MS + 300_000);
  let dir: string;
  let disk: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-acpi-boot-'));
    const { efi } = await testD0();
    disk = path.join(dir, 'disk.img');
    await buildEspDisk(disk, [
      { name: 'ESP_A', label: 'D0_A', files: [{ path: 'EFI/BOOT/BOOTX64.EFI', data: efi }] },
    ]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const smp of [4, 1]) {
    it(`-smp ${smp}: ev=cpus count=${smp} from the MADT, then the boot goes on`, async () => {
      await withQemu(
        { disk, timeoutMs: BOOT_TIMEOUT_MS, extraArgs: ['-smp', String(smp)] },
        async (vm) => {
          const cpus = await vm.waitFor('cpus');
          const failed = await vm.waitFor('boot_failed');
          const events = [...vm.events];
          const all = events.map((e) => e.raw).join('\n');
          assertContiguous(events);
          assert.deepEqual(
            events.filter((e) => e.ev === 'acpi_error').map((e) => e.raw),
            [],
            'no ACPI error on QEMU tables',
          );
          const ids = Array.from({ length: smp }, (_, i) => String(i)).join(',');
          assert.deepEqual(
            {
              count: cpus.fields.count,
              apic_ids: cpus.fields.apic_ids,
              source: cpus.fields.source,
              root: cpus.fields.root,
              lapic: cpus.fields.lapic,
              ioapic: cpus.fields.ioapic,
              reset: cpus.fields.reset,
              ecam: cpus.fields.ecam,
            },
            {
              count: String(smp),
              apic_ids: ids,
              source: 'madt',
              root: 'xsdt',
              lapic: '0xfee00000',
              ioapic: '0@0xfec00000/0',
              reset: 'io:0xcf9/0xf',
              ecam: '0xb0000000/0:0-255',
            },
            all,
          );
          // Right after boot_start, and the boot is not stopped by it.
          const names = events.map((e) => e.ev);
          assert.equal(names.indexOf('cpus'), names.indexOf('boot_start') + 1, all);
          assert.equal(failed.fields.reason, 'no_manifest', all);
          console.log(`      ${cpus.raw}`);
        },
      );
    });
  }

  // OVMF still installs an RSDP and an XSDT, but QEMU gives it no table to list: no MADT, no
  // FADT, no MCFG. That is no error, and each documented fallback applies; for the CPUs, the
  // firmware's own processor list (its MP services) stands in for the MADT.
  it('-smp 2 -machine acpi=off: no MADT, so the CPUs come from the firmware\'s MP services, and the boot goes on', async () => {
    await withQemu(
      { disk, timeoutMs: BOOT_TIMEOUT_MS, extraArgs: ['-smp', '2', '-machine', 'acpi=off'] },
      async (vm) => {
        const cpus = await vm.waitFor('cpus');
        const failed = await vm.waitFor('boot_failed');
        const events = [...vm.events];
        const all = events.map((e) => e.raw).join('\n');
        assert.deepEqual(
          events.filter((e) => e.ev === 'acpi_error').map((e) => e.raw),
          [],
          all,
        );
        assert.deepEqual(
          [cpus.fields.count, cpus.fields.apic_ids, cpus.fields.source, cpus.fields.root],
          ['2', '0,1', 'firmware', 'xsdt'],
          all,
        );
        assert.deepEqual(
          [cpus.fields.ioapic, cpus.fields.reset, cpus.fields.pm_timer, cpus.fields.ecam],
          ['none', 'no_fadt', 'none', 'none'],
          all,
        );
        assert.equal(failed.fields.reason, 'no_manifest', all);
        console.log(`      ${cpus.raw}`);
      },
    );
  });
});
