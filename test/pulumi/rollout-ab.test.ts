// A rolling update through the real Pulumi engine onto one host's A/B disk, booted under QEMU +
// OVMF (-cpu EPYC: SVM, so D0 launches the real guest Linux) with ONE persistent VARS file, D0's
// NVRAM, across the boots:
//   up (first deployment: the writer lays out the disk, build U1 in slot A)
//   -> boot: role=first, web's VM healthy, U1 committed, "hello from v1"
//   -> the container changes (a new image) -> up: the writer reads D0's NV state beside the disk
//      (<disk>.vars.fd), writes U2 into the inactive slot B, slot A's bytes unchanged
//   -> boot: D0 (U1) starts the trial of U2 by BootNext, U2's VM is healthy, U2 is committed
//      (role=trial) and the new output "hello from v2" appears
//   -> a third build: both slots verify, D0's NV state names B active, so the writer takes A
//   -> destroy removes the disk the writer laid out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readGpt } from '../../builder/disk/gpt';
import { readAbState } from '../../builder/disk/ovmf-vars';
import type { D0Event } from '../support/events';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  parseStackOutputs,
  type PulumiWorkspace,
} from '../support/pulumi';
import { OVMF_VARS, withQemu } from '../support/qemu';
import { writeBusyboxArchive } from '../provider/fixture-image';
import {
  partitionSha256,
  rolloutWorkspace,
  writeRolloutSite,
  type RolloutOutputs,
} from './rollout-program';
import { engineEnv } from './site-program';

/**
 * Boots until web's line with `want` and the commit have both been logged and D0 halted; QEMU
 * always killed.
 */
async function bootUntilCommitted(disk: string, vars: string, want: string): Promise<D0Event[]> {
  return withQemu({ disk, vars, cpu: 'EPYC', memMb: 512, timeoutMs: 600_000 }, async (vm) => {
    await vm.waitFor('commit');
    await vm.waitFor(
      (e) => e.ev === 'console' && e.fields.vm === 'web' && (e.fields.line ?? '').includes(want),
    );
    // The container exits after its line; D0 halts once it stopped. Only then is QEMU killed and
    // the VARS file read: D0 writes variables after the commit too (the boot's story), and a
    // kill during one of them can leave OVMF's store mid-reclaim, which the offline reader
    // cannot read (docs/ci.md).
    await vm.waitFor('halt');
    return [...vm.events];
  });
}

describe('Pulumi engine: a rolling update onto the inactive slot of an A/B host disk', function () {
  this.timeout(1_800_000);
  let ws: PulumiWorkspace;
  let disk: string;
  let images: { v1: string; v2: string; v3: string };
  const writeSite = (image: string) => writeRolloutSite(ws, image, disk);
  const up = async () => {
    await ws.pulumiOk(['up', '--yes', '--skip-preview'], { ...engineEnv, timeoutMs: 600_000 });
    return parseStackOutputs(
      (await ws.pulumiOk(['stack', 'output', '--json'])).stdout,
    ) as unknown as RolloutOutputs;
  };

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await rolloutWorkspace();
    disk = path.join(ws.root, 'host-01.img');
    images = {
      v1: await writeBusyboxArchive(path.join(ws.root, 'images', 'v1.tar'), 'v1'),
      v2: await writeBusyboxArchive(path.join(ws.root, 'images', 'v2.tar'), 'v2'),
      v3: await writeBusyboxArchive(path.join(ws.root, 'images', 'v3.tar'), 'v3'),
    };
  });
  after(() => ws?.dispose());

  it('writes U1 to slot A, boots and commits it; writes U2 to slot B only; the same NVRAM tries and commits U2; U3 goes to slot A by that NVRAM', async () => {
    writeSite(images.v1);
    const first = await up();
    assert.equal(first.slot, 'A');
    assert.equal(first.writtenUuid, first.buildUuid);
    assert.equal(partitionSha256(disk, 1), first.slotSha256);

    // D0's NVRAM for every boot of this host: kept beside the disk, as `d0 run` does.
    const vars = `${disk}.vars.fd`;
    fs.copyFileSync(OVMF_VARS, vars);
    const boot1 = await bootUntilCommitted(disk, vars, 'hello from v1');
    const c1 = boot1.find((e) => e.ev === 'commit')!;
    assert.deepEqual(
      [c1.fields.boot, c1.fields.slot, c1.fields.role],
      [first.buildUuid, 'A', 'first'],
    );
    assert.ok(
      boot1.some(
        (e) => e.ev === 'vm_health' && e.fields.vm === 'web' && e.fields.verdict === 'healthy',
      ),
      'no healthy verdict for web before the first commit',
    );
    assert.equal(readAbState(vars)?.lastGood, first.buildUuid);

    // The container changes: a new image (its env says v2), so a new signed build.
    const slotABefore = partitionSha256(disk, 1);
    writeSite(images.v2);
    const second = await up();
    assert.notEqual(second.buildUuid, first.buildUuid);
    assert.equal(second.writtenUuid, second.buildUuid);
    assert.equal(second.slot, 'B');
    assert.equal(second.wrote, true);
    assert.equal(partitionSha256(disk, 1), slotABefore, 'slot A (the committed build) changed');
    assert.equal(partitionSha256(disk, 2), second.slotSha256);
    // Slot identity lives in the slots (their manifests); the GPT keeps its layout names.
    assert.deepEqual(
      readGpt(disk).map((p) => p.name),
      ['ESP_A', 'ESP_B'],
    );

    const boot2 = await bootUntilCommitted(disk, vars, 'hello from v2');
    const find = (ev: string, f: (e: D0Event) => boolean = () => true) =>
      boot2.find((e) => e.ev === ev && f(e));
    assert.ok(
      find('slot_choice', (e) => e.fields.role === 'trial_start'),
      'U1 did not start a trial',
    );
    assert.ok(
      find('reset', (e) => e.fields.reason === 'trial'),
      'no reset into the trial',
    );
    assert.ok(find('slot_choice', (e) => e.fields.role === 'trial' && e.fields.slot === 'B'));
    assert.ok(find('manifest_verified', (e) => e.fields.uuid === second.buildUuid));
    const c2 = find('commit')!;
    assert.deepEqual(
      [c2.fields.boot, c2.fields.slot, c2.fields.role, c2.fields.previous],
      [second.buildUuid, 'B', 'trial', first.buildUuid],
    );
    assert.equal(find('rollback'), undefined);
    const state = readAbState(vars);
    assert.equal(state?.lastGood, second.buildUuid);
    assert.equal(state?.trial, undefined);

    // A third build: both slots now verify, so only D0's NV state (read from <disk>.vars.fd by
    // default) says which one is active; the writer takes slot A and keeps the committed slot B.
    const slotBBefore = partitionSha256(disk, 2);
    writeSite(images.v3);
    const third = await up();
    assert.equal(third.slot, 'A');
    assert.equal(third.writtenUuid, third.buildUuid);
    assert.equal(partitionSha256(disk, 2), slotBBefore, 'slot B (the committed build) changed');

    await ws.pulumiOk(['destroy', '--yes', '--skip-preview'], engineEnv);
    assert.equal(fs.existsSync(disk), false, 'destroy left the disk the writer laid out');
  });
});
