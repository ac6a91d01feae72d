// Reads and renames files inside a FAT partition of a disk image or block device in place,
// through mtools' "image@@offset" form (no loop devices, no root).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SECTOR = 512;
const env = { ...process.env, MTOOLS_SKIP_CHECK: '1', MTOOLS_NO_VFAT: '' };

const at = (target: string, offset: number) => `${target}@@${offset}`;

/** Every regular file, as '/'-separated paths relative to the root (names as stored). */
export async function listFat(target: string, offset: number): Promise<string[]> {
  try {
    const { stdout } = await run('mdir', ['-/', '-b', '-i', at(target, offset), '::/'], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('::/') && !l.endsWith('/'))
      .map((l) => l.slice(3));
  } catch {
    return []; // not a FAT file system (a blank or half-written slot)
  }
}

/** The bytes of one file, or undefined when it cannot be read. */
export async function readFat(
  target: string,
  offset: number,
  file: string,
): Promise<Buffer | undefined> {
  try {
    const { stdout } = await run('mtype', ['-i', at(target, offset), `::/${file}`], {
      env,
      encoding: 'buffer',
      maxBuffer: 1024 * 1024 * 1024,
    });
    return stdout;
  } catch {
    return undefined;
  }
}

export async function renameFat(
  target: string,
  offset: number,
  from: string,
  to: string,
): Promise<void> {
  await run('mren', ['-i', at(target, offset), `::/${from}`, `::/${to}`], { env });
}

/**
 * The volume label of the FAT32 file system at `offset` (BS_VolLab, byte 71 of its boot sector),
 * or undefined when the boot sector is not FAT32's. One sector: a slot write replaces it whole.
 */
export function fatLabel(target: string, offset: number): string | undefined {
  const bs = Buffer.alloc(SECTOR);
  const fd = fs.openSync(target, 'r');
  try {
    if (fs.readSync(fd, bs, 0, SECTOR, offset) !== SECTOR) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  if (bs.subarray(82, 87).toString('latin1') !== 'FAT32' || bs.readUInt16LE(510) !== 0xaa55)
    return undefined;
  return bs.subarray(71, 82).toString('latin1').trimEnd();
}
