// D0's stage 1 (the real BOOTX64.EFI) under Bochs with an Intel CPU model that has VMX + EPT:
// the same kind of GPT/FAT32 disk image the QEMU tests boot, the manifest verified with the
// compiled-in key. Bochs is the only emulator here with VT-x, so this is where the VMX backend
// runs; this test proves the firmware, the disk and D0's log path work there first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous } from '../support/events';
import { withBochs } from '../support/bochs';
import { testD0 } from '../support/test-d0';
import { makeSlot, slotFiles } from '../boot/slot';

describe('hv-vmx: D0 stage 1 under Bochs (corei7_skylake_x)', function () {
  this.timeout(300_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-vmx-stage1-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('boots OVMF from the ESP disk and verifies the signed manifest', async () => {
    const { key, efi } = await testD0();
    const slot = makeSlot(key.secretKey);
    const disk = path.join(dir, 'disk.img');
    await buildEspDisk(disk, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);

    await withBochs({ disk, timeoutMs: 180_000 }, async (vm) => {
      const verified = await vm.waitFor('manifest_verified');
      assert.equal(verified.fields.uuid, slot.uuid);
      assert.equal(verified.fields.containers, '2');
      assert.equal(verified.fields.epoch, '3');
      const start = vm.events.find((e) => e.ev === 'boot_start')!;
      assert.equal(start.fields.key, Buffer.from(key.publicKey).subarray(0, 8).toString('hex'));
      assert.deepEqual(
        vm.events.filter((e) => e.ev === 'file_ok').map((e) => e.fields.path),
        [slot.manifest.guest_kernel.path, `VM/api-${slot.uuid}.img`, `VM/web-${slot.uuid}.img`],
      );
      assertContiguous(vm.events);
      const ms = vm.timeTo('manifest_verified')!;
      console.log(
        `      bochs: boot_start after ${vm.timeTo('boot_start')} ms, manifest_verified after ${ms} ms`,
      );
    });
  });
});
