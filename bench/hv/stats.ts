// D0's per-VM counters from its boot log, and the medians the bench reports.
//
// ev=vm_stats (one line per VM when it stops; kernel/boot/efi/run_vms.c) carries every counter as
// key=N. The exit reasons are listed here so the report can check that they add up to `exits`;
// any other numeric key is kept too, so a counter added later shows up without a change here.
// Builds from before ev=vm_stats only log `exits` and `run_ms` on ev=vm_stopped: those are used
// then, and everything else is reported as missing.
import type { D0Event } from '../../test/support/events';

export const EXIT_REASONS = [
  'io',
  'mmio',
  'cpuid',
  'msr',
  'hlt',
  'shutdown',
  'intr',
  'entry_fail',
  'bad_access',
  'none',
] as const;

export interface VmStats {
  /** 'vm_stats' when the full line was logged, 'vm_stopped' for the older summary only. */
  readonly source: 'vm_stats' | 'vm_stopped';
  /** Every numeric field of the line (vm= excluded). */
  readonly counters: Readonly<Record<string, number>>;
}

function numericFields(e: D0Event): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(e.fields)) if (k !== 'vm' && /^\d+$/.test(v)) out[k] = Number(v);
  return out;
}

/** The counters of VM `vm` from a boot's events, or null when neither line was logged. */
export function vmStatsOf(events: readonly D0Event[], vm: string): VmStats | null {
  const full = events.find((e) => e.ev === 'vm_stats' && e.fields.vm === vm);
  if (full) return { source: 'vm_stats', counters: numericFields(full) };
  const stopped = events.find((e) => e.ev === 'vm_stopped' && e.fields.vm === vm);
  if (stopped) return { source: 'vm_stopped', counters: numericFields(stopped) };
  return null;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Per counter, the median over the runs that logged it (a counter missing in a run is skipped). */
export function medianCounters(runs: readonly (VmStats | null)[]): Record<string, number> {
  const keys = new Set(runs.flatMap((r) => (r ? Object.keys(r.counters) : [])));
  const out: Record<string, number> = {};
  for (const k of [...keys].sort()) {
    const xs = runs.flatMap((r) => (r && k in r.counters ? [r.counters[k]] : []));
    out[k] = median(xs);
  }
  return out;
}
