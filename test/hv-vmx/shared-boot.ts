// Several Bochs suites in one boot: a Bochs boot costs ~28 s before the first VM runs (OVMF
// ~20 s at Bochs' ~40 M instructions/s, then D0's own start), so the suites whose VMs do not
// depend on which other VMs share the CPU run side by side in one manifest, and each test file
// asserts on its own view of that boot's events.
//
// One tiny kernel for all of them: every VM first reads the last byte of its MAC (virtio-net
// config space, LAYOUT_VIRTIO_NET_BASE + 0x105; makeVmsSlot gives 02:00:00:00:00:10 + slot index,
// VM_MAC_LAST_BYTE_BASE)
// and jumps to its suite's program, which then runs exactly as in its own boot (the programs are
// position-independent: relative jumps only, data at fixed guest-physical addresses of each VM's
// own RAM; the read leaves RSI, the boot-parameters pointer, as the entry gave it). VM names get
// the suite's prefix in the manifest; a view takes the events of the suite's VMs (and those of no
// VM) and gives the names back, so a suite's checks are those of its own boot.
//
// Left out on purpose: suites whose checks depend on what the other VMs do while they run. The
// extended-state ring needs each VM's direct neighbours (xstate), preemption's spinner never ends
// (D0 would never reach its end), launch-linux boots a different kernel, spec and refusal other
// CPU models.
import { asm, Cond, Program, tinyBzImage } from '../hv-svm/tiny-kernel';
import { VM_MAC_LAST_BYTE_BASE, type VmSpec } from '../hv-svm/slot';
import type { D0Event } from '../support/events';
import { D0Under } from './d0-bochs';

/** The byte of the MAC that tells the VMs apart (virtio-net config space: mac[5]). */
const MAC_LAST_BYTE = 0xd0001105n;

/** One suite's part of a shared boot: its VMs, all running `program`. */
export interface SharedSuite {
  /** Its VMs' names in the manifest are `${prefix}-${name}`. */
  prefix: string;
  program: number[];
  vms: VmSpec[];
}

/** The kernel: the dispatch on the MAC's last byte, then each suite's program. */
export function sharedKernelCode(suites: SharedSuite[]): number[] {
  const p = new Program().emit(asm.loadByte(MAC_LAST_BYTE));
  let slot = 0;
  suites.forEach((s, k) => {
    for (let i = 0; i < s.vms.length; i++)
      p.emit(asm.cmpEax(VM_MAC_LAST_BYTE_BASE + slot++)).jcc(Cond.E, `.suite${k}`);
  });
  p.emit(asm.print('no suite for this MAC\n'), asm.outb(0x501, 0xee), asm.haltLoop());
  suites.forEach((s, k) => p.label(`.suite${k}`).emit(s.program));
  return p.bytes();
}

/** The manifest's VMs: every suite's, renamed, launched suite after suite in their own order. */
export function sharedVms(suites: SharedSuite[]): VmSpec[] {
  const prefixes = new Set(suites.map((s) => s.prefix));
  if (prefixes.size !== suites.length) throw new Error('two suites with one prefix');
  let order = 0;
  return suites.flatMap((s) =>
    [...s.vms]
      .sort((a, b) => a.bootOrder - b.bootOrder)
      .map((v) => ({ ...v, name: `${s.prefix}-${v.name}`, bootOrder: ++order })),
  );
}

/**
 * Host RAM for Bochs: every VM's RAM and room for D0 and OVMF. 384 MiB of room was too little for
 * 21 VMs (590 MiB of guest RAM): D0's plan said 969 of 979 MiB were needed and the last VM's
 * allocation failed (boot_failed reason=out_of_memory).
 */
export const sharedMemMb = (suites: SharedSuite[]) =>
  Math.ceil((suites.flatMap((s) => s.vms).reduce((n, v) => n + v.memMb, 0) + 768) / 128) * 128;

/** The events of one suite's VMs and of no VM, its VMs under their own names again. */
export function suiteView(events: D0Event[], prefix: string): D0Event[] {
  const mine = `${prefix}-`;
  return events.flatMap((e) => {
    const vm = e.fields.vm;
    if (vm === undefined) return [e];
    if (!vm.startsWith(mine)) return [];
    const name = vm.slice(mine.length);
    return [
      { ...e, fields: { ...e.fields, vm: name }, raw: e.raw.replace(`vm=${vm}`, `vm=${name}`) },
    ];
  });
}

const boots = new Map<string, Promise<D0Event[]>>();

/**
 * D0's events of the one shared boot of `suites` under Bochs `cpuModel` (every VM stopped, D0 at
 * its end); made once per process and CPU model, so the test files that share it boot it once.
 */
export function sharedBoot(
  cpuModel: string,
  suites: SharedSuite[],
  timeoutMs: number,
): Promise<D0Event[]> {
  let boot = boots.get(cpuModel);
  if (!boot) {
    boot = (async () => {
      const d0 = await D0Under.build(`d0-shared-${cpuModel}-`);
      try {
        const vms = sharedVms(suites);
        const esp = await d0.vmsDisk(tinyBzImage(sharedKernelCode(suites)), vms);
        const { events } = await d0.run(esp, { cpuModel, memMb: sharedMemMb(suites), timeoutMs });
        // Every event of a VM names one of the manifest's VMs.
        const names = new Set(vms.map((v) => v.name));
        const stray = events.filter((e) => e.fields.vm !== undefined && !names.has(e.fields.vm));
        if (stray.length)
          throw new Error(
            `events of no VM of the manifest:\n${stray.map((e) => e.raw).join('\n')}`,
          );
        return events;
      } finally {
        d0.dispose();
      }
    })();
    boots.set(cpuModel, boot);
  }
  return boot;
}
