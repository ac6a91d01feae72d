// EspSlotWriter: puts a Deployment's build onto one host's A/B disk (kernel/docs/ab.md, "Slots,
// updates and rollback"): a disk image file or a block device.
//
// Contract:
// - First deployment (a diskImage path that does not exist): a fresh A/B disk is laid out with the
//   build in slot A and slot B empty (builder/disk/slots.ts; the slot size is derived from the
//   build, with room for a second one of similar size), built aside and renamed into place, under
//   the target's lock (builder/disk/lock.ts) as every slot write is: of two concurrent writers on
//   one disk, one fails at once with DISK_LOCKED naming the other.
// - Every later build goes to the INACTIVE slot through the power-safe A/B writer
//   (builder/disk/writer.ts): the active slot is never written. The active slot comes from D0's NV
//   state when an OVMF VARS file is known (`ovmfVars`, or `<diskImage>.vars.fd` as `d0 run` keeps
//   it), else from `activeUuid` (what D0 logs in slot_choice/commit), else it is the only slot
//   whose build verifies; two verified slots and no hint is refused, never guessed.
// - A build already on a slot (verified) is not written again: the output names that slot.
// - A target that is not an A/B disk D0 made (GPT with exactly two same-size ESPs named ESP_A/ESP_B
//   or, on older disks, by a build UUID; FAT labels D0_A/D0_B) is refused with its path; nothing
//   is written. The GPT is read from its backup copy when the primary is invalid (gpt.ts).
//   A block device is never laid out: it must already hold an A/B disk (`d0 disk build` + dd).
// - Refused before anything is written (by the A/B writer): a build that does not verify with the
//   Deployment's public key (which includes D0's semantic rules, proto/SEMANTICS.md), a
//   security_epoch below the target's floor or, with ovmfVars, over it + 65536.
// Outputs: the slot written (or already holding the build), the build UUID, the SHA-256 of the
// slot's partition bytes, `created` when this resource laid out the disk image (only such a file
// is removed on delete), `slots`, each slot as read (esp-slot-read.ts, which is also what
// `pulumi refresh` reads: drift there makes diff() plan a write), and `nextBoot`, what the host's
// next boot will do (the slot, the build and how: a trial, a commit, a rollback).
import fs from 'node:fs';
import path from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import { D0Error, errorCode } from '../../core/errors';
import { verifySlot } from '../../builder/disk/slot-verify';
import { buildSlotDisk, readSlotTree, treeFiles, type SlotLetter } from '../../builder/disk/slots';
import { lockTarget } from '../../builder/disk/lock';
import { diskStatus } from '../../builder/disk/status';
import { writeSlot } from '../../builder/disk/writer';
import { progressSink, slotProgress, type ProgressSink } from './progress';
import { recordHolder } from '../../builder/site/retention';
import { readTarget } from './esp-slot-read';
import {
  abSlots,
  partitionSha256,
  varsFor,
  where,
  type Inputs,
  type Target,
  type Written,
} from './esp-target';
import { failures, hasUnknown, withoutProvider } from './problems';

export type { Inputs, Target, Written } from './esp-target';

type Problem = { path: string; message: string; code: string };

function targetProblems(t: Target | undefined): Problem[] {
  const given = t ? (['diskImage', 'blockDevice'] as const).filter((k) => t[k] !== undefined) : [];
  if (given.length !== 1)
    return [
      { code: 'INVALID', path: 'target', message: 'give exactly one of diskImage or blockDevice' },
    ];
  const k = given[0];
  const p = t![k]!;
  if (typeof p !== 'string' || !path.isAbsolute(p))
    return [
      {
        code: 'INVALID',
        path: `target.${k}`,
        message: `${JSON.stringify(p)} is not an absolute path`,
      },
    ];
  if (k === 'diskImage') {
    if (!fs.existsSync(path.dirname(p)))
      return [
        {
          code: 'FILE',
          path: 'target.diskImage',
          message: `${path.dirname(p)}: no such directory`,
        },
      ];
    if (fs.existsSync(p) && !fs.statSync(p).isFile())
      return [
        {
          code: 'FILE',
          path: 'target.diskImage',
          message: `${p} exists and is not a regular file`,
        },
      ];
  } else if (!fs.existsSync(p) || !fs.statSync(p).isBlockDevice()) {
    return [{ code: 'FILE', path: 'target.blockDevice', message: `${p} is not a block device` }];
  }
  return [];
}

