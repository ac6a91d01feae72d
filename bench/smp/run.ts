// Does a guest's second vCPU make it faster? A Linux guest (the cached guest kernel, busybox)
// times a CPU-bound shell loop inside itself: the whole loop on one thread, then its two halves
// on two threads, back to back, ROUNDS times in one boot (test/hv-svm/smp-guest-run.ts). The
// figure: two threads / one thread per round, the median of a boot's rounds, then of the boots
// (goal, issue "use the whole machine": <= 0.6 under D0).
//   d0:        under D0 in QEMU q35 + OVMF, -cpu EPYC (SVM + NPT), -accel tcg,thread=multi,
//              -smp 2, one VM with vcpu 2 (each vCPU on a CPU of its own);
//   plain:     the baseline, same command: the same kernel, disk and workload under plain QEMU
//              -M microvm -smp 2, tcg,thread=multi (what TCG itself gives two guest CPUs);
//   d0-vcpu1:  the control: under D0 with vcpu 1 (both threads on one vCPU: ~1.0).
// Needs an idle machine: under TCG the figure is the host's scheduling of QEMU's threads too.
// Run: npx tsx bench/smp/run.ts [--runs N]   (--quick: one boot each way, one small round, for CI)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../../test/guest/support/busybox-image';
import { runMicroVm } from '../../test/support/microvm';
import { testD0 } from '../../test/support/test-d0';
import { bootSmp, roundsOf, speedup, workScript, type SmpRound } from '../../test/hv-svm/smp-guest-run';

const quick = process.argv.includes('--quick');
const runsArg = process.argv.indexOf('--runs');
const RUNS = quick ? 1 : runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const ROUNDS = quick ? 1 : 3;
const HALF = quick ? 10_000 : 100_000;
const KINDS = ['d0', 'plain', 'd0-vcpu1'] as const;
type Kind = (typeof KINDS)[number];

interface One {
  ratio: number; /* the median of its rounds' */
  rounds: { oneCs: number; twoCs: number; ratio: number }[];
  nproc: number;
}

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive integer');
  const { efi, key } = await testD0();
  const kernelPath = (await buildGuestKernel({})).bzImage;
  const bzImage = fs.readFileSync(kernelPath);
  const init = (await buildGuestInit()).init;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-smp-'));
  const script = workScript(ROUNDS, HALF);
  const results: Record<Kind, One[]> = { d0: [], plain: [], 'd0-vcpu1': [] };
  try {
    // The plain baseline's root disk: the same PID1 and workload as D0's VM gets.
    const spec = encodeExecSpec({ args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/' });
    const plainDisk = path.join(dir, 'plain.img');
    fs.writeFileSync(plainDisk, busyboxImageBytes({ init, execSpec: spec, sizeMb: 16 }));
    for (let run = 0; run < RUNS; run++)
      for (const kind of KINDS) {
        let lines: string[];
        if (kind === 'plain') {
          const r = await runMicroVm({ kernel: kernelPath, disk: plainDisk, memMb: 64, smp: 2, timeoutMs: 900_000 });
          lines = r.console.split(/\r?\n/);
          if (r.timedOut) throw new Error(`plain: timed out\n${r.console.slice(-1500)}`);
        } else {
          const r = await bootSmp({
            efi,
            secretKey: key.secretKey,
            bzImage,
            init,
            dir,
            name: `${kind}-${run}`,
            vcpu: kind === 'd0' ? 2 : 1,
            smp: 2,
            script,
            timeoutMs: 900_000,
          });
          lines = r.lines;
        }
        const rounds: SmpRound[] = roundsOf(lines.map((l) => l.trim()));
        const nproc = Number(lines.find((l) => l.trim().startsWith('NPROC '))?.trim().slice(6) ?? NaN);
        if (rounds.length !== ROUNDS) throw new Error(`${kind}: ${rounds.length} rounds\n${lines.join('\n')}`);
        const s = speedup(rounds);
        const per = rounds.map((x, i) => ({ oneCs: x.oneCs, twoCs: x.twoCs, ratio: +s.ratios[i].toFixed(3) }));
        console.log(
          `${kind} run ${run + 1}: nproc ${nproc}, rounds (one thread / two threads, cs) ` +
            `${per.map((x) => `${x.oneCs}/${x.twoCs}`).join(' ')}, median ratio ${s.ratio.toFixed(3)}`,
        );
        results[kind].push({ ratio: +s.ratio.toFixed(3), rounds: per, nproc });
      }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary: Record<string, unknown> = { runs: RUNS, rounds: ROUNDS, half: HALF, loadAverage: os.loadavg()[0] };
  for (const kind of KINDS)
    summary[kind] = {
      medianRatio: median(results[kind].map((r) => r.ratio)),
      allRoundsMedian: median(results[kind].flatMap((r) => r.rounds.map((x) => x.ratio))),
      runs: results[kind],
    };
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
