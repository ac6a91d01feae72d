// D0's own page tables are W^X after ExitBootServices: a test-only build
// (-DD0_SELFTEST_WX; release builds never define it) writes to its own code right after
// switching to them, and must take a page fault (vector 14, error code present+write) that the
// exception handler logs before halting. QEMU TCG, -cpu EPYC; QEMU always killed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';
import { generateKeyPair } from '../../core/sign';
import { assertContiguous } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from './slot';
import { asm, tinyBzImage } from './tiny-kernel';

const PF_PRESENT = 0x1;
const PF_WRITE = 0x2;

describe('hv-svm: D0 page tables are W^X', function () {
  this.timeout(420_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-svm-wx-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a write to D0 .text faults with #PF and is logged as ev=cpu_exception, nothing launched', async () => {
    const key = generateKeyPair(crypto.randomBytes(32));
    const pub = path.join(dir, 'signing.pub');
    fs.writeFileSync(pub, `${Buffer.from(key.publicKey).toString('hex')}\n`);
    const build = path.join(dir, 'build');
    execFileSync(
      'make',
      ['-C', KERNEL_DIR, '--no-print-directory', `PUBKEY=${pub}`, `BUILD=${build}`, 'EXTRA_CFLAGS=-DD0_SELFTEST_WX'],
      { stdio: 'pipe' },
    );
    const efi = fs.readFileSync(path.join(build, 'efi', 'BOOTX64.EFI'));
    const slot = makeLaunchSlot(key.secretKey, tinyBzImage(asm.haltLoop()), Buffer.alloc(4096), {
      name: 'web',
      memMb: 16,
    });
    const disk = path.join(dir, 'esp.img');
    await buildEspDisk(disk, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    await withQemu({ disk, cpu: 'EPYC', timeoutMs: 180_000 }, async (vm) => {
      const paging = await vm.waitFor('host_paging');
      assert.equal(paging.fields.tables, 'd0_wx');
      for (const f of ['image_rx_pages', 'image_ro_pages', 'image_rw_pages'])
        assert.ok(Number(paging.fields[f]) > 0, `${f}=${paging.fields[f]}`);
      await vm.waitFor('selftest_wx');
      const fault = await vm.waitFor('cpu_exception');
      assert.equal(fault.fields.vector, '14');
      assert.equal(fault.fields.apic_id, '0'); // the BSP, the one CPU here
      assert.equal(Number(fault.fields.error) & (PF_PRESENT | PF_WRITE), PF_PRESENT | PF_WRITE);
      await new Promise((r) => setTimeout(r, 1000)); // halted: nothing follows
      const events = [...vm.events];
      assertContiguous(events);
      assert.equal(events.at(-1)!.ev, 'cpu_exception');
      assert.ok(!events.some((e) => e.ev === 'vm_start'));
    });
  });
});
