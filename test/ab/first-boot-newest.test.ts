// A disk written twice before its first boot boots the newest build first (issue 16, item 8),
// under QEMU + OVMF (-cpu EPYC, so D0 launches): `d0 disk build` puts U1 in slot A, `d0 disk
// write` puts the newer U2 in slot B, and nothing has booted yet. The firmware boots slot A; with
// nothing committed, D0 there starts a trial of U2 with slot A as its fallback. A healthy U2 is
// committed (and `d0 disk status` names it active); a U2 whose health fails is marked bad and D0
// resets into slot A, which commits U1 as a first boot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { formatPublicKeyFile } from '../../core/sign';
import type { D0Event } from '../support/events';
import { d0 } from '../support/d0-pipeline';
import {
  bootUntilExit,
  freshVars,
  makeBuild,
  sharedFixture,
  type AbFixture,
  type BuildDefects,
  type Boots,
} from './support';

describe('ab: a disk written twice before its first boot boots the newest build first', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let dir: string;
  let pub: string;

  before(async () => {
    fx = await sharedFixture();
    dir = fs.mkdtempSync(path.join(fx.dir, 'first-newest-'));
    pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
  });

  /** U1 then U2 written with the CLI to a new disk; its VARS file is blank (never booted). */
  async function writtenTwice(name: string, u2Defects: BuildDefects = {}) {
    const u1 = makeBuild(fx, `${name}-u1`);
    const u2 = makeBuild(fx, `${name}-u2`, u2Defects);
    const disk = path.join(dir, `${name}.img`);
    let r = await d0([
      'disk',
      'build',
      '--slot-a',
      u1.dir,
      '--out',
      disk,
      '--size-mib',
      '40',
      '--pub',
      pub,
    ]);
    assert.equal(r.code, 0, r.err);
    r = await d0(['disk', 'write', disk, u2.dir, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(`wrote build ${u2.uuid} to slot B .*active slot A \\(${u1.uuid}\\) untouched`),
    );
    // What the next boot will do, as `d0 disk status` says it: without NV state, and with the
    // blank VARS file the first boot will use.
    r = await d0(['disk', 'status', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    const first = `slot B \\(${u2.uuid}\\), first boot: trial, commit`;
    assert.match(r.out, new RegExp(`^next boot, if no host has booted this disk: ${first}$`, 'm'));
    const vars = freshVars(`${disk}.vars.fd`); // where `d0 run` and `d0 disk status` look
    r = await d0(['disk', 'status', disk, '--pub', pub, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out).nextBoot, {
      slot: 'B',
      uuid: u2.uuid,
      path: 'first boot: trial, commit',
      stateKnown: true,
    });
    return { u1, u2, disk, vars };
  }

  const field = (boot: D0Event[], ev: string) => boot.find((e) => e.ev === ev)?.fields ?? {};

  /** The first boot: slot A's D0 finds nothing committed and starts a trial of U2 in slot B. */
  function assertTrialStarted(boot: D0Event[], u1: string, u2: string, text: string) {
    const choice = field(boot, 'slot_choice');
    assert.deepEqual(
      [choice.role, choice.boot, choice.slot, choice.last_good, choice.fallback],
      ['trial_start', u2, 'B', 'none', u1],
      text,
    );
    const reset = field(boot, 'reset');
    assert.deepEqual([reset.reason, reset.next, reset.slot], ['trial', u2, 'B'], text);
    for (const ev of ['ready_to_launch', 'commit', 'slot_bad'])
      assert.equal(
        boot.filter((e) => e.ev === ev).length,
        0,
        `ev=${ev} in the first boot\n${text}`,
      );
  }

  it('U2 healthy: D0 tries U2 first and commits it; status names slot B active; the next boot runs U2', async () => {
    const { u1, u2, disk, vars } = await writtenTwice('healthy');
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 2, 'slot A starts the trial, U2 runs and commits\n' + b.text);
    assertTrialStarted(b.boots[0], u1.uuid, u2.uuid, b.text);
    const trial = b.boots[1];
    const choice = field(trial, 'slot_choice');
    assert.deepEqual([choice.role, choice.boot, choice.slot], ['trial', u2.uuid, 'B'], b.text);
    const commits = b.all('commit');
    assert.equal(commits.length, 1, b.text);
    assert.deepEqual(
      [
        commits[0].fields.boot,
        commits[0].fields.slot,
        commits[0].fields.previous,
        commits[0].fields.role,
      ],
      [u2.uuid, 'B', 'none', 'trial'],
    );
    assert.equal(b.end, 'halt');
    const state = readAbState(vars)!;
    assert.deepEqual([state.lastGood, state.trial, state.bad], [u2.uuid, undefined, undefined]);

    const r = await d0(['disk', 'status', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`last_good=${u2.uuid} trial=none`));
    assert.match(r.out, new RegExp(`slot A: ${u1.uuid} label=D0_A verified epoch=\\d+\\n`));
    assert.match(r.out, new RegExp(`slot B: ${u2.uuid} label=D0_B verified epoch=\\d+ active`));
    assert.match(r.out, new RegExp(`^next boot: slot B \\(${u2.uuid}\\), no candidate$`, 'm'));

    // The commit wrote slot B's boot entry first in BootOrder: the firmware boots U2 directly.
    const again = await bootUntilExit(disk, vars);
    assert.equal(again.boots.length, 1, again.text);
    const c = field(again.last, 'slot_choice');
    assert.deepEqual([c.role, c.boot, c.slot], ['committed', u2.uuid, 'B'], again.text);
  });

  it('U2 fails its health: U2 is marked bad, D0 resets into slot A and commits U1 as a first boot', async () => {
    const { u1, u2, disk, vars } = await writtenTwice('exit1', { guest: 'exit1' });
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 3, 'A starts the trial, U2 fails, A again\n' + b.text);
    assertTrialStarted(b.boots[0], u1.uuid, u2.uuid, b.text);
    const trial = b.boots[1];
    assert.equal(field(trial, 'slot_choice').role, 'trial', b.text);
    const failed = field(trial, 'health_failed');
    assert.equal(failed.role, 'trial', b.text);
    const bad = field(trial, 'slot_bad');
    assert.deepEqual([bad.bad, bad.slot, bad.last_good], [u2.uuid, 'B', 'none'], b.text);
    assert.match(bad.reason ?? '', /^health:/);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.deepEqual([rb[0].fields.from, rb[0].fields.to], [u2.uuid, u1.uuid]);
    const reset = field(trial, 'reset');
    assert.deepEqual([reset.reason, reset.next, reset.slot], ['rollback', u1.uuid, 'A'], b.text);

    const last = b.boots[2];
    const choice = field(last, 'slot_choice');
    assert.deepEqual([choice.role, choice.boot, choice.slot], ['first', u1.uuid, 'A'], b.text);
    assert.equal(
      last.filter((e) => e.ev === 'reset').length,
      0,
      'no second trial of U2\n' + b.text,
    );
    const commits = b.all('commit');
    assert.equal(commits.length, 1, b.text);
    assert.deepEqual(
      [commits[0].fields.boot, commits[0].fields.slot, commits[0].fields.role],
      [u1.uuid, 'A', 'first'],
    );
    assert.equal(b.end, 'halt');
    const state = readAbState(vars)!;
    assert.deepEqual([state.lastGood, state.trial, state.bad], [u1.uuid, undefined, u2.uuid]);

    const r = await d0(['disk', 'status', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`slot A: ${u1.uuid} label=D0_A verified epoch=\\d+ active`));
    assert.match(r.out, new RegExp(`slot B: ${u2.uuid} label=D0_B verified epoch=\\d+ bad`));
    assert.match(r.out, new RegExp(`^next boot: slot A \\(${u1.uuid}\\), no candidate$`, 'm'));
  });

  /** U1 in A, a U2 the writer would refuse forced into B with the builder (never booted). */
  async function forced(
    name: string,
    u2Defects: BuildDefects,
    edit?: (u2: { dir: string; uuid: string }) => void,
  ) {
    const u1 = makeBuild(fx, `${name}-u1`);
    const u2 = makeBuild(fx, `${name}-u2`, u2Defects);
    edit?.(u2);
    const disk = path.join(dir, `${name}.img`);
    await buildSlotDisk(disk, { a: u1.dir, b: u2.dir, sizeMiB: 40 });
    return { u1, u2, disk, vars: freshVars(`${disk}.vars.fd`) };
  }

  /** The final boot ran U1 from slot A as a first boot and committed it; U2 is marked bad. */
  function assertU1CommittedFirst(b: Boots, v: string, u1: string, u2: string) {
    const choice = field(b.last, 'slot_choice');
    assert.deepEqual([choice.role, choice.boot, choice.slot], ['first', u1, 'A'], b.text);
    const commits = b.all('commit');
    assert.equal(commits.length, 1, b.text);
    assert.deepEqual([commits[0].fields.boot, commits[0].fields.role], [u1, 'first']);
    assert.equal(b.end, 'halt');
    const state = readAbState(v)!;
    assert.deepEqual([state.lastGood, state.trial, state.bad], [u1, undefined, u2]);
  }
  it("U2's VM disk fails its digest: the trial fails before the launch and rolls back into slot A", async () => {
    const { u1, u2, disk, vars: v } = await forced('corrupt', { corruptDisk: true });
    const b = await bootUntilExit(disk, v);
    assert.equal(b.boots.length, 3, b.text);
    assertTrialStarted(b.boots[0], u1.uuid, u2.uuid, b.text);
    assert.match(field(b.boots[1], 'boot_failed').reason ?? '', /digest|size/, b.text);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.deepEqual([rb[0].fields.from, rb[0].fields.to], [u2.uuid, u1.uuid]);
    assertU1CommittedFirst(b, v, u1.uuid, u2.uuid);
  });

  it("U2's D0 binary does not load: the firmware falls back to slot A, which retries once, then rolls back and commits U1", async () => {
    const {
      u1,
      u2,
      disk,
      vars: v,
    } = await forced('noload', {}, (u2) =>
      fs.writeFileSync(path.join(u2.dir, `EFI/BOOT/BOOTX64-${u2.uuid}.EFI`), 'not a PE image'),
    );
    const b = await bootUntilExit(disk, v);
    const roles = b.all('slot_choice').map((e) => e.fields.role);
    assert.deepEqual(roles, ['trial_start', 'trial_retry', 'first'], b.text);
    const rb = b.all('rollback');
    assert.equal(rb.length, 1, b.text);
    assert.deepEqual(
      [rb[0].fields.from, rb[0].fields.to, rb[0].fields.reason],
      [u2.uuid, u1.uuid, 'tries_exhausted'],
    );
    assertU1CommittedFirst(b, v, u1.uuid, u2.uuid);
  });

  it('U2 with a bad signature: refused by the precheck, no trial, U1 commits in one boot', async () => {
    const { u1, u2, disk, vars: v } = await forced('badsig', { badSignature: true });
    const b = await bootUntilExit(disk, v);
    assert.equal(b.boots.length, 1, b.text);
    const bad = field(b.last, 'slot_bad');
    assert.deepEqual(
      [bad.bad, bad.slot, bad.reason, bad.last_good],
      [u2.uuid, 'B', 'bad_signature', 'none'],
      b.text,
    );
    assert.equal(b.all('reset').length, 0, b.text);
    assertU1CommittedFirst(b, v, u1.uuid, u2.uuid);
  });
});
