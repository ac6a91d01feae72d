// Reads a GPT (UEFI 2.10, 5.3) from a disk image or block device: the primary header at LBA 1
// and its partition entries, both CRC-checked. When the primary copy is invalid (no signature, a
// header or entry-array CRC mismatch) the backup copy at the disk's last LBA is read instead, as
// firmware does (UEFI 2.10, 5.3.2); the result says which copy was read and why the primary was
// not. Writing the table is left to sgdisk, and only `d0 disk build` writes it (once, on a disk
// built aside): slot writes never touch the GPT (writer.ts).
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

export interface GptTable {
  /** Which copy the partitions come from. */
  copy: 'primary' | 'backup';
  /** Why the primary copy was not used (only when copy is 'backup'). */
  primaryError?: string;
  partitions: GptPartition[];
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

/** Bytes of an image file or block device (fstat gives 0 for a device: seek to its end). */
function sizeOf(fd: number): number {
  const st = fs.fstatSync(fd);
  if (st.isFile()) return st.size;
  // Probe the last readable byte by binary search (block devices report size 0 through fstat).
  let lo = 0;
  let hi = 2 ** 50;
  const one = Buffer.alloc(1);
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    let n = 0;
    try {
      n = fs.readSync(fd, one, 0, 1, mid - 1);
    } catch {
      n = 0;
    }
    if (n === 1) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One GPT copy: the header at `lba`, checked, and its entry array, checked. */
function readCopy(fd: number, target: string, lba: number, which: string): GptPartition[] {
  const hdr = readAt(fd, lba * SECTOR, 92);
  if (hdr.toString('latin1', 0, 8) !== 'EFI PART')
    throw new D0Error('GPT_MISSING', `${target}: no ${which} GPT header at LBA ${lba}`);
  const hdrSize = hdr.readUInt32LE(12);
  if (hdrSize < 92 || hdrSize > SECTOR)
    throw new D0Error('GPT_CORRUPT', `${target}: ${which} GPT header size ${hdrSize}`);
  const full = readAt(fd, lba * SECTOR, hdrSize);
  const crc = full.readUInt32LE(16);
  full.writeUInt32LE(0, 16);
  if (zlib.crc32(full) !== crc)
    throw new D0Error('GPT_CORRUPT', `${target}: ${which} GPT header CRC mismatch`);
  if (Number(hdr.readBigUInt64LE(24)) !== lba)
    throw new D0Error('GPT_CORRUPT', `${target}: ${which} GPT header does not name LBA ${lba} as its own`);
  const entriesLba = Number(hdr.readBigUInt64LE(72));
  const count = hdr.readUInt32LE(80);
  const entrySize = hdr.readUInt32LE(84);
  if (count > 1024 || entrySize < 128 || entrySize > 1024)
    throw new D0Error('GPT_CORRUPT', `${target}: ${which} GPT: ${count} entries of ${entrySize} bytes`);
  const entries = readAt(fd, entriesLba * SECTOR, count * entrySize);
  if (zlib.crc32(entries) !== hdr.readUInt32LE(88))
    throw new D0Error('GPT_CORRUPT', `${target}: ${which} GPT partition array CRC mismatch`);
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
}

/**
 * The partition table: the primary copy, or the backup when the primary is invalid. Throws the
 * primary's error (with the backup's) when neither copy is valid.
 */
export function readGptTable(target: string): GptTable {
  const fd = fs.openSync(target, 'r');
  try {
    try {
      return { copy: 'primary', partitions: readCopy(fd, target, 1, 'primary') };
    } catch (primary) {
      if (!(primary instanceof D0Error) || primary.code === 'GPT_TRUNCATED') throw primary;
      const lastLba = Math.floor(sizeOf(fd) / SECTOR) - 1;
      let partitions: GptPartition[];
      try {
        partitions = readCopy(fd, target, lastLba, 'backup');
      } catch (backup) {
        throw new D0Error(
          primary.code,
          `${primary.message}; ${(backup as Error).message.replace(`${target}: `, '')}`,
        );
      }
      return {
        copy: 'backup',
        primaryError: primary.message.replace(`${target}: `, ''),
        partitions,
      };
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The partitions with a non-zero type GUID, in table order (from the backup copy if need be). */
export function readGpt(target: string): GptPartition[] {
  return readGptTable(target).partitions;
}
