// VM exits per guest boot by reason, on D0's two backends, for the same guest: one D0 image, one
// signed slot (the guest kernel, PID1 and a busybox root disk whose workload prints a line and
// exits 0), booted
//   (a) under Bochs `corei7_skylake_x`: the VMX + EPT backend,
//   (b) under Bochs `ryzen`: the SVM + NPT backend, same emulator (set BENCH_RYZEN=0 to skip:
//       it is the slowest run, ~4-5 min),
//   (c) under QEMU TCG `-cpu EPYC`: the SVM backend on the emulator the other tests use.
// It prints each run's ev=vm_stats counters, and the VMX / SVM ratios (Bochs ryzen when it ran,
// else QEMU). A bench, not a test: run it with
//
//   npx tsx bench/hv/backends.ts
//   npx tsx bench/hv/backends.ts --quick    # CI: (a) and (c) only, as BENCH_RYZEN=0
//
// Emulated hardware: absolute times say little (Bochs is ~5x slower than TCG); exit counts are
// what the backends differ in (which instructions each intercepts, how each delivers interrupts).
import fs from 'node:fs';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { busyboxImageBytes } from '../../test/guest/support/busybox-image';
import { D0Under } from '../../test/hv-vmx/d0-bochs';
import type { D0Event } from '../../test/support/events';
import { withQemu } from '../../test/support/qemu';
import { EXIT_REASONS, vmStatsOf } from './stats';

const BOCHS_TIMEOUT_MS = 25 * 60_000;
const VM = 'web';
const MARK = 'bench-backends-first-line';

interface Run {
  label: string;
  backend: string;
  counters: Record<string, number>;
  vmStartToExitMs: number;
}

function toRun(label: string, events: D0Event[]): Run {
  const cpu = events.find((e) => e.ev === 'cpu');
  const exit = events.find((e) => e.ev === 'vm_exit' && e.fields.vm === VM);
  const stats = vmStatsOf(events, VM);
  if (!cpu || !exit || exit.fields.status !== '0' || !stats || stats.source !== 'vm_stats')
    throw new Error(`${label}: the guest did not run to exit 0:\n${events.map((e) => e.raw).join('\n')}`);
  const sum = EXIT_REASONS.reduce((a, r) => a + (stats.counters[r] ?? 0), 0);
  if (sum !== stats.counters.exits) throw new Error(`${label}: exit reasons add up to ${sum}, not ${stats.counters.exits}`);
  return { label, backend: cpu.fields.backend, counters: stats.counters, vmStartToExitMs: Number(exit.fields.after_ms) };
}

async function main(): Promise<void> {
  const d0 = await D0Under.build('d0-bench-backends-');
  try {
    const bzImage = fs.readFileSync((await buildGuestKernel({})).bzImage);
    const init = (await buildGuestInit()).init;
    const spec = encodeExecSpec({ args: ['/bin/sh', '-c', `echo ${MARK}; exit 0`], env: ['PATH=/bin'], cwd: '/' });
    const rootDisk = busyboxImageBytes({ init, execSpec: spec, sizeMb: 8 });
    const esp = await d0.disk(bzImage, rootDisk, { name: VM, memMb: 64 });

    const runs: Run[] = [];
    const bochs = async (cpuModel: string) => {
      process.stderr.write(`bochs ${cpuModel} ...\n`);
      const r = await d0.run(esp, { cpuModel, memMb: 256, timeoutMs: BOCHS_TIMEOUT_MS });
      runs.push(toRun(`Bochs ${cpuModel}`, r.events));
    };
    await bochs('corei7_skylake_x');
    if (process.env.BENCH_RYZEN !== '0' && !process.argv.includes('--quick')) await bochs('ryzen');
    process.stderr.write('qemu EPYC ...\n');
    const qemuEvents = await withQemu({ disk: esp, cpu: 'EPYC', memMb: 512, timeoutMs: 600_000 }, async (vm) => {
      await vm.waitFor('halt');
      return [...vm.events];
    });
    runs.push(toRun('QEMU TCG EPYC', qemuEvents));

    const keys = ['exits', ...EXIT_REASONS, 'blk_requests', 'run_ms'];
    const vmx = runs.find((r) => r.backend === 'vmx')!;
    const svm = runs.find((r) => r.label === 'Bochs ryzen') ?? runs.find((r) => r.label === 'QEMU TCG EPYC')!;
    const lines = [
      `| counter | ${runs.map((r) => `${r.label} (${r.backend})`).join(' | ')} | VMX / SVM (${svm.label}) |`,
      `|---|${runs.map(() => '---').join('|')}|---|`,
      ...keys.map((k) => {
        const a = vmx.counters[k] ?? 0, b = svm.counters[k] ?? 0;
        const ratio = b === 0 ? (a === 0 ? '-' : 'inf') : (a / b).toFixed(2);
        return `| ${k} | ${runs.map((r) => (r.counters[k] ?? 0).toLocaleString('en-US')).join(' | ')} | ${ratio} |`;
      }),
      `| vm_start -> vm_exit, D0's clock (ms) | ${runs.map((r) => r.vmStartToExitMs.toLocaleString('en-US')).join(' | ')} | |`,
    ];
    console.log(JSON.stringify(runs, null, 2));
    console.log(lines.join('\n'));
  } finally {
    d0.dispose();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
