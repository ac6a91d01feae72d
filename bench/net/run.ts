// Network benchmark: nginx in a container reached through D0's published port against the same
// root disk under plain QEMU `-M microvm` with user networking and hostfwd, interleaved boot by
// boot (D0, plain, D0, plain ...). Per boot: sequential small GETs of the page (request latency,
// a fresh TCP connection each), downloads of files of N MiB (throughput), then a GET that ends the
// workload so D0 logs the VM's counters (ev=vm_stats: exits per MiB moved). In full mode one more
// D0 boot serves the GETs without the downloads, so the exits the downloads add can be told from
// the boot's.
// Run: npx tsx bench/net/run.ts [--runs 3] [--mib 4,32] [--reps 2] [--gets 20]
//      (--quick: 1 MiB, one download, 3 GETs, one boot each, no idle boot: CI)
// Results: bench/net/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { d0 } from '../../test/support/d0-pipeline';
import { ensureDockerd } from '../../test/support/dockerd';
import { buildD0Disk, runD0, type D0Run } from './d0-side';
import { buildBenchImage, removeBenchImages } from './image';
import type { Plan } from './measure';
import { runPlain, type PlainRun } from './plain-side';
import { report } from './report';

/** The container's memory, the same on both paths. */
const GUEST_MEM_MB = 128;
const D0_TIMEOUT_MS = 15 * 60_000;
const PLAIN_TIMEOUT_MS = 10 * 60_000;

interface Options {
  quick: boolean;
  runs: number;
  plan: Plan;
}

function intArg(args: string[], name: string, dflt: number, max: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const raw = args[i + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${name}: expected an integer from 1 to ${max}, got "${raw ?? ''}"`);
  return n;
}

function parseArgs(args: string[]): Options {
  if (args.includes('--quick'))
    return { quick: true, runs: 1, plan: { sizesMib: [1], reps: 1, gets: 3 } };
  const i = args.indexOf('--mib');
  const sizesMib = i < 0 ? [4, 32] : (args[i + 1] ?? '').split(',').map(Number);
  if (sizesMib.length === 0 || sizesMib.some((m) => !Number.isInteger(m) || m < 1 || m > 256))
    throw new Error(
      `--mib: expected sizes in MiB from 1 to 256, comma-separated, got "${args[i + 1] ?? ''}"`,
    );
  return {
    quick: false,
    runs: intArg(args, '--runs', 3, 20),
    plan: {
      sizesMib: [...new Set(sizesMib)].sort((a, b) => a - b),
      reps: intArg(args, '--reps', 2, 10),
      gets: intArg(args, '--gets', 20, 500),
    },
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (l: string) => console.error(l);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-net-'));
  const dockerd = await ensureDockerd();
  try {
    const vmlinuz = (await buildGuestKernel({ log })).bzImage;
    const { init } = await buildGuestInit({ log });
    const tag = await buildBenchImage(dockerd.docker, work, opts.plan.sizesMib);
    const rootDisk = path.join(work, 'web-root.img');
    const built = await d0(['image', 'build', `docker:${tag}`, '--out', rootDisk, '--init', init]);
    if (built.code !== 0) throw new Error(`d0 image build: ${built.err}`);
    const siteDisk = await buildD0Disk({
      dir: path.join(work, 'site'),
      rootDisk,
      vmlinuz,
      memMb: GUEST_MEM_MB,
    });
    log(
      `root disk ${(fs.statSync(rootDisk).size / 2 ** 20).toFixed(0)} MiB; plan ${JSON.stringify(opts.plan)}, ${opts.runs} run(s)`,
    );

    const d0Runs: D0Run[] = [];
    const plainRuns: PlainRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      // Interleaved, so drifts in the machine's load hit both paths alike.
      const d = await runD0({ siteDisk, plan: opts.plan, work, timeoutMs: D0_TIMEOUT_MS });
      d0Runs.push(d);
      const p = await runPlain({
        kernel: vmlinuz,
        rootDisk,
        memMb: GUEST_MEM_MB,
        plan: opts.plan,
        work,
        timeoutMs: PLAIN_TIMEOUT_MS,
      });
      plainRuns.push(p);
      const rates = (r: D0Run | PlainRun) =>
        r.measured.downloads.map((x) => `${x.mib} MiB ${x.rate} MiB/s`).join(', ');
      log(
        `run ${i + 1}/${opts.runs}: D0 ${rates(d)}, exits ${d.stats.counters.exits}; plain ${rates(p)}`,
      );
    }
    let idle: D0Run | undefined;
    if (!opts.quick) {
      idle = await runD0({
        siteDisk,
        plan: { ...opts.plan, sizesMib: [], reps: 0 },
        work,
        timeoutMs: D0_TIMEOUT_MS,
      });
      log(`idle D0 boot: exits ${idle.stats.counters.exits}`);
    }
    const r = report({
      plan: opts.plan,
      d0: d0Runs,
      plain: plainRuns,
      idle,
      load: os.loadavg(),
      wallS: Math.round((Date.now() - started) / 1000),
    });
    console.log(r.markdown);
    console.log(JSON.stringify(r.json));
  } finally {
    try {
      removeBenchImages();
    } catch {
      /* an image that was never built */
    }
    fs.rmSync(work, { recursive: true, force: true });
    await dockerd.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
