// `d0 disk`: A/B disk images. build lays out a fresh GPT disk with two ESP slots (sized from the
// builds unless --size-mib, builder/disk/slots.ts); write puts a build into the inactive slot of
// an image or block device (power-safe, builder/disk/writer.ts); status shows which slot holds
// which build and which is active, on trial or bad. tree, build and write take --sb-key KEY.pem
// --sb-cert CERT.pem: D0 is signed with the operator's Secure Boot db key on its way
// (builder/disk/secure-boot.ts; docs/secure-boot.md).
import * as fs from 'node:fs';
import { hostMemory } from '../../core/host-memory';
import { D0Error } from '../../core/errors';
import { parsePublicKeyFile } from '../../core/sign';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { describeLastBoot, readLastBoot } from '../../builder/disk/last-boot';
import { EspImageError } from '../../builder/disk/esp';
import { buildSlotDisk, readSlotTree, SlotSizeError, treeFiles } from '../../builder/disk/slots';
import { verifySlot } from '../../builder/disk/slot-verify';
import { readGptTable } from '../../builder/disk/gpt';
import { diskStatus, predictBoot } from '../../builder/disk/status';
import { writeSlot } from '../../builder/disk/writer';
import { assembleSlotTree } from '../../builder/disk/tree';
import type { SecureBootSigner } from '../../builder/disk/secure-boot';
import {
  badInput,
  CliError,
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  parseFlags,
  readFileOrFail,
  type Command,
  type Io,
} from '../io';

const USAGE = {
  tree: 'disk tree MANIFEST.tlv --artifacts DIR --pub KEY.pub --out BUILD_DIR [--kernel-mode auto|docker|host] [--sb-key KEY.pem --sb-cert CERT.pem]',
  build:
    'disk build --slot-a BUILD_DIR [--slot-b BUILD_DIR] --out DISK [--size-mib N] [--pub KEY.pub] [--sb-key KEY.pem --sb-cert CERT.pem]',
  write:
    'disk write [--slot auto|A|B] TARGET BUILD_DIR --pub KEY.pub [--vars VARS.fd | --active UUID] [--sb-key KEY.pem --sb-cert CERT.pem]',
  status: 'disk status TARGET --pub KEY.pub [--vars VARS.fd] [--json]',
};

function publicKey(file: string | undefined, usage: string): Uint8Array {
  if (!file)
    throw badInput(
      '--pub KEY.pub is required (the key D0 on the target was built with)',
      `usage: d0 ${usage}`,
    );
  return parsePublicKeyFile(readFileOrFail(file, 'the public key').toString('utf8'), file);
}

/** The Secure Boot flags: both or neither (the files are checked by the builder before any write). */
const SB_FLAGS = { 'sb-key': { type: 'string' }, 'sb-cert': { type: 'string' } } as const;

function secureBoot(v: { 'sb-key'?: string; 'sb-cert'?: string }): SecureBootSigner | undefined {
  const key = v['sb-key'];
  const cert = v['sb-cert'];
  if (key === undefined && cert === undefined) return undefined;
  if (!key || !cert)
    throw badInput('--sb-key and --sb-cert: give both (the Secure Boot db key and its certificate)');
  return { key, cert };
}

/** The VARS file: the one given, else TARGET.vars.fd when it exists (what `d0 run` keeps). */
function varsFile(target: string, given: string | undefined): string | undefined {
  if (given) {
    if (!fs.existsSync(given)) throw badInput(`${given}: no such VARS file`);
    return given;
  }
  return fs.existsSync(`${target}.vars.fd`) ? `${target}.vars.fd` : undefined;
}

