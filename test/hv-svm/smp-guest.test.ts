// A Linux guest with several vCPUs (kernel/hv/vm.h "vCPUs", kernel/dev/platform/platform.h
// "vCPUs"): D0's MP table lists one processor per vCPU, Linux wakes each AP with INIT and SIPI
// through its local APIC, the AP starts in real mode at the SIPI's page, and the guest counts
// them all (`nproc`). Under QEMU TCG with SVM + NPT (-cpu EPYC), one host thread per CPU
// (-accel tcg,thread=multi):
//   -smp 2, one VM with vcpu 2: each vCPU on a CPU of its own (ev=vm_cpu), both started
//     (ev=vcpu_stats); a CPU-bound workload split over two guest threads finishes in at most 0.6x
//     the time of the same work on one thread, both timed in the guest (/proc/uptime), same boot,
//     interleaved, best of ROUNDS each (the host is shared with the test runner);
//   -smp 1, one VM with vcpu 4: more vCPUs than the host has CPUs is the documented shared
//     policy (ev=cpu_plan policy=shared, every vCPU on the BSP), not a refusal: the guest still
//     sees 4 CPUs and exits 0.
// The VMX backend refuses vcpu > 1 at launch (test/hv-vmx/refusal.test.ts).
// Two nested Linux boots; hard timeouts, QEMU always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { consoleLines, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles } from './slot';
import { testD0 } from '../support/test-d0';

const TIMEOUT_MS = 12 * 60_000;
const ROUNDS = 2;
// Shell loop iterations of one thread's half: ~2 s per half under nested TCG.
const HALF = 100_000;
const only = (events: D0Event[], ev: string) => events.filter((e) => e.ev === ev);

/** The guest's script: nproc, then ROUNDS x (the whole work on one thread, then split in two). */
function workScript(): string {
  return [
    'echo "NPROC $(nproc)"',
    'work() { i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; }',
    // /proc/uptime in centiseconds ("12.34" -> 1234)
    'cs() { read u _ < /proc/uptime; echo "${u%.*}${u#*.}"; }',
    `for r in $(seq ${ROUNDS}); do`,
    `  a=$(cs); work ${2 * HALF}; b=$(cs)`,
    `  work ${HALF} & work ${HALF} & wait; c=$(cs)`,
    '  echo "ROUND $((b-a)) $((c-b))"',
    'done',
    'exit 0',
  ].join('\n');
}

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

  async function boot(name: string, vcpu: number, smp: number, script: string) {
    const spec = encodeExecSpec({ args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/' });
    const disk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 });
    const slot = makeVmsSlot(secretKey, bzImage, [{ name: 'web', memMb: 64, bootOrder: 1, disk, vcpu }]);
    const esp = path.join(dir, `${name}.img`);
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, efi) }]);
    const qemu = { disk: esp, cpu: 'EPYC', memMb: 512, timeoutMs: TIMEOUT_MS, accel: 'tcg,thread=multi', extraArgs: ['-smp', String(smp)] };
    return withQemu(qemu, async (vm) => {
      await vm.waitFor((e) => e.ev === 'vm_stopped' && e.fields.vm === 'web');
      await vm.waitFor((e) => e.ev === 'halt');
      return [...vm.events];
    });
  }

  it('-smp 2, vcpu 2: a CPU each, nproc 2, two guest threads take <= 0.6x the time of one', async () => {
    const events = await boot('smp2', 2, 2, workScript());
    const lines = consoleLines(events, 'web');
    const text = lines.join('\n');
    const all = events.map((e) => e.raw).join('\n');
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', `${text}\n${all}`);
    assert.ok(lines.includes('NPROC 2'), text);
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
    const rounds = lines.filter((l) => l.startsWith('ROUND ')).map((l) => l.split(' ').slice(1).map(Number));
    assert.equal(rounds.length, ROUNDS, text);
    const one = Math.min(...rounds.map((r) => r[0]));
    const two = Math.min(...rounds.map((r) => r[1]));
    assert.ok(one > 0 && two > 0, text);
    assert.ok(two <= 0.6 * one, `two threads ${two} cs vs one thread ${one} cs (ratio ${(two / one).toFixed(2)}): ${text}`);
  });

  it('-smp 1, vcpu 4: more vCPUs than CPUs share the BSP (policy=shared), the guest sees 4', async () => {
    const events = await boot('smp1', 4, 1, 'echo "NPROC $(nproc)"; exit 0');
    const lines = consoleLines(events, 'web');
    const all = events.map((e) => e.raw).join('\n');
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', `${lines.join('\n')}\n${all}`);
    assert.ok(lines.includes('NPROC 4'), lines.join('\n'));
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
