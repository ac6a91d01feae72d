// What a rollout tells its caller per host (outcome, reason, when each step happened), how an
// outcome reads in a message, and the error that stops a rollout: RolloutError, a FleetError
// ROLLOUT_FAILED whose message names each failed host (`host web-1 (52-54-00-12-34-56): rolled
// back: health:exit-nonzero`) and whose fields hold every result so far. Text from reports is
// untrusted: it goes into a message only re-escaped as logfmt and cut to a bounded length.
import { formatLogfmt, formatLogfmtValue } from '../../core/logfmt';
import { quote } from './bmc-text';
import { FleetError } from './errors';
import type { Report } from './report-line';
import { hostLabel } from './rollout-request';

export type RolloutOutcome =
  | 'committed'
  | 'rolled_back'
  | 'refused'
  | 'timeout'
  /** Its reset failed (the BMC refused, or the manual reset was abandoned). */
  | 'reset_failed'
  /** It was reset, but the rollout stopped (another host's reset failed) before its verdict. */
  | 'not_awaited';

export interface RolloutHostResult {
  readonly name: string;
  readonly id: string;
  /** 1-based. */
  readonly batch: number;
  readonly outcome: RolloutOutcome;
  /** rolled_back and refused: the host's reason; reset_failed: the error's message. */
  readonly reason?: string;
  /** The report that decided (for timeout: the host's last report since its reset, if any). */
  readonly report?: Report;
  /** When each step happened, ms since the epoch. */
  readonly times: {
    readonly published: number;
    readonly reset?: number;
    readonly outcome?: number;
  };
}

/** The longest report text quoted in a message, in characters (D0's lines are <= 480 bytes). */
const REPORT_QUOTED = 480;

/** A report as a message shows it: `pull_done result=failed reason=timeout` (seq and uuid left out). */
export function describeReport(r: Report): string {
  const pairs = Object.entries(r.fields).filter(([k]) => k !== 'seq' && k !== 'uuid');
  return quote(`${r.event}${pairs.length ? ` ${formatLogfmt(pairs)}` : ''}`, REPORT_QUOTED);
}

/** A report's (untrusted) reason, safe to print: as logfmt writes it, at most 80 characters. */
export const quoteReason = (reason: string) => quote(formatLogfmtValue(reason), 80);

/** What happened to the host, as a message says it (without its name). */
export function describeOutcome(r: RolloutHostResult, hostTimeoutMs: number): string {
  switch (r.outcome) {
    case 'committed':
      return 'committed';
    case 'rolled_back':
      return `rolled back: ${r.reason ?? 'unknown'}`;
    case 'refused':
      return `refused: ${r.reason ?? 'unknown'}`;
    case 'timeout':
      return (
        `no verdict within ${hostTimeoutMs / 1000} s ` +
        (r.report ? `(last report: ${describeReport(r.report)})` : '(no report since its reset)')
      );
    case 'reset_failed':
      return `reset failed: ${r.reason ?? 'unknown'}`;
    case 'not_awaited':
      return 'reset, verdict not awaited';
  }
}

export class RolloutError extends FleetError {
  constructor(
    message: string,
    /** The build rolled out. */
    readonly uuid: string,
    /** The batch the rollout stopped at, 1-based; later batches were never published to or reset. */
    readonly batch: number,
    /** The hosts of that batch that did not commit. */
    readonly failed: readonly RolloutHostResult[],
    /** Every host reached, in order: earlier batches' (committed) and this batch's. */
    readonly hosts: readonly RolloutHostResult[],
  ) {
    super('ROLLOUT_FAILED', message);
    this.name = 'RolloutError';
  }
}

/** The error for a batch that did not commit whole. */
export function rolloutFailed(
  uuid: string,
  batch: number,
  batches: number,
  hosts: readonly RolloutHostResult[],
  hostTimeoutMs: number,
): RolloutError {
  const failed = hosts.filter(
    (h) => h.batch === batch && h.outcome !== 'committed' && h.outcome !== 'not_awaited',
  );
  const unawaited = hosts.filter((h) => h.batch === batch && h.outcome === 'not_awaited');
  const parts = failed.map((h) => `host ${hostLabel(h)}: ${describeOutcome(h, hostTimeoutMs)}`);
  if (unawaited.length > 0)
    parts.push(`reset before the rollout stopped: ${unawaited.map(hostLabel).join(', ')}`);
  const later =
    batch < batches
      ? `; batch${batch + 1 < batches ? `es ${batch + 1}-${batches} were` : ` ${batch + 1} was`} not published to or reset`
      : '';
  return new RolloutError(
    `rollout of build ${uuid} stopped at batch ${batch} of ${batches}: ${parts.join('; ')}${later}`,
    uuid,
    batch,
    failed,
    hosts,
  );
}
