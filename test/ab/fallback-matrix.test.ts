// The fallback that always exists, under QEMU + OVMF (-cpu EPYC): after an update is committed,
// the previous good build stays a boot entry right after the committed one. Every combination of
// {active ok, active corrupt} x {fallback ok, corrupt, absent} is booted once from prepared disk
// and VARS copies: the host runs a verified build whenever one exists (the committed one, else the
// fallback, which says so), and only when none exists does it end with no D0 running a build.
// "corrupt": one byte of the slot's manifest signature flipped (D0 refuses the slot and returns to
// the firmware), or D0's EFI image damaged (the firmware cannot load it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState, readOvmfVars } from '../../builder/disk/ovmf-vars';
import type { SlotLetter } from '../../builder/disk/slots';
import { diskStatus, predictBoot } from '../../builder/disk/status';
import { writeSlot } from '../../builder/disk/writer';
import {
  bootUntilSettled,
  corruptSignature,
  damageEfi,
  wipeSlot,
  type SettledBoots,
} from './fallback-support';
import { bootUntilExit, copyOfBase, makeBuild, sharedFixture, type AbFixture } from './support';

/** Boot#### of each slot (kernel/boot/efi/ab/bootvars.h: D000 + the partition number). */
const D0_ENTRY = { A: 0xd001, B: 0xd002 } as const;
const EFI_GLOBAL = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
const hex = (n: number) => n.toString(16).padStart(4, '0');

/** BootOrder from an OVMF VARS file, as Boot#### numbers. */
function bootOrder(vars: string): number[] {
  const v = readOvmfVars(vars).find((x) => x.name === 'BootOrder' && x.vendor === EFI_GLOBAL);
  assert.ok(v, `${vars}: no BootOrder`);
  return Array.from({ length: v.data.length / 2 }, (_, i) => v.data.readUInt16LE(2 * i));
}

type Build = { dir: string; uuid: string };
type Damage = 'ok' | 'corrupt' | 'efi' | 'absent';
interface Prepared {
  disk: string;
  vars: string;
  active: { letter: SlotLetter; build: Build };
  fallback: { letter: SlotLetter; build: Build };
}

