// One boot of a placement build (test/boot/placement-guest.ts) under QEMU q35 + OVMF, -cpu EPYC,
// -accel tcg,thread=multi (one host thread per vCPU) and -smp as asked, until every worker VM has
// stopped (its ev=vm_stats); the spinner never stops. Shared by test/boot/placement.test.ts and
// bench/cpu. Hard timeout; QEMU is always killed (withQemu).
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles, type VmSpec } from '../hv-svm/slot';
import { tinyBzImage } from '../hv-svm/tiny-kernel';
import { placementProgram, type PlacementGuest } from './placement-guest';

export interface PlacementBoot extends PlacementGuest {
  efi: Buffer;
  secretKey: Uint8Array;
  /** Where the ESP image is written (name.img). */
  dir: string;
  name: string;
  smp: number;
  vms: VmSpec[];
  timeoutMs: number;
}

/** A VM of the placement guest is a worker below 100 MiB of RAM, the spinner above. */
export const isWorker = (v: VmSpec) => v.memMb < 100;

export async function bootPlacement(o: PlacementBoot): Promise<D0Event[]> {
  const kernel = tinyBzImage(placementProgram({ units: o.units, loops: o.loops }));
  const slot = makeVmsSlot(o.secretKey, kernel, o.vms);
  const esp = path.join(o.dir, `${o.name}.img`);
  await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, o.efi) }]);
  return withQemu(
    {
      disk: esp,
      cpu: 'EPYC',
      accel: 'tcg,thread=multi',
      memMb: 512,
      timeoutMs: o.timeoutMs,
      extraArgs: ['-smp', String(o.smp)],
    },
    async (vm) => {
      for (const w of o.vms.filter(isWorker))
        await vm.waitFor((e) => e.ev === 'vm_stats' && e.fields.vm === w.name);
      const events = [...vm.events];
      assertContiguous(events);
      return events;
    },
  );
}
