// Waiting for one host's verdict on one build in a collector's file (docs/fleet.md, "Reports"):
// the file is read from `fromOffset` (its end before the host was reset: older reports are
// never read) every pollMs, each read taking only what was appended since the last one
// (./reports-file.ts: a file that got shorter or was replaced is read again from 0), and the
// host's reports go through ./outcome.ts in file order. Resolves with the first outcome they
// decide, or `timeout` with the host's last report once timeoutMs have passed: the file is read
// one last time at the deadline, so the wait lasts at most timeoutMs plus one read. Never
// rejects for what the file holds; only for arguments that cannot be watched (ROLLOUT_REQUEST)
// or a file that cannot be read (its Node error: EACCES, EISDIR, ...).
import { isUuidV7 } from '../../core/uuid';
import { hostIdProblem } from '../publish/host-id';
import { FleetError } from './errors';
import { OutcomeTracker, type HostOutcome } from './outcome';
import type { Report } from './report-line';
import { scanReports, type ScanFrom } from './reports-file';

export const DEFAULT_POLL_MS = 500;
/** The longest a timer can wait in Node (about 24.8 days). */
const TIMER_MAX_MS = 2 ** 31 - 1;

export interface WatchOptions {
  /** The host's id (its NIC's MAC, lowercase, dashes). */
  readonly host: string;
  /** The build it should commit. */
  readonly uuid: string;
  /** Where its reports start: the file's end before the reset (reportsEnd). Default 0. */
  readonly fromOffset?: number;
  /** The file's inode at that offset (reportsEnd gives it): another one means a rotation. */
  readonly fromIno?: number;
  readonly timeoutMs: number;
  /** Default 500. */
  readonly pollMs?: number;
  /** Called with each of the host's reports as it is read (progress for a log). */
  readonly onReport?: (report: Report) => void;
}

function refuse(message: string): never {
  throw new FleetError('ROLLOUT_REQUEST', message);
}

const isDuration = (ms: number) => Number.isFinite(ms) && ms > 0 && ms <= TIMER_MAX_MS;

/** The host's outcome for the build (the contract is at the top of this file). */
export async function watchOutcome(file: string, opts: WatchOptions): Promise<HostOutcome> {
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const problem = hostIdProblem(opts.host);
  if (problem) refuse(`host ${JSON.stringify(opts.host)}: ${problem}`);
  if (!isUuidV7(opts.uuid)) refuse(`build ${JSON.stringify(opts.uuid)} is not a UUIDv7`);
  if (!isDuration(opts.timeoutMs)) refuse(`timeoutMs ${opts.timeoutMs}: not a positive duration`);
  if (!isDuration(pollMs)) refuse(`pollMs ${pollMs}: not a positive duration`);
  const fromOffset = opts.fromOffset ?? 0;
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0)
    refuse(`fromOffset ${fromOffset}: not a byte offset`);

  const tracker = new OutcomeTracker(opts.host, opts.uuid);
  const deadline = Date.now() + opts.timeoutMs;
  let from: ScanFrom = { offset: fromOffset, ino: opts.fromIno };
  for (;;) {
    const read = scanReports(file, from, (r) => {
      if (tracker.feed(r)) opts.onReport?.(r);
    });
    from = { offset: read.offset, ino: read.ino };
    if (tracker.decided) return tracker.decided;
    const left = deadline - Date.now();
    if (left <= 0) return { outcome: 'timeout', ...(tracker.last ? { last: tracker.last } : {}) };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
