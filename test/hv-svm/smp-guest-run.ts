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

/** The workload: `half` shell-loop iterations per thread (the one-thread phase runs 2 x half).
 * The guest only prints raw /proc values; the arithmetic is parseRound's (a shell that fails one
 * would abort the script and leave nothing to read). */
export function workScript(rounds: number, half: number): string {
  return [
    'echo "NPROC $(nproc)"',
    'work() { i=0; while [ $i -lt $1 ]; do i=$((i+1)); done; }',
    // seconds since boot, as /proc/uptime prints them ("12.34")
    'up() { read u _ < /proc/uptime; echo "$u"; }',
    // each cpuN line's user, nice and system ticks as "u+n+s"
    'busy() { grep "^cpu[0-9]" /proc/stat | while read n u ni s _; do echo -n "$u+$ni+$s "; done; }',
    `for r in $(seq ${rounds}); do`,
    `  a=$(up); work ${2 * half}; b=$(up); p=$(busy)`,
    `  work ${half} & work ${half} & wait; c=$(up); q=$(busy)`,
    '  echo "ROUND $a $b $c BUSY $p/ $q"',
    'done',
    'exit 0',
  ].join('\n');
}

const centis = (uptime: string) => Math.round(Number(uptime) * 100);
const ticks = (cpus: string) =>
  cpus
    .trim()
    .split(/\s+/)
    .map((sum) => sum.split('+').reduce((t, x) => t + Number(x), 0));

export function parseRound(line: string): SmpRound {
  const m = /^ROUND (\d+\.\d+) (\d+\.\d+) (\d+\.\d+) BUSY ([\d+ ]*)\/ ([\d+ ]*)$/.exec(line.trim());
  if (!m) throw new Error(`not a round: ${line}`);
  const before = ticks(m[4]);
  const after = ticks(m[5]);
  return {
    oneCs: centis(m[2]) - centis(m[1]),
    twoCs: centis(m[3]) - centis(m[2]),
    busyTwo: after.map((v, i) => v - (before[i] ?? 0)),
  };
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
  const rounds = roundsOf(lines);
  return { events, lines, nproc, rounds };
}

/** The rounds among a guest's console lines. */
export function roundsOf(lines: string[]): SmpRound[] {
  return lines.filter((l) => l.startsWith('ROUND ')).map(parseRound);
}

/** Each round's two-thread / one-thread ratio (its two phases run back to back, so they share
 * the host's conditions, which drift across a boot under TCG), and their median. */
export function speedup(rounds: SmpRound[]): { ratios: number[]; ratio: number } {
  const ratios = rounds.map((r) => r.twoCs / r.oneCs);
  const sorted = [...ratios].sort((a, b) => a - b);
  return { ratios, ratio: sorted[Math.floor(sorted.length / 2)] };
}
