// EspSlotWriter: puts a build's slot tree onto a target, a disk image file or a block device.
//
// Today the target gets a whole GPT disk with ONE EFI System Partition holding the slot
// (builder/disk/esp.ts), written to a temporary file and renamed (image) or copied and flushed
// (device). The A/B writer replaces `writeTarget` only: it will write the inactive ESP of a
// two-ESP disk and leave the active one alone; the resource's inputs and outputs stay the same.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type * as pulumi from '@pulumi/pulumi';
import { slotFiles } from '../../builder/build/slot-files';
import { buildEspDisk } from '../../builder/disk/esp';
import { uuidOfManifestName } from '../../core/naming';
import { failures, hasUnknown, withoutProvider } from './problems';

const run = promisify(execFile);

export interface Target {
  /** A disk image file to (re)write. Its directory must exist. */
  diskImage?: string;
  /** A block device (e.g. /dev/disk/by-id/...), overwritten from its first byte. */
  blockDevice?: string;
}

interface Inputs extends Record<string, unknown> {
  buildUuid: string;
  slotDir: string;
  target: Target;
}

function targetProblems(t: Target | undefined): { path: string; message: string; code: string }[] {
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

export function check(_olds: Inputs, news: Inputs): pulumi.dynamic.CheckResult {
  if (hasUnknown(withoutProvider({ ...news, buildUuid: undefined, slotDir: undefined })))
    return { inputs: news };
  return { inputs: news, failures: failures(targetProblems(news.target)) };
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const changed: string[] = [];
  if (olds.buildUuid !== news.buildUuid) changed.push('buildUuid');
  const targetChanged = JSON.stringify(olds.target) !== JSON.stringify(news.target);
  if (targetChanged) changed.push('target');
  return { changes: changed.length > 0, replaces: targetChanged ? ['target'] : [] };
}

async function writeTarget(inputs: Inputs): Promise<{ bytes: number; sha256?: string }> {
  const files = slotFiles(inputs.slotDir);
  const uuids = files.map((f) => uuidOfManifestName(f)).filter((u) => u !== undefined);
  if (!uuids.every((u) => u === inputs.buildUuid) || uuids.length !== 2)
    throw new Error(
      `EspSlotWriter: ${inputs.slotDir} does not hold exactly the manifest and signature of build ${inputs.buildUuid}`,
    );
  const partition = {
    name: 'ESP_A',
    label: 'D0_A',
    files: files.map((f) => ({ path: f, data: { file: path.join(inputs.slotDir, f) } })),
  };
  const t = inputs.target;
  const image = t.diskImage ?? path.join(path.dirname(inputs.slotDir), 'disk.img');
  const tmp = `${image}.tmp-${process.pid}`;
  try {
    const disk = await buildEspDisk(tmp, [partition]);
    if (t.diskImage) {
      fs.renameSync(tmp, t.diskImage);
      return { bytes: disk.sizeBytes, sha256: await fileSha256(t.diskImage) };
    }
    await run('dd', [
      `if=${tmp}`,
      `of=${t.blockDevice}`,
      'bs=4M',
      'conv=fsync,notrunc',
      'status=none',
    ]);
    return { bytes: disk.sizeBytes };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

export async function create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
  const w = await writeTarget(inputs);
  const where = inputs.target.diskImage ?? inputs.target.blockDevice!;
  return {
    id: `slot:${where}`,
    outs: { ...withoutProvider(inputs), writtenUuid: inputs.buildUuid, ...w },
  };
}

export async function update(
  _id: string,
  _olds: Inputs,
  news: Inputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const w = await writeTarget(news);
  return { outs: { ...withoutProvider(news), writtenUuid: news.buildUuid, ...w } };
}

/** A disk image the writer made is removed; a block device is left as it is. */
export function remove(_id: string, olds: Inputs): void {
  if (olds.target?.diskImage) fs.rmSync(olds.target.diskImage, { force: true });
}
