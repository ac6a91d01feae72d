// Reads a GPT (UEFI 2.10, 5.3) from a disk image or block device: the primary header at LBA 1
// (CRC-checked) and its partition entries. Writing the table is left to sgdisk.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { D0Error } from '../../core/errors';

export const SECTOR = 512;
/** The EFI System Partition type GUID, C12A7328-F81F-11D2-BA4B-00A0C93EC93B. */
export const ESP_TYPE_GUID = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

export interface GptPartition {
  /** 1-based partition number. */
  index: number;
  typeGuid: string;
  name: string;
  firstLba: number;
  lastLba: number;
  /** Byte offset and length of the partition. */
  offset: number;
  size: number;
}

/** A GUID in its mixed-endian on-disk form -> canonical lowercase text. */
function guidText(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => h(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = fs.readSync(fd, b, 0, length, offset);
  if (n !== length)
    throw new D0Error('GPT_TRUNCATED', `short read at byte ${offset}: ${n} of ${length}`);
  return b;
}

/** The partitions with a non-zero type GUID, in table order. */
export function readGpt(target: string): GptPartition[] {
  const fd = fs.openSync(target, 'r');
  try {
    const hdr = readAt(fd, SECTOR, 92);
    if (hdr.toString('latin1', 0, 8) !== 'EFI PART')
      throw new D0Error('GPT_MISSING', `${target}: no GPT header at LBA 1`);
    const hdrSize = hdr.readUInt32LE(12);
    if (hdrSize < 92 || hdrSize > SECTOR)
      throw new D0Error('GPT_CORRUPT', `${target}: GPT header size ${hdrSize}`);
    const full = readAt(fd, SECTOR, hdrSize);
    const crc = full.readUInt32LE(16);
    full.writeUInt32LE(0, 16);
    if (zlib.crc32(full) !== crc)
      throw new D0Error('GPT_CORRUPT', `${target}: GPT header CRC mismatch`);
    const entriesLba = Number(hdr.readBigUInt64LE(72));
    const count = hdr.readUInt32LE(80);
    const entrySize = hdr.readUInt32LE(84);
    if (count > 1024 || entrySize < 128 || entrySize > 1024)
      throw new D0Error('GPT_CORRUPT', `${target}: ${count} entries of ${entrySize} bytes`);
    const entries = readAt(fd, entriesLba * SECTOR, count * entrySize);
    if (zlib.crc32(entries) !== hdr.readUInt32LE(88))
      throw new D0Error('GPT_CORRUPT', `${target}: GPT partition array CRC mismatch`);
    const out: GptPartition[] = [];
    for (let i = 0; i < count; i++) {
      const e = entries.subarray(i * entrySize, (i + 1) * entrySize);
      if (e.subarray(0, 16).every((x) => x === 0)) continue;
      const firstLba = Number(e.readBigUInt64LE(32));
      const lastLba = Number(e.readBigUInt64LE(40));
      const name = e.subarray(56, 128).toString('utf16le').replace(/\0.*$/s, '');
      out.push({
        index: i + 1,
        typeGuid: guidText(e.subarray(0, 16)),
        name,
        firstLba,
        lastLba,
        offset: firstLba * SECTOR,
        size: (lastLba - firstLba + 1) * SECTOR,
      });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
