// Write replay: every disk state a power cut (with a drive that reorders writes between flushes)
// can leave during a slot update, checked with the product's own readers, and a sample booted.
//
// 1. Record (write-replay/record.ts): `writeSlot` runs for real on a copy of the pre-update disk;
//    its onStep hook snapshots the image after every chunk and step and diffs it with the previous
//    snapshot at sector granularity, so the writes of the tools it runs (mtools' mren at the commit
//    point) are recorded like its own. Every recorded write must lie inside the inactive slot: the
//    GPT, the MBR and the active slot are never written.
// 2. States (write-replay/states.ts): every prefix of the steps; within each step its first half,
//    its last half and seeded random subsets of its sectors; and seeded random subsets of each
//    flush group (all chunk writes before the fsync; the rename before its fsync).
// 3. Host, every state: `d0 disk status --json` reads it (exit 0, the primary GPT), the model of
//    D0's choice (predictBoot) fed with what status read boots a verified build, the one expected
//    for the state (the old one before the commit step, the new one once it is whole), and a
//    re-run of `d0 disk write` completes (it reads every file back before it says so).
//    Two layouts, both from a real first boot that committed U1 in slot A (D0's VARS file):
//    "empty slot" (B empty, write U2 into B) and "slot holding a build" (B holds U2, written and
//    never booted, newer than U1; write U3 into B). In the second, a state where U2 still
//    verifies is one D0 tries U2 from (newer than its last good build): the test counts them.
// 4. QEMU + OVMF with the real D0, a bounded sample of distinct kinds of state of each layout (a
//    torn first chunk, a reordered flush group, the commit, and where the slot held a build the
//    cut before any write landed): D0 launches exactly the build predictBoot names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState, type D0AbState } from '../../builder/disk/ovmf-vars';
import { slotPartitions, type SlotLetter } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import { diskStatus, predictBoot, type SlotStatus } from '../../builder/disk/status';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { putState, type SlotRange } from './write-replay/apply';
import { recordWrite, SECTOR, type Step } from './write-replay/record';
import { cutStates, type CutState } from './write-replay/states';
import { bootUntilExit, committedBase, makeBuild, sharedFixture, type AbFixture } from './support';

const PER_STEP = 2;
const PER_GROUP = 3;
/** Boots per layout. */
const MAX_BOOTS = 4;
const FLUSHES = ['synced', 'committed'];

interface Layout {
  name: string;
  disk: string;
  before: Buffer;
  slot: SlotRange;
  /** The written slot's letter. */
  letter: SlotLetter;
  steps: Step[];
  states: CutState[];
  /** Index (into steps with writes, 1-based) of the commit step (the rename). */
  commitStep: number;
  /** D0's last good build (slot A). */
  oldUuid: string;
  /** The build the written slot held before, if any (never booted, newer than oldUuid). */
  prevUuid?: string;
  newUuid: string;
  newDir: string;
  state: D0AbState;
  vars: string;
}

type Outcome = 'old' | 'prev' | 'new';

interface StatusJson {
  gpt: { copy: string };
  slots: { slot: SlotLetter; uuid: string | null; epoch: string | null; signed: boolean; verified: boolean; reason: string | null }[];
}

const slotOf = (j: StatusJson['slots'][number]): SlotStatus => ({
  letter: j.slot,
  uuid: j.uuid ?? undefined,
  epoch: j.epoch === null ? undefined : BigInt(j.epoch),
  signed: j.signed,
  verified: j.verified,
  reason: j.reason ?? undefined,
  offset: 0,
  size: 0,
});

/** What D0 may boot from a state: the old build (or the slot's previous one) before the commit. */
function allowed(l: Layout, s: CutState): Outcome[] {
  const before: Outcome[] = l.prevUuid ? ['old', 'prev'] : ['old'];
  if (s.step === 0) return before;
  if (s.step < l.commitStep) return before;
  if (s.step > l.commitStep || s.whole) return ['new'];
  return [...before, 'new'];
}

