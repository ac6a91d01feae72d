// Boots the real BOOTX64.EFI under Bochs with one signed, launchable slot and returns D0's
// events: the Bochs counterpart of the QEMU runs in test/hv-svm. The same binary takes the VMX
// path on an Intel CPU model and the SVM path on model=ryzen (kernel/arch/x86/cpu.c).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { makeLaunchSlot, makeVmsSlot, slotFiles, type VmSpec } from '../hv-svm/slot';
import { withBochs, type BochsRun } from '../support/bochs';
import { assertContiguous, type D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';

/** D0 for the test key (its EFI application and secret key) with a temp dir of its own (remove with dispose()). */
export class D0Under {
  private constructor(
    readonly dir: string,
    readonly efi: Buffer,
    private readonly secretKey: Uint8Array,
  ) {}

  /** D0 for the test key (test/support/test-d0.ts: cached) and a temp dir for its disks. */
  static async build(prefix: string): Promise<D0Under> {
    const { efi, secretKey } = await testD0();
    return new D0Under(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), efi, secretKey);
  }

  /** Writes an ESP disk whose slot launches `kernel` with root disk `disk` as VM `name`. */
  async disk(kernel: Buffer, disk: Buffer, o: { name: string; memMb: number }): Promise<string> {
    const slot = makeLaunchSlot(this.secretKey, kernel, disk, o);
    const esp = path.join(this.dir, `esp-${o.name}.img`);
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, this.efi) }]);
    return esp;
  }

  /** Writes an ESP disk whose slot launches one VM per spec, all running `kernel`. */
  async vmsDisk(kernel: Buffer, vms: VmSpec[]): Promise<string> {
    const slot = makeVmsSlot(this.secretKey, kernel, vms);
    const esp = path.join(this.dir, `esp-${vms.map((v) => v.name).join('-')}.img`);
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, this.efi) }]);
    return esp;
  }

  /** Boots esp under Bochs with cpuModel; resolves with D0's events once it logs ev=halt. */
  run(
    esp: string,
    o: { cpuModel: string; memMb: number; timeoutMs: number },
    during?: (vm: BochsRun) => Promise<void>,
  ): Promise<{ events: D0Event[]; ms: (ev: string) => number | undefined }> {
    return withBochs({ disk: esp, ...o }, async (vm) => {
      if (during) await during(vm);
      await vm.waitFor((e) => e.ev === 'halt' || e.ev === 'boot_failed' || e.ev === 'cpu_exception');
      const events = [...vm.events];
      assertContiguous(events);
      return { events, ms: (ev: string) => vm.timeTo(ev) };
    });
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);
export const dump = (events: D0Event[]) => events.map((e) => e.raw).join('\n');
