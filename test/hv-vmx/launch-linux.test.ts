// D0 launches the real Linux micro-VM under Bochs with an Intel CPU (corei7_skylake_x: VMX +
// EPT), and with model=ryzen (SVM + NPT, same binary), the same scenario as test/hv-svm/launch.test.ts on QEMU with SVM: the signed build's
// guest kernel (our Linux 6.1 micro-VM config), PID1 and a busybox root disk, verified, loaded
// and booted through D0's VMX backend after ExitBootServices. The container's line must appear
// in D0's log under the VM's name and its exit status as ev=vm_exit. Bochs runs about 5x
// slower than QEMU TCG: the workload is one line and `exit 7`; the hard timeout is 20 minutes
// and Bochs is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { interruptCount } from '../support/proc-interrupts';
import { D0Under, dump, only } from './d0-bochs';

const BOCHS_TIMEOUT_MS = 20 * 60_000;

/**
 * The Bochs CPU models this scenario runs on, and the backend each must take: the same
 * BOOTX64.EFI takes VMX on the Intel model and SVM (with NRIP save) on ryzen. About 75-80 s
 * each. (Bochs' ryzen offers MONITOR/MWAIT: D0 hides them in CPUID and treats an MWAIT as a
 * HLT, without which Linux idled inside MWAIT and never woke.)
 */
const MODELS: Array<[string, string]> = [
  ['corei7_skylake_x', 'vmx'],
  ['ryzen', 'svm'],
];

for (const [cpuModel, backend] of MODELS) {
  describe(`hv-vmx: D0 launches a Linux micro-VM under Bochs ${cpuModel} (${backend} backend)`, function () {
    this.timeout(BOCHS_TIMEOUT_MS + 300_000);
    let d0: D0Under;
    let bzImage: Buffer;
    let init: string;

    before(async function () {
      this.timeout(45 * 60_000); // a cold cache builds the guest kernel (10-13 min)
      d0 = await D0Under.build(`d0-${backend}-linux-`);
      bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
      init = (await buildGuestInit()).init;
    });
    after(() => d0?.dispose());

    it("runs the container: its line in D0's log under the VM's name, then ev=vm_exit status=7", async () => {
      const spec = encodeExecSpec({
        args: [
          '/bin/sh',
          '-c',
          `echo "hello from $0 on ${backend}"; grep -E "LOC|virtio0" /proc/interrupts; exit 7`,
          'web',
        ],
        env: ['PATH=/bin'],
        cwd: '/',
        uid: 0,
        gid: 0,
      });
      const rootDisk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 8 });
      const esp = await d0.disk(bzImage, rootDisk, { name: 'web', memMb: 64 });

      const r = await d0.run(esp, { cpuModel, memMb: 256, timeoutMs: BOCHS_TIMEOUT_MS });
      const events = r.events;
      const all = dump(events);
      assert.equal(only(events, 'cpu')[0].fields.backend, backend, all);
      assert.equal(only(events, 'manifest_verified').length, 1, all);
      const lines = only(events, 'console')
        .filter((e) => e.fields.vm === 'web')
        .map((e) => e.fields.line);
      assert.ok(lines.includes(`hello from web on ${backend}`), all);
      // The guest's own APICs (kernel/dev/platform/vlapic.h, vioapic.h): its tick from the local
      // APIC timer, its disk's line through the I/O APIC (test/hv-svm/guest-apic.test.ts).
      assert.ok((interruptCount(lines.join('\n'), 'LOC') ?? 0) > 0, all);
      assert.ok(
        lines.some((l) => /^\s*5:\s+[1-9]\d*\s+IO-APIC\s+5-edge\s+virtio0/.test(l)),
        all,
      );
      const exit = only(events, 'vm_exit');
      assert.equal(exit.length, 1, all);
      assert.equal(exit[0].fields.vm, 'web');
      assert.equal(exit[0].fields.status, '7', all);
      assert.equal(only(events, 'vm_stopped')[0].fields.state, 'exited', all);
      const stats = only(events, 'vm_stats')[0]?.fields ?? {};
      const at = (ev: string) => r.ms(ev) ?? -1;
      console.log(
        `      bochs ${cpuModel}: manifest_verified ${at('manifest_verified')} ms, firmware_exited ` +
          `${at('firmware_exited')} ms, vm_start ${at('vm_start')} ms, vm_exit ${at('vm_exit')} ms ` +
          `after Bochs start; exits=${stats.exits} run_ms=${stats.run_ms}`,
      );
    });
  });
}