async function tree(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      artifacts: { type: 'string' },
      pub: { type: 'string' },
      out: { type: 'string' },
      'kernel-mode': { type: 'string' },
      ...SB_FLAGS,
    },
    USAGE.tree,
  );
  if (positionals.length !== 1 || !values.artifacts || !values.out)
    throw badInput(`usage: d0 ${USAGE.tree}`);
  const mode = values['kernel-mode'] ?? 'auto';
  if (mode !== 'auto' && mode !== 'docker' && mode !== 'host')
    throw badInput(`--kernel-mode: ${JSON.stringify(mode)} is not auto, docker or host`);
  if (!fs.existsSync(positionals[0])) throw badInput(`${positionals[0]}: no such manifest`);
  const r = await assembleSlotTree({
    manifest: positionals[0],
    artifacts: values.artifacts,
    publicKey: publicKey(values.pub, USAGE.tree),
    out: values.out,
    kernelMode: mode,
    secureBoot: secureBoot(values),
  });
  io.out(`wrote build directory ${r.dir} (build ${r.uuid})`);
  return 0;
}

async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      'slot-a': { type: 'string' },
      'slot-b': { type: 'string' },
      out: { type: 'string' },
      'size-mib': { type: 'string' },
      pub: { type: 'string' },
      ...SB_FLAGS,
    },
    USAGE.build,
  );
  if (positionals.length > 0 || !values.out || !values['slot-a'])
    throw badInput(`usage: d0 ${USAGE.build}`);
  const size = values['size-mib'] === undefined ? undefined : Number(values['size-mib']);
  if (size !== undefined && !(Number.isInteger(size) && size >= 40 && size <= 65536))
    throw badInput(`--size-mib: ${values['size-mib']} is not a whole number of MiB in 40..65536`);
  if (fs.existsSync(values.out))
    throw badInput(`${values.out}: already exists; refusing to overwrite a disk`);
  const sb = secureBoot(values);
  const dirs = [values['slot-a'], values['slot-b']].filter((d): d is string => !!d);
  if (values.pub) {
    const key = publicKey(values.pub, USAGE.build);
    for (const d of dirs) {
      const v = await verifySlot(treeFiles(readSlotTree(d)), key);
      if (!v.verified) throw new CliError(EXIT_FAILED, [`${d}: build refused: ${v.reason}`]);
    }
  }
  const disk = await buildSlotDisk(values.out, {
    a: values['slot-a'],
    b: values['slot-b'],
    sizeMiB: size,
    secureBoot: sb,
  });
  const held = [values['slot-a'], values['slot-b']].map((d) => (d ? readSlotTree(d).uuid : 'empty'));
  io.out(
    `wrote ${values.out} (${disk.sizeBytes} bytes, ${(disk.partitions[0].sectors * 512) / 2 ** 20} MiB per slot): ${held.map((u, i) => `slot ${'AB'[i]}=${u}`).join(' ')}`,
  );
  return 0;
}

async function write(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      slot: { type: 'string' },
      pub: { type: 'string' },
      vars: { type: 'string' },
      active: { type: 'string' },
      ...SB_FLAGS,
    },
    USAGE.write,
  );
  if (positionals.length !== 2) throw badInput(`usage: d0 ${USAGE.write}`);
  const slot = values.slot ?? 'auto';
  if (slot !== 'auto' && slot !== 'A' && slot !== 'B')
    throw badInput(`--slot: ${JSON.stringify(slot)} is not auto, A or B`);
  if (values.vars && values.active) throw badInput('--vars and --active: give one, not both');
  const [target, buildDir] = positionals;
  if (!fs.existsSync(target)) throw badInput(`${target}: no such disk image or device`);
  const r = await writeSlot({
    target,
    buildDir,
    publicKey: publicKey(values.pub, USAGE.write),
    slot,
    active: values.active,
    vars: values.active ? undefined : varsFile(target, values.vars),
    secureBoot: secureBoot(values),
  });
  io.out(
    `wrote build ${r.uuid} to slot ${r.slot} (${r.bytes} bytes)${r.active ? `; active slot ${r.active.slot} (${r.active.uuid}) untouched` : ''}`,
  );
  return 0;
}

