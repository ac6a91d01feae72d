// Issue 7's "Done when": a container whose health never comes rolls the build back. On an A/B
// disk with U1 committed (tiny guests, test/ab/support.ts), the writer puts U2 into slot B: the
// real Linux micro-VM guest kernel and a busybox root disk whose exec spec runs `exit 1`. The
// trial boots U2 under QEMU TCG with SVM + NPT, Linux starts PID1, the workload exits 1 at once,
// PID1 reports readiness right after the exec, so the VM is healthy for a moment: the commit must
// wait for the verdict to settle (kernel/boot/efi/run_vms.c), the exit 1 turns it failed, and D0
// rolls back to U1, which then runs as the committed build. One nested Linux boot (~20 s here on
// an idle machine, minutes under load); hard timeout, QEMU always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeSlot } from '../../builder/disk/writer';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { assertHealthRollback } from '../ab/health-asserts';
import { bootUntilExit, copyOfBase, makeBuild, sharedFixture } from '../ab/support';
import { busyboxImageBytes } from '../guest/support/busybox-image';

const BOOT_TIMEOUT_MS = 20 * 60_000;

describe('hv-svm: a real Linux container that exits 1 at once rolls its trial build back', function () {
  this.timeout(BOOT_TIMEOUT_MS + 300_000);
  let bzImage: Buffer;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel (10-13 min)
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });

  it('U2 (Linux, `exit 1`): health_failed, rollback to U1, U1 runs as the committed build', async () => {
    const fx = await sharedFixture();
    const { disk, vars, u1 } = await copyOfBase('linux-exit1');
    const spec = encodeExecSpec({
      args: ['/bin/sh', '-c', 'echo failing at once; exit 1'],
      env: ['PATH=/bin'],
    });
    const root = busyboxImageBytes({ init, execSpec: spec, sizeMb: 8 });
    // health_timeout_s is far above the boot time: only the exit status can fail the health.
    const u2 = makeBuild(fx, 'linux-exit1', {
      vms: { kernel: bzImage, webDisk: root, webOnly: true, memMb: 64, healthTimeoutS: 900 },
    });
    await writeSlot({ target: disk, buildDir: u2.dir, publicKey: fx.pub, vars });

    const t0 = Date.now();
    const b = await bootUntilExit(disk, vars, { timeoutMs: BOOT_TIMEOUT_MS, memMb: 512 });
    assertHealthRollback(b, u1.uuid, u2.uuid, ['exit-nonzero', 'exit-before-ready']);
    const trial = b.boots[1];
    const lines = trial
      .filter((e) => e.ev === 'console' && e.fields.vm === 'web')
      .map((e) => e.fields.line);
    assert.ok(lines.includes('failing at once'), 'the workload ran in the VM:\n' + b.text);
    const exit = trial.find((e) => e.ev === 'vm_exit');
    assert.deepEqual([exit?.fields.vm, exit?.fields.status], ['web', '1'], b.text);
    const state = readAbState(vars)!;
    assert.equal(state.bad, u2.uuid);
    assert.equal(state.lastGood, u1.uuid);
    console.error(
      `      trial with Linux + rollback + U1: ${Date.now() - t0} ms, ${b.boots.length} boots`,
    );
  });
});