describe('ab: write replay (every cut state of a slot update)', function () {
  this.timeout(1_200_000);
  let fx: AbFixture;
  let pub: string;
  let dir: string;
  const layouts: Layout[] = [];

  async function record(
    name: string,
    base: string,
    vars: string,
    newBuild: { dir: string; uuid: string },
    oldUuid: string,
    prevUuid?: string,
  ): Promise<Layout> {
    const disk = path.join(dir, `${name}.img`);
    fs.copyFileSync(base, disk);
    const { result, steps, before } = await recordWrite(disk, {
      buildDir: newBuild.dir,
      publicKey: fx.pub,
      vars,
    });
    const parts = slotPartitions(disk);
    const slot = parts.find((p) => p.letter === result.slot)!.part;
    const withWrites = steps.filter((s) => s.writes.length > 0);
    const commitStep = withWrites.findIndex((s) => s.what === 'committed') + 1;
    assert.ok(commitStep > 0, `${name}: the rename wrote nothing: ${steps.map((s) => s.what)}`);
    const states = cutStates(steps, { perStep: PER_STEP, perGroup: PER_GROUP, flushAfter: FLUSHES, seed: 0xd0ab });
    return {
      name,
      disk,
      before,
      slot,
      letter: result.slot,
      steps,
      states,
      commitStep,
      oldUuid,
      prevUuid,
      newUuid: newBuild.uuid,
      newDir: newBuild.dir,
      state: readAbState(vars)!,
      vars,
    };
  }

  before(async function () {
    this.timeout(900_000);
    fx = await sharedFixture();
    dir = fs.mkdtempSync(path.join(fx.dir, 'replay-'));
    pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
    const t0 = Date.now();
    // A real first boot committed U1 in slot A; slot B is empty.
    const base = await committedBase();
    const vars = path.join(dir, 'base.vars.fd');
    fs.copyFileSync(base.vars, vars);
    const u2 = makeBuild(fx, 'replay-u2');
    const u3 = makeBuild(fx, 'replay-u3');
    layouts.push(await record('empty-slot', base.disk, vars, u2, base.u1.uuid));
    // The same disk with U2 written into B and never booted; U3 goes over it.
    const held = path.join(dir, 'held.base.img');
    fs.copyFileSync(base.disk, held);
    await writeSlot({ target: held, buildDir: u2.dir, publicKey: fx.pub, vars });
    layouts.push(await record('slot-holding-a-build', held, vars, u3, base.u1.uuid, u2.uuid));
    for (const l of layouts)
      console.log(
        `      ${l.name}: ${l.steps.length} steps, ${l.steps.filter((s) => s.writes.length).length} with writes ` +
          `(${l.steps.map((s) => `${s.what}:${s.writes.length}`).filter((x) => !x.endsWith(':0')).join(' ')} sectors), ` +
          `${l.states.length} distinct cut states; recorded in ${Date.now() - t0} ms`,
      );
  });

  it('the writer writes only inside the inactive slot: never the GPT, the MBR or the active slot', () => {
    for (const l of layouts)
      for (const s of l.steps)
        for (const w of s.writes) {
          const at = w.lba * SECTOR;
          assert.ok(
            at >= l.slot.offset && at + SECTOR <= l.slot.offset + l.slot.size,
            `${l.name}: step ${s.n} (${s.what}) wrote LBA ${w.lba}, outside slot ${l.slot.offset}..${l.slot.offset + l.slot.size}`,
          );
        }
    // mren's commit is recorded too: the writes of the external tool are in the record.
    for (const l of layouts)
      assert.ok(l.steps.find((s) => s.what === 'committed')!.writes.length >= 1, l.name);
  });

  for (const which of ['empty-slot', 'slot-holding-a-build'])
    it(`${which}: every cut state reads, boots a verified build (model), and a re-run of d0 disk write completes`, async () => {
      const l = layouts.find((x) => x.name === which)!;
      const t0 = Date.now();
      const work = path.join(dir, `${l.name}.work.img`);
      const outcomes: Record<string, number> = {};
      let prevTried = 0;
      let preCommit = 0;
      const flags = ['--vars', l.vars];
      const outcome = (uuid?: string): Outcome | string =>
        uuid === l.newUuid ? 'new' : uuid === l.oldUuid ? 'old' : uuid === l.prevUuid ? 'prev' : `other ${uuid}`;
      for (const s of l.states) {
        fs.copyFileSync(l.disk, work); // the post-update image: everything outside the slot is as before
        putState(work, l.before, l.slot, s.writes);
        const st = await d0(['disk', 'status', work, '--pub', pub, ...flags, '--json']);
        assert.equal(st.code, 0, `${l.name} ${s.name}: d0 disk status: ${st.err}`);
        const json = JSON.parse(st.out) as StatusJson;
        assert.equal(json.gpt.copy, 'primary', `${l.name} ${s.name}`);
        // The model of D0's choice, fed with what `d0 disk status` read.
        const p = predictBoot(json.slots.map(slotOf), l.state);
        assert.ok(p.verified, `${l.name} ${s.name}: ${p.path}`);
        const got = outcome(p.uuid);
        const ok = allowed(l, s);
        assert.ok(ok.includes(got as Outcome), `${l.name} ${s.name}: D0 would boot ${got} (${p.path}), allowed ${ok}`);
        outcomes[`${ok.join('|')}->${got}`] = (outcomes[`${ok.join('|')}->${got}`] ?? 0) + 1;
        if (s.step < l.commitStep) {
          preCommit++;
          if (got === 'prev') prevTried++;
        }
        // The re-run: the writer reads every file back before it says "wrote build".
        const w = await d0(['disk', 'write', work, l.newDir, '--pub', pub, ...flags]);
        assert.equal(w.code, 0, `${l.name} ${s.name}: re-run of d0 disk write: ${w.err}`);
        assert.match(w.out, new RegExp(`wrote build ${l.newUuid} to slot ${l.letter}`));
      }
      fs.rmSync(work, { force: true });
      console.log(
        `      ${l.name}: ${l.states.length} states in ${Date.now() - t0} ms; expected->model: ${JSON.stringify(outcomes)}; ` +
          (l.prevUuid ? `D0 would try the slot's previous build in ${prevTried} of ${preCommit} pre-commit states` : `${preCommit} pre-commit states`),
      );
    });

  for (const which of ['empty-slot', 'slot-holding-a-build'])
    it(`${which}: boots at most ${MAX_BOOTS} cut states under QEMU + OVMF: D0 launches predictBoot's build`, async () => {
      const l = layouts.find((x) => x.name === which)!;
      // Distinct kinds of state: a torn first chunk, a reordered flush group, the commit; and, where
      // the slot held a build, the cut before any write landed (D0 tries that build).
      const wanted = [
        l.prevUuid ? l.states.find((s) => s.step === 0) : undefined,
        l.states.find((s) => s.step === 1 && !s.whole),
        l.states.find((s) => s.name.startsWith('flush group 1')),
        l.states.find((s) => s.step === l.commitStep && s.whole),
      ];
      const sample = wanted.filter((s): s is CutState => s !== undefined).slice(0, MAX_BOOTS);
      const disk = path.join(dir, 'boot.img');
      const vars = path.join(dir, 'boot.vars.fd');
      const seen: string[] = [];
      const t0 = Date.now();
      for (const s of sample) {
        fs.copyFileSync(l.disk, disk);
        putState(disk, l.before, l.slot, s.writes);
        fs.copyFileSync(l.vars, vars);
        const p = predictBoot(await diskStatus(disk, fx.pub, l.state), l.state);
        const t = Date.now();
        const boot = await bootUntilExit(disk, vars);
        const ready = boot.last.find((e) => e.ev === 'ready_to_launch');
        assert.equal(ready?.fields.uuid, p.uuid, `QEMU, ${l.name} ${s.name} (model: ${p.path}):\n${boot.text}`);
        seen.push(`${s.name} -> ${p.uuid === l.newUuid ? 'new' : p.uuid === l.prevUuid ? 'prev' : 'old'} (${Math.round((Date.now() - t) / 1000)} s)`);
      }
      console.log(`      ${l.name}: ${sample.length} boots in ${Math.round((Date.now() - t0) / 1000)} s:\n        ${seen.join('\n        ')}`);
    });
});
