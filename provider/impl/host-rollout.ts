// HostRollout: one host moved to a published build, gated on its health (docs/fleet.md, "Pulumi").
// The same steps as one host of `d0 rollout` (builder/fleet/rollout.ts), as one resource, so
// the engine's dependencies order hosts by what they reported and not by what was written.
//
// Contract:
// - check(): every problem at its path (host-rollout-inputs.ts), a host without a BMC among them
//   (Pulumi has no prompt for a reset by hand: that is the CLI's `d0 rollout`); the BMC password
//   is moved out of the inputs into this process's memory (bmc-password-stash.ts), so nothing of
//   it reaches the state, the outputs, a log line or an error message.
// - create/update, in order, and nothing before the inputs check again:
//   a. the published build builds/<uuid>/ is checked with the site's public key, as `d0 publish`
//      checks a build, and this host's pointer, and no other, is written to name it
//      (builder/publish writePublication, hosts [mac]);
//   b. the reports file's end is noted: the host's verdict is read only from what comes after;
//   c. the host is reset through its BMC with Redfish (resetType, default ForceRestart);
//   d. its verdict on the build is awaited in the reports (watchOutcome, timeoutSeconds, default
//      600): committed -> outputs buildUuid, outcome `committed`, committedAt (the collector's
//      time of the commit), slot. Rolled back, refused, no verdict in time, or a reset that
//      failed -> an error naming the host (name and MAC), the build and the host's reason (or
//      the BMC's error), so the engine stops this resource and everything depending on it.
//   The pointer written in (a) stays: a host that rolled the build back or refused it refuses
//   it at every later reboot (known_bad) until a newer build is published for it.
// - diff(): a new build (buildUuid) or another publication directory is an update, i.e. a new
//   rollout of the host; another MAC is another host (a replacement); anything else (name, BMC,
//   timeout, reports file) is used from the next rollout on and rolls nothing now.
// - read() (`pulumi refresh`): what the host last reported (host-reports.ts), in the outputs and
//   as one line the engine shows; the host is never reset, the outputs of the last rollout kept.
// - delete: nothing is done to the host or its pointer; it goes on running what it runs.
// Reports gate the rollout and nothing more: what a host runs is decided on the host by its own
// checks of a signed build (a forged report can stop a rollout or let it go on, never run a build).
import type * as pulumi from '@pulumi/pulumi';
import { errorCode } from '../../core/errors';
import { FleetError } from '../../builder/fleet/errors';
import { bmcConnection } from '../../builder/fleet/bmc-target';
import { resetHost } from '../../builder/fleet/redfish';
import { reportsEnd, watchOutcome, type HostOutcome } from '../../builder/fleet/reports';
import {
  describeOutcome,
  describeReport,
  quoteReason,
  type RolloutHostResult,
} from '../../builder/fleet/rollout-result';
import { checkBuild, publishedBuildDir, writePublication } from '../../builder/publish';
import { forgetPassword, stashedPassword, stashPassword } from './bmc-password-stash';
import { describeHostReports, hostReportOutputs, REPORT_OUTPUTS } from './host-reports';
import {
  bmcTarget,
  DEFAULT_RESET_TYPE,
  DEFAULT_TIMEOUT_SECONDS,
  hostRolloutProblems,
  labelOf,
  withoutUrlLogin,
  type HostRolloutInputs,
} from './host-rollout-inputs';
import { failures, hasUnknown, withoutProvider } from './problems';
import { progressSink, type ProgressSink } from './progress';

export type { HostRolloutInputs } from './host-rollout-inputs';

/** What a committed rollout adds to the outputs. */
export interface Committed {
  outcome: 'committed';
  /** When the collector received the host's commit (RFC 3339), else when it was read. */
  committedAt: string;
  /** The slot the host committed the build in, when its commit says (A or B). */
  slot?: string;
}

/** How often the reports file is read while a host is awaited. */
const POLL_MS = 500;
/** The host's reports shown as progress (the verdict is part of the result or the error). */
const PROGRESS = new Set(['slot_choice', 'pull_done', 'health_failed', 'boot_failed']);

