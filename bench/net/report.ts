// The bench's figures from the runs: medians per side, D0 / plain ratios (throughput: above 1 is
// D0 faster; latency: above 1 is D0 slower), D0's exits per MiB moved, as JSON and as the
// markdown rows bench/net/README.md records.
import { median, medianCounters, EXIT_REASONS } from '../hv/stats';
import type { D0Run } from './d0-side';
import type { Plan } from './measure';
import type { PlainRun } from './plain-side';

export interface Report {
  json: Record<string, unknown>;
  markdown: string;
}

const r3 = (x: number) => +x.toFixed(3);

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** One boot's median download rate (MiB/s) for a file size. */
function rateOf(run: D0Run | PlainRun, mib: number): number {
  const rates = run.measured.downloads.filter((d) => d.mib === mib).map((d) => d.rate);
  if (rates.length === 0) throw new Error(`no download of ${mib} MiB in a run`);
  return median(rates);
}

/** The non-zero drop_<reason>= counters of an ev=net_stats line, as "reason=N ...". */
function dropsOf(fields: Record<string, string>): string {
  return Object.entries(fields)
    .filter(([k, v]) => k.startsWith('drop_') && v !== '0')
    .map(([k, v]) => `${k.slice(5)}=${v}`)
    .join(' ');
}

export function report(o: {
  plan: Plan;
  d0: readonly D0Run[];
  plain: readonly PlainRun[];
  /** A D0 boot with the same page GETs and no download, for the exits the downloads add. */
  idle?: D0Run;
  load: number[];
  wallS: number;
}): Report {
  const { plan, d0, plain } = o;
  if (d0.length === 0 || d0.length !== plain.length)
    throw new Error(`report: ${d0.length} D0 runs and ${plain.length} plain runs`);
  const throughput = plan.sizesMib.map((mib) => {
    const perRun = d0.map((d, i) => rateOf(d, mib) / rateOf(plain[i], mib));
    const d0Rate = median(d0.map((d) => rateOf(d, mib)));
    const plainRate = median(plain.map((p) => rateOf(p, mib)));
    return {
      mib,
      d0MiBs: r3(d0Rate),
      plainMiBs: r3(plainRate),
      ratio: r3(d0Rate / plainRate),
      perRunRatios: perRun.map(r3),
      medianPerRunRatio: r3(median(perRun)),
    };
  });
  const lat = (runs: readonly (D0Run | PlainRun)[]) => {
    const all = runs.flatMap((r) => r.measured.latencyMs);
    return { medianMs: r3(median(all)), p90Ms: r3(percentile(all, 90)), requests: all.length };
  };
  const latency = { d0: lat(d0), plain: lat(plain) };
  const counters = medianCounters(d0.map((d) => d.stats));
  const mibPerBoot = median(d0.map((d) => d.measured.bytes / 2 ** 20));
  const exitsAdded = o.idle ? counters.exits - o.idle.stats.counters.exits : undefined;
  const exits = {
    perBoot: counters,
    reasonsAddUp: d0.every(
      (d) =>
        EXIT_REASONS.reduce((s, k) => s + (d.stats.counters[k] ?? 0), 0) === d.stats.counters.exits,
    ),
    mibPerBoot: r3(mibPerBoot),
    /** Every exit of the VM's life (boot included) per MiB it served. */
    perMiBGross: r3(counters.exits / mibPerBoot),
    idleBootExits: o.idle?.stats.counters.exits,
    /** The exits the downloads added (median boot minus the idle boot) per MiB downloaded. */
    perMiBDownloaded:
      exitsAdded === undefined
        ? undefined
        : r3(exitsAdded / (mibPerBoot - o.idle!.measured.bytes / 2 ** 20)),
  };
  const largest = throughput[throughput.length - 1];
  const json = {
    bench: 'net',
    runs: d0.length,
    plan,
    ratioD0OverPlain: largest.medianPerRunRatio,
    throughput,
    latency: { ...latency, ratioD0OverPlain: r3(latency.d0.medianMs / latency.plain.medianMs) },
    spawnToServingMs: {
      d0: median(d0.map((d) => d.spawnToServingMs)),
      plain: median(plain.map((p) => p.spawnToServingMs)),
    },
    d0Exits: exits,
    d0NetStats: d0.map((d) => d.net),
    d0UplinkStats: d0.map((d) => d.uplink),
    d0RouterStats: d0.map((d) => d.router),
    d0ExitTop: d0.map((d) => d.exitTop),
    load: o.load.map((x) => +x.toFixed(1)),
    wallS: o.wallS,
  };
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const rows = [
    `| measurement (median of ${d0.length}) | plain QEMU microvm | D0 | ratio D0 / plain |`,
    '|---|---|---|---|',
    ...throughput.map(
      (t) =>
        `| download ${t.mib} MiB (MiB/s); per-run ratios ${t.perRunRatios.join(', ')} | ${t.plainMiBs} | ${t.d0MiBs} | ${t.medianPerRunRatio} |`,
    ),
    `| small GET, fresh connection (ms), median / p90 of ${latency.d0.requests} | ${latency.plain.medianMs} / ${latency.plain.p90Ms} | ${latency.d0.medianMs} / ${latency.d0.p90Ms} | ${json.latency.ratioD0OverPlain} |`,
    `| QEMU spawn -> page served (ms) | ${n(json.spawnToServingMs.plain)} | ${n(json.spawnToServingMs.d0)} | |`,
    '',
    '| D0 per boot (`ev=vm_stats`, median) | value |',
    '|---|---|',
    `| exits (boot + serving ${r3(mibPerBoot)} MiB) | ${n(counters.exits)} |`,
    `| exits: ${EXIT_REASONS.filter((k) => counters[k]).join(' / ')} | ${EXIT_REASONS.filter(
      (k) => counters[k],
    )
      .map((k) => n(counters[k]))
      .join(' / ')} |`,
    `| net_rx_frames / net_tx_frames / net_tx_chains (TSO: one chain, many frames) | ${n(counters.net_rx_frames ?? 0)} / ${n(counters.net_tx_frames ?? 0)} / ${n(counters.net_tx_chains ?? 0)} |`,
    `| exits per MiB served, boot included | ${n(exits.perMiBGross)} |`,
    `| uplink tx_full (frames D0 could not queue on the e1000), per run | ${d0.map((d) => d.uplink.tx_full ?? '?').join(', ')} |`,
    `| uplink frames received / redundant ACKs thinned (never passed to the VM), per run | ${d0.map((d) => `${d.uplink.rx_frames ?? '?'} / ${d.uplink.acks_thinned ?? '?'}`).join(', ')} |`,
    `| busiest ports / MMIO addresses (\`ev=exit_top\`, r/w = IN or load / OUT or store), per run | ${d0.map((d) => `io ${d.exitTop.io ?? '?'}; mmio ${d.exitTop.mmio ?? '?'}`).join('<br>')} |`,
    `| VM port drops (\`ev=net_stats\` drop_* > 0), per run | ${d0.map((d) => dropsOf(d.net) || 'none').join('; ')} |`,
    ...(exits.perMiBDownloaded === undefined
      ? []
      : [
          `| idle boot's exits (same GETs, no download); exits per MiB downloaded | ${n(exits.idleBootExits!)}; **${n(exits.perMiBDownloaded)}** |`,
        ]),
  ];
  return { json, markdown: rows.join('\n') };
}
