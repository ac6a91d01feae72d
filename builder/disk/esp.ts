// GPT disk images holding one or more FAT32 EFI System Partitions, built without root or loop
// devices: each partition is formatted as a separate file (mkfs.fat), filled with mtools, and
// copied into the disk image at its GPT offset (sgdisk writes the tables).
//
// One ESP is a bootable D0 slot; the A/B layout is the same call with two partitions
// (name "ESP_A"/"ESP_B", their own labels and files).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { D0Error, type EspErrorCode } from '../../core/errors';
import { processAlive } from '../process-alive';

const run = promisify(execFile);

const SECTOR = 512;
const MIB = 1024 * 1024;
/** First partition at 1 MiB (LBA 2048), partitions 1 MiB aligned, 1 MiB left for the backup GPT. */
const ALIGN_SECTORS = 2048;
/**
 * mkfs.fat needs at least 65525 clusters for FAT32; with 512-byte clusters that is ~32 MiB plus
 * the FATs, so no ESP is smaller than this.
 */
const MIN_ESP_MIB = 40;
/** The EFI System Partition type (UEFI 2.10, 5.3.3), in sgdisk's short form. */
const ESP_TYPE = 'EF00';

export interface EspFile {
  /** Path inside the ESP, '/'-separated, no leading '/': "EFI/BOOT/BOOTX64.EFI". */
  path: string;
  /** The content: bytes, or a host file to copy. */
  data: Buffer | { file: string };
}

export interface EspPartition {
  /** GPT partition name (UTF-16 in the table, up to 36 characters): "ESP_A". */
  name: string;
  /** FAT volume label, 1..11 characters of [A-Z0-9_-]: "D0_A". */
  label: string;
  files: EspFile[];
  /** Partition size; by default the files plus 25 % and 8 MiB of slack, at least 40 MiB. */
  sizeMiB?: number;
}

export interface EspPartitionLayout {
  name: string;
  index: number; // 1-based GPT partition number
  firstLba: number;
  sectors: number;
}

export interface EspDisk {
  path: string;
  sizeBytes: number;
  partitions: EspPartitionLayout[];
}

export class EspImageError extends D0Error {
  override readonly code: EspErrorCode;
  constructor(code: EspErrorCode, message: string) {
    super(code, message);
    this.code = code;
    this.name = 'EspImageError';
  }
}

const PATH_COMPONENT = /^[A-Za-z0-9._-]+$/;

function checkPartition(p: EspPartition, where: string): void {
  if (!/^[A-Za-z0-9_-]{1,36}$/.test(p.name))
    throw new EspImageError(
      'ESP_BAD_NAME',
      `${where}.name: ${JSON.stringify(p.name)} is not 1..36 of [A-Za-z0-9_-]`,
    );
  if (!/^[A-Z0-9_-]{1,11}$/.test(p.label))
    throw new EspImageError(
      'ESP_BAD_LABEL',
      `${where}.label: ${JSON.stringify(p.label)} is not 1..11 of [A-Z0-9_-]`,
    );
  const seen = new Set<string>();
  p.files.forEach((f, i) => {
    const parts = f.path.split('/');
    if (
      f.path.startsWith('/') ||
      parts.some((c) => !PATH_COMPONENT.test(c) || c === '.' || c === '..')
    )
      throw new EspImageError(
        'ESP_BAD_PATH',
        `${where}.files[${i}].path: ${JSON.stringify(f.path)} is not a relative path of [A-Za-z0-9._-] components`,
      );
    const key = f.path.toLowerCase(); // FAT names are case-insensitive
    if (seen.has(key))
      throw new EspImageError(
        'ESP_DUPLICATE_PATH',
        `${where}.files[${i}].path: ${f.path} appears twice (FAT names ignore case)`,
      );
    seen.add(key);
  });
}

function fileSize(f: EspFile): number {
  return Buffer.isBuffer(f.data) ? f.data.length : fs.statSync(f.data.file).size;
}

/**
 * The smallest ESP that holds `payloadBytes` of files: the files plus 25 % and 8 MiB for FAT32's
 * tables, directories and per-file cluster slack, and never below FAT32's minimum (40 MiB).
 */
export function espMiBFor(payloadBytes: number): number {
  return Math.max(MIN_ESP_MIB, Math.ceil((payloadBytes * 1.25) / MIB) + 8);
}

export function filesBytes(files: EspFile[]): number {
  return files.reduce((sum, f) => sum + fileSize(f), 0);
}