export function check(
  _olds: HostRolloutInputs,
  news: HostRolloutInputs,
): pulumi.dynamic.CheckResult {
  const inputs: HostRolloutInputs = { ...news };
  // The password first, whatever else is wrong: it must never reach the returned inputs.
  const password = news.bmcPassword;
  delete inputs.bmcPassword;
  inputs.timeoutSeconds ??= DEFAULT_TIMEOUT_SECONDS;
  inputs.resetType ??= DEFAULT_RESET_TYPE;
  const problems = hostRolloutProblems(inputs);
  // A login written into the BMC URL is refused (above), and not kept either.
  inputs.host = withoutUrlLogin(inputs.host);
  if (typeof password === 'string' && !hasUnknown(password)) stashPassword(inputs.host, password);
  else if (password === undefined || password === null) forgetPassword(inputs.host);
  return { inputs, failures: failures(problems) };
}

export function diff(
  _id: string,
  olds: HostRolloutInputs,
  news: HostRolloutInputs,
): pulumi.dynamic.DiffResult {
  const replaces = olds.host?.mac !== news.host?.mac ? ['host'] : [];
  const changes =
    replaces.length > 0 || olds.buildUuid !== news.buildUuid || olds.site !== news.site;
  return { changes, replaces };
}

/** The inputs as kept in state and outputs: no password, no engine entry. */
function publicInputs(inputs: HostRolloutInputs): HostRolloutInputs {
  const out = withoutProvider(inputs);
  delete out.bmcPassword;
  return out;
}

/** The host's result as builder/fleet words it, to describe an outcome the same way. */
function asResult(inputs: HostRolloutInputs, o: HostOutcome): RolloutHostResult {
  return {
    name: inputs.host.name,
    id: inputs.host.mac,
    batch: 1,
    outcome: o.outcome,
    ...('reason' in o ? { reason: quoteReason(o.reason) } : {}),
    ...(o.outcome === 'timeout' ? (o.last ? { report: o.last } : {}) : { report: o.report }),
    times: { published: 0 },
  };
}

/** What the operator can do next, after an outcome that is not a commit. */
const NEXT: Record<Exclude<HostOutcome['outcome'], 'committed'>, string> = {
  rolled_back:
    'the host runs its previous build; its pointer names this build, which it refuses at every ' +
    'reboot (known_bad): publish a fixed build',
  refused: 'the host runs its previous build: publish a build it accepts',
  timeout:
    'the host may still be on its way: `pulumi refresh` (or `d0 rollout status`) shows what it ' +
    'reports; `pulumi up` tries again',
};

