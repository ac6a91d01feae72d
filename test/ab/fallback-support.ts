// For the fallback matrix (fallback-matrix.test.ts): damage to one slot of a prepared A/B disk,
// made on the raw image (no mount, no external tool), and a boot that follows the firmware
// through every entry it tries until a build runs or the firmware has nothing left to boot.
import fs from 'node:fs';
import path from 'node:path';
import { slotPartitions, type SlotLetter } from '../../builder/disk/slots';
import { withQemu } from '../support/qemu';
import { AB_CPU, splitBoots, type Boots } from './support';

function slotRange(disk: string, letter: SlotLetter): { offset: number; size: number } {
  const s = slotPartitions(disk).find((p) => p.letter === letter)!;
  return { offset: s.part.offset, size: s.part.size };
}

function readRange(disk: string, offset: number, size: number): Buffer {
  const fd = fs.openSync(disk, 'r');
  try {
    const b = Buffer.alloc(size);
    fs.readSync(fd, b, 0, size, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

function writeAt(disk: string, offset: number, data: Buffer): void {
  const fd = fs.openSync(disk, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** Offsets (in the disk) of every occurrence of needle inside the slot's partition. */
function findInSlot(disk: string, letter: SlotLetter, needle: Buffer): number[] {
  const { offset, size } = slotRange(disk, letter);
  const part = readRange(disk, offset, size);
  const at: number[] = [];
  for (let i = part.indexOf(needle); i >= 0; i = part.indexOf(needle, i + 1)) at.push(offset + i);
  return at;
}

/**
 * Flips one byte of the slot's manifest signature (the 64-byte manifest-<uuid>.sig of buildDir,
 * found by its contents in the slot's FAT data): D0 then refuses the slot (bad_signature).
 */
export function corruptSignature(
  disk: string,
  letter: SlotLetter,
  buildDir: string,
  uuid: string,
): void {
  const sig = fs.readFileSync(path.join(buildDir, `manifest-${uuid}.sig`));
  const at = findInSlot(disk, letter, sig);
  if (at.length !== 1)
    throw new Error(`slot ${letter}: signature found ${at.length} times, not once`);
  writeAt(disk, at[0] + 10, Buffer.from([sig[10] ^ 0x01]));
}

/**
 * Damages every copy of D0's EFI image in the slot (BOOTX64.EFI and BOOTX64-<uuid>.EFI): the
 * "MZ" of each copy's DOS header is zeroed, so the firmware cannot load it. efi: the image's bytes.
 */
export function damageEfi(disk: string, letter: SlotLetter, efi: Buffer): number {
  const at = findInSlot(disk, letter, efi.subarray(0, 512));
  if (at.length === 0) throw new Error(`slot ${letter}: no copy of D0's EFI image found`);
  for (const off of at) writeAt(disk, off, Buffer.alloc(2));
  return at.length;
}

/** Wipes the slot's partition (no file system left): the slot holds no build. */
export function wipeSlot(disk: string, letter: SlotLetter): void {
  const { offset, size } = slotRange(disk, letter);
  const zero = Buffer.alloc(1 << 20);
  for (let done = 0; done < size; done += zero.length)
    writeAt(disk, offset + done, zero.subarray(0, Math.min(zero.length, size - done)));
}

/**
 * OVMF's boot manager when every boot option failed: it prints this and waits (Debian 12's OVMF,
 * -net none). Seen on the serial console.
 */
const FIRMWARE_GAVE_UP = /No bootable option or device was found|Shell> /;

export interface SettledBoots extends Boots {
  /** "halt": a build's VMs ran and stopped; "firmware": no D0 ran a build and the firmware gave up. */
  settled: 'halt' | 'firmware';
}

/**
 * Boots disk with vars (one QEMU run) through every boot the firmware makes, until D0 halts after
 * a launched build's VMs stopped, or the firmware runs out of boot options. A D0 that fails
 * before the launch returns to the firmware (ev=exit), which then tries its next entry.
 */
export async function bootUntilSettled(
  disk: string,
  vars: string,
  timeoutMs = 240_000,
): Promise<SettledBoots> {
  return withQemu({ disk, vars, cpu: AB_CPU, timeoutMs }, async (vm) => {
    const ends = [
      vm.waitFor('halt').then(() => 'halt' as const),
      vm.waitForText(FIRMWARE_GAVE_UP).then(() => 'firmware' as const),
    ];
    for (const e of ends) e.catch(() => undefined); // the loser rejects when QEMU is killed
    const settled = await Promise.race(ends);
    const events = [...vm.events];
    const boots = splitBoots(events);
    return {
      events,
      boots,
      all: (ev: string) => events.filter((e) => e.ev === ev),
      last: boots[boots.length - 1] ?? [],
      end: settled === 'halt' ? 'halt' : 'exit',
      text: events.map((e) => e.raw).join('\n'),
      serial: vm.serial,
      settled,
    };
  });
}
