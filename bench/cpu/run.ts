// Does a VM spinning with interrupts off slow another VM? Two tiny VMs (test/boot/placement-guest.ts)
// under QEMU q35 + OVMF, -cpu EPYC, -accel tcg,thread=multi: a spinner that alternates ~1.6 s of
// spinning with interrupts off and ~1.6 s of halting, and a worker that times a fixed loop with
// RDTSC inside the guest over and over. Its units are sorted into the spinner's phases by D0's log
// times (same run, interleaved) and the medians compared: spinning / idle.
//   placed:   -smp 2, each VM on a CPU of its own (D0's placement, ev=cpu_plan policy=dedicated)
//   baseline: -smp 1, both VMs on one CPU (policy=shared: D0's round-robin, as every build ran
//             before VMs were placed on CPUs)
// Also D0's own account: the worker's wait_ms (runnable while its CPU ran another VM or D0) as a
// share of its time. Goal (issue "use the whole machine"): placed spinning / idle <= 1.10.
// Needs an idle machine: under TCG the figure is the host's scheduling of QEMU's threads too.
// Run: npx tsx bench/cpu/run.ts [--runs N]   (--quick: one run of each, 20 units, for CI)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testD0 } from '../../test/support/test-d0';
import { SPINNER_MEM_MB, WORKER_MEM_MB } from '../../test/boot/placement-guest';
import { interference, waitShare } from '../../test/boot/placement-measure';
import { bootPlacement } from '../../test/boot/placement-run';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = quick ? 1 : runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
// Enough units to span at least two whole spinner phases of each kind.
const UNITS = quick ? 20 : 150;
const LOOPS = 20_000_000;

interface One {
  ratio: number;
  spinningMs: number;
  idleMs: number;
  unitsSpinning: number;
  unitsIdle: number;
  waitShare: number;
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive integer');
  const { efi, key } = await testD0();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-cpu-'));
  const vms = [
    { name: 'spinner', memMb: SPINNER_MEM_MB, bootOrder: 1 },
    { name: 'worker', memMb: WORKER_MEM_MB, bootOrder: 2 },
  ];
  const results: Record<'placed' | 'baseline', One[]> = { placed: [], baseline: [] };
  try {
    for (let run = 0; run < RUNS; run++)
      for (const [which, smp] of [
        ['placed', 2],
        ['baseline', 1],
      ] as const) {
        const events = await bootPlacement({
          efi,
          secretKey: key.secretKey,
          dir,
          name: `${which}-${run}`,
          smp,
          vms,
          units: UNITS,
          loops: LOOPS,
          timeoutMs: 600_000,
        });
        const m = interference(events);
        const w = waitShare(events, 'worker');
        console.log(`${which} (-smp ${smp}) run ${run + 1}: ${m.text}; worker ${w.text}`);
        results[which].push({
          ratio: +m.ratio.toFixed(3),
          spinningMs: +m.spinningMs.toFixed(1),
          idleMs: +m.idleMs.toFixed(1),
          unitsSpinning: m.spinning,
          unitsIdle: m.idle,
          waitShare: +w.wait.toFixed(3),
        });
      }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    runs: RUNS,
    units: UNITS,
    loadAverage: os.loadavg()[0],
    placed: { medianRatio: median(results.placed.map((r) => r.ratio)), runs: results.placed },
    baseline: { medianRatio: median(results.baseline.map((r) => r.ratio)), runs: results.baseline },
  };
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
