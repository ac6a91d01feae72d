// The target of an EspSlotWriter as the writer and its read() see it: the resource's inputs and
// outputs, the A/B disk's two slot partitions (or a DISK_NOT_AB error naming the target), a slot's
// digest, and the VARS file holding D0's NV state.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { D0Error } from '../../core/errors';
import { fatLabel } from '../../builder/disk/fat';
import { readGpt, ESP_TYPE_GUID, type GptPartition } from '../../builder/disk/gpt';
import { SLOT_LETTERS, type SlotLetter } from '../../builder/disk/slots';

export interface Target {
  /** A disk image file; laid out as an A/B disk when it does not exist. Its directory must exist. */
  diskImage?: string;
  /** A block device already holding a D0 A/B disk (e.g. /dev/disk/by-id/...). */
  blockDevice?: string;
}

export interface Inputs extends Record<string, unknown> {
  buildUuid: string;
  slotDir: string;
  /** The Deployment's public key (64 hex digits): the key D0 on the target was built with. */
  publicKey: string;
  target: Target;
  /** UUID of the build D0 on the host has committed (its last good build). */
  activeUuid?: string;
  /** OVMF VARS file holding D0's NV state (the dev loop). */
  ovmfVars?: string;
  /** The resource's name: its progress lines say `EspSlotWriter <name>: ...`. */
  resourceName?: string;
}

export interface Written {
  slot: SlotLetter;
  writtenUuid: string;
  /** SHA-256 of the slot partition's bytes after the write. */
  slotSha256: string;
  /** Size of the slot partition. */
  bytes: number;
  /** False when the build was already on that slot and nothing was written. */
  wrote: boolean;
  /** True when this resource laid out the disk image file. */
  created: boolean;
}

export const where = (t: Target) => (t.diskImage ?? t.blockDevice)!;

/**
 * The two slot partitions of an A/B disk D0 made, or a DISK_NOT_AB error naming the target.
 * Identity lives inside each slot (FAT32 labelled D0_<letter>): slot writes never touch the GPT,
 * and every sector the writer writes keeps that boot sector whole (old or new, both labelled).
 * GPT names are checked only for the forms D0 ever wrote (ESP_<letter>, or a build UUID on disks
 * laid out before names stopped following the build).
 */
export function abSlots(
  target: string,
  device = false,
): { letter: SlotLetter; part: GptPartition }[] {
  const notAb = (why: string) =>
    new D0Error(
      'DISK_NOT_AB',
      `${target}: not an A/B disk made by D0 (${why}); nothing was written` +
        (device
          ? '. The writer does not lay out block devices: copy a `d0 disk build` image onto it once'
          : ''),
    );
  let parts: GptPartition[];
  try {
    parts = readGpt(target);
  } catch (e) {
    throw notAb((e as Error).message.replace(`${target}: `, ''));
  }
  if (parts.length !== 2) throw notAb(`${parts.length} partitions, an A/B disk has 2`);
  return SLOT_LETTERS.map((letter, i) => {
    const part = parts.find((p) => p.index === i + 1);
    if (!part || part.typeGuid !== ESP_TYPE_GUID)
      throw notAb(`partition ${i + 1} (slot ${letter}) is not an EFI System Partition`);
    if (part.size !== parts[0].size) throw notAb('the two slots differ in size');
    const uuidNamed = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(
      part.name,
    );
    if (!uuidNamed && part.name !== `ESP_${letter}`)
      throw notAb(
        `partition ${i + 1} is named ${JSON.stringify(part.name)}, not ESP_${letter} or a build UUID`,
      );
    if (fatLabel(target, part.offset) !== `D0_${letter}`)
      throw notAb(`slot ${letter} is not a FAT32 file system labelled D0_${letter}`);
    return { letter, part };
  });
}

/** SHA-256 of a slot partition's bytes. */
export async function partitionSha256(
  target: string,
  part: Pick<GptPartition, 'offset' | 'size'>,
): Promise<string> {
  const h = createHash('sha256');
  const stream = fs.createReadStream(target, {
    start: part.offset,
    end: part.offset + part.size - 1,
  });
  for await (const c of stream) h.update(c as Buffer);
  return h.digest('hex');
}

/** The VARS file to read D0's NV state from: the one given, else `<diskImage>.vars.fd` if present. */
export function varsFor(inputs: Inputs): string | undefined {
  if (inputs.activeUuid) return undefined;
  if (inputs.ovmfVars) {
    if (!fs.existsSync(inputs.ovmfVars))
      throw new D0Error('DISK_VARS', `${inputs.ovmfVars}: no such OVMF VARS file (ovmfVars)`);
    return inputs.ovmfVars;
  }
  const beside = inputs.target.diskImage && `${inputs.target.diskImage}.vars.fd`;
  return beside && fs.existsSync(beside) ? beside : undefined;
}