function partitionMiB(p: EspPartition, where: string): number {
  const payload = filesBytes(p.files);
  const needed = espMiBFor(payload);
  if (p.sizeMiB === undefined) return needed;
  if (p.sizeMiB < needed)
    throw new EspImageError(
      'ESP_TOO_SMALL',
      `${where}.sizeMiB: ${p.sizeMiB} MiB cannot hold FAT32 and ${payload} bytes of files (needs ${needed})`,
    );
  return p.sizeMiB;
}

const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

async function fillFat(image: string, files: EspFile[], scratch: string): Promise<void> {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const sortedDirs = [...dirs].sort(
    (a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b),
  );
  if (sortedDirs.length > 0)
    await run('mmd', ['-i', image, ...sortedDirs.map((d) => `::/${d}`)], { env: mtoolsEnv });
  for (const [i, f] of files.entries()) {
    let src: string;
    if (Buffer.isBuffer(f.data)) {
      src = path.join(scratch, `file-${i}`);
      fs.writeFileSync(src, f.data);
    } else {
      src = f.data.file;
    }
    await run('mcopy', ['-i', image, '-o', src, `::/${f.path}`], { env: mtoolsEnv });
  }
}

const TEMP_MARK = '.d0-tmp-';
const tempName = (final: string) => path.join(path.dirname(final), `.${path.basename(final)}${TEMP_MARK}${process.pid}`);

/** Temps of earlier builds of the same disk whose process is gone (killed mid-build). */
function removeStaleTemps(final: string): void {
  const prefix = `.${path.basename(final)}${TEMP_MARK}`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.dirname(final));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    fs.rmSync(path.join(path.dirname(final), n), { force: true });
  }
}

/** Makes a rename or a new entry in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Builds the disk image at outFile (replaced whole, atomically). Needs sgdisk, mkfs.fat and mtools. */
export async function buildEspDisk(outFile: string, partitions: EspPartition[]): Promise<EspDisk> {
  if (partitions.length === 0)
    throw new EspImageError('ESP_NO_PARTITIONS', 'partitions: at least one ESP is needed');
  partitions.forEach((p, i) => checkPartition(p, `partitions[${i}]`));
  const sizesMiB = partitions.map((p, i) => partitionMiB(p, `partitions[${i}]`));

  const layouts: EspPartitionLayout[] = [];
  let lba = ALIGN_SECTORS;
  sizesMiB.forEach((mib, i) => {
    const sectors = (mib * MIB) / SECTOR;
    layouts.push({ name: partitions[i].name, index: i + 1, firstLba: lba, sectors });
    lba += sectors;
  });
  const sizeBytes = (lba + ALIGN_SECTORS) * SECTOR;

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-esp-'));
  // Built aside in the same directory, flushed, then renamed over outFile: a kill at any moment
  // leaves either no file or the whole disk at outFile (a leftover temp is removed next time).
  const final = outFile;
  removeStaleTemps(final);
  outFile = tempName(final);
  try {
    fs.closeSync(fs.openSync(outFile, 'wx', 0o644));
    fs.truncateSync(outFile, sizeBytes); // sparse
    const sgdiskArgs = ['-o'];
    for (const l of layouts) {
      sgdiskArgs.push(
        '-n',
        `${l.index}:${l.firstLba}:${l.firstLba + l.sectors - 1}`,
        '-t',
        `${l.index}:${ESP_TYPE}`,
        '-c',
        `${l.index}:${l.name}`,
      );
    }
    await run('sgdisk', [...sgdiskArgs, outFile]);

    for (const [i, l] of layouts.entries()) {
      const part = path.join(scratch, `part-${l.index}.img`);
      fs.closeSync(fs.openSync(part, 'w'));
      fs.truncateSync(part, l.sectors * SECTOR);
      await run('mkfs.fat', ['-F', '32', '-n', partitions[i].label, part]);
      await fillFat(part, partitions[i].files, scratch);
      await run('dd', [
        `if=${part}`,
        `of=${outFile}`,
        'bs=1M',
        'oflag=seek_bytes',
        `seek=${l.firstLba * SECTOR}`,
        'conv=notrunc,sparse',
        'status=none',
      ]);
      fs.rmSync(part);
    }
    const fd = fs.openSync(outFile, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(outFile, final);
    fsyncDir(path.dirname(final));
  } catch (err) {
    fs.rmSync(outFile, { force: true }); // never leave a half-written image behind
    throw err;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { path: final, sizeBytes, partitions: layouts };
}
