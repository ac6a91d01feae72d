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
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import { bootloaderName, FALLBACK_BOOTLOADER } from '../../core/naming';
import { withQemu } from '../support/qemu';
import {
  AB_CPU,
  bootUntilExit,
  makeBuild,
  sharedFixture,
  type AbFixture,
  type Boots,
} from '../ab/support';
import { alterOneByte, plainSerial, REFUSED_DISK, REFUSED_HARDDISK, signers } from './support';

/** sbverify's verdict on an image against a certificate. */
function verifies(efi: string, cert: string): boolean {
  try {
    execFileSync('sbverify', ['--cert', cert, efi], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('secure boot: D0 under OVMF Secure Boot firmware', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let base: Promise<{ disk: string; vars: string; u1: { dir: string; uuid: string }; boot: Boots }>;

  before(async () => {
    fx = await sharedFixture();
  });

  /** U1, its D0 signed with the snakeoil db key, committed on a fresh snakeoil VARS (shared: copy before use). */
  function signedBase() {
    base ??= (async () => {
      const u1 = makeBuild(fx, 'sb-u1');
      await signSlotTree(u1.dir, u1.uuid, signers().snakeoil);
      const disk = path.join(fx.dir, 'sb-base.img');
      const vars = path.join(fx.dir, 'sb-base.vars.fd');
      fs.copyFileSync(OVMF_VARS_SNAKEOIL, vars);
      await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });
      const boot = await bootUntilExit(disk, vars, { secureBoot: true });
      return { disk, vars, u1, boot };
    })();
    return base;
  }

  it('a D0 signed with the db key boots under enforced Secure Boot; its VMs run and the build commits', async () => {
    const { u1, vars, boot } = await signedBase();
    const sb = signers().snakeoil;
    for (const rel of [bootloaderName(u1.uuid), FALLBACK_BOOTLOADER])
      assert.ok(verifies(path.join(u1.dir, rel), sb.cert), `${rel} carries the db key's signature`);
    const commit = boot.all('commit');
    assert.equal(commit.length, 1, boot.text);
    assert.equal(commit[0].fields.boot, u1.uuid);
    assert.equal(commit[0].fields.role, 'first');
    assert.equal(boot.all('build_healthy').length, 1, 'its VMs ran and were healthy\n' + boot.text);
    assert.equal(boot.end, 'halt', boot.text);
    assert.equal(plainSerial(boot.serial).match(REFUSED_DISK), null, 'nothing refused');
    // The firmware enforced Secure Boot: the 4 MiB VARS holds the enrolled PK and the enable
    // switch (and D0's state, read from the same file by the 4 MiB layout).
    const nv = readOvmfVars(vars);
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
