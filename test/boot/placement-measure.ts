// Reads one run of the placement guest (placement-guest.ts) out of D0's log: the worker's units
// (TSC ticks measured inside the guest), sorted into the spinner's phases by D0's log times, and
// the ratio of their medians. Shared by test/boot/placement.test.ts and bench/cpu.
import type { D0Event } from '../support/events';

/** A unit is sorted into a phase only when it lies inside it with this much room (ms) each side:
 * D0 logs a console line when the guest's newline reaches it, a little after the guest wrote it. */
const EDGE_MS = 30;

export interface Interference {
  /** Units wholly inside spinning / idle phases. */
  spinning: number;
  idle: number;
  /** Median unit time (ms) in each. */
  spinningMs: number;
  idleMs: number;
  /** spinningMs / idleMs: 1.0 when the spinner does not touch the worker. */
  ratio: number;
  text: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

export function interference(
  events: D0Event[],
  worker = 'worker',
  spinner = 'spinner',
): Interference {
  const fw = events.find((e) => e.ev === 'firmware_exited');
  const tscHz = Number(fw?.fields.tsc_hz);
  if (!(tscHz > 0)) throw new Error('no ev=firmware_exited tsc_hz in the log');
  const ms = (e: D0Event) => {
    const v = Number(e.fields.ms);
    if (!Number.isFinite(v)) throw new Error(`no ms= on ${e.raw}`);
    return v;
  };
  const marks = events
    .filter((e) => e.ev === 'console' && e.fields.vm === spinner)
    .map((e) => ({ at: ms(e), phase: e.fields.line }));
  const units = events
    .filter((e) => e.ev === 'console' && e.fields.vm === worker)
    .map((e) => {
      const m = /^w ([0-9a-f]{8})$/.exec(e.fields.line);
      if (!m) throw new Error(`not a unit line: ${e.raw}`);
      const took = (parseInt(m[1], 16) * 256 * 1000) / tscHz;
      return { from: ms(e) - took, to: ms(e), took };
    });
  const inPhase = (phase: string) =>
    units
      .filter((u) =>
        marks.some(
          (mk, i) =>
            mk.phase === phase &&
            i + 1 < marks.length &&
            u.from >= mk.at + EDGE_MS &&
            u.to <= marks[i + 1].at - EDGE_MS,
        ),
      )
      .map((u) => u.took);
  const spin = inPhase('spin');
  const idle = inPhase('idle');
  const spinningMs = median(spin);
  const idleMs = median(idle);
  const ratio = spinningMs / idleMs;
  const text =
    `${units.length} units, ${spin.length} while spinning (median ${spinningMs.toFixed(1)} ms), ` +
    `${idle.length} while idle (median ${idleMs.toFixed(1)} ms), ratio ${ratio.toFixed(3)}; ` +
    `spinner phases ${marks.length}`;
  return { spinning: spin.length, idle: idle.length, spinningMs, idleMs, ratio, text };
}

/** D0's account of one VM (its ev=vm_stats): the share of its time it was runnable but waiting
 * for its CPU, wait_ms / (run_ms + wait_ms). */
export function waitShare(events: D0Event[], vm: string): { wait: number; text: string } {
  const st = events.find((e) => e.ev === 'vm_stats' && e.fields.vm === vm);
  if (!st) throw new Error(`no ev=vm_stats for ${vm}`);
  const run = Number(st.fields.run_ms);
  const wait = Number(st.fields.wait_ms);
  if (!Number.isFinite(run) || !Number.isFinite(wait) || run + wait <= 0)
    throw new Error(`no run_ms/wait_ms in ${st.raw}`);
  const share = wait / (run + wait);
  return {
    wait: share,
    text: `run_ms=${run} wait_ms=${wait} (${(100 * share).toFixed(1)} % waiting)`,
  };
}
