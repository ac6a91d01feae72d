// A CPU with nothing to run halts instead of spinning (kernel/hv/idle.h, boot/efi/run_vms.c): a
// Linux guest that sleeps leaves D0's CPU halted (STI; HLT) until the next host tick or kick, and
// D0 counts it (ev=cpu_stats idle_ms= halts=); the guest's own timers still wake it (its sleep
// ends and it exits 0). Under QEMU TCG with SVM + NPT (-cpu EPYC), one CPU, booted as
// test/hv-svm/smp-guest-run.ts boots (one vCPU here).
// One nested Linux boot; hard timeout, QEMU killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { testD0 } from '../support/test-d0';
import { bootSmp } from './smp-guest-run';

const TIMEOUT_MS = 10 * 60_000;
const SLEEP_S = 3;

describe('hv-svm: an idle CPU halts until its next interrupt', function () {
  this.timeout(TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let bzImage: Buffer;
  let secretKey: Uint8Array;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-idle-'));
    ({ efi, secretKey } = await testD0());
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`a guest sleeping ${SLEEP_S} s leaves the CPU halted a good part of that time; its timer still wakes it`, async function () {
    const script = [
      'read a _ < /proc/uptime',
      `sleep ${SLEEP_S}`,
      'read b _ < /proc/uptime',
      'echo "SLEPT $a $b"',
      'exit 0',
    ].join('\n');
    const { events, lines } = await bootSmp({
      efi,
      secretKey,
      bzImage,
      init,
      dir,
      name: 'idle',
      vcpu: 1,
      smp: 1,
      script,
      timeoutMs: TIMEOUT_MS,
    });
    const all = events.map((e) => e.raw).join('\n');
    const exit = events.find((e) => e.ev === 'vm_exit' && e.fields.vm === 'web');
    assert.equal(exit?.fields.status, '0', all);
    const slept = lines.find((l) => l.startsWith('SLEPT '));
    assert.ok(slept, all);
    const [a, b] = slept.split(' ').slice(1).map(Number);
    assert.ok(b - a >= SLEEP_S, `the guest's sleep ended early: ${slept}`);
    // The sleep alone is SLEEP_S s of nothing to run: at least a third of it halted, in host
    // ticks of 4 ms (~60 % on an idle machine: the halted vCPU is looked at every 10 ms and
    // a deadline less than a tick away is polled for; a spinning CPU reports idle_ms=0 halts=0).
    const stats = events.find((e) => e.ev === 'cpu_stats');
    assert.ok(stats, all);
    assert.equal(stats.fields.cpu, '0', all);
    const idleMs = Number(stats.fields.idle_ms);
    const halts = Number(stats.fields.halts);
    assert.ok(idleMs >= (SLEEP_S * 1000) / 3, `idle_ms ${idleMs}\n${all}`);
    assert.ok(halts >= 100, `halts ${halts}\n${all}`);
    this.test!.title += ` (idle_ms ${idleMs}, halts ${halts}, guest slept ${(b - a).toFixed(2)} s)`;
  });
});
