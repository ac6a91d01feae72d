// The update path under QEMU + OVMF with one persistent VARS file: U1 in slot A is committed on
// the first boot; the writer puts U2 into slot B; the next boot tries U2 (BootNext + reset),
// U2's D0 passes every pre-launch check and commits; later boots start U2 directly.
import assert from 'node:assert/strict';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeSlot } from '../../builder/disk/writer';
import { diskStatus } from '../../builder/disk/status';
import {
  bootUntilExit,
  committedBase,
  copyOfBase,
  makeBuild,
  sharedFixture,
  type AbFixture,
} from './support';

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
    assert.ok(second.last.some((e) => e.ev === 'ready_to_launch' && e.fields.uuid === u2.uuid));

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

    const status = await diskStatus(disk, fx.pub, readAbState(vars));
    assert.equal(status.find((s) => s.letter === 'B')?.role, 'active');
    assert.equal(status.find((s) => s.letter === 'B')?.partitionName, u2.uuid);
    assert.equal(status.find((s) => s.letter === 'A')?.role, undefined);
  });
});