function hintProblems(news: Inputs): Problem[] {
  const out: Problem[] = [];
  if (
    news.activeUuid !== undefined &&
    !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(
      String(news.activeUuid),
    )
  )
    out.push({
      code: 'INVALID',
      path: 'activeUuid',
      message: `${JSON.stringify(news.activeUuid)} is not a lowercase UUIDv7`,
    });
  if (
    news.ovmfVars !== undefined &&
    (typeof news.ovmfVars !== 'string' || !path.isAbsolute(news.ovmfVars))
  )
    out.push({
      code: 'INVALID',
      path: 'ovmfVars',
      message: `${JSON.stringify(news.ovmfVars)} is not an absolute path`,
    });
  if (news.activeUuid !== undefined && news.ovmfVars !== undefined)
    out.push({
      code: 'INVALID',
      path: 'activeUuid',
      message: 'give activeUuid or ovmfVars, not both',
    });
  return out;
}

export function check(_olds: Inputs, news: Inputs): pulumi.dynamic.CheckResult {
  const known = { ...news, buildUuid: undefined, slotDir: undefined, publicKey: undefined };
  if (hasUnknown(withoutProvider(known))) return { inputs: news };
  return {
    inputs: news,
    failures: failures([...targetProblems(news.target), ...hintProblems(news)]),
  };
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const changed = (['buildUuid', 'publicKey', 'activeUuid', 'ovmfVars'] as const).filter(
    (k) => olds[k] !== news[k],
  );
  // Drift a refresh found (esp-slot-read.ts): the target no longer holds the build written.
  if ((olds as Partial<Written>).writtenUuid !== olds.buildUuid)
    changed.push('writtenUuid' as never);
  const targetChanged = JSON.stringify(olds.target) !== JSON.stringify(news.target);
  if (targetChanged) changed.push('target' as never);
  return { changes: changed.length > 0, replaces: targetChanged ? ['target'] : [] };
}

