// A health-gated rollout of one build over a site's hosts, batch by batch (docs/fleet.md,
// "Rollout"): a batch's hosts are pointed at the build, reset, and each reports whether it
// committed it; the next batch starts only when every host of this one did.
//
// Contract:
// - Before anything is published or reset: the request is checked (./rollout-request.ts: no
//   batch or an empty one, a host id that is not one or given twice, a name twice, a BMC target
//   that cannot be used, no `manual` for a host without a BMC, a bad timeout) and so is the build
//   (builder/publish: signature, digests, loader; once, for every batch). Either refusal leaves
//   the site and the hosts as they were.
// - Per batch, in order:
//   a. the build is published (copied into builds/<uuid>/ once; later batches reuse it) and the
//      pointers of this batch's hosts, and only theirs, are written;
//   b. for each host in turn: the reports file's end is noted (its reports start there), then the
//      host is reset: through its BMC with Redfish (resetType, default ForceRestart), or by
//      `manual`. A reset that fails stops the rollout at once, before any waiting: ROLLOUT_FAILED
//      naming the host and the error (which names the BMC); hosts reset before it are listed;
//   c. every host of the batch is awaited in parallel (./watch-outcome.ts), each for at most
//      hostTimeoutMs from the end of the resets: committed, rolled_back, refused or timeout;
//   d. all committed: the next batch. Otherwise a RolloutError (ROLLOUT_FAILED) names each host
//      that did not commit, its outcome and reason; the later batches are never published to or
//      reset. This batch's pointers stay: a host that did not commit refuses or rolls back the
//      build again at its next reboot, until a newer build is published for it.
// - Returns every host's outcome and the time of its publish, reset and verdict.
// - The reports gate the rollout, nothing more: what a host runs is decided on the host by its
//   own checks (a forged report can stop a rollout or let it go on, never run a build).
import { checkBuild, writePublication } from '../publish';
import { bmcConnection } from './bmc-target';
import { resetHost } from './redfish';
import { reportsEnd } from './reports-file';
import {
  checkRolloutRequest,
  hostLabel,
  type RolloutHost,
  type RolloutRequest,
} from './rollout-request';
import {
  describeOutcome,
  describeReport,
  quoteReason,
  rolloutFailed,
  type RolloutHostResult,
} from './rollout-result';
import { watchOutcome } from './watch-outcome';

export { hostLabel, type RolloutHost, type RolloutRequest } from './rollout-request';
export {
  describeOutcome,
  RolloutError,
  type RolloutHostResult,
  type RolloutOutcome,
} from './rollout-result';

export interface RolloutResult {
  /** The build rolled out. */
  readonly uuid: string;
  /** Every host, batch by batch, each committed. */
  readonly hosts: readonly RolloutHostResult[];
}

/** Reports that show a host's progress in the log (the verdicts are logged on their own). */
const PROGRESS = new Set(['slot_choice', 'pull_done', 'health_failed', 'boot_failed']);

interface ResetDone {
  readonly host: RolloutHost;
  readonly from: { offset: number; ino?: number };
  readonly at: number;
}

/** Rolls the build out, batch by batch (the contract is at the top of this file). */
export async function rollout(req: RolloutRequest): Promise<RolloutResult> {
  checkRolloutRequest(req);
  const log = req.log ?? (() => undefined);
  const build = await checkBuild(req.buildDir, req.publicKey);
  const uuid = build.uuid;
  const batches = req.batches.length;
  const results: RolloutHostResult[] = [];

  for (const [b, batch] of req.batches.entries()) {
    const n = b + 1;
    const where = `batch ${n}/${batches}`;
    const ids = batch.map((h) => h.id);
    const written = writePublication(req.site, build, ids);
    const published = Date.now();
    log(
      `${where}: build ${uuid} ${written.reused ? 'already published' : 'published'}; ` +
        `pointed ${batch.map(hostLabel).join(', ')} at it`,
    );

    const resets: ResetDone[] = [];
    for (const host of batch) {
      const from = reportsEnd(req.reportsFile);
      try {
        await reset(req, host, where, log);
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        results.push(
          ...resets.map((r) => result(r.host, n, 'not_awaited', { published, reset: r.at })),
          { ...result(host, n, 'reset_failed', { published }), reason },
        );
        throw rolloutFailed(uuid, n, batches, results, req.hostTimeoutMs);
      }
      resets.push({ host, from, at: Date.now() });
    }

    const verdicts = await Promise.all(
      resets.map(async (r): Promise<RolloutHostResult> => {
        const o = await watchOutcome(req.reportsFile, {
          host: r.host.id,
          uuid,
          fromOffset: r.from.offset,
          fromIno: r.from.ino,
          timeoutMs: req.hostTimeoutMs,
          pollMs: req.pollMs,
          onReport: (report) => {
            if (PROGRESS.has(report.event))
              log(`host ${hostLabel(r.host)}: ${describeReport(report)}`);
          },
        });
        const times = { published, reset: r.at, outcome: Date.now() };
        const v: RolloutHostResult =
          o.outcome === 'timeout'
            ? { ...result(r.host, n, 'timeout', times), ...(o.last ? { report: o.last } : {}) }
            : {
                ...result(r.host, n, o.outcome, times),
                ...('reason' in o ? { reason: quoteReason(o.reason) } : {}),
                report: o.report,
              };
        const after = ` (${seconds(times.outcome - r.at)} after its reset)`;
        log(
          `host ${hostLabel(r.host)}: ${describeOutcome(v, req.hostTimeoutMs)}` +
            (v.outcome === 'committed' ? ` ${uuid}${after}` : v.outcome === 'timeout' ? '' : after),
        );
        return v;
      }),
    );
    results.push(...verdicts);
    if (verdicts.some((v) => v.outcome !== 'committed'))
      throw rolloutFailed(uuid, n, batches, results, req.hostTimeoutMs);
    log(`${where}: every host committed ${uuid}`);
  }
  return { uuid, hosts: results };
}

async function reset(
  req: RolloutRequest,
  host: RolloutHost,
  where: string,
  log: (line: string) => void,
): Promise<void> {
  if (!host.bmc) {
    log(`${where}: host ${hostLabel(host)} has no BMC: waiting for its reset by hand`);
    await req.manual!(host);
    log(`${where}: host ${hostLabel(host)} reset by hand`);
    return;
  }
  const r = await resetHost(host.bmc, { resetType: req.resetType });
  log(
    `${where}: host ${hostLabel(host)} reset through BMC ${bmcConnection(host.bmc).origin} ` +
      `(system ${r.system}, ${r.resetType})`,
  );
}

function result(
  host: RolloutHost,
  batch: number,
  outcome: RolloutHostResult['outcome'],
  times: RolloutHostResult['times'],
): RolloutHostResult {
  return { name: host.name, id: host.id, batch, outcome, times };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
