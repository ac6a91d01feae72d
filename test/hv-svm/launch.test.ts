// D0 launches a real micro-VM under QEMU TCG with AMD SVM + nested paging (-cpu EPYC) from slot A
// of an A/B disk: the signed build's guest kernel (our Linux 6.1 micro-VM config) and a busybox
// root disk, re-verified in memory, booted through D0's SVM backend after ExitBootServices. The
// container's console output must appear in D0's boot log prefixed by the VM's name, then its
// exit status as an event, and the build is committed (the machine's first) only after the VM's
// health verdict, through UEFI runtime services: the NV state read back names it last good.
// One full nested Linux boot: slow under TCG (minutes); hard timeout, QEMU always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { assertContiguous, consoleLines, type D0Event } from '../support/events';
import { OVMF_VARS, withQemu } from '../support/qemu';
import { makeLaunchSlot, slotFiles } from './slot';
import { testD0 } from '../support/test-d0';

const GUEST_BOOT_TIMEOUT_MS = 15 * 60_000;

describe('hv-svm: D0 launches a Linux micro-VM under QEMU TCG with SVM + NPT', function () {
  this.timeout(GUEST_BOOT_TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let bzImage: Buffer;
  let secretKey: Uint8Array;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel (10-13 min)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-svm-'));
    ({ efi, secretKey } = await testD0());
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the container from slot A: its output under the VM's name, ev=vm_exit, then the commit on health", async () => {
    const script = [
      'echo "ARGV $0 $1"',
      'echo "ENV GREETING=$GREETING"',
      'echo "CWD $(pwd)"',
      'echo "UID $(id -u)"',
      'ip addr show dev eth0',
      'exit 0',
    ].join('\n');
    const spec = encodeExecSpec({
      args: ['/bin/sh', '-c', script, 'argv0', 'first'],
      env: ['GREETING=hi', 'PATH=/bin'],
      cwd: '/tmp',
      uid: 1000,
      gid: 1000,
    });
    const disk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 });
    const slot = makeLaunchSlot(secretKey, bzImage, disk, { name: 'web', memMb: 64 });
    const tree = path.join(dir, 'slot-a');
    for (const f of slotFiles(slot, efi)) {
      fs.mkdirSync(path.dirname(path.join(tree, f.path)), { recursive: true });
      fs.writeFileSync(path.join(tree, f.path), f.data as Buffer);
    }
    const esp = path.join(dir, 'ab.img');
    await buildSlotDisk(esp, { a: tree, sizeMiB: 64 });
    const vars = path.join(dir, 'vars.fd');
    fs.copyFileSync(OVMF_VARS, vars);

    const t0 = Date.now();
    await withQemu({ disk: esp, vars, cpu: 'EPYC', memMb: 512, timeoutMs: GUEST_BOOT_TIMEOUT_MS }, async (vm) => {
      await vm.waitFor('ready_to_launch');
      const prepared = await vm.waitFor('vm_prepared');
      assert.equal(prepared.fields.vm, 'web');
      await vm.waitFor('firmware_exited');
      const tLaunch = Date.now();
      await vm.waitFor('vm_start');
      const exit = await vm.waitFor('vm_exit');
      const events = [...vm.events];
      assertContiguous(events);
      const lines = consoleLines(events, 'web');
      const text = lines.join('\n');
      assert.equal(exit.fields.vm, 'web');
      assert.equal(exit.fields.status, '0', text);
      assert.ok(lines.includes('ARGV argv0 first'), text);
      assert.ok(lines.includes('ENV GREETING=hi'), text);
      assert.ok(lines.includes('CWD /tmp'), text);
      assert.ok(lines.includes('UID 1000'), text);
      assert.match(text, /inet 10\.20\.0\.10\/24/);
      assert.equal(events.filter((e) => e.ev === 'vm_ready').length, 1, 'readiness reported once');
      // Healthy (ready, then exit 0; settled once it stopped), then committed as the first build.
      const halt = await vm.waitFor('halt');
      // The host tick was taken all along (the local APIC timer; kernel/arch/x86/host_tick.h),
      // and no other host interrupt arrived: no stray IRQ0 from the masked 8259, no spurious
      // or unknown vector.
      assert.ok(Number(halt.fields.host_ticks) > 0, halt.raw);
      assert.equal(halt.fields.stray_irqs, '0', halt.raw);
      const all = [...vm.events];
      const at = (pred: (e: D0Event) => boolean) => all.findIndex(pred);
      const healthy = at((e) => e.ev === 'vm_health' && e.fields.vm === 'web');
      assert.equal(all[healthy].fields.verdict, 'healthy', text);
      const commit = at((e) => e.ev === 'commit');
      assert.ok(commit > healthy && healthy > at((e) => e.ev === 'firmware_exited'), all.map((e) => e.raw).join('\n'));
      assert.deepEqual(
        [all[commit].fields.boot, all[commit].fields.slot, all[commit].fields.role],
        [slot.uuid, 'A', 'first'],
      );
      console.error(
        `      QEMU start -> D0 launch ${tLaunch - t0} ms, launch -> vm_exit ${Date.now() - tLaunch} ms`,
      );
    });
    // Written to the firmware's NV store after ExitBootServices: QEMU's VARS file holds it.
    assert.equal(readAbState(vars)?.lastGood, slot.uuid);
  });
});
