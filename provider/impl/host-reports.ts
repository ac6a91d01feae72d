// What a host last told the site's collector, as a HostRollout's outputs (what `pulumi refresh`
// shows, and what create/update end with, so a refresh right after them finds nothing new):
// builder/fleet/reports.ts's lastReports for the host's MAC, each report cut down to its event, the
// collector's time, the build it is about and its reason.
//
// The file is untrusted text (anyone who reaches the collector can send a datagram under any
// host id): a build is kept only when it is a UUIDv7, a slot only when it is A or B, a reason
// and a report's text only as rollout-result.ts quotes them (logfmt-escaped, length-capped).
import { isUuidV7 } from '../../core/uuid';
import { lastReports, type Report } from '../../builder/fleet/reports';
import { describeReport, quoteReason } from '../../builder/fleet/rollout-result';

/** One report as the outputs show it. */
export interface ReportedEvent {
  /** The event: `commit`, `rollback`, `pull_done`, ... */
  event: string;
  /** When the collector received it (RFC 3339), when its file says. */
  time?: string;
  /** The build the report is about: a commit's `boot`, a rollback's `from`, else the boot's build. */
  build?: string;
  /** A commit's slot: A or B. */
  slot?: string;
  /** A rollback's reason (`health:exit-nonzero`, ...). */
  reason?: string;
  /** The report as `d0 rollout status` prints it. */
  text: string;
}

/** The outputs this module sets; read() replaces all of them. */
export const REPORT_OUTPUTS = [
  'reportedBuild',
  'lastReport',
  'lastCommit',
  'lastRollback',
] as const;

const build = (v: string | undefined) => (v !== undefined && isUuidV7(v) ? { build: v } : {});

function reported(r: Report, about: string | undefined): ReportedEvent {
  return {
    event: r.event,
    ...(r.time ? { time: r.time } : {}),
    ...build(about),
    ...(r.event === 'commit' && /^[AB]$/.test(r.fields.slot ?? '') ? { slot: r.fields.slot } : {}),
    ...(r.fields.reason !== undefined ? { reason: quoteReason(r.fields.reason) } : {}),
    text: describeReport(r),
  };
}

/**
 * The host's last report, the build it says its boot runs (`reportedBuild`), its last commit and
 * its last rollback; an output is absent when no such report is in the file (a missing file
 * holds none).
 */
export function hostReportOutputs(reportsFile: string, mac: string): Record<string, unknown> {
  const h = lastReports(reportsFile, { hosts: [mac] }).find((r) => r.host === mac);
  if (!h) return {};
  const running = h.last.fields.uuid;
  return {
    ...(running !== undefined && isUuidV7(running) ? { reportedBuild: running } : {}),
    lastReport: reported(h.last, running),
    ...(h.commit ? { lastCommit: reported(h.commit, h.commit.fields.boot) } : {}),
    ...(h.rollback ? { lastRollback: reported(h.rollback, h.rollback.fields.from) } : {}),
  };
}

const at = (e: ReportedEvent) => (e.time ? ` (at ${e.time})` : '');

/**
 * One line for `pulumi refresh` to show (the provider's stderr): what the host last said, e.g.
 * `last report pull_done result=refused ... (at ...); last commit 0190... (at ...); last rollback
 * from 0191...: health:exit-nonzero (at ...)`.
 */
export function describeHostReports(outputs: Record<string, unknown>): string {
  const last = outputs.lastReport as ReportedEvent | undefined;
  if (!last) return 'no report from the host in the reports file';
  const commit = outputs.lastCommit as ReportedEvent | undefined;
  const rollback = outputs.lastRollback as ReportedEvent | undefined;
  return [
    `last report ${last.text}${at(last)}`,
    `last commit ${commit ? `${commit.build ?? '?'}${at(commit)}` : 'none'}`,
    `last rollback ${rollback ? `from ${rollback.build ?? '?'}: ${rollback.reason ?? 'unknown'}${at(rollback)}` : 'none'}`,
  ].join('; ');
}
