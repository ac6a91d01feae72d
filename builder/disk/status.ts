// What is on an A/B disk, offline: each slot's build and verdict, and (given D0's NV state) which
// slot is active, on trial or bad. predictBoot() is a model of kernel/boot/efi/ab/ab.c's choice,
// used by the writer's power-cut test to check every interrupted write for "D0 would boot a
// verified build"; QEMU checks the real D0 on a sample of the same points.
import { fatLabel } from './fat';
import { slotPartitions, partitionFiles, type SlotLetter } from './slots';
import { verifySlot, type SlotVerdict } from './slot-verify';
import type { D0AbState } from './ovmf-vars';

export interface SlotStatus extends SlotVerdict {
  letter: SlotLetter;
  /**
   * The FAT volume label in the slot's boot sector (D0_A / D0_B), undefined when the partition
   * holds no FAT32 file system. With the manifest's name, the slot's identity: the writer never
   * renames GPT partitions, so the GPT name says nothing about the build.
   */
  label?: string;
  offset: number;
  size: number;
  /** active = the committed build; trial = on trial; bad = refused or rolled back. */
  role?: 'active' | 'trial' | 'bad';
}

export async function diskStatus(
  target: string,
  publicKey: Uint8Array,
  state?: D0AbState,
): Promise<SlotStatus[]> {
  const out: SlotStatus[] = [];
  for (const { letter, part } of slotPartitions(target)) {
    const v = await verifySlot(partitionFiles(target, part), publicKey);
    const role =
      v.uuid && state
        ? v.uuid === state.lastGood
          ? 'active'
          : v.uuid === state.trial
            ? 'trial'
            : v.uuid === state.bad
              ? 'bad'
              : undefined
        : undefined;
    out.push({
      ...v,
      letter,
      label: fatLabel(target, part.offset),
      offset: part.offset,
      size: part.size,
      role,
    });
  }
  return out;
}

export interface BootPrediction {
  /** The slot D0 ends up running, or undefined when no slot would boot. */
  slot?: SlotLetter;
  uuid?: string;
  verified: boolean;
  path: string;
}

/** The other slot's build D0 would try from `from`: newer than `than`, not bad; else undefined. */
function candidateFor(slots: SlotStatus[], from: SlotStatus, than: string, state: D0AbState) {
  const other = slots.find((s) => s !== from);
  return other?.uuid && other.uuid > than && other.uuid !== state.bad ? other : undefined;
}

/**
 * From `from` (the slot the firmware boots), a candidate is tried when it passes the precheck
 * (signature, TLV, epoch); it stays if it fully verifies, else D0 rolls back to `from`.
 */
function fromSlot(
  from: SlotStatus,
  candidate: SlotStatus | undefined,
  state: D0AbState,
  first: boolean,
): BootPrediction {
  const prefix = first ? 'first boot: ' : '';
  if (candidate && candidate.signed && candidate.epoch! >= state.epoch && candidate.verified)
    return {
      slot: candidate.letter,
      uuid: candidate.uuid,
      verified: true,
      path: `${prefix}trial, commit`,
    };
  const path = candidate
    ? candidate.signed && candidate.epoch! >= state.epoch
      ? `trial, rollback (${candidate.reason})`
      : `candidate refused (${candidate.reason ?? 'epoch_below'})`
    : 'no candidate';
  return {
    slot: from.letter,
    uuid: from.uuid,
    verified: from.verified,
    path: first ? `${prefix}${path}, ${from.verified ? 'commit' : 'boot fails'}` : path,
  };
}

/**
 * The model of D0's choice after a write. With a committed build (`state.lastGood`), the firmware
 * boots the last good slot's entry: a newer, not-bad build on the other slot that passes the
 * precheck (signature, TLV, epoch) is tried; it stays if it fully verifies, else D0 rolls back to
 * the last good slot. When the last good build itself does not verify, the firmware's next D0
 * entry, the other slot, runs as the fallback if its build verifies and is not bad. With nothing
 * committed (a disk never booted: `state` absent or without
 * `lastGood`), the firmware boots slot A and D0 applies the first-boot rule: a newer build on
 * the other slot is tried first with slot A as the fallback, which commits itself when the trial
 * fails (kernel/boot/efi/ab/ab.c, ab_select).
 */
export function predictBoot(slots: SlotStatus[], state?: D0AbState): BootPrediction {
  const st = state ?? { triesLeft: 0, epoch: 0n };
  if (!st.lastGood) {
    const a = slots.find((s) => s.letter === 'A');
    if (!a?.uuid) return { verified: false, path: 'first boot: slot A holds no build' };
    return fromSlot(a, candidateFor(slots, a, a.uuid, st), st, true);
  }
  const lg = slots.find((s) => s.uuid && s.uuid === st.lastGood);
  if (!lg) return { verified: false, path: 'last good build on no slot' };
  const p = fromSlot(lg, candidateFor(slots, lg, lg.uuid!, st), st, false);
  if (p.verified || p.slot !== lg.letter) return p;
  // The last good build itself fails: its D0 returns to the firmware, which boots the next D0
  // entry in BootOrder, the other slot (kernel/boot/efi/ab/bootvars.h): a fallback boot, unless
  // that build is marked bad (D0 refuses it: ev=boot_failed reason=slot_marked_bad).
  const other = slots.find((s) => s !== lg);
  if (other?.uuid && other.verified && other.uuid !== st.bad)
    return {
      slot: other.letter,
      uuid: other.uuid,
      verified: true,
      path: `${p.path}, last good build fails (${lg.reason}): fallback`,
    };
  return { ...p, path: `${p.path}, last good build fails (${lg.reason}), no fallback` };
}
