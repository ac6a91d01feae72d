// A real Linux guest runs on the VM's own local APIC and I/O APIC (kernel/dev/platform/vlapic.h,
// vioapic.h), without `nolapic` or any other word about interrupts on its command line: CPUID
// shows an APIC, D0's MP table lists it and the I/O APIC with the ISA lines' routes
// (kernel/hv/mptable.h), so Linux selects symmetric I/O mode, masks the 8259A, takes every ISA
// line through the I/O APIC, calibrates the APIC timer and ticks with it. The container reads the
// guest's own view: /proc/cmdline, dmesg's APIC lines, and /proc/interrupts twice around a
// 1-second sleep: the local timer count ("LOC") grows while the sleep lasts, so the tick and the
// wakeup come from the APIC timer; its disk's IRQ 5 arrives through the I/O APIC; and D0 logs
// no refused access to either APIC's page. Under QEMU TCG with SVM + NPT (-cpu EPYC); the VMX
// side is checked in test/hv-vmx/launch-linux.test.ts.
// One nested Linux boot; hard timeout, QEMU killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { consoleLines } from '../support/events';
import { interruptCount } from '../support/proc-interrupts';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles } from './slot';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 15 * 60_000;

describe("hv-svm: a Linux guest on the VM's local APIC and I/O APIC (no nolapic)", function () {
  this.timeout(TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let bzImage: Buffer;
  let secretKey: Uint8Array;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-guest-apic-'));
    ({ efi, secretKey } = await testD0());
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('ticks and wakes with the APIC timer; the ISA lines arrive through the I/O APIC', async () => {
    const script = [
      'echo "CMDLINE $(cat /proc/cmdline)"',
      'dmesg | grep -i -E "apic|mptable|clockevent" | sed "s/^/DMESG /"',
      'sed "s/^/IRQ1 /" /proc/interrupts',
      'sleep 1',
      'sed "s/^/IRQ2 /" /proc/interrupts',
      'exit 0',
    ].join('\n');
    const spec = encodeExecSpec({ args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/' });
    const disk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 });
    const slot = makeVmsSlot(secretKey, bzImage, [{ name: 'web', memMb: 64, bootOrder: 1, disk }]);
    const esp = path.join(dir, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    await withQemu({ disk: esp, cpu: 'EPYC', memMb: 512, timeoutMs: TIMEOUT_MS }, async (vm) => {
      const exit = await vm.waitFor((e) => e.ev === 'vm_exit' && e.fields.vm === 'web');
      const events = [...vm.events];
      const lines = consoleLines(events, 'web');
      const text = lines.join('\n');
      assert.equal(exit.fields.status, '0', text);
      const cmdline = lines.find((l) => l.startsWith('CMDLINE '));
      assert.ok(cmdline && !/\bno(l)?apic\b/.test(cmdline), text);
      const dmesg = lines.filter((l) => l.startsWith('DMESG ')).join('\n');
      // D0's MP table found: the local APIC, the I/O APIC, the routes (no "BIOS bug" defaults).
      assert.match(dmesg, /MPTABLE: APIC at: 0xFEE00000/, text);
      assert.match(dmesg, /IOAPIC\[0\]: apic_id 0, version 32, address 0xfec00000, GSI 0-23/, text);
      assert.doesNotMatch(text, /BIOS bug/, text);
      assert.match(dmesg, /APIC: Switch to symmetric I\/O mode setup/, text);
      assert.doesNotMatch(dmesg, /APIC disabled|No local APIC present|APIC timer disabled/i, text);
      const table = (tag: string) =>
        lines
          .filter((l) => l.startsWith(`${tag} `))
          .map((l) => l.slice(tag.length + 1))
          .join('\n');
      const loc1 = interruptCount(table('IRQ1'), 'LOC');
      const loc2 = interruptCount(table('IRQ2'), 'LOC');
      assert.ok(loc1 !== undefined && loc2 !== undefined, text);
      // HZ=250 with a tickless idle: a 1-second sleep wakes at least once on the APIC timer.
      assert.ok(loc2 > loc1, `LOC ${loc1} -> ${loc2}\n${text}`);
      // The ISA lines come through the I/O APIC: the PIT on pin 2 (the MP table's override),
      // virtio-blk's IRQ 5 (the root disk's reads) on pin 5.
      const rows = table('IRQ2').split('\n');
      assert.ok(
        rows.some((l) => /^\s*0:.*IO-APIC\s+2-edge\s+timer/.test(l)),
        text,
      );
      assert.ok(
        rows.some((l) => /^\s*5:.*IO-APIC\s+5-edge\s+virtio0/.test(l)),
        text,
      );
      assert.ok((interruptCount(table('IRQ2'), '5') ?? 0) > 0, text);
      console.log(
        `      LOC ${loc1} -> ${loc2} across sleep 1; ${dmesg.split('\n').length} dmesg lines`,
      );
      const refused = events.filter(
        (e) => e.ev === 'hv' && (e.fields.dev === 'lapic' || e.fields.dev === 'ioapic'),
      );
      assert.deepEqual(
        refused.map((e) => e.raw),
        [],
        'Linux used nothing the APIC models refuse',
      );
    });
  });
});
