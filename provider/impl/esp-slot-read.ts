// EspSlotWriter.read (`pulumi refresh`): what the target holds now, so that drift shows in the
// refresh and the next `up` repairs it.
//
// Contract:
// - `slots`: each slot's build as D0 would see it, `{ uuid?, verified, reason?, role? }`
//   (builder/disk/status.ts: `reason` as D0 logs it, e.g. `no_manifest`, `digest_mismatch ...`;
//   `role` active / trial / bad from D0's NV state when a VARS file is known, or `active` for the
//   slot holding `activeUuid`). create() and update() output the same, so a refresh right after
//   an `up` changes nothing.
// - When a slot still holds the Deployment's build, verified with its key: `writtenUuid`, `slot`,
//   `slotSha256` (recomputed) and `bytes` say where. Otherwise they are dropped: nothing written.
//   diff() then sees `writtenUuid` differ from `buildUuid` and plans an update, which writes the
//   build again (a missing disk image is laid out anew; see esp-slot-writer.ts for what is refused).
// - `nextBoot`: `{ slot?, uuid?, path }`, what the next boot will do (predictBoot on the slots and
//   the NV state above; with no NV state known, a first boot: the newest verified build first).
// - A target that is missing or no A/B disk D0 made reads as nothing written, with no `slots` and
//   `targetProblem` saying why.
// - Reading never writes and never throws for the target's state: refresh reports, `up` refuses.
//   The id stays: the resource is the stack's binding of a build to a target, not the disk.
import fs from 'node:fs';
import type * as pulumi from '@pulumi/pulumi';
import { readAbState, type D0AbState } from '../../builder/disk/ovmf-vars';
import type { SlotLetter } from '../../builder/disk/slots';
import { diskStatus, predictBoot, type SlotStatus } from '../../builder/disk/status';
import { abSlots, partitionSha256, varsFor, where, type Inputs, type Written } from './esp-target';
import { withoutProvider } from './problems';

/** One slot as read: the build it names, whether D0 would run it, and its role on the host. */
export interface SlotReading {
  /** The build the slot's one manifest names; absent for an empty slot. */
  uuid?: string;
  /** D0 would run it: signature, manifest and every file's size and digest check out. */
  verified: boolean;
  /** Why not, as D0 logs it: `no_manifest`, `bad_signature`, `digest_mismatch path=…`. */
  reason?: string;
  /** From D0's NV state (the VARS file), or `active` for the slot holding `activeUuid`. */
  role?: 'active' | 'trial' | 'bad';
}

/**
 * What the host's next boot of the target will do, by the model of D0's slot choice (predictBoot,
 * builder/disk/status.ts). Without a known NV state (no VARS file, no `activeUuid`) it is the
 * first boot of a host that never booted the disk: the newest verified build runs first.
 */
export interface NextBoot {
  /** The slot D0 ends up running; absent when no slot would boot. */
  slot?: 'A' | 'B';
  /** The build in that slot. */
  uuid?: string;
  /** How: `trial, commit`, `no candidate`, `first boot: trial, commit`, `trial, rollback (why)`, … */
  path: string;
}

export interface TargetReading {
  /** Each slot of the disk; absent when the target is missing or not an A/B disk D0 made. */
  slots?: Partial<Record<SlotLetter, SlotReading>>;
  /** Why there are no slots to read. */
  targetProblem?: string;
  /** What the next boot will do; absent with `slots`. */
  nextBoot?: NextBoot;
  /** The slot holding `buildUuid`, verified with `publicKey`. */
  holding?: { letter: SlotLetter; offset: number; size: number };
}

/** D0's NV state for roles: `activeUuid` names the committed build, else the VARS file if readable. */
function nvState(props: Inputs): D0AbState | undefined {
  if (props.activeUuid) return { lastGood: props.activeUuid, triesLeft: 0, epoch: 0n };
  try {
    const vars = varsFor(props);
    return vars ? readAbState(vars) : undefined;
  } catch {
    return undefined; // missing or unreadable: no roles (an `up` refuses it, naming the file)
  }
}

function reading(s: SlotStatus): SlotReading {
  const out: SlotReading = { verified: s.verified };
  if (s.uuid) out.uuid = s.uuid;
  if (s.reason) out.reason = s.reason;
  if (s.role) out.role = s.role;
  return out;
}

export async function readTarget(props: Inputs): Promise<TargetReading> {
  const target = where(props.target);
  if (!fs.existsSync(target)) return { targetProblem: `${target}: no such file or device` };
  let parts: ReturnType<typeof abSlots>;
  try {
    parts = abSlots(target, props.target.blockDevice !== undefined);
  } catch (e) {
    return { targetProblem: (e as Error).message.replace(/; nothing was written.*$/s, '') };
  }
  const key = Buffer.from(String(props.publicKey), 'hex');
  const state = nvState(props);
  const status = await diskStatus(target, key, state);
  const slots = Object.fromEntries(status.map((s) => [s.letter, reading(s)]));
  const p = predictBoot(status, state);
  const nextBoot: NextBoot = { path: p.path };
  if (p.slot) nextBoot.slot = p.slot;
  if (p.uuid) nextBoot.uuid = p.uuid;
  const held = status.find((s) => s.uuid === props.buildUuid && s.verified);
  const part = held && parts.find((p) => p.letter === held.letter)!.part;
  return {
    slots,
    nextBoot,
    holding: held && part && { letter: held.letter, offset: part.offset, size: part.size },
  };
}

type Outs = Inputs & Partial<Written> & TargetReading & Record<string, unknown>;

const READ_FIELDS = [
  'writtenUuid',
  'slot',
  'slotSha256',
  'bytes',
  'slots',
  'nextBoot',
  'targetProblem',
];

export async function read(id: string, props: Outs): Promise<pulumi.dynamic.ReadResult> {
  const base: Record<string, unknown> = { ...withoutProvider(props) };
  for (const k of READ_FIELDS) delete base[k];
  const r = await readTarget(props);
  // Absent fields are left out, not set to undefined: the engine's struct encoding refuses those.
  if (r.slots) base.slots = r.slots;
  if (r.nextBoot) base.nextBoot = r.nextBoot;
  if (r.targetProblem) base.targetProblem = r.targetProblem;
  if (r.holding) {
    base.writtenUuid = props.buildUuid;
    base.slot = r.holding.letter;
    base.slotSha256 = await partitionSha256(where(props.target), r.holding);
    base.bytes = r.holding.size;
  }
  return { id, props: base };
}
