// The A/B disk layout: one GPT disk, two FAT32 ESPs of the same size.
//
//   partition 1 = slot A (FAT label D0_A), partition 2 = slot B (FAT label D0_B)
//   GPT partition name = ESP_A / ESP_B, written once when the disk is laid out and never again
//   (disks laid out before this rule may carry a build UUID there: it is not read). A slot's
//   build is identified by its one manifest-<uuid>.tlv, as D0 identifies it.
//   ESP contents = the build directory ("slot tree") verbatim:
//     EFI/BOOT/BOOTX64.EFI, EFI/BOOT/BOOTX64-<uuid>.EFI, manifest-<uuid>.tlv/.sig,
//     VM/<name>-<uuid>.img, VM/vmlinuz-<uuid>
//
// Slot size (both slots are the same size, fixed when the disk is laid out): unless given, it is
// derived from the build(s) the disk is laid out with, so that a later build of similar size
// still fits into the other slot without a new disk:
//   B = the bytes of the largest slot tree's files
//   slot MiB = espMiBFor(2 * B) (room for FAT32 and two builds of size B), rounded up to a
//              multiple of 64 MiB; espMiBFor (esp.ts) = B * 1.25 + 8 MiB, at least 40 MiB
// e.g. a 20 MiB build gets 64 MiB slots, a 150 MiB one (32 containers) 384 MiB.
// A size that is given wins, but must hold the largest build (espMiBFor(B)); a build that does
// not fit is refused with SlotSizeError (DISK_SLOT_TOO_SMALL) naming the MiB it needs, before
// anything is written (here and in the A/B writer).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { bootloaderName, FALLBACK_BOOTLOADER } from '../../core/naming';
import { buildEspDisk, espMiBFor, type EspDisk, type EspFile } from './esp';
import { readGpt, type GptPartition } from './gpt';
import { listFat, readFat } from './fat';
import type { SlotFiles } from './slot-verify';
import { checkSecureBootSigner, signedEspFiles, type SecureBootSigner } from './secure-boot';

export type SlotLetter = 'A' | 'B';
export const SLOT_LETTERS: readonly SlotLetter[] = ['A', 'B'];
/** Derived slot sizes are rounded up to a multiple of this. */
export const SLOT_ROUND_MIB = 64;

/** A slot size that cannot hold a build: `neededMiB` is the least that would. */
export class SlotSizeError extends D0Error {
  constructor(
    readonly sizeMiB: number,
    readonly neededMiB: number,
    message: string,
  ) {
    super('DISK_SLOT_TOO_SMALL', message);
    this.name = 'SlotSizeError';
  }
}

/** The slot size derived from the largest build's bytes (the rule at the top of this file). */
export function slotMiBFor(buildBytes: number): number {
  return Math.ceil(espMiBFor(2 * buildBytes) / SLOT_ROUND_MIB) * SLOT_ROUND_MIB;
}

export interface SlotTree {
  dir: string;
  uuid: string;
  /** Every file, '/'-separated relative paths, sorted. */
  paths: string[];
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
    else throw new D0Error('SLOT_TREE', `${path.join(dir, r)}: not a regular file or directory`);
  }
  return out;
}

/** Reads a build directory: exactly one manifest pair and D0 under both of its names. */
export function readSlotTree(dir: string): SlotTree {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new D0Error('SLOT_TREE', `${dir}: not a directory`);
  const paths = walk(dir).sort();
  const manifests = paths.filter((p) => /^manifest-[0-9a-f-]{36}\.tlv$/.test(p));
  if (manifests.length !== 1)
    throw new D0Error(
      'SLOT_TREE',
      `${dir}: needs exactly one manifest-<uuid>.tlv at its root, found ${manifests.length}`,
    );
  const uuid = manifests[0].slice(9, 45);
  for (const need of [`manifest-${uuid}.sig`, FALLBACK_BOOTLOADER, bootloaderName(uuid)])
    if (!paths.includes(need)) throw new D0Error('SLOT_TREE', `${dir}: ${need} is missing`);
  return { dir, uuid, paths };
}

export function treeFiles(tree: SlotTree): SlotFiles {
  return {
    list: async () => tree.paths,
    read: async (p) => {
      const f = path.join(tree.dir, p);
      return tree.paths.includes(p) ? fs.readFileSync(f) : undefined;
    },
  };
}

