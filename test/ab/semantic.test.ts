// D0 re-checks what the signer vouched for (proto/SEMANTICS.md), from the committed state of
// test/ab (U1 in slot A, security_epoch 3): the writer refuses a build past the epoch ceiling or
// breaking a semantic rule before writing a byte, and D0 under QEMU + OVMF refuses a signed,
// decodable build that breaks one before it loads a file or prepares a VM (one boot).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { D0Error } from '../../core/errors';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot } from '../../builder/disk/writer';
import type { Manifest } from '../../core/schema';
import {
  bootUntilExit,
  committedBase,
  copyOfBase,
  makeBuild,
  sharedFixture,
  type AbFixture,
} from './support';

/** The first container's gateway moved outside the bridge subnet (the VMs' 10.20.0.0/24). */
const gwOutside = (m: Manifest): Manifest => ({
  ...m,
  containers: m.containers.map((c, i) => (i === 0 ? { ...c, gw4: '10.99.0.1' } : c)),
});

describe('ab: semantic re-check of signed builds', function () {
  this.timeout(900_000);
  let fx: AbFixture;
  let u1: { dir: string; uuid: string };

  before(async () => {
    fx = await sharedFixture();
    u1 = (await committedBase()).u1;
  });

  it('the writer refuses an epoch past the committed one + 2^16 and a semantically bad build', async () => {
    const { disk, vars } = await copyOfBase('sem-writer');
    const before = fs.readFileSync(disk);
    const refuses = async (dir: string, code: string, msg: RegExp) =>
      assert.rejects(
        writeSlot({ target: disk, buildDir: dir, publicKey: fx.pub, vars }),
        (e: D0Error) => {
          assert.equal(e.code, code, e.message);
          assert.match(e.message, msg);
          return true;
        },
      );
    // Committed epoch 3: 65539 is the ceiling, 65540 is past it.
    await refuses(
      makeBuild(fx, 'sem-ceiling', { epoch: 3 + 65537 }).dir,
      'DISK_EPOCH_CEILING',
      /security_epoch 65540 is over D0's committed epoch 3 \+ 65536/,
    );
    await refuses(
      makeBuild(fx, 'sem-gw', { edit: gwOutside }).dir,
      'DISK_BAD_BUILD',
      /SEMANTIC_OUTSIDE_SUBNET at=containers\[[a-z0-9-]+\]\.gw4/,
    );
    assert.ok(before.equals(fs.readFileSync(disk)), 'a refused write changes nothing on the disk');
    // At the ceiling exactly the writer goes ahead (the boundary belongs to the build).
    const ok = await writeSlot({
      target: disk,
      buildDir: makeBuild(fx, 'sem-at-ceiling', { epoch: 3 + 65536 }).dir,
      publicKey: fx.pub,
      vars,
    });
    assert.equal(ok.slot, 'B');
  });

  it('D0 refuses a signed build whose gateway is outside the bridge subnet, before loading anything', async () => {
    // The NVRAM of a host that committed U1, on a disk whose only build breaks a semantic rule
    // (a signer that checked nothing): the firmware boots it, its own D0 must refuse it.
    const { vars } = await copyOfBase('sem-own');
    const bad = makeBuild(fx, 'sem-own', { edit: gwOutside });
    const disk = path.join(path.dirname(vars), 'sem-own-fresh.img');
    await buildSlotDisk(disk, { a: bad.dir, sizeMiB: 40 });
    const b = await bootUntilExit(disk, vars);
    assert.equal(b.boots.length, 1, b.text);
    const evs = b.last.map((e) => e.ev);
    assert.ok(evs.includes('signature_ok'), b.text);
    const failed = b.last.find((e) => e.ev === 'boot_failed');
    assert.equal(failed?.fields.reason, 'SEMANTIC_OUTSIDE_SUBNET', b.text);
    assert.equal(failed.fields.field, 'gw4');
    assert.match(failed.fields.container ?? '', /^[a-z0-9-]+$/);
    // Before anything: no file checked or loaded, nothing measured, no memory plan, no VM, no commit.
    for (const ev of [
      'manifest_verified',
      'measured',
      'memory_plan',
      'ready_to_launch',
      'vm_start',
      'commit',
    ])
      assert.ok(!evs.includes(ev), `${ev} after the refusal\n${b.text}`);
    assert.equal(b.end, 'exit', 'a boot that fails before the launch returns to the firmware');
    const state = readAbState(vars)!;
    assert.equal(state.epoch, 3n);
    assert.equal(state.lastGood, u1.uuid);
  });
});
