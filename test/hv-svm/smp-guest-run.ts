// One boot of a Linux guest with `vcpu` vCPUs under QEMU q35 + OVMF, -cpu EPYC (SVM + NPT),
// -accel tcg,thread=multi (one host thread per CPU) and -smp as asked, running a shell workload
// that times itself in the guest: `rounds` times the same CPU-bound loop on one thread, then
// split in two halves on two threads (`&` twice, `wait`), interleaved in one boot, each phase
// timed with /proc/uptime and framed by /proc/stat (the guest's per-CPU busy ticks). Shared by
// test/hv-svm/smp-guest.test.ts and bench/smp. Hard timeout; QEMU is always killed (withQemu).
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { busyboxImageBytes } from '../guest/support/busybox-image';
import { consoleLines, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles } from './slot';

export interface SmpBoot {
  efi: Buffer;
  secretKey: Uint8Array;
  bzImage: Buffer;
  /** The guest's PID1 (builder/guest/init). */
  init: string;
  /** Where the ESP image is written (name.img). */
  dir: string;
  name: string;
  vcpu: number;
  smp: number;
  /** Shell script the container runs; default workScript's. */
  script: string;
  timeoutMs: number;
}

/** One round: centiseconds of the whole loop on one thread, then of its two halves on two, and
 * each guest CPU's busy ticks (user + nice + system, USER_HZ) during the two-thread phase. */
export interface SmpRound {
  oneCs: number;
  twoCs: number;
  busyTwo: number[];
}

export interface SmpResult {
  events: D0Event[];
  lines: string[];
  nproc: number;
  rounds: SmpRound[];
}

/** The workload: `half` shell-loop iterations per thread (the one-thread phase runs 2 x half). */
export function workScript(rounds: number, half: number): string {
  return [
    'echo "NPROC $(nproc)"',
    'work() { i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; }',
    // /proc/uptime in centiseconds ("12.34" -> 1234)
    'cs() { read u _ < /proc/uptime; echo "${u%.*}${u#*.}"; }',
    // user + nice + system ticks of each cpuN line, space-separated
    'busy() { grep "^cpu[0-9]" /proc/stat | while read n u ni s _; do echo -n "$((u+ni+s)) "; done; }',
    `for r in $(seq ${rounds}); do`,
    `  a=$(cs); work ${2 * half}; b=$(cs); p=$(busy)`,
    `  work ${half} & work ${half} & wait; c=$(cs); q=$(busy)`,
    '  echo "ROUND $((b-a)) $((c-b)) BUSY $p/ $q"',
    'done',
    'exit 0',
  ].join('\n');
}

function parseRound(line: string): SmpRound {
  const m = /^ROUND (\d+) (\d+) BUSY ([\d ]*)\/ ([\d ]*)$/.exec(line.trim());
  if (!m) throw new Error(`not a round: ${line}`);
  const before = m[3].trim().split(/\s+/).map(Number);
  const after = m[4].trim().split(/\s+/).map(Number);
  return { oneCs: Number(m[1]), twoCs: Number(m[2]), busyTwo: after.map((v, i) => v - (before[i] ?? 0)) };
}

export async function bootSmp(o: SmpBoot): Promise<SmpResult> {
  const spec = encodeExecSpec({ args: ['/bin/sh', '-c', o.script], env: ['PATH=/bin'], cwd: '/' });
  const disk = busyboxImageBytes({ init: o.init, execSpec: spec, sizeMb: 16 });
  const slot = makeVmsSlot(o.secretKey, o.bzImage, [{ name: 'web', memMb: 64, bootOrder: 1, disk, vcpu: o.vcpu }]);
  const esp = path.join(o.dir, `${o.name}.img`);
  await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, o.efi) }]);
  const qemu = {
    disk: esp,
    cpu: 'EPYC',
    memMb: 512,
    timeoutMs: o.timeoutMs,
    accel: 'tcg,thread=multi',
    extraArgs: ['-smp', String(o.smp)],
  };
  const events = await withQemu(qemu, async (vm) => {
    await vm.waitFor((e) => e.ev === 'vm_stopped' && e.fields.vm === 'web');
    await vm.waitFor((e) => e.ev === 'halt');
    return [...vm.events];
  });
  const lines = consoleLines(events, 'web');
  const nproc = Number(lines.find((l) => l.startsWith('NPROC '))?.slice(6) ?? NaN);
  const rounds = lines.filter((l) => l.startsWith('ROUND ')).map(parseRound);
  return { events, lines, nproc, rounds };
}

/** The best (smallest) time of each phase over the rounds, and their ratio two / one. */
export function speedup(rounds: SmpRound[]): { oneCs: number; twoCs: number; ratio: number } {
  const oneCs = Math.min(...rounds.map((r) => r.oneCs));
  const twoCs = Math.min(...rounds.map((r) => r.twoCs));
  return { oneCs, twoCs, ratio: twoCs / oneCs };
}
