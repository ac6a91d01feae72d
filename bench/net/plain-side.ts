// The baseline: the same guest kernel and root disk under plain QEMU `-M microvm` (TCG, direct
// Linux boot, virtio-net on QEMU's user network, restrict=on), nginx's port 80 reached through
// QEMU's hostfwd from 127.0.0.1 (test/support/microvm.ts). Each boot gets a fresh copy of the root
// disk: the guest mounts it read-write and nginx's access log (which ends the workload) is on it.
import fs from 'node:fs';
import path from 'node:path';
import { runMicroVm } from '../../test/support/microvm';
import { freePort } from '../../test/support/tcp-peer';
import { measure, stopWorkload, type Measured, type Plan } from './measure';
import { waitServing } from './http';

/** The workload's exit status 0 as isa-debug-exit reports it: (0 << 1) | 1. */
const EXIT_ZERO = 1;
const SERVE_DEADLINE_MS = 5 * 60_000;

export interface PlainRun {
  readonly measured: Measured;
  /** QEMU spawn -> the page first served (ms, host clock). */
  readonly spawnToServingMs: number;
}

export async function runPlain(o: {
  kernel: string;
  rootDisk: string;
  memMb: number;
  plan: Plan;
  work: string;
  timeoutMs: number;
}): Promise<PlainRun> {
  const disk = path.join(o.work, 'plain-root.img');
  fs.copyFileSync(o.rootDisk, disk);
  const port = await freePort();
  const abort = new AbortController();
  const t0 = Date.now();
  let ended: string | undefined;
  const run = runMicroVm({
    kernel: o.kernel,
    disk,
    memMb: o.memMb,
    name: 'web',
    net: { ip: '10.0.2.15/24', gw: '10.0.2.2' },
    hostForwards: [{ hostPort: port, guestPort: 80 }],
    timeoutMs: o.timeoutMs,
    signal: abort.signal,
  });
  run.then(
    (r) =>
      (ended = `QEMU ended (exit ${r.exitCode}, timed out: ${r.timedOut}); console tail:\n${r.console.slice(-1500)}`),
    (e: Error) => (ended = e.message),
  );
  try {
    await waitServing(port, SERVE_DEADLINE_MS, () => ended);
    const spawnToServingMs = Date.now() - t0;
    const measured = await measure(port, o.plan);
    await stopWorkload(port);
    const r = await run;
    if (r.timedOut || r.exitCode !== EXIT_ZERO)
      throw new Error(
        `plain QEMU: the workload did not end with status 0 after the stop (QEMU exit ${r.exitCode}, timed out: ${r.timedOut}); console tail:\n${r.console.slice(-1500)}`,
      );
    return { measured, spawnToServingMs };
  } finally {
    abort.abort();
    await run.catch(() => undefined);
    fs.rmSync(disk, { force: true });
  }
}
