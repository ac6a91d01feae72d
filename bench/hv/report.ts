// Turns the runs into medians, ratios and a markdown table (what bench/hv/README.md records).
import type { D0Boot } from './d0-boot';
import type { MicroVmBoot } from './microvm-boot';
import { EXIT_REASONS, median, medianCounters } from './stats';

const MIB = 1024 * 1024;
const BOOT_RATIO_GOAL = 1.5;
const D0_BYTES_GOAL = 1 * MIB;

export interface ReportInput {
  readonly micro: readonly MicroVmBoot[];
  readonly d0: readonly D0Boot[];
  readonly runs: number;
  /** Which kernel/ D0 was built from (kernel-source.ts). */
  readonly kernel: string;
  readonly guestMemMb: number;
  readonly wallMs: number;
  readonly load: readonly number[];
  /** The host CPU's clock (MHz, /proc/cpuinfo): what QEMU TCG's guest TSC counts at. */
  readonly hostMhz: number | null;
}

const between = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
/** Median of the values a run has (null: that build did not log the event). */
function med(xs: readonly (number | null)[]): number | null {
  const have = xs.filter((x): x is number => x !== null);
  return have.length ? median(have) : null;
}
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : +(a / b).toFixed(2));

export function report(r: ReportInput) {
  const d = r.d0;
  const boot = {
    microvmSpawnToLine: med(r.micro.map((m) => m.qemuToFirstLineMs)),
    microvmSpawnToExit: med(r.micro.map((m) => m.qemuToExitMs)),
    d0VmStartToLine: med(d.map((x) => x.at.firstLine - x.at.vmStart)),
    d0SpawnToLine: med(d.map((x) => x.at.firstLine)),
    d0SpawnToBootStart: med(d.map((x) => x.at.bootStart)),
    d0Stage1: med(d.map((x) => between(x.at.bootStart, x.at.readyToLaunch))),
    d0ReadyToVmStart: med(d.map((x) => between(x.at.readyToLaunch, x.at.vmStart))),
    d0LineToVmExit: med(d.map((x) => x.at.vmExit - x.at.firstLine)),
    d0VmStartToExitHostClock: med(d.map((x) => x.at.vmExit - x.at.vmStart)),
    d0VmStartToExitD0Clock: med(d.map((x) => x.d0ClockVmStartToExitMs)),
  };
  // Runs are interleaved (microvm, then D0): the median of each pair's ratio follows machine load
  // drifts better than the ratio of the two medians.
  const paired = d.map((x, i) => (x.at.firstLine - x.at.vmStart) / r.micro[i].qemuToFirstLineMs);
  const ratios = {
    guestBootD0OverMicrovm: ratio(boot.d0VmStartToLine, boot.microvmSpawnToLine),
    guestBootMedianOfPairedRatios: +median(paired).toFixed(2),
    guestBootPairedRatios: paired.map((x) => +x.toFixed(2)),
    spawnToLineD0OverMicrovm: ratio(boot.d0SpawnToLine, boot.microvmSpawnToLine),
  };
  // D0 calibrates the TSC over a 20 ms Stall(); on a loaded host the calibration can come out high,
  // and then D0's clock runs slow and the guest (given tsc_early_khz) waits longer in delay loops.
  const tscOverHost = d.map((x) => (x.tscHz !== null && r.hostMhz ? +(x.tscHz / (r.hostMhz * 1e6)).toFixed(2) : null));
  const counters = medianCounters(d.map((x) => x.stats));
  const statsSource = [...new Set(d.map((x) => x.stats?.source ?? 'none'))].join(',');
  // Per run: do the exit reasons add up to the total? (medians of each field need not.)
  const withReasons = d.filter((x) => x.stats?.source === 'vm_stats');
  const reasonsAddUp = withReasons.filter((x) => {
    const c = x.stats!.counters;
    return EXIT_REASONS.reduce((s, k) => s + (c[k] ?? 0), 0) === c.exits;
  }).length;
  // An estimate, not a measurement: all of D0's extra guest time (vm_start -> vm_exit against
  // microvm's whole QEMU run) spread over the VM's exits. An upper bound on what one exit costs
  // here, if the guest's own work is not faster nested than under microvm.
  const extraMs = between(boot.microvmSpawnToExit, boot.d0VmStartToExitHostClock);
  // Meaningless (null) when D0's run was not longer than microvm's.
  const extraUsPerExit = extraMs !== null && extraMs > 0 && counters.exits ? Math.round((extraMs * 1000) / counters.exits) : null;
  const json = {
    runs: r.runs,
    d0Kernel: r.kernel,
    guestMemMb: r.guestMemMb,
    medianMs: boot,
    ratios,
    goalGuestBootRatio: BOOT_RATIO_GOAL,
    vmStatsSource: statsSource,
    medianCounters: counters,
    extraUsPerExitEstimate: extraUsPerExit,
    d0TscCalibratedOverHostClock: tscOverHost,
    runsWhereExitReasonsAddUp: `${reasonsAddUp}/${withReasons.length}`,
    d0BytesGoal: D0_BYTES_GOAL,
    perRun: { microvm: r.micro, d0: d.map(({ timeline: _, ...rest }) => rest) },
    wallMs: r.wallMs,
    load: r.load.map((x) => +x.toFixed(1)),
  };

  const rows: string[] = [
    '| measurement (median of ' + r.runs + ') | microvm | D0 | ratio D0 / microvm |',
    '|---|---|---|---|',
    `| guest boot -> workload's first line (ms): microvm from QEMU spawn, D0 from ev=vm_start | ${fmt(boot.microvmSpawnToLine)} | ${fmt(boot.d0VmStartToLine)} | ${ratios.guestBootD0OverMicrovm ?? 'n/a'} (goal <= ${BOOT_RATIO_GOAL}) |`,
    `| same, median of the per-run ratios (${ratios.guestBootPairedRatios.join(', ')}) | | | ${ratios.guestBootMedianOfPairedRatios} |`,
    `| QEMU spawn -> workload's first line (ms) | ${fmt(boot.microvmSpawnToLine)} | ${fmt(boot.d0SpawnToLine)} | ${ratios.spawnToLineD0OverMicrovm ?? 'n/a'} |`,
    `| D0: QEMU spawn -> ev=boot_start (OVMF) / stage 1 / ready_to_launch -> vm_start (ms) | - | ${fmt(boot.d0SpawnToBootStart)} / ${fmt(boot.d0Stage1)} / ${fmt(boot.d0ReadyToVmStart)} | |`,
    `| D0: first line -> ev=vm_exit (ms); vm_start -> vm_exit host clock / D0 clock (ms) | - | ${fmt(boot.d0LineToVmExit)}; ${fmt(boot.d0VmStartToExitHostClock)} / ${fmt(boot.d0VmStartToExitD0Clock)} | |`,
    `| D0's calibrated TSC rate / host CPU clock, per run | | ${tscOverHost.map((x) => x ?? 'n/a').join(', ')} | |`,
    '',
    `| D0 per VM (ev=${statsSource}, median of ${r.runs}) | value |`,
    '|---|---|',
    `| VM exits per boot | ${fmt(counters.exits)} (reasons add up to it in ${reasonsAddUp}/${withReasons.length} runs) |`,
    `| D0's extra guest time / exits, upper-bound estimate (us) | ${fmt(extraUsPerExit)} |`,
    ...EXIT_REASONS.map((k) => `| exits: ${k} | ${fmt(counters[k])} |`),
    ...['blk_requests', 'blk_read_bytes', 'blk_write_bytes', 'net_tx_frames', 'run_ms'].map(
      (k) => `| ${k} | ${fmt(counters[k])} |`,
    ),
    `| d0_bytes (D0's own memory for the VM) | ${fmt(counters.d0_bytes)} (${counters.d0_bytes !== undefined ? (counters.d0_bytes / MIB).toFixed(3) : 'n/a'} MiB; goal <= 1 MiB) |`,
    `| overlay_bytes / ram_bytes | ${fmt(counters.overlay_bytes)} / ${fmt(counters.ram_bytes)} |`,
  ];
  const known = new Set<string>([...EXIT_REASONS, 'exits', 'blk_requests', 'blk_read_bytes', 'blk_write_bytes', 'net_tx_frames', 'run_ms', 'd0_bytes', 'overlay_bytes', 'ram_bytes']);
  for (const k of Object.keys(counters)) if (!known.has(k)) rows.push(`| ${k} | ${fmt(counters[k])} |`);
  return { json, markdown: rows.join('\n') };
}
