// A Linux guest with two vCPUs on the VMX backend (Bochs corei7_skylake_x, `cpu: count=2`): the
// AP the guest wakes with INIT and SIPI starts in real mode, which VMX runs with "unrestricted
// guest" (kernel/arch/x86/cpu.h x86_vcpus_max, vmx/vmcs_setup.c), its VMCS created on the host
// CPU it is placed on; the guest enters long mode by itself there (D0 keeps the "IA-32e mode
// guest" entry control equal to its EFER.LMA). Inside, `nproc` is 2. The SVM side and the
// speed-up are test/hv-svm/smp-guest.test.ts and bench/smp. One Bochs boot (~60 s), always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { withBochs } from '../support/bochs';
import { assertContiguous, consoleLines, type D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import { makeVmsSlot, slotFiles } from '../hv-svm/slot';

const BOOT_TIMEOUT_MS = 10 * 60_000;
const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

describe('hv-vmx: a Linux guest with two vCPUs under Bochs corei7_skylake_x (unrestricted guest)', function () {
  this.timeout(BOOT_TIMEOUT_MS + 300_000);
  let dir: string;
  let esp: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bochs-smp-guest-'));
    const { efi, secretKey } = await testD0();
    const bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    const init = (await buildGuestInit()).init;
    const spec = encodeExecSpec({ args: ['/bin/sh', '-c', 'echo "NPROC $(nproc)"; exit 0'], env: ['PATH=/bin'], cwd: '/' });
    const disk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 8 });
    const slot = makeVmsSlot(secretKey, bzImage, [{ name: 'web', memMb: 64, bootOrder: 1, disk, vcpu: 2 }]);
    esp = path.join(dir, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('both vCPUs up, one on each CPU: nproc 2 in the guest', async () => {
    await withBochs(
      { disk: esp, cpuModel: 'corei7_skylake_x', memMb: 256, timeoutMs: BOOT_TIMEOUT_MS, extraLines: ['cpu: count=2'] },
      async (vm) => {
        await vm.waitFor((e) => e.ev === 'halt' || e.ev === 'boot_failed' || e.ev === 'cpu_exception');
        const events = [...vm.events];
        const all = events.map((e) => e.raw).join('\n');
        assertContiguous(events);
        const lines = consoleLines(events, 'web');
        assert.equal(only(events, 'cpu')[0]?.fields.backend, 'vmx', all);
        assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', all);
        assert.ok(lines.includes('NPROC 2'), lines.join('\n'));
        assert.deepEqual(only(events, 'vm_cpu').map((e) => [e.fields.vcpu, e.fields.cpu]), [['0', '0'], ['1', '1']], all);
        const ap = events.find((e) => e.ev === 'hv' && e.fields.what === 'ap-started');
        assert.ok(ap && ap.fields.a === '0x1', all);
        assert.deepEqual(
          only(events, 'vcpu_stats').map((e) => [e.fields.vcpu, e.fields.cpu, e.fields.started]),
          [['0', '0', '1'], ['1', '1', '1']],
          all,
        );
        assert.equal(only(events, 'commit').length, 1, all);
      },
    );
  });
});
