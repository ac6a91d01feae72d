// D0 launches nothing on a CPU without the virtualization it needs: the launch stage checks
// CPUID first (SVM, then nested paging) and fails closed with the reason logged, before any
// VM is prepared or the firmware is left. QEMU TCG with CPU models lacking SVM or NPT.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from './slot';
import { asm, tinyBzImage } from './tiny-kernel';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 120_000;
const EFI_UNSUPPORTED = '0x8000000000000003';

describe('hv-svm: no usable virtualization, nothing launched', function () {
  this.timeout(TIMEOUT_MS * 2 + 240_000);
  let dir: string;
  let esp: string;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-svm-refuse-'));
    const { key, efi: d0Efi } = await testD0();
    const slot = makeLaunchSlot(key.secretKey, tinyBzImage(asm.haltLoop()), Buffer.alloc(4096), {
      name: 'web',
      memMb: 16,
    });
    esp = path.join(dir, 'esp.img');
    await buildEspDisk(esp, [
      { name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, d0Efi) },
    ]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function boot(cpu: string): Promise<D0Event[]> {
    return withQemu({ disk: esp, cpu, timeoutMs: TIMEOUT_MS }, async (vm) => {
      await vm.waitFor('exit');
      const events = [...vm.events];
      assertContiguous(events);
      return events;
    });
  }

  // QEMU's qemu64 model reports SVM but no nested paging.
  for (const [cpu, detail] of [
    ['qemu64,-svm', 'no_svm'],
    ['qemu64', 'no_nested_paging'],
  ]) {
    it(`-cpu ${cpu}: boot_failed reason=no_virtualization detail=${detail}`, async () => {
      const events = await boot(cpu);
      const names = events.map((e) => e.ev);
      const cpuEv = events.find((e) => e.ev === 'cpu')!;
      assert.equal(cpuEv.fields.backend, 'none');
      const failed = events.filter((e) => e.ev === 'boot_failed');
      assert.equal(failed.length, 1, names.join(' '));
      assert.equal(failed[0].fields.reason, 'no_virtualization');
      assert.equal(failed[0].fields.detail, detail);
      assert.equal(failed[0].fields.stage, 'launch');
      for (const ev of ['images_loaded', 'vm_prepared', 'firmware_exited', 'vm_start'])
        assert.ok(!names.includes(ev), `ev=${ev} after the refusal`);
      // Returned to the firmware with an error: the boot manager moves on (A/B fallback hook).
      assert.equal(events.at(-1)!.ev, 'exit');
      assert.equal(events.at(-1)!.fields.status, EFI_UNSUPPORTED);
    });
  }
});