async function layOutNewImage(inputs: Inputs, image: string, key: Uint8Array): Promise<Written> {
  const tree = readSlotTree(inputs.slotDir);
  const v = await verifySlot(treeFiles(tree), key);
  if (!v.verified)
    throw new D0Error(
      'DISK_BAD_BUILD',
      `${inputs.slotDir}: build ${tree.uuid} refused: ${v.reason}`,
    );
  const tmp = `${image}.tmp-${process.pid}`;
  try {
    await buildSlotDisk(tmp, { a: inputs.slotDir });
    // A new disk is laid out whole before it takes the target's path: slot A's bytes are all
    // written at once, so its progress is one line.
    const size = abSlots(tmp)[0].part.size;
    slotProgress(sinkOf(inputs))('A', size, size);
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, image);
    const dirFd = fs.openSync(path.dirname(image), 'r');
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
    const part = abSlots(image)[0].part;
    return {
      slot: 'A',
      writtenUuid: tree.uuid,
      slotSha256: await partitionSha256(image, part),
      bytes: part.size,
      wrote: true,
      created: true,
    };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export async function writeTarget(inputs: Inputs, created = false): Promise<Written> {
  const tree = readSlotTree(inputs.slotDir);
  if (tree.uuid !== inputs.buildUuid)
    throw new D0Error(
      'SLOT_TREE',
      `${inputs.slotDir} holds build ${tree.uuid}, not the Deployment's build ${inputs.buildUuid}`,
    );
  if (typeof inputs.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(inputs.publicKey))
    throw new D0Error('KEY', "publicKey: not 64 lowercase hex digits (the Deployment's publicKey)");
  const key = Buffer.from(inputs.publicKey, 'hex');
  const target = where(inputs.target);
  if (inputs.target.diskImage && !fs.existsSync(target)) {
    // Laid out under the target's lock, like a slot write: a second writer fails at once.
    const release = lockTarget(target);
    try {
      if (!fs.existsSync(target)) return await layOutNewImage(inputs, target, key);
    } finally {
      release();
    }
  }

  const slots = abSlots(target, inputs.target.blockDevice !== undefined);
  const status = await diskStatus(target, key);
  // What the resource reports: the slot now holding the build, read back from the disk.
  const outcome = async (letter: SlotLetter, uuid: string, wrote: boolean) => {
    const part = slots.find((s) => s.letter === letter)!.part;
    return {
      slot: letter,
      writtenUuid: uuid,
      slotSha256: await partitionSha256(target, part),
      bytes: part.size,
      wrote,
      created,
    };
  };
  const already = status.find((s) => s.uuid === tree.uuid && s.verified);
  if (already) return outcome(already.letter, tree.uuid, false);
  const vars = varsFor(inputs);
  // The A/B writer, with no hint and no verified slot, would pick a slot on its own. Here that
  // would mean a disk whose builds were signed by another key (a key change cannot go through
  // A/B, kernel/docs/ab.md "Limits"): refuse rather than overwrite the host's running build.
  if (!vars && !inputs.activeUuid && status.some((s) => s.uuid) && !status.some((s) => s.verified))
    throw new D0Error(
      'DISK_NO_ACTIVE',
      `${target}: no slot holds a build that verifies with the Deployment's public key (${status.map((s) => `${s.letter}=${s.uuid ?? 'empty'}: ${s.reason ?? 'ok'}`).join(', ')}); nothing was written`,
    );
  const r = await writeSlot({
    target,
    buildDir: inputs.slotDir,
    publicKey: key,
    active: inputs.activeUuid,
    vars,
    onBytes: slotProgress(sinkOf(inputs)),
  });
  return outcome(r.slot, r.uuid, true);
}

/** Progress lines of this writer: `EspSlotWriter host-01: slot B: 24.0 of 40.0 MiB written`. */
function sinkOf(inputs: Inputs): ProgressSink {
  return progressSink(`EspSlotWriter ${inputs.resourceName ?? where(inputs.target)}`);
}

function failed(e: unknown): Error {
  const code = errorCode(e);
  return new Error(`EspSlotWriter: ${code ? `[${code}] ` : ''}${(e as Error).message}`);
}

/** The build's directory learns which disk holds it: it is kept while that disk's slot does. */
function noteHolder(inputs: Inputs): void {
  const target = inputs.target.diskImage ?? inputs.target.blockDevice;
  if (target) recordHolder(path.dirname(inputs.slotDir), target);
}

/** The inputs, what was written, and the slots as read() reads them (so a refresh finds no drift). */
async function outputsOf(inputs: Inputs, w: Written): Promise<Record<string, unknown>> {
  const { slots, nextBoot } = await readTarget(inputs);
  return {
    ...withoutProvider(inputs),
    ...w,
    ...(slots ? { slots } : {}),
    ...(nextBoot ? { nextBoot } : {}),
  };
}

export async function create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
  try {
    const w = await writeTarget(inputs);
    noteHolder(inputs);
    return { id: `slot:${where(inputs.target)}`, outs: await outputsOf(inputs, w) };
  } catch (e) {
    throw failed(e);
  }
}

export async function update(
  _id: string,
  olds: Inputs & Partial<Written>,
  news: Inputs,
): Promise<pulumi.dynamic.UpdateResult> {
  try {
    const w = await writeTarget(news, olds.created === true);
    noteHolder(news);
    return { outs: await outputsOf(news, w) };
  } catch (e) {
    throw failed(e);
  }
}

/**
 * The disk image this resource laid out is removed, with the NV state `d0 run` keeps beside it
 * (`<image>.vars.fd`): a new disk at the same path must not boot against the old disk's last good
 * build and epoch floor. Any other target is left as it is.
 */
export function remove(_id: string, olds: Inputs & Partial<Written>): void {
  if (olds.target?.diskImage && olds.created === true) {
    fs.rmSync(olds.target.diskImage, { force: true });
    fs.rmSync(`${olds.target.diskImage}.vars.fd`, { force: true });
  }
}
