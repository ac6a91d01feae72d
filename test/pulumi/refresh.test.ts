// `pulumi refresh` sees what happened to a site's host disk and builds, and `up` repairs it, through
// the real engine (rollout-program.ts: one container, one Deployment, one EspSlotWriter):
//   up -> refresh finds nothing changed
//   -> the host disk is deleted -> refresh reports the writer changed (nothing written, the reason)
//      -> preview plans an update of the writer alone -> up lays the disk out again, build in slot A
//   -> the build directory is deleted -> refresh drops the Deployment -> up makes a new build and
//      writes it to slot B (slot A, the only verified one, is taken as the running build)
//   -> a file in slot B is altered -> refresh: slot B does not verify, the writer holds nothing
//      -> up writes slot B again; slot A untouched
// The signing key appears in no command's output and nowhere in the state.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readGpt } from '../../builder/disk/gpt';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  parsePreviewJson,
  parseStackExport,
  parseStackOutputs,
  type CommandResult,
  type PulumiWorkspace,
  type StateResource,
} from '../support/pulumi';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { partitionSha256, rolloutWorkspace, writeRolloutSite, type RolloutOutputs } from './rollout-program';
import { engineEnv, SECRET } from './site-program';

interface SlotReading {
  uuid?: string;
  verified: boolean;
  reason?: string;
}

describe('Pulumi engine: refresh sees a deleted or altered host disk and a vanished build; up repairs them', function () {
  this.timeout(1_200_000);
  let ws: PulumiWorkspace;
  let disk: string;
  const outputs: string[] = []; // every command's output, checked for the key at the end
  const run = async (args: string[]): Promise<CommandResult> => {
    const r = await ws.pulumiOk(args, { ...engineEnv, timeoutMs: 600_000 });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const up = async () => {
    await run(['up', '--yes', '--skip-preview']);
    return parseStackOutputs(
      (await run(['stack', 'output', '--json'])).stdout,
    ) as unknown as RolloutOutputs;
  };
  const refresh = () => run(['refresh', '--yes', '--skip-preview']);
  const state = async (type: string): Promise<StateResource | undefined> =>
    parseStackExport((await run(['stack', 'export'])).stdout).deployment.resources.find((r) =>
      r.type.endsWith(`:${type}`),
    );
  const writerState = async () => (await state('EspSlotWriter'))!.outputs!;

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await rolloutWorkspace();
    disk = path.join(ws.root, 'host-01.img');
    writeRolloutSite(ws, await writeBusyboxArchive(path.join(ws.root, 'v1.tar'), 'v1'), disk);
  });
  after(() => ws?.dispose());

  it('refresh after up changes nothing; the writer outputs each slot as read', async () => {
    const first = await up();
    assert.equal(first.slot, 'A');
    const slots = (await writerState()).slots as Record<string, SlotReading>;
    assert.deepEqual(slots.A, { uuid: first.buildUuid, verified: true });
    assert.equal(slots.B.verified, false);
    assert.equal(slots.B.uuid, undefined);
    const r = await refresh();
    assert.doesNotMatch(r.stdout, /updated|deleted/, r.stdout);
  });

  it('the host disk deleted: refresh reports the writer changed, preview plans its update, up lays the disk out again', async () => {
    const before = await writerState();
    fs.rmSync(disk);
    const r = await refresh();
    assert.match(r.stdout, /host-01/);
    assert.match(r.stdout, /1 updated/, r.stdout);
    const after = await writerState();
    assert.equal(after.writtenUuid, undefined, 'a missing disk still reads as written');
    assert.equal(after.slots, undefined);
    assert.equal(after.targetProblem, `${disk}: no such file or device`);

    const p = parsePreviewJson((await run(['preview', '--json'])).stdout);
    const ops = Object.fromEntries(p.steps.map((s) => [s.urn.split('::').pop(), s.op]));
    assert.equal(ops['host-01'], 'update');
    assert.equal(ops.site ?? 'same', 'same', 'the build itself did not change');
    assert.equal(fs.existsSync(disk), false, 'preview wrote the disk');

    const o = await up();
    assert.deepEqual([o.slot, o.writtenUuid, o.wrote], ['A', before.buildUuid, true]);
    assert.equal(partitionSha256(disk, 1), o.slotSha256);
    assert.doesNotMatch(
      (await refresh()).stdout,
      /updated|deleted/,
      'a refresh after the repair found drift',
    );
  });

  it('the build directory deleted: refresh drops the Deployment, up makes a new build and writes it to slot B', async () => {
    const dep = (await state('Deployment'))!;
    const old = dep.outputs!.buildUuid as string;
    fs.rmSync(dep.outputs!.buildDir as string, { recursive: true });
    const r = await refresh();
    assert.match(r.stdout, /1 deleted/, r.stdout);
    assert.match(r.stdout + r.stderr, new RegExp(`build ${old} is gone`));
    assert.equal(await state('Deployment'), undefined);

    const slotA = partitionSha256(disk, 1);
    const o = await up();
    assert.notEqual(o.buildUuid, old);
    assert.deepEqual([o.slot, o.writtenUuid], ['B', o.buildUuid]);
    assert.equal(partitionSha256(disk, 1), slotA, 'slot A (the running build) changed');
  });

  it('a file in slot B altered: refresh reports slot B unverified and nothing written; up writes slot B again', async () => {
    const o = (await writerState()) as Record<string, unknown>;
    const uuid = o.writtenUuid as string;
    const b = readGpt(disk).find((x) => x.index === 2)!;
    const junk = path.join(ws.root, 'junk');
    fs.writeFileSync(junk, 'not the kernel\n');
    execFileSync('mcopy', ['-o', '-i', `${disk}@@${b.offset}`, junk, `::/VM/vmlinuz-${uuid}`], {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    });
    const slotA = partitionSha256(disk, 1);
    const r = await refresh();
    assert.match(r.stdout, /1 updated/, r.stdout);
    const after = await writerState();
    const slots = after.slots as Record<string, SlotReading>;
    assert.equal(slots.B.uuid, uuid);
    assert.equal(slots.B.verified, false);
    assert.match(slots.B.reason ?? '', /vmlinuz/);
    assert.equal(slots.A.verified, true);
    assert.equal(after.writtenUuid, undefined);

    const fixed = await up();
    assert.deepEqual([fixed.slot, fixed.writtenUuid, fixed.wrote], ['B', uuid, true]);
    assert.equal(partitionSha256(disk, 2), fixed.slotSha256);
    assert.equal(partitionSha256(disk, 1), slotA, 'slot A changed');
    const again = (await writerState()).slots as Record<string, SlotReading>;
    assert.deepEqual(again.B, { uuid, verified: true });
  });

  it('the signing key is in no output and nowhere in the state', async () => {
    outputs.push((await run(['stack', 'export', '--show-secrets'])).stdout);
    for (const t of outputs) assert.equal(t.toLowerCase().includes(SECRET), false);
  });
});
