// A Linux guest with several vCPUs (kernel/hv/vm.h "vCPUs", kernel/dev/platform/platform.h
// "vCPUs"): D0's MP table lists one processor per vCPU, Linux wakes each AP with INIT and SIPI
// through its local APIC, the AP starts in real mode at the SIPI's page, and the guest counts
// them all (`nproc`). Under QEMU TCG with SVM + NPT (-cpu EPYC), one host thread per CPU
// (-accel tcg,thread=multi), the workload of test/hv-svm/smp-guest-run.ts:
//   -smp 2, one VM with vcpu 2: each vCPU on a CPU of its own (ev=vm_cpu), both started and
//     computing (ev=vcpu_stats); while the loop runs split over two guest threads the guest's two
//     CPUs are busy at once (/proc/stat: together well over the phase's length). How much
//     faster that is (two threads / one thread, goal <= 0.6) is printed here and measured by
//     bench/smp on an idle machine: under TCG it is the host's scheduling of QEMU's threads too.
//     scripts/test runs this file alone, after the side-by-side parts (scripts/test-parts.ts):
//     beside them its guest stalled whenever one of QEMU's two threads was starved;
//   -smp 1, one VM with vcpu 4: more vCPUs than the host has CPUs is the documented shared
//     policy (ev=cpu_plan policy=shared, every vCPU on the BSP), not a refusal: the guest still
//     sees 4 CPUs and exits 0.
// The VMX backend refuses vcpu > 1 at launch (test/hv-vmx/refusal.test.ts).
// Two nested Linux boots; hard timeouts, QEMU always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import type { D0Event } from '../support/events';
import { testD0 } from '../support/test-d0';
import { bootSmp, speedup, workScript } from './smp-guest-run';

const TIMEOUT_MS = 12 * 60_000;
const ROUNDS = 2;
// Shell loop iterations of one thread's half: ~2 s per half under nested TCG.
const HALF = 100_000;
// Both guest CPUs' busy ticks together over a two-thread phase, as a multiple of its length: ~1.9
// on an idle machine; 1.4-1.7 with other emulators beside it (a vCPU whose host thread is
// starved finishes its half later, the other CPU idles meanwhile); ~1.0 when the two threads
// share one CPU. The best round counts.
const PARALLEL = 1.3;
const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

describe('hv-svm: a Linux guest with several vCPUs (INIT/SIPI, its own APIC per vCPU)', function () {
  this.timeout(2 * TIMEOUT_MS + 300_000);
  let dir: string;
  let efi: Buffer;
  let bzImage: Buffer;
  let secretKey: Uint8Array;
  let init: string;

  before(async function () {
    this.timeout(45 * 60_000); // a cold cache builds the guest kernel
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-smp-guest-'));
    ({ efi, secretKey } = await testD0());
    bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    init = (await buildGuestInit()).init;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const boot = (name: string, vcpu: number, smp: number, script: string) =>
    bootSmp({ efi, secretKey, bzImage, init, dir, name, vcpu, smp, script, timeoutMs: TIMEOUT_MS });

  it('-smp 2, vcpu 2: a CPU each, nproc 2, two guest threads busy on both vCPUs at once', async function () {
    const { events, lines, nproc, rounds } = await boot('smp2', 2, 2, workScript(ROUNDS, HALF));
    const text = lines.join('\n');
    const all = events.map((e) => e.raw).join('\n');
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', `${text}\n${all}`);
    assert.equal(nproc, 2, text);
    // Placed one vCPU per CPU, each with its own APIC id; the AP started by the guest's SIPI.
    const plan = only(events, 'cpu_plan')[0];
    assert.deepEqual([plan.fields.cpus, plan.fields.vcpus, plan.fields.policy], ['2', '2', 'dedicated'], all);
    const placed = only(events, 'vm_cpu').map((e) => [e.fields.vcpu, e.fields.cpu]);
    assert.deepEqual(placed, [['0', '0'], ['1', '1']], all);
    const ap = events.find((e) => e.ev === 'hv' && e.fields.what === 'ap-started');
    assert.ok(ap && ap.fields.a === '0x1', all);
    const stats = only(events, 'vcpu_stats');
    assert.deepEqual(stats.map((e) => [e.fields.vcpu, e.fields.cpu, e.fields.started]), [['0', '0', '1'], ['1', '1', '1']], all);
    for (const s of stats) assert.ok(Number(s.fields.guest_ms) > 500, `each vCPU computed\n${all}`);
    // No refused APIC or IPI access on the way.
    assert.equal(events.filter((e) => e.ev === 'hv' && /^(lapic|ipi|ioapic)$/.test(e.fields.dev ?? '')).length, 0, all);
    // Both guest CPUs busy through each two-thread phase (USER_HZ ticks = centiseconds at 100).
    assert.equal(rounds.length, ROUNDS, text);
    for (const r of rounds) assert.equal(r.busyTwo.length, 2, text);
    const parallel = Math.max(...rounds.map((r) => (r.busyTwo[0] + r.busyTwo[1]) / r.twoCs));
    assert.ok(parallel >= PARALLEL, `two threads did not run at once: ${JSON.stringify(rounds)}\n${text}`);
    const s = speedup(rounds);
    this.test!.title += ` (busy CPUs ${parallel.toFixed(2)}; two threads / one ${s.ratios.map((x) => x.toFixed(2)).join(' ')}, measured by bench/smp)`;
  });

  it('-smp 1, vcpu 4: more vCPUs than CPUs share the BSP (policy=shared), the guest sees 4', async () => {
    const { events, lines, nproc } = await boot('smp1', 4, 1, 'echo "NPROC $(nproc)"; exit 0');
    const all = events.map((e) => e.raw).join('\n');
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', `${lines.join('\n')}\n${all}`);
    assert.equal(nproc, 4, lines.join('\n'));
    const plan = only(events, 'cpu_plan')[0];
    assert.deepEqual([plan.fields.cpus, plan.fields.vcpus, plan.fields.policy], ['1', '4', 'shared'], all);
    const placed = only(events, 'vm_cpu');
    assert.deepEqual(placed.map((e) => [e.fields.vcpu, e.fields.cpu, e.fields.vms_on_cpu]),
      [['0', '0', '4'], ['1', '0', '4'], ['2', '0', '4'], ['3', '0', '4']], all);
    const started = only(events, 'vcpu_stats').map((e) => e.fields.started);
    assert.deepEqual(started, ['1', '1', '1', '1'], all);
    assert.equal(only(events, 'commit').length, 1, all);
  });
});
