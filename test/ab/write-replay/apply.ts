// Puts a cut state (states.ts) on a disk image: the pre-update bytes of the written slot with the
// state's sector writes applied, written over that slot's byte range. The rest of the image is
// the pre-update image's (record.ts checks the writer writes nothing outside the slot).
import fs from 'node:fs';
import { SECTOR, type SectorWrite } from './record';

export interface SlotRange {
  offset: number;
  size: number;
}

export function stateSlotBytes(before: Buffer, slot: SlotRange, writes: SectorWrite[]): Buffer {
  const b = Buffer.from(before.subarray(slot.offset, slot.offset + slot.size));
  for (const w of writes) w.data.copy(b, w.lba * SECTOR - slot.offset);
  return b;
}

/** Writes the state's slot bytes over `slot` in `image` (which holds the pre-update image elsewhere). */
export function putState(image: string, before: Buffer, slot: SlotRange, writes: SectorWrite[]): void {
  const fd = fs.openSync(image, 'r+');
  try {
    fs.writeSync(fd, stateSlotBytes(before, slot, writes), 0, slot.size, slot.offset);
  } finally {
    fs.closeSync(fd);
  }
}