async function status(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { pub: { type: 'string' }, vars: { type: 'string' }, json: { type: 'boolean' } },
    USAGE.status,
  );
  if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE.status}`);
  const [target] = positionals;
  if (!fs.existsSync(target)) throw badInput(`${target}: no such disk image or device`);
  const vars = varsFile(target, values.vars);
  const state = vars ? readAbState(vars) : undefined;
  const story = vars ? readLastBoot(vars) : undefined;
  const slots = await diskStatus(target, publicKey(values.pub, USAGE.status), state);
  const gpt = readGptTable(target);
  // What the next boot will do (the model of D0's choice). Without a VARS file D0's state is
  // unknown: the prediction is then that of a host that never booted this disk.
  const next = predictBoot(slots, state);
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          gpt: { copy: gpt.copy, primaryError: gpt.primaryError ?? null },
          state: state && { ...state, epoch: String(state.epoch) },
          lastBoot: story && {
            events: story.events.map((e) => ({ seq: e.seq ?? null, ev: e.ev, fields: e.fields })),
            dropped: story.dropped,
            unreadable: story.unreadable,
          },
          nextBoot: {
            slot: next.slot ?? null,
            uuid: next.uuid ?? null,
            path: next.path,
            stateKnown: vars !== undefined,
          },
          slots: slots.map((s) => ({
            slot: s.letter,
            label: s.label ?? null,
            uuid: s.uuid ?? null,
            epoch: s.epoch === undefined ? null : String(s.epoch),
            signed: s.signed,
            verified: s.verified,
            reason: s.reason ?? null,
            role: s.role ?? null,
            hostMemoryMiB: s.manifest ? hostMemory(s.manifest).totalMiB : null,
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (state)
    io.out(
      `d0 state (${vars}): last_good=${state.lastGood ?? 'none'} trial=${state.trial ?? 'none'} tries_left=${state.triesLeft} epoch=${state.epoch} bad=${state.bad ?? 'none'}`,
    );
  else
    io.out(
      vars
        ? `d0 state (${vars}): none written yet`
        : 'd0 state: unknown (no VARS file; roles need --vars)',
    );
  // The last decision's story (D0LastBoot): why it rolled back, each VM's verdict.
  if (story) for (const line of describeLastBoot(story)) io.out(line);
  // Firmware falls back to the backup GPT too; say so, since the primary then needs repair.
  if (gpt.copy === 'backup')
    io.out(`gpt: backup copy read, as firmware does (primary: ${gpt.primaryError})`);
  else io.out('gpt: primary copy read');
  for (const s of slots)
    io.out(
      `slot ${s.letter}: ${s.uuid ?? 'empty'} label=${s.label ?? 'none'} ${s.verified ? 'verified' : `unverified(${s.reason})`}${s.epoch !== undefined ? ` epoch=${s.epoch}` : ''}${s.role ? ` ${s.role}` : ''}`,
    );
  // What a host needs to run each build (core/host-memory.ts), on a line of its own.
  const needs = slots.filter((s) => s.manifest).map((s) => `slot ${s.letter} ${hostMemory(s.manifest!).totalMiB} MiB`);
  if (needs.length) io.out(`host memory needed: ${needs.join(', ')}`);
  io.out(
    `next boot${vars ? '' : ', if no host has booted this disk'}: ${next.slot ? `slot ${next.slot} (${next.uuid})` : 'no slot'}, ${next.path}`,
  );
  return 0;
}

export const command: Command = {
  name: 'disk',
  usage: Object.values(USAGE),
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      if (sub === 'tree') return await tree(rest, io);
      if (sub === 'build') return await build(rest, io);
      if (sub === 'write') return await write(rest, io);
      if (sub === 'status') return await status(rest, io);
    } catch (e) {
      // A build directory or layout that is not one is bad input, and so is a --size-mib too small
      // for the builds; a refused build or disk is a failed check.
      const input =
        e instanceof D0Error &&
        (['SLOT_TREE', 'DISK_NO_SLOT', 'KEY'].includes(e.code) ||
          (sub === 'build' && e instanceof SlotSizeError));
      if (e instanceof D0Error)
        throw new CliError(input ? EXIT_BAD_INPUT : EXIT_FAILED, [`d0 disk ${sub}: ${e.message}`]);
      if (e instanceof EspImageError)
        throw new CliError(EXIT_FAILED, [`d0 disk ${sub}: [${e.code}] ${e.message}`]);
      throw e;
    }
    throw badInput(
      `usage: ${Object.values(USAGE)
        .map((u) => `d0 ${u}`)
        .join('\n       ')}`,
    );
  },
};
