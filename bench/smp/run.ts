// Does a guest's second vCPU make it faster? A Linux guest (the cached guest kernel, busybox)
// under D0 in QEMU q35 + OVMF, -cpu EPYC (SVM + NPT), -accel tcg,thread=multi, -smp 2, times a
// CPU-bound shell loop inside itself: the whole loop on one thread, then its two halves on two
// threads, interleaved in one boot (test/hv-svm/smp-guest-run.ts). The figure: two threads / one
// thread (best of the rounds of each phase, per boot; goal, issue "use the whole machine": <= 0.6).
// Baseline, same command: the same build with vcpu 1 (the two threads share one vCPU: ~1.0).
// Needs an idle machine: under TCG the figure is the host's scheduling of QEMU's threads too.
// Run: npx tsx bench/smp/run.ts [--runs N]   (--quick: one boot each way, one small round, for CI)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { testD0 } from '../../test/support/test-d0';
import { bootSmp, speedup, workScript } from '../../test/hv-svm/smp-guest-run';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = quick ? 1 : runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const ROUNDS = quick ? 1 : 3;
const HALF = quick ? 10_000 : 100_000;

interface One {
  ratio: number;
  oneCs: number;
  twoCs: number;
  nproc: number;
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive integer');
  const { efi, key } = await testD0();
  const bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
  const init = (await buildGuestInit()).init;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-smp-'));
  const results: Record<'vcpu2' | 'vcpu1', One[]> = { vcpu2: [], vcpu1: [] };
  try {
    for (let run = 0; run < RUNS; run++)
      for (const [which, vcpu] of [
        ['vcpu2', 2],
        ['vcpu1', 1],
      ] as const) {
        const r = await bootSmp({
          efi,
          secretKey: key.secretKey,
          bzImage,
          init,
          dir,
          name: `${which}-${run}`,
          vcpu,
          smp: 2,
          script: workScript(ROUNDS, HALF),
          timeoutMs: 900_000,
        });
        if (r.rounds.length !== ROUNDS) throw new Error(`${which}: ${r.rounds.length} rounds\n${r.lines.join('\n')}`);
        const s = speedup(r.rounds);
        console.log(
          `${which} run ${run + 1}: nproc ${r.nproc}, one thread ${s.oneCs} cs, two threads ${s.twoCs} cs, ratio ${s.ratio.toFixed(3)}`,
        );
        results[which].push({ ratio: +s.ratio.toFixed(3), oneCs: s.oneCs, twoCs: s.twoCs, nproc: r.nproc });
      }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = {
    runs: RUNS,
    rounds: ROUNDS,
    half: HALF,
    loadAverage: os.loadavg()[0],
    vcpu2: { medianRatio: median(results.vcpu2.map((r) => r.ratio)), runs: results.vcpu2 },
    vcpu1: { medianRatio: median(results.vcpu1.map((r) => r.ratio)), runs: results.vcpu1 },
  };
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
