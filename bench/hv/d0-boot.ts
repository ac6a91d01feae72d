// One boot of a D0 slot under QEMU TCG `-cpu EPYC` + OVMF (test/support/qemu.ts), timing D0's log
// events with the host clock: each event is stamped (Date.now()) when its serial line is parsed
// from QEMU's stdout, the same way bench/guest stamps microvm's console lines.
import fs from 'node:fs';
import type { D0Event } from '../../test/support/events';
import { withQemu, type QemuRun } from '../../test/support/qemu';
import { vmStatsOf, type VmStats } from './stats';

/** Host memory for the emulated machine: OVMF, D0, the loaded images and the guest's RAM. */
const HOST_MEM_MB = 512;
/** After ev=vm_stopped, how long a build that logs ev=vm_stats gets to print it. */
const STATS_GRACE_MS = 10_000;
const FAILURES = new Set(['boot_failed', 'vm_failed', 'cpu_exception']);

export interface D0Boot {
  /** Host-clock ms from QEMU's spawn to each milestone (null: not logged by this build). */
  readonly at: {
    readonly bootStart: number | null;
    readonly readyToLaunch: number | null;
    readonly firmwareExited: number | null;
    readonly vmStart: number;
    readonly firstLine: number;
    readonly vmExit: number;
  };
  /** ev=vm_exit's after_ms: VM start -> exit by D0's own (TSC-calibrated) clock. */
  readonly d0ClockVmStartToExitMs: number | null;
  readonly exitStatus: string;
  /** D0's TSC rate, calibrated against UEFI's Stall() at boot (ev=firmware_exited tsc_hz); D0's
   *  clock and the guest's tsc_early_khz both come from it. */
  readonly tscHz: number | null;
  readonly stats: VmStats | null;
  /** Every event of the boot with its host-clock ms, one line each ("12345 ev=... k=v ..."). */
  readonly timeline: string;
}

class Stamped {
  readonly at = new Map<D0Event, number>();
  constructor(
    readonly vm: QemuRun,
    readonly t0: number,
  ) {
    vm.stream.onEvent((e) => this.at.set(e, Date.now() - t0));
  }

  /** The first matching event; fails fast on a boot or VM failure event. */
  async wait(match: (e: D0Event) => boolean, what: string): Promise<D0Event> {
    const failure = this.vm.waitFor((e) => FAILURES.has(e.ev)).then((e) => {
      throw new Error(`D0 failed while waiting for ${what}: ${e.raw}\n${this.vm.describe()}`);
    });
    return Promise.race([this.vm.waitFor(match), failure]);
  }

  msOf(ev: string): number | null {
    const e = this.vm.events.find((x) => x.ev === ev);
    return e ? (this.at.get(e) ?? null) : null;
  }
}

function numberField(e: D0Event | undefined, key: string): number | null {
  const v = e?.fields[key];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

/** ev=vm_stats if this build logs it, else what ev=vm_stopped has (see stats.ts). */
async function waitForStats(s: Stamped, name: string): Promise<void> {
  const ofVm = (ev: string) => (e: D0Event) => e.ev === ev && e.fields.vm === name;
  const first = await s.wait((e) => ofVm('vm_stats')(e) || ofVm('vm_stopped')(e), 'ev=vm_stats');
  if (first.ev === 'vm_stats') return;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STATS_GRACE_MS)));
  await Promise.race([s.vm.waitFor(ofVm('vm_stats')).then(() => undefined), grace]);
  clearTimeout(timer);
}

/** Boots a copy of `espImage` (the run may write to it) and follows VM `name` until it stopped. */
export async function bootD0(o: {
  espImage: string;
  name: string;
  mark: string;
  timeoutMs: number;
}): Promise<D0Boot> {
  const disk = `${o.espImage}.run`;
  fs.copyFileSync(o.espImage, disk);
  try {
    return await withQemu({ disk, cpu: 'EPYC', memMb: HOST_MEM_MB, timeoutMs: o.timeoutMs }, async (vm) => {
      const s = new Stamped(vm, Date.now());
      const ofVm = (ev: string) => (e: D0Event) => e.ev === ev && e.fields.vm === o.name;
      const start = await s.wait(ofVm('vm_start'), 'ev=vm_start');
      const line = await s.wait(
        (e) => ofVm('console')(e) && (e.fields.line ?? '').includes(o.mark),
        "the workload's line",
      );
      const exit = await s.wait(ofVm('vm_exit'), 'ev=vm_exit');
      await waitForStats(s, o.name);
      const afterMs = exit.fields.after_ms;
      return {
        at: {
          bootStart: s.msOf('boot_start'),
          readyToLaunch: s.msOf('ready_to_launch'),
          firmwareExited: s.msOf('firmware_exited'),
          vmStart: s.at.get(start)!,
          firstLine: s.at.get(line)!,
          vmExit: s.at.get(exit)!,
        },
        d0ClockVmStartToExitMs: afterMs !== undefined ? Number(afterMs) : null,
        exitStatus: exit.fields.status ?? '?',
        tscHz: numberField(vm.events.find((e) => e.ev === 'firmware_exited'), 'tsc_hz'),
        stats: vmStatsOf(vm.events, o.name),
        timeline: vm.events.map((e) => `${s.at.get(e) ?? '?'} ${e.raw}`).join('\n') + '\n',
      };
    });
  } finally {
    fs.rmSync(disk, { force: true });
  }
}
