// The stack protector fires in the real firmware environment: a test build of D0
// (-DD0_SELFTEST_STACK_SMASH; release builds never have it) overflows a protected frame right
// after seeding the guard, and must report the smash on COM1 and halt instead of returning.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';
import { withQemu } from '../support/qemu';

const TEST1_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('boot: the stack guard fires under OVMF', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-smash-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('halts with ev=stack_smash when a protected frame is overwritten', async () => {
    const key = path.join(dir, 'signing.pub');
    fs.writeFileSync(key, `${TEST1_PUBLIC}\n`);
    const build = path.join(dir, 'build');
    execFileSync(
      'make',
      [
        '-C',
        KERNEL_DIR,
        '--no-print-directory',
        `PUBKEY=${key}`,
        `BUILD=${build}`,
        'EXTRA_CFLAGS=-DD0_SELFTEST_STACK_SMASH',
      ],
      {
        stdio: 'pipe',
      },
    );
    const disk = path.join(dir, 'disk.img');
    const efi = fs.readFileSync(path.join(build, 'efi', 'BOOTX64.EFI'));
    await buildEspDisk(disk, [
      { name: 'ESP_A', label: 'D0_A', files: [{ path: 'EFI/BOOT/BOOTX64.EFI', data: efi }] },
    ]);

    await withQemu({ disk, cpu: 'max', timeoutMs: 120_000 }, async (vm) => {
      await vm.waitFor('selftest_stack_smash');
      await vm.waitForText(/D0 ev=stack_smash\r?\n/);
      // Halted: nothing after the smash, in particular no return to efi_main's caller.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(
        vm.events.map((e) => e.ev),
        ['selftest_stack_smash'],
      );
      assert.doesNotMatch(vm.serial.split('D0 ev=stack_smash')[1], /D0 seq=/);
    });
  });
});
