// The baseline: the same guest kernel, root disk and workload under plain QEMU `-M microvm` (TCG,
// direct Linux boot, no firmware), run as bench/guest runs it (test/support/microvm.ts).
// Host clock: QEMU's spawn -> the moment each console line arrives on QEMU's stdout.
import { runMicroVm } from '../../test/support/microvm';

/** The workload's exit status 0 as QEMU's isa-debug-exit reports it: (0 << 1) | 1. */
const EXIT_ZERO = 1;

export interface MicroVmBoot {
  /** QEMU spawn -> the workload's first line (ms). */
  readonly qemuToFirstLineMs: number;
  /** QEMU spawn -> QEMU exited after the workload's exit 0 (ms). */
  readonly qemuToExitMs: number;
}

export async function bootMicroVm(o: {
  kernel: string;
  disk: string;
  memMb: number;
  mark: string;
  timeoutMs: number;
}): Promise<MicroVmBoot> {
  let first: number | null = null;
  const r = await runMicroVm({
    kernel: o.kernel,
    disk: o.disk,
    memMb: o.memMb,
    name: 'bench',
    net: { ip: '10.20.0.10/24' },
    timeoutMs: o.timeoutMs,
    onLine: (line, ms) => {
      if (first === null && line.includes(o.mark)) first = ms;
    },
  });
  if (r.timedOut || r.exitCode !== EXIT_ZERO || first === null)
    throw new Error(
      `microvm boot failed (timed out: ${r.timedOut}, QEMU exit ${r.exitCode}, ` +
        `workload line seen: ${first !== null}); console tail:\n${r.console.slice(-1500)}`,
    );
  return { qemuToFirstLineMs: first, qemuToExitMs: r.elapsedMs };
}
