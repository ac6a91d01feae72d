// The host memory a build needs, by D0's own allocation rules (kernel/boot/efi/vm_build.c, vm_build_bytes): before
// ExitBootServices D0 loads the guest kernel once and, for every VM, its whole disk image, its RAM
// (2 MiB aligned, so up to 2 MiB more), a 16 MiB copy-on-write overlay for disk writes, and its
// own records, key table and nested page tables (~100 KiB measured; 1 MiB counted). On top comes
// what the firmware keeps and D0's own image and pools: FIRMWARE_MIB, measured under QEMU + OVMF
// (a q35 machine with less than this total fails in the firmware or in D0's first allocation).
// Pure: no I/O.
import type { Manifest } from './schema';

const MIB = 2 ** 20;
export const VM_OVERLAY_MIB = 16;
export const VM_ALIGN_MIB = 2;
export const VM_D0_MIB = 1;
export const FIRMWARE_MIB = 96;

export interface HostMemory {
  /** Everything, in MiB, rounded up. */
  totalMiB: number;
  firmwareMiB: number;
  kernelMiB: number;
  vms: { name: string; ramMiB: number; diskMiB: number; overheadMiB: number }[];
}

export function hostMemory(m: Pick<Manifest, 'guest_kernel' | 'containers'>): HostMemory {
  const kernelMiB = Number(m.guest_kernel.size) / MIB;
  const vms = m.containers.map((c) => ({
    name: c.name,
    ramMiB: c.mem_mb,
    diskMiB: Number(c.disk_size) / MIB,
    overheadMiB: VM_OVERLAY_MIB + VM_ALIGN_MIB + VM_D0_MIB,
  }));
  const total = FIRMWARE_MIB + kernelMiB + vms.reduce((n, v) => n + v.ramMiB + v.diskMiB + v.overheadMiB, 0);
  return { totalMiB: Math.ceil(total), firmwareMiB: FIRMWARE_MIB, kernelMiB: Math.ceil(kernelMiB), vms };
}

/** What `d0 run` gives the emulated host for a build: its need rounded up to 64 MiB, at least 256. */
export function emulatedHostMiB(needMiB: number): number {
  return Math.max(256, Math.ceil(needMiB / 64) * 64);
}
