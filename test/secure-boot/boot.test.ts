// D0 under OVMF's Secure Boot firmware (Debian's OVMF_CODE_4M.secboot.fd, SMM) with the
// snakeoil VARS, whose db holds the test certificate: a D0 signed with that db key boots and its
// build commits; an unsigned D0, one signed by a key the db does not hold and one altered by a
// byte after signing are refused by the firmware before D0 runs a single instruction; and an
// update whose D0 is signed by another key is refused in its trial boots, so D0 in slot A rolls
// it back (tries exhausted) and the host stays on slot A's build.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OVMF_VARS_SNAKEOIL } from '../../builder/disk/qemu';
import { readAbState, readOvmfVars } from '../../builder/disk/ovmf-vars';
import { signSlotTree, type SecureBootSigner } from '../../builder/disk/secure-boot';
import { buildSlotDisk, slotPartitions } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import { bootloaderName, FALLBACK_BOOTLOADER } from '../../core/naming';
import { formatPublicKeyFile } from '../../core/sign';
import { d0, type D0Result } from '../support/d0-pipeline';
import { eventsOf } from '../support/events';
import { withQemu } from '../support/qemu';
import { AB_CPU, bootUntilExit, makeBuild, sharedFixture, type AbFixture } from '../ab/support';
import {
  alterOneByte,
  plainSerial,
  REFUSED_DISK,
  REFUSED_HARDDISK,
  signers,
  verifies,
} from './support';

