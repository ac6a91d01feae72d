// The update path under QEMU + OVMF (-cpu EPYC) with one persistent VARS file: U1 in slot A is
// committed on the first boot once its VMs are healthy; the writer puts U2 into slot B; the next
// boot tries U2 (BootNext + reset), U2's D0 passes every pre-launch check, launches its VMs and
// commits only after their health verdict; later boots start U2 directly and commit nothing.
import assert from 'node:assert/strict';
import type { D0Event } from '../support/events';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeSlot } from '../../builder/disk/writer';
import { readGpt } from '../../builder/disk/gpt';
import { diskStatus } from '../../builder/disk/status';
import {
  bootUntilExit,
  committedBase,
  copyOfBase,
  makeBuild,
  sharedFixture,
  type AbFixture,
} from './support';

/**
 * The commit of one boot comes after every VM's ev=vm_health verdict=healthy and ev=build_healthy,
 * and those come after the VMs started: the commit waits for the health, not for the checks.
 */
function assertCommitAfterHealth(boot: D0Event[], text: string): void {
  const at = (pred: (e: D0Event) => boolean) => boot.findIndex(pred);
  const commit = at((e) => e.ev === 'commit');
  const healthy = boot.filter((e) => e.ev === 'vm_health');
  assert.deepEqual(
    healthy.map((e) => [e.fields.vm, e.fields.verdict, e.fields.reason]).sort(),
    [
      ['api', 'healthy', 'ready'],
      ['web', 'healthy', 'ready'],
    ],
    text,
  );
  const lastHealthy = Math.max(...healthy.map((e) => boot.indexOf(e)));
  const buildHealthy = at((e) => e.ev === 'build_healthy');
  assert.ok(
    commit > buildHealthy && buildHealthy > lastHealthy,
    `commit after the health:\n${text}`,
  );
  assert.ok(lastHealthy > at((e) => e.ev === 'firmware_exited'), text);
  assert.ok(at((e) => e.ev === 'ready_to_launch') < commit, text);
  assert.equal(boot.at(-1)?.ev, 'halt', 'the VMs ran and stopped, D0 halted:\n' + text);
}

describe('ab: update U1 -> U2 with a trial boot and a commit', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  before(async () => {
    fx = await sharedFixture();
  });

  it('commits U1 on a fresh machine, tries and commits U2 from slot B, then boots U2 directly', async () => {
    const first = (await committedBase()).boot; // a fresh disk and VARS, U1 in slot A only
    const { disk, vars, u1 } = await copyOfBase('update');
    const c1 = first.all('commit');
    assert.equal(c1.length, 1, first.text);
    assert.equal(c1[0].fields.boot, u1.uuid);
    assert.equal(c1[0].fields.role, 'first');
    assert.equal(c1[0].fields.previous, 'none');
    assertCommitAfterHealth(first.last, first.text); // the first-ever build too
    assert.equal(first.end, 'halt');
    assert.equal(readAbState(vars)?.lastGood, u1.uuid);

    const u2 = makeBuild(fx, 'u2');
    const w = await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });
    assert.equal(w.slot, 'B');
    assert.deepEqual(w.active, { slot: 'A', uuid: u1.uuid });

    const second = await bootUntilExit(disk, vars);
    assert.equal(second.boots.length, 2, second.text); // A starts the trial and resets into B
    const start = second.boots[0].find(
      (e) => e.ev === 'slot_choice' && e.fields.role === 'trial_start',
    );
    assert.ok(start, second.text);
    assert.equal(start.fields.boot, u2.uuid);
    assert.equal(start.fields.last_good, u1.uuid);
    assert.ok(second.boots[0].some((e) => e.ev === 'reset' && e.fields.reason === 'trial'));
    const trial = second.last.find((e) => e.ev === 'slot_choice');
    assert.equal(trial?.fields.role, 'trial', second.text);
    assert.equal(trial?.fields.slot, 'B');
    const commit = second.last.find((e) => e.ev === 'commit');
    assert.equal(commit?.fields.boot, u2.uuid, second.text);
    assert.equal(commit?.fields.previous, u1.uuid);
    assert.equal(commit?.fields.role, 'trial');
    assert.ok(second.last.some((e) => e.ev === 'ready_to_launch' && e.fields.uuid === u2.uuid));
    assertCommitAfterHealth(second.last, second.text);
    assert.equal(second.all('rollback').length, 0, second.text);

    const state = readAbState(vars)!;
    assert.equal(state.lastGood, u2.uuid);
    assert.equal(state.trial, undefined);

    const third = await bootUntilExit(disk, vars);
    assert.equal(third.boots.length, 1, third.text);
    const choice = third.last.find((e) => e.ev === 'slot_choice');
    assert.equal(choice?.fields.role, 'committed', third.text);
    assert.equal(choice?.fields.boot, u2.uuid);
    assert.equal(choice?.fields.slot, 'B', 'the firmware starts the committed slot B directly');
    assert.equal(third.all('commit').length, 0, 'no NV write on an ordinary boot');
    assert.equal(
      third.all('build_healthy').length,
      1,
      'the committed build launched and is healthy',
    );
    assert.equal(third.end, 'halt');

    const status = await diskStatus(disk, fx.pub, readAbState(vars));
    assert.equal(status.find((s) => s.letter === 'B')?.role, 'active');
    assert.equal(status.find((s) => s.letter === 'B')?.label, 'D0_B');
    // The slot's identity is inside it: the GPT keeps the names the disk was laid out with.
    assert.deepEqual(readGpt(disk).map((p) => p.name), ['ESP_A', 'ESP_B']);
    assert.equal(status.find((s) => s.letter === 'A')?.role, undefined);
  });
});
