// Reading what hosts report to a site's syslog collector (docs/fleet.md, "Reports"): each host
// sends its events (slot_choice, pull_done, commit, rollback, ...) as RFC 5424 messages over UDP,
// and the collector writes one line per message. This reads that file.
//
// Contract:
// - readReports(file, { fromOffset }): every D0 report (APP-NAME d0) of the file's complete lines
//   from fromOffset on, in file order, and the offset to read on from. Lines that do not parse
//   whole (./report-line.ts: garbage, another app, a forged shape, over REPORT_LINE_MAX bytes)
//   are skipped and counted. A file shorter than fromOffset was truncated or rotated: it is read
//   from 0 (`restarted`). A missing file holds no report.
// - reportsEnd(file): the file's end now (offset and inode): reports after it are newer.
// - lastReports(file): per host id, its last report and the last of each event that says where it
//   stands (the boot's choice, the last pull, commit, rollback, slot_bad, boot_failed): for
//   status output.
// - watchOutcome(file, { host, uuid, fromOffset, timeoutMs }): that host's verdict on that build
//   (./watch-outcome.ts): committed, rolled_back, refused, or timeout.
// - A report is what a datagram said: anyone who reaches the collector can send one under any
//   host id. A report is read only as its host id's own (another id's lines never decide for a
//   host), but the file proves nothing: what a host runs is decided on the host, by its own
//   checks of a signed build (docs/fleet.md).
import type { Report } from './report-line';
import { scanReports } from './reports-file';

export { parseReportLine, REPORT_APP, REPORT_LINE_MAX, type Report } from './report-line';
export { reportsEnd } from './reports-file';
export { OutcomeTracker, type DecidedOutcome, type HostOutcome } from './outcome';
export { DEFAULT_POLL_MS, watchOutcome, type WatchOptions } from './watch-outcome';

export interface ReadReports {
  readonly reports: Report[];
  /** Just past the last complete line: where the next read starts. */
  readonly offset: number;
  /** The file was shorter than fromOffset (truncated, rotated) and was read from 0. */
  readonly restarted: boolean;
  /** Complete lines skipped: not a D0 report. */
  readonly skipped: number;
}

/** The D0 reports of the file from fromOffset on (the contract is at the top of this file). */
export function readReports(file: string, opts: { fromOffset?: number } = {}): ReadReports {
  const reports: Report[] = [];
  const r = scanReports(file, { offset: opts.fromOffset ?? 0 }, (report) => reports.push(report));
  return { reports, offset: r.offset, restarted: r.restarted, skipped: r.skipped };
}

/** Where one host stands, by its last reports; a field is absent when no such report came. */
export interface HostReports {
  readonly host: string;
  /** Its last report of any event. */
  readonly last: Report;
  /** The last `slot_choice`: which build its last boot chose, and as what (role). */
  readonly choice?: Report;
  /** The last `pull_done`: what its last pull found (result, reason, target). */
  readonly pull?: Report;
  readonly commit?: Report;
  /** The last `rollback`, with its reason. */
  readonly rollback?: Report;
  readonly slotBad?: Report;
  readonly bootFailed?: Report;
}

const KEPT: Readonly<Record<string, keyof Omit<HostReports, 'host' | 'last'>>> = {
  slot_choice: 'choice',
  pull_done: 'pull',
  commit: 'commit',
  rollback: 'rollback',
  slot_bad: 'slotBad',
  boot_failed: 'bootFailed',
};

/** Each host's last reports, sorted by host id; only `hosts` when given. */
export function lastReports(
  file: string,
  opts: { fromOffset?: number; hosts?: readonly string[] } = {},
): HostReports[] {
  const only = opts.hosts ? new Set(opts.hosts) : undefined;
  const byHost = new Map<string, Record<string, Report>>();
  scanReports(file, { offset: opts.fromOffset ?? 0 }, (r) => {
    if (only && !only.has(r.host)) return;
    let h = byHost.get(r.host);
    if (!h) byHost.set(r.host, (h = {}));
    h.last = r;
    const kept = Object.hasOwn(KEPT, r.event) ? KEPT[r.event] : undefined;
    if (kept) h[kept] = r;
  });
  return [...byHost.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([host, h]) => ({ host, ...h }) as HostReports);
}
