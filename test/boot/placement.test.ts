// VMs on their own CPUs (kernel/boot/efi/run_vms.c, kernel/docs/acpi-and-cpus.md "VMs on
// CPUs"): under QEMU q35 + OVMF, -cpu EPYC (SVM + NPT), -accel tcg,thread=multi (one host thread
// per vCPU). Two tiny VMs (test/boot/placement-guest.ts): a spinner that alternates ~1.4 s of
// spinning with interrupts off and ~1.4 s of halting, and a worker that times a fixed loop with
// RDTSC inside the guest, over and over.
//
// - -smp 2: each VM has a CPU of its own (ev=vm_cpu), and the worker never waits for its CPU
//   while the spinner spins: D0's own account (ev=vm_stats wait_ms: runnable, but its CPU busy
//   with another VM or with D0) stays under 10 % of its run time. The worker's own timing
//   (units while the spinner spins / while it idles, interleaved in one run and sorted into the
//   spinner's phases by D0's log times) is printed, not asserted: under TCG it is the host's
//   scheduling of QEMU's threads as much as D0's (a CI machine runs other emulators beside it);
//   bench/cpu measures it on an idle machine against the <= 10 % goal.
// - -smp 1, the same build: the policy for more VMs than CPUs (shared, round-robin, in the log),
//   and the control that shows the account sees sharing: the worker waits over 15 % of the time (~50 % while the spinner spins, ~0 while it idles).
// - -smp 2, three VMs: shared, VM k on CPU k mod 2, all three run to their exit.
// Each boot has a hard timeout and QEMU is always killed (withQemu).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import type { VmSpec } from '../hv-svm/slot';
import { SPINNER_MEM_MB, WORKER_MEM_MB } from './placement-guest';
import { bootPlacement } from './placement-run';
import { interference, waitShare } from './placement-measure';

const BOOT_TIMEOUT_MS = 300_000;
/** Worker units: enough to span several spinner phases even when the machine is loaded. */
const UNITS = 100;
const LOOPS = 20_000_000;

describe('boot: VMs placed on CPUs (QEMU + OVMF, TCG thread=multi, -cpu EPYC)', function () {
  this.timeout(3 * BOOT_TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let secretKey: Uint8Array;

  before(async function () {
    this.timeout(300_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-placement-'));
    const built = await testD0();
    efi = built.efi;
    secretKey = built.key.secretKey;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const boot = (smp: number, vms: VmSpec[], name: string) =>
    bootPlacement({
      efi,
      secretKey,
      dir,
      name,
      smp,
      vms,
      units: UNITS,
      loops: LOOPS,
      timeoutMs: BOOT_TIMEOUT_MS,
    });

  const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);
  const dump = (events: D0Event[]) => events.map((e) => e.raw).join('\n');
  const placed = (events: D0Event[]) =>
    only(events, 'vm_cpu').map((e) => [e.fields.vm, e.fields.cpu, e.fields.vms_on_cpu]);
  /** ev=cpu_plan's VMs, CPUs and policy. */
  const plan = (events: D0Event[]) => {
    const p = only(events, 'cpu_plan')[0];
    return [p?.fields.vms, p?.fields.cpus, p?.fields.policy];
  };

  const pair: VmSpec[] = [
    { name: 'spinner', memMb: SPINNER_MEM_MB, bootOrder: 1 },
    { name: 'worker', memMb: WORKER_MEM_MB, bootOrder: 2 },
  ];

  it('-smp 2: spinner and worker each on a CPU of its own; spinning does not slow the worker', async () => {
    const events = await boot(2, pair, 'pair-smp2');
    const all = dump(events);
    assert.deepEqual(plan(events), ['2', '2', 'dedicated'], all);
    assert.deepEqual(
      placed(events),
      [
        ['spinner', '0', '1'],
        ['worker', '1', '1'],
      ],
      all,
    );
    const exit = events.find((e) => e.ev === 'vm_exit' && e.fields.vm === 'worker');
    assert.equal(exit?.fields.status, '0', all);
    // The AP's own host tick took the computing worker off its CPU (its intr exits).
    const stats = events.find((e) => e.ev === 'vm_stats' && e.fields.vm === 'worker');
    assert.ok(Number(stats?.fields.intr) > 10, stats?.raw);
    assert.equal(stats?.fields.cpu, '1', stats?.raw);
    const share = waitShare(events, 'worker');
    console.log(`      -smp 2: worker ${share.text}; ${interference(events).text}`);
    assert.ok(share.wait < 0.1, `the worker waited for its CPU: ${share.text}\n${all}`);
  });

  it('-smp 1: more VMs than CPUs share the BSP (policy=shared), and the spinner then slows the worker', async () => {
    const events = await boot(1, pair, 'pair-smp1');
    const all = dump(events);
    assert.deepEqual(plan(events), ['2', '1', 'shared'], all);
    assert.deepEqual(
      placed(events),
      [
        ['spinner', '0', '2'],
        ['worker', '0', '2'],
      ],
      all,
    );
    const share = waitShare(events, 'worker');
    console.log(`      -smp 1: worker ${share.text}; ${interference(events).text}`);
    assert.ok(share.wait > 0.15, `the control: sharing must show: ${share.text}\n${all}`);
  });

  it('-smp 2, three VMs: shared round-robin (VM k on CPU k mod 2), every one runs to its exit', async () => {
    const three: VmSpec[] = [
      { name: 'w1', memMb: WORKER_MEM_MB, bootOrder: 1 },
      { name: 'w2', memMb: WORKER_MEM_MB + 4, bootOrder: 2 },
      { name: 'w3', memMb: WORKER_MEM_MB + 8, bootOrder: 3 },
    ];
    const events = await boot(2, three, 'three-smp2');
    const all = dump(events);
    assert.deepEqual(plan(events), ['3', '2', 'shared'], all);
    assert.deepEqual(
      placed(events),
      [
        ['w1', '0', '2'],
        ['w2', '1', '1'],
        ['w3', '0', '2'],
      ],
      all,
    );
    for (const w of ['w1', 'w2', 'w3']) {
      const exit = events.find((e) => e.ev === 'vm_exit' && e.fields.vm === w);
      assert.equal(exit?.fields.status, '0', `${w}\n${all}`);
      const lines = events.filter((e) => e.ev === 'console' && e.fields.vm === w);
      assert.equal(lines.length, UNITS, `${w}: every unit printed\n${all}`);
    }
  });
});
