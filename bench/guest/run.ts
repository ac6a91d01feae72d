// Guest boot benchmark: QEMU start -> the workload's first console line, D0's micro-VM kernel vs
// Debian's stock kernel (+ an initramfs of its modules, ACPI on) running the same PID1, disk image
// and workload, in one run; kernel sizes; and the least memory at which the workload still runs.
// Run: npx tsx bench/guest/run.ts [--runs N]        (results: bench/README.md, "Guest boot")
//      npx tsx bench/guest/run.ts --quick   (CI: one boot of each kernel at 256 MiB, no memory
//      bisection: minMemoryMiB is null)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { MicroVmOptions, runMicroVm } from '../../test/support/microvm';
import { makeBusyboxImage } from '../../test/guest/support/busybox-image';
import { buildStockInitramfs, stockKernel } from './stock-initramfs';

const MARK = 'D0-BENCH-FIRST-LINE';
const OK_EXIT = ((0 << 1) | 1) & 0xff;

interface Boot {
  firstLineMs: number | null;
  ok: boolean;
}

async function bootOnce(o: Omit<MicroVmOptions, 'timeoutMs' | 'onLine'>, timeoutMs: number): Promise<Boot> {
  let firstLineMs: number | null = null;
  const r = await runMicroVm({
    ...o,
    timeoutMs,
    onLine: (l, ms) => {
      if (firstLineMs === null && l.includes(MARK)) firstLineMs = ms;
    },
  });
  return { firstLineMs, ok: !r.timedOut && r.exitCode === OK_EXIT && firstLineMs !== null };
}

function hostTscKhz(): number {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  if (!m) throw new Error('no "cpu MHz" in /proc/cpuinfo');
  return Math.round(Number(m[1]) * 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Smallest memory (MiB, multiple of `step`) in [lo, hi] at which the workload runs. */
async function minMemory(o: Omit<MicroVmOptions, 'timeoutMs' | 'onLine' | 'memMb'>, lo: number, hi: number, step: number, timeoutMs: number): Promise<number> {
  if (!(await bootOnce({ ...o, memMb: hi }, timeoutMs)).ok) throw new Error(`does not run even with ${hi} MiB`);
  while (hi - lo > step) {
    const mid = Math.round((lo + hi) / 2 / step) * step;
    if ((await bootOnce({ ...o, memMb: mid }, timeoutMs)).ok) hi = mid;
    else lo = mid;
  }
  return hi;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runsArg = process.argv.indexOf('--runs');
  const runs = quick ? 1 : runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-guest-'));
  try {
    const kernel = await buildGuestKernel({ log: (l) => console.error(l) });
    const { init } = await buildGuestInit();
    const stock = stockKernel();
    const { initrd, modules } = buildStockInitramfs(stock.release, work);
    const disk = makeBusyboxImage({ init, execSpec: encodeExecSpec({ args: ['/bin/sh', '-c', `echo ${MARK}; exit 0`] }) });
    const common = { disk, name: 'bench', net: { ip: '10.0.2.15/24', gw: '10.0.2.2' } };
    const ours = { ...common, kernel: kernel.bzImage };
    // Under microvm the stock kernel finds no HPET/PM timer and hangs calibrating the TSC;
    // QEMU TCG's guest TSC is the host's, so its frequency is given on the command line.
    const base = { ...common, kernel: stock.vmlinuz, initrd, acpi: true, extraCmdline: [`tsc_early_khz=${hostTscKhz()}`] };

    const t: { ours: number[]; stock: number[] } = { ours: [], stock: [] };
    for (let i = 0; i < runs; i++) {
      // Interleaved, so machine load drifts affect both sides alike.
      const a = await bootOnce({ ...ours, memMb: 256 }, 120_000);
      const b = await bootOnce({ ...base, memMb: 256 }, 240_000);
      if (!a.ok || !b.ok) throw new Error(`run ${i}: a boot failed (ours ok=${a.ok}, stock ok=${b.ok})`);
      t.ours.push(a.firstLineMs!);
      t.stock.push(b.firstLineMs!);
      console.error(`run ${i + 1}/${runs}: ours ${a.firstLineMs} ms, stock ${b.firstLineMs} ms`);
    }
    const memOurs = quick ? null : await minMemory(ours, 4, 128, 2, 60_000);
    const memStock = quick ? null : await minMemory(base, 16, 512, 8, 240_000);
    const sizeOurs = fs.statSync(kernel.bzImage).size;
    const sizeStock = fs.statSync(stock.vmlinuz).size;
    const sizeInitrd = fs.statSync(initrd).size;
    const mo = median(t.ours);
    const ms = median(t.stock);
    const result = {
      runs,
      firstLineMedianMs: { ours: mo, stock: ms },
      firstLineMs: t,
      bootRatioStockOverOurs: +(ms / mo).toFixed(2),
      kernelBytes: { ours: sizeOurs, stock: sizeStock, stockInitramfs: sizeInitrd, stockModules: modules },
      sizeRatioStockOverOurs: +((sizeStock + sizeInitrd) / sizeOurs).toFixed(2),
      minMemoryMiB: { ours: memOurs, stock: memStock },
      memoryRatioStockOverOurs: memStock && memOurs && +(memStock / memOurs).toFixed(2),
      stockKernel: stock.release,
      load: os.loadavg().map((x) => +x.toFixed(1)),
    };
    console.log(JSON.stringify(result, null, 2));
    fs.rmSync(path.dirname(disk), { recursive: true, force: true });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