describe('secure boot: D0 under OVMF Secure Boot firmware', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let base: Promise<{
    disk: string;
    vars: string;
    u1: { dir: string; uuid: string };
    run: D0Result;
  }>;

  before(async () => {
    fx = await sharedFixture();
  });

  /**
   * U1 on a disk laid out by `d0 disk build --sb-key --sb-cert` (D0 signed with the snakeoil db
   * key on its way into slot A), booted by `d0 run --secure-boot --raw` until D0 halts: the run
   * creates DISK.vars.fd from the snakeoil VARS and U1 commits (shared: copy before use).
   */
  function signedBase() {
    base ??= (async () => {
      const sb = signers().snakeoil;
      const u1 = makeBuild(fx, 'sb-u1');
      const disk = path.join(fx.dir, 'sb-base.img');
      const pub = path.join(fx.dir, 'sb.pub');
      fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
      const built = await d0(
        [
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
        ].concat(['--sb-key', sb.key, '--sb-cert', sb.cert]),
      );
      assert.equal(built.code, 0, built.err);
      const run = await d0([
        'run',
        disk,
        '--secure-boot',
        '--raw',
        '--cpu',
        AB_CPU,
        '--until',
        'halt',
        '--timeout',
        '300',
      ]);
      return { disk, vars: `${disk}.vars.fd`, u1, run };
    })();
    return base;
  }

  it('a D0 signed with the db key boots under enforced Secure Boot; its VMs run and the build commits', async () => {
    const { u1, disk, vars, run } = await signedBase();
    assert.equal(run.code, 0, run.err + run.out);
    const sb = signers();
    // The disk's D0 carries the db key's signature; the build directory's stays unsigned.
    const efi = path.join(fx.dir, 'sb-base.efi');
    for (const rel of [bootloaderName(u1.uuid), FALLBACK_BOOTLOADER]) {
      fs.rmSync(efi, { force: true });
      execFileSync('mcopy', ['-n', '-i', `${disk}@@1M`, `::${rel}`, efi]);
      assert.ok(verifies(efi, sb.snakeoil.cert) && !verifies(efi, sb.other.cert), rel);
      assert.ok(!verifies(path.join(u1.dir, rel), sb.snakeoil.cert), rel);
    }
    const events = eventsOf(run.out);
    const commit = events.filter((e) => e.ev === 'commit');
    assert.equal(commit.length, 1, run.out);
    assert.equal(commit[0].fields.boot, u1.uuid);
    assert.equal(commit[0].fields.role, 'first');
    assert.equal(events.filter((e) => e.ev === 'build_healthy').length, 1, 'its VMs ran, healthy');
    assert.equal(events.at(-1)?.ev, 'halt');
    assert.equal(plainSerial(run.out).match(REFUSED_DISK), null, 'nothing refused');
    // The firmware enforced Secure Boot: the 4 MiB VARS holds the enrolled PK and the enable
    // switch (and D0's state, read from the same file by the 4 MiB layout).
    const nv = readOvmfVars(vars);
    assert.equal(fs.statSync(vars).size, fs.statSync(OVMF_VARS_SNAKEOIL).size);
    assert.ok(nv.some((v) => v.name === 'PK' && v.data.length > 0));
    assert.deepEqual(nv.find((v) => v.name === 'SecureBootEnable')?.data, Buffer.from([1]));
    assert.equal(readAbState(vars)?.lastGood, u1.uuid);
  });

  it('an unsigned D0, one signed by a key the db does not hold and one altered by a byte after signing are refused by the firmware', async () => {
    const { snakeoil, other } = signers();
    const cases: Array<{
      name: string;
      prepare: (dir: string, uuid: string) => Promise<void>;
      sign?: SecureBootSigner;
    }> = [
      { name: 'unsigned', prepare: async () => {} },
      { name: 'other-key', prepare: async () => {}, sign: other },
      {
        name: 'altered',
        prepare: async (dir, uuid) => {
          await signSlotTree(dir, uuid, snakeoil);
          for (const rel of [bootloaderName(uuid), FALLBACK_BOOTLOADER]) {
            const f = path.join(dir, rel);
            assert.ok(verifies(f, snakeoil.cert));
            alterOneByte(f);
            assert.ok(!verifies(f, snakeoil.cert), `${rel}: the altered image no longer verifies`);
          }
        },
      },
    ];
    for (const c of cases) {
      const u = makeBuild(fx, `sb-${c.name}`);
      await c.prepare(u.dir, u.uuid);
      const disk = path.join(fx.dir, `sb-${c.name}.img`);
      await buildSlotDisk(disk, { a: u.dir, sizeMiB: 40, secureBoot: c.sign });
      if (c.sign) {
        // Signed, and well: by a key the firmware's db does not hold.
        const tmp = path.join(fx.dir, `sb-${c.name}.efi`);
        execFileSync('mcopy', ['-n', '-i', `${disk}@@1M`, `::${FALLBACK_BOOTLOADER}`, tmp]);
        assert.ok(verifies(tmp, other.cert) && !verifies(tmp, snakeoil.cert), c.name);
      }
      await withQemu({ disk, cpu: AB_CPU, secureBoot: true, timeoutMs: 240_000 }, async (vm) => {
        // The refusal is LoadImage's verdict, before a single instruction of the image runs: the
        // run ends there (OVMF would go on through its other boot options).
        await vm.waitForText(REFUSED_HARDDISK);
        assert.equal(vm.events.length, 0, `${c.name}: D0 never ran\n${vm.describe()}`);
        assert.doesNotMatch(vm.serial, /D0 seq=/, c.name);
      });
    }
  });

  it('an update whose D0 is signed by another db key is refused in its trial boots and rolled back to slot A', async () => {
    const b = await signedBase();
    const disk = path.join(fx.dir, 'sb-update.img');
    const vars = path.join(fx.dir, 'sb-update.vars.fd');
    fs.copyFileSync(b.disk, disk);
    fs.copyFileSync(b.vars, vars);
    const u2 = makeBuild(fx, 'sb-u2');
    // The writer signs slot B's D0 on its way in, with a key the host's db does not hold.
    const w = await writeSlot({
      target: disk,
      buildDir: u2.dir,
      publicKey: fx.pub,
      vars,
      secureBoot: signers().other,
    });
    assert.equal(w.slot, 'B');
    // Signed, by the other key: the refusal below is the firmware's db check, not a missing signature.
    const slotB = slotPartitions(disk).find((p) => p.letter === 'B')!.part;
    const efiB = path.join(fx.dir, 'sb-u2.efi');
    execFileSync('mcopy', [
      '-n',
      '-i',
      `${disk}@@${slotB.offset}`,
      `::${bootloaderName(u2.uuid)}`,
      efiB,
    ]);
    assert.ok(verifies(efiB, signers().other.cert) && !verifies(efiB, signers().snakeoil.cert));

    const boot = await bootUntilExit(disk, vars, { secureBoot: true });
    const roles = boot.all('slot_choice').map((e) => e.fields.role);
    assert.deepEqual(roles, ['trial_start', 'trial_retry', 'committed'], boot.text);
    // Slot B's D0 never ran: it would have logged role=trial; three boots, each slot A's D0.
    assert.equal(boot.boots.length, 3, boot.text);
    assert.deepEqual(
      boot.all('slot_choice').map((e) => [e.fields.boot, e.fields.slot]),
      [
        [u2.uuid, 'B'],
        [b.u1.uuid, 'A'],
        [b.u1.uuid, 'A'],
      ],
      boot.text,
    );
    assert.deepEqual(
      boot.all('reset').map((e) => [e.fields.reason, e.fields.slot]),
      [
        ['trial', 'B'],
        ['trial_retry', 'B'],
      ],
      boot.text,
    );
    const refused = [...plainSerial(boot.serial).matchAll(REFUSED_DISK)];
    assert.equal(
      refused.length,
      2,
      `the firmware refused slot B's D0 in both trial boots\n${plainSerial(boot.serial)}`,
    );
    const rb = boot.all('rollback');
    assert.equal(rb.length, 1, boot.text);
    assert.equal(rb[0].fields.reason, 'tries_exhausted');
    assert.equal(rb[0].fields.from, u2.uuid);
    assert.equal(rb[0].fields.to, b.u1.uuid);
    assert.equal(boot.all('commit').length, 0, boot.text);
    assert.equal(
      boot.last.filter((e) => e.ev === 'build_healthy').length,
      1,
      'U1 runs on\n' + boot.text,
    );
    assert.equal(boot.end, 'halt');
    const state = readAbState(vars)!;
    assert.equal(state.bad, u2.uuid);
    assert.equal(state.lastGood, b.u1.uuid);
    assert.equal(state.trial, undefined);
  });
});