describe('ab: a fallback boot entry survives every commit', function () {
  this.timeout(1_800_000);
  let fx: AbFixture;
  /** Committed U3 in slot A, U2 (the build before it) in slot B. */
  let onA: Prepared;
  /** Committed U2 in slot B, U1 (the build before it) in slot A. */
  let onB: Prepared;

  /**
   * Writes build into the inactive slot and boots until it is committed; the commit keeps the
   * other slot (the build before) as the fallback: its entry second in BootOrder, the firmware's
   * own entries after both.
   */
  async function update(disk: string, vars: string, build: Build, slot: SlotLetter) {
    const w = await writeSlot({ target: disk, buildDir: build.dir, publicKey: fx.pub, vars });
    assert.equal(w.slot, slot);
    const b = await bootUntilExit(disk, vars);
    const c = b.all('commit').at(-1);
    const other = slot === 'A' ? 'B' : 'A';
    assert.deepEqual([c?.fields.boot, c?.fields.fallback], [build.uuid, other], b.text);
    const order = bootOrder(vars);
    assert.deepEqual(
      order.slice(0, 2),
      [D0_ENTRY[slot], D0_ENTRY[other]],
      order.map(hex).join(','),
    );
    assert.ok(order.length > 2, 'the firmware entries stay after the D0 entries');
    assert.ok(order.slice(2).every((e) => (e & 0xff00) !== 0xd000));
  }

  function copy(p: Prepared, name: string): Prepared {
    const disk = path.join(fx.dir, `${name}.img`);
    const vars = path.join(fx.dir, `${name}.vars.fd`);
    fs.copyFileSync(p.disk, disk);
    fs.copyFileSync(p.vars, vars);
    return { ...p, disk, vars };
  }

  before(async () => {
    fx = await sharedFixture();
    const { disk, vars, u1 } = await copyOfBase('fb-prep');
    const u2 = makeBuild(fx, 'fb-u2');
    await update(disk, vars, u2, 'B');
    onB = {
      ...copy({ disk, vars } as Prepared, 'fb-on-b'),
      active: { letter: 'B', build: u2 },
      fallback: { letter: 'A', build: u1 },
    };
    const u3 = makeBuild(fx, 'fb-u3');
    await update(disk, vars, u3, 'A');
    onA = { disk, vars, active: { letter: 'A', build: u3 }, fallback: { letter: 'B', build: u2 } };
  });

  function damage(p: Prepared, which: 'active' | 'fallback', d: Damage): void {
    const { letter, build } = p[which];
    if (d === 'corrupt') corruptSignature(p.disk, letter, build.dir, build.uuid);
    else if (d === 'efi') assert.ok(damageEfi(p.disk, letter, fx.efi) >= 1);
    else if (d === 'absent') wipeSlot(p.disk, letter);
  }

  /** The run ended with `build` launched, its VMs healthy, D0 halted after they stopped. */
  function assertRan(b: SettledBoots, build: Build, letter: SlotLetter, role: string): void {
    assert.equal(b.settled, 'halt', b.text);
    const choice = b.last.find((e) => e.ev === 'slot_choice');
    assert.deepEqual(
      [choice?.fields.role, choice?.fields.boot, choice?.fields.slot],
      [role, build.uuid, letter],
      b.text,
    );
    assert.ok(
      b.last.some((e) => e.ev === 'ready_to_launch' && e.fields.uuid === build.uuid),
      b.text,
    );
    assert.equal(b.last.filter((e) => e.ev === 'build_healthy').length, 1, b.text);
    assert.equal(b.all('commit').length, 0, 'nothing is committed on the way\n' + b.text);
  }

  it('a fallback that failed its own trial since is refused (slot_marked_bad), not run', async () => {
    // U4 replaces U2 in slot B (the trial rewrites slot B's entry, still second in BootOrder),
    // fails its health and is rolled back to U3; then U3's signature breaks.
    const p = copy(onA, 'fb-marked-bad');
    const u4 = makeBuild(fx, 'fb-u4', { guest: 'exit1' });
    assert.equal(
      (await writeSlot({ target: p.disk, buildDir: u4.dir, publicKey: fx.pub, vars: p.vars })).slot,
      'B',
    );
    const trial = await bootUntilExit(p.disk, p.vars);
    assert.equal(trial.all('rollback')[0]?.fields.from, u4.uuid, trial.text);
    const before = readAbState(p.vars)!;
    assert.deepEqual([before.lastGood, before.bad], [p.active.build.uuid, u4.uuid]);
    corruptSignature(p.disk, 'A', p.active.build.dir, p.active.build.uuid);
    const b = await bootUntilSettled(p.disk, p.vars);
    assert.equal(b.settled, 'firmware', b.text);
    const refused = b.all('boot_failed').find((e) => e.fields.reason === 'slot_marked_bad');
    assert.deepEqual([refused?.fields.bad, refused?.fields.slot], [u4.uuid, 'B'], b.text);
    assert.equal(b.all('ready_to_launch').length, 0, b.text);
    assert.deepEqual(readAbState(p.vars), before);
    const pr = predictBoot(await diskStatus(p.disk, fx.pub, before), before);
    assert.equal(pr.verified, false, pr.path);
  });

  const cases: [Damage, Damage, 'active' | 'fallback' | 'none'][] = [
    ['ok', 'ok', 'active'],
    ['ok', 'corrupt', 'active'],
    ['ok', 'absent', 'active'],
    ['corrupt', 'ok', 'fallback'],
    ['corrupt', 'corrupt', 'none'],
    ['corrupt', 'absent', 'none'],
    ['efi', 'ok', 'fallback'],
  ];
  const outcomes: string[] = [];
  after(() => console.log(`      outcomes: ${outcomes.join(', ')}`));

  for (const on of ['A', 'B'] as const)
    for (const [a, f, expect] of cases) {
      // Slot B committed: the cases where the firmware's own entry would not already save the day.
      if (on === 'B' && !(a !== 'ok' && f === 'ok')) continue;
      it(`committed in ${on}: active ${a}, fallback ${f} -> ${expect === 'none' ? 'no build runs' : `the ${expect} build runs`}`, async () => {
        const p = copy(on === 'A' ? onA : onB, `fb-${on}-${a}-${f}`);
        damage(p, 'active', a);
        damage(p, 'fallback', f);
        const before = readAbState(p.vars)!;
        const b = await bootUntilSettled(p.disk, p.vars);
        if (expect === 'none') {
          assert.equal(b.settled, 'firmware', b.text);
          assert.equal(b.all('ready_to_launch').length, 0, b.text);
          assert.equal(b.all('vm_start').length, 0, b.text);
          assert.ok(
            b.all('exit').length >= 1,
            'every D0 that ran returned to the firmware\n' + b.text,
          );
        } else if (expect === 'active') {
          assertRan(b, p.active.build, p.active.letter, 'committed');
        } else {
          assertRan(b, p.fallback.build, p.fallback.letter, 'fallback');
          const fb = b.last.find((e) => e.ev === 'fallback_boot');
          assert.deepEqual(
            [fb?.fields.committed, fb?.fields.committed_slot, fb?.fields.committed_ran],
            [p.active.build.uuid, p.active.letter, 'no'],
            b.text,
          );
        }
        // A fallback boot writes nothing: the committed build stays the committed one.
        assert.deepEqual(readAbState(p.vars), before);
        if (a !== 'efi') {
          // The offline model agrees (it cannot see a damaged EFI image: D0's binary is unsigned).
          const pr = predictBoot(await diskStatus(p.disk, fx.pub, before), before);
          const want = expect === 'none' ? undefined : p[expect].build.uuid;
          assert.equal(pr.verified ? pr.uuid : undefined, want, pr.path);
        }
        const ran = b.last.find((e) => e.ev === 'ready_to_launch')?.fields.uuid;
        outcomes.push(
          `${on}:${a}/${f}->${b.settled === 'halt' ? (ran === p.active.build.uuid ? 'active' : 'fallback') : 'none'}`,
        );
      });
    }
});