/** Steps (a) to (d) of the contract; returns the commit, or throws naming the host and why not. */
async function rollOut(
  inputs: HostRolloutInputs,
  password: string | undefined,
): Promise<Committed> {
  const problems = hostRolloutProblems(inputs);
  if (problems.length > 0)
    throw new FleetError(
      'ROLLOUT_REQUEST',
      `host ${labelOf(inputs.host)}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}; ` +
        'nothing was published or reset',
    );
  const { host, buildUuid: uuid, site, reportsFile } = inputs;
  const label = labelOf(host);
  const timeoutMs = (inputs.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const sink = sinkOf(inputs);

  const build = await checkBuild(
    publishedBuildDir(site, uuid),
    Buffer.from(inputs.publicKey, 'hex'),
  );
  if (build.uuid !== uuid)
    throw new FleetError(
      'ROLLOUT_REQUEST',
      `host ${label}: build ${uuid}: ${publishedBuildDir(site, uuid)} holds build ${build.uuid}; ` +
        'nothing was published or reset',
    );
  writePublication(site, build, [host.mac]);
  sink.line(`pointed ${label} at build ${uuid}`);

  const from = reportsEnd(reportsFile);
  const target = bmcTarget(host.bmc!, password);
  try {
    const r = await resetHost(target, { resetType: inputs.resetType ?? DEFAULT_RESET_TYPE });
    sink.line(
      `reset through BMC ${bmcConnection(target).origin} (system ${r.system}, ${r.resetType}); ` +
        `awaiting its verdict, at most ${timeoutMs / 1000} s`,
    );
  } catch (e) {
    throw new FleetError(
      e instanceof FleetError ? e.code : 'ROLLOUT_FAILED',
      `host ${label}: build ${uuid}: reset failed: ${(e as Error).message}; ` +
        'its pointer names the build, which it pulls at its next reboot',
    );
  }

  const o = await watchOutcome(reportsFile, {
    host: host.mac,
    uuid,
    fromOffset: from.offset,
    fromIno: from.ino,
    timeoutMs,
    pollMs: POLL_MS,
    onReport: (report) => {
      if (PROGRESS.has(report.event)) sink.line(describeReport(report));
    },
  });
  if (o.outcome !== 'committed')
    throw new FleetError(
      'ROLLOUT_FAILED',
      `host ${label}: build ${uuid}: ${describeOutcome(asResult(inputs, o), timeoutMs)}; ${NEXT[o.outcome]}`,
    );
  const slot = o.report.fields.slot;
  sink.line(`committed build ${uuid}${slot && /^[AB]$/.test(slot) ? ` in slot ${slot}` : ''}`);
  return {
    outcome: 'committed',
    committedAt: o.report.time ?? new Date().toISOString(),
    ...(slot && /^[AB]$/.test(slot) ? { slot } : {}),
  };
}

/** Progress lines of this rollout: `HostRollout site-a-web-1: reset through BMC ...`. */
function sinkOf(inputs: HostRolloutInputs): ProgressSink {
  return progressSink(`HostRollout ${inputs.resourceName ?? inputs.host?.name ?? ''}`);
}

/**
 * The error the engine shows: `HostRollout: [CODE] host web-1 (52-...): build <uuid>: ...`
 * (an error of the publisher or the file system gets the host and build put in front). The
 * messages never hold the password (builder/fleet scrubs what a BMC echoes back); this scrubs
 * them once more, whatever their source.
 */
function failed(e: unknown, inputs: HostRolloutInputs, password: string | undefined): Error {
  const code = errorCode(e);
  const text = (e as Error).message;
  const about = text.startsWith('host ')
    ? ''
    : `host ${labelOf(inputs.host)}: build ${inputs.buildUuid}: `;
  let message = `HostRollout: ${code ? `[${code}] ` : ''}${about}${text}`;
  if (password) message = message.split(password).join('***');
  return new Error(message);
}

/** The password for this rollout's BMC: in the inputs when called directly, else from check(). */
function passwordOf(inputs: HostRolloutInputs): string | undefined {
  return typeof inputs.bmcPassword === 'string' ? inputs.bmcPassword : stashedPassword(inputs.host);
}

async function rolloutOutputs(inputs: HostRolloutInputs): Promise<Record<string, unknown>> {
  const password = passwordOf(inputs);
  try {
    const committed = await rollOut(inputs, password);
    return {
      ...publicInputs(inputs),
      ...committed,
      ...hostReportOutputs(inputs.reportsFile, inputs.host.mac),
    };
  } catch (e) {
    throw failed(e, inputs, password);
  }
}

export async function create(inputs: HostRolloutInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = await rolloutOutputs(inputs);
  return { id: `host:${inputs.host.mac}`, outs };
}

export async function update(
  _id: string,
  _olds: HostRolloutInputs,
  news: HostRolloutInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await rolloutOutputs(news) };
}

/** `pulumi refresh`: the outputs of the last rollout, and what the host has reported since. */
export function read(id: string, props: HostRolloutInputs): pulumi.dynamic.ReadResult {
  const kept: Record<string, unknown> = publicInputs(props);
  for (const k of REPORT_OUTPUTS) delete kept[k];
  let reports: Record<string, unknown>;
  try {
    reports = hostReportOutputs(props.reportsFile, props.host.mac);
  } catch (e) {
    throw failed(e, props, undefined);
  }
  sinkOf(props).line(`host ${labelOf(props.host)}: ${describeHostReports(reports)}`);
  return { id, props: { ...kept, ...reports } };
}

/** Nothing to undo: the host keeps running what it runs, and its pointer stays as it is. */
export function remove(_id: string, _props: HostRolloutInputs): void {}