/** The bytes of a slot tree's files. */
export function treeBytes(tree: SlotTree): number {
  return tree.paths.reduce((sum, p) => sum + fs.statSync(path.join(tree.dir, p)).size, 0);
}

/**
 * Refuses a slot of `sizeMiB` that cannot hold `tree` (SlotSizeError). `where` names the size's
 * origin in the message, e.g. "slot size" or "<disk>: slot B".
 */
export function checkSlotFits(tree: SlotTree, sizeMiB: number, where: string, hint: string): void {
  const bytes = treeBytes(tree);
  const needed = espMiBFor(bytes);
  if (sizeMiB < needed)
    throw new SlotSizeError(
      sizeMiB,
      needed,
      `${where}: ${sizeMiB} MiB cannot hold build ${tree.uuid} (${tree.dir}: ${bytes} bytes of files), which needs at least ${needed} MiB; ${hint}`,
    );
}

export function espFilesOf(tree: SlotTree): EspFile[] {
  return tree.paths.map((p) => ({ path: p, data: { file: path.join(tree.dir, p) } }));
}

export interface SlotDiskOptions {
  a?: string;
  b?: string;
  /** Size of each ESP; by default derived from the builds (slotMiBFor), else checked against them. */
  sizeMiB?: number;
  /** Sign D0 in each slot with the operator's Secure Boot db key (the build directories stay as they are). */
  secureBoot?: SecureBootSigner;
}

/** A fresh A/B disk image; a slot without a build directory is an empty FAT32 ESP. */
export async function buildSlotDisk(out: string, opts: SlotDiskOptions): Promise<EspDisk> {
  if (!opts.a && !opts.b)
    throw new D0Error('DISK_NO_SLOT', 'at least one of slot A or slot B needs a build directory');
  const trees = {
    A: opts.a ? readSlotTree(opts.a) : undefined,
    B: opts.b ? readSlotTree(opts.b) : undefined,
  };
  if (trees.A && trees.B && trees.A.uuid === trees.B.uuid)
    throw new D0Error('DISK_SAME_BUILD', `slots A and B both hold build ${trees.A.uuid}`);
  const given = [trees.A, trees.B].filter((t): t is SlotTree => t !== undefined);
  const derived = slotMiBFor(Math.max(...given.map(treeBytes)));
  if (opts.sizeMiB !== undefined)
    for (const t of given)
      checkSlotFits(
        t,
        opts.sizeMiB,
        'slot size',
        `leave the size out to derive it from the build (${derived} MiB)`,
      );
  const sizeMiB = opts.sizeMiB ?? derived;
  const sb = opts.secureBoot;
  if (sb) await checkSecureBootSigner(sb);
  const scratch = sb ? fs.mkdtempSync(path.join(os.tmpdir(), 'd0-sb-')) : undefined;
  try {
    const filesOf = async (t: SlotTree | undefined): Promise<EspFile[]> => {
      if (!t) return [];
      return sb ? signedEspFiles(espFilesOf(t), t.uuid, sb, scratch!) : espFilesOf(t);
    };
    const files = { A: await filesOf(trees.A), B: await filesOf(trees.B) };
    return await buildEspDisk(
      out,
      SLOT_LETTERS.map((l) => ({ name: `ESP_${l}`, label: `D0_${l}`, files: files[l], sizeMiB })),
    );
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export interface DiskSlot {
  letter: SlotLetter;
  part: GptPartition;
}

/** The two slot partitions of an A/B disk (partitions 1 and 2, both ESPs). */
export function slotPartitions(target: string): DiskSlot[] {
  const parts = readGpt(target);
  return SLOT_LETTERS.map((letter, i) => {
    const part = parts.find((p) => p.index === i + 1);
    if (!part || part.typeGuid !== 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b')
      throw new D0Error(
        'DISK_LAYOUT',
        `${target}: partition ${i + 1} (slot ${letter}) is not an EFI System Partition`,
      );
    return { letter, part };
  });
}

export function partitionFiles(target: string, part: GptPartition): SlotFiles {
  return {
    list: () => listFat(target, part.offset),
    read: (p) => readFat(target, part.offset, p),
  };
}
