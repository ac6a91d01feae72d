// `d0 rollout`: a health-gated rollout of a build over a site's hosts, batch by batch: each batch's
// pointers are published, its hosts reset (through their BMC, or by the operator), and the next
// batch starts only once every host of this one reported the commit of the build to the site's
// syslog collector (builder/fleet/rollout.ts; docs/fleet.md). `d0 rollout status` prints what
// each host last reported there. BMC credentials come from the environment (D0_BMC_USER,
// D0_BMC_PASSWORD), never from the command line, and are never printed.
import * as fs from 'node:fs';
import { D0Error, errorCode } from '../../core/errors';
import { parsePublicKeyFile } from '../../core/sign';
import { RESET_TYPES, type BmcTarget, type ResetType } from '../../builder/fleet/redfish';
import { lastReports, type HostReports, type Report } from '../../builder/fleet/reports';
import { describeReport } from '../../builder/fleet/rollout-result';
import {
  describeOutcome,
  hostLabel,
  rollout,
  type RolloutHost,
  type RolloutResult,
} from '../../builder/fleet/rollout';
import { hostIdProblem } from '../../builder/publish/host-id';
import {
  badInput,
  CliError,
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  parseFlags,
  readFileOrFail,
  type Command,
  type Io,
} from '../io';
import { LineInput } from '../line-input';

const USAGE = {
  rollout:
    'rollout SITE_DIR BUILD_DIR --pub KEY.pub --reports FILE --batch HOST[,HOST...] [--batch ...] ' +
    '[--timeout SECONDS] [--reset-type TYPE]   (HOST: NAME=MAC or NAME=MAC@BMC_URL; ' +
    'BMC login from D0_BMC_USER and D0_BMC_PASSWORD, never the command line)',
  status: 'rollout status --reports FILE [--host MAC]',
};

const DEFAULT_TIMEOUT_S = 600;
const TIMEOUT_MAX_S = Math.floor((2 ** 31 - 1) / 1000);

/** One --batch value: NAME=MAC[@BMC_URL],...; the BMC gets the environment's credentials. */
function parseBatch(text: string, env: NodeJS.ProcessEnv): RolloutHost[] {
  const hosts = text.split(',');
  return hosts.map((spec) => {
    const eq = spec.indexOf('=');
    const at = spec.indexOf('@', eq);
    if (eq <= 0 || eq === spec.length - 1)
      throw badInput(
        `--batch ${JSON.stringify(text)}: host ${JSON.stringify(spec)} is not NAME=MAC or NAME=MAC@BMC_URL`,
      );
    const name = spec.slice(0, eq);
    const id = at < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, at);
    if (at < 0) return { name, id };
    const url = spec.slice(at + 1);
    if (!url) throw badInput(`--batch ${JSON.stringify(text)}: host ${name}: no BMC URL after '@'`);
    const bmc: BmcTarget = {
      url,
      ...(env.D0_BMC_USER !== undefined ? { username: env.D0_BMC_USER } : {}),
      ...(env.D0_BMC_PASSWORD !== undefined ? { password: env.D0_BMC_PASSWORD } : {}),
    };
    return { name, id, bmc };
  });
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const s = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(s > 0) || s > TIMEOUT_MAX_S)
    throw badInput(
      `--timeout ${JSON.stringify(text)}: not a number of seconds (0 < s <= ${TIMEOUT_MAX_S})`,
    );
  return s * 1000;
}

function parseResetType(text: string | undefined): ResetType | undefined {
  if (text === undefined) return undefined;
  if (!(RESET_TYPES as readonly string[]).includes(text))
    throw badInput(`--reset-type ${JSON.stringify(text)}: not one of ${RESET_TYPES.join(', ')}`);
  return text as ResetType;
}

async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      pub: { type: 'string' },
      reports: { type: 'string' },
      batch: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      'reset-type': { type: 'string' },
    },
    USAGE.rollout,
  );
  if (positionals.length !== 2) throw badInput(`usage: d0 ${USAGE.rollout}`);
  for (const [flag, given, why] of [
    ['--pub KEY.pub', values.pub, "the site's key, compiled into the hosts' D0"],
    ['--reports FILE', values.reports, "the site's syslog collector's file"],
    ['--batch HOST[,HOST...]', values.batch?.length, 'the hosts, batch by batch'],
  ] as const)
    if (!given) throw badInput(`${flag} is required (${why})`, `usage: d0 ${USAGE.rollout}`);
  const [site, buildDir] = positionals;
  if (!fs.statSync(buildDir, { throwIfNoEntry: false })?.isDirectory())
    throw badInput(`${buildDir}: no such build directory`);
  const batches = values.batch!.map((b) => parseBatch(b, io.env));
  const hostTimeoutMs = parseTimeout(values.timeout);
  const resetType = parseResetType(values['reset-type']);
  const publicKey = parsePublicKeyFile(
    readFileOrFail(values.pub!, 'the public key').toString('utf8'),
    values.pub!,
  );

  const byHand = batches.some((b) => b.some((h) => !h.bmc));
  const input = byHand ? new LineInput(process.stdin) : undefined;
  let result: RolloutResult;
  try {
    result = await rollout({
      site,
      buildDir,
      publicKey,
      batches,
      reportsFile: values.reports!,
      hostTimeoutMs,
      resetType,
      log: io.out,
      ...(input
        ? {
            manual: async (h: RolloutHost) => {
              io.out(`reset host ${h.name} (${h.id}) now, then press Enter`);
              if ((await input.next()) === undefined)
                throw new Error(
                  `standard input ended before the reset of host ${hostLabel(h)} was confirmed`,
                );
            },
          }
        : {}),
    });
  } finally {
    input?.close();
  }
  io.out(`rollout of build ${result.uuid} done: ${result.hosts.length} hosts committed it`);
  for (const h of result.hosts)
    io.out(
      `host ${hostLabel(h)}: batch ${h.batch}, ${describeOutcome(h, hostTimeoutMs)} ` +
        `${seconds(h.times.outcome! - h.times.reset!)} after its reset`,
    );
  return 0;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const at = (r: Report) => (r.time ? ` (at ${r.time})` : '');
const shown = (r: Report | undefined) => (r ? `${describeReport(r)}${at(r)}` : 'none');

function describeHost(h: HostReports): string[] {
  return [
    `host ${h.host}: last report ${describeReport(h.last)}${at(h.last)}`,
    `  last choice: ${shown(h.choice)}`,
    `  last pull: ${shown(h.pull)}`,
    `  last commit: ${shown(h.commit)}`,
    `  last rollback: ${shown(h.rollback)}`,
    ...(h.slotBad ? [`  last slot_bad: ${shown(h.slotBad)}`] : []),
    ...(h.bootFailed ? [`  last boot_failed: ${shown(h.bootFailed)}`] : []),
  ];
}

function status(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(
    args,
    { reports: { type: 'string' }, host: { type: 'string' } },
    USAGE.status,
  );
  if (positionals.length !== 0 || !values.reports) throw badInput(`usage: d0 ${USAGE.status}`);
  const file = values.reports;
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile())
    throw badInput(`${file}: no such reports file`);
  const problem = values.host !== undefined ? hostIdProblem(values.host) : undefined;
  if (problem) throw badInput(`--host ${JSON.stringify(values.host)}: ${problem}`);
  const hosts = lastReports(file, values.host ? { hosts: [values.host] } : {});
  if (hosts.length === 0) {
    // Nothing to show is a failed look, as for one host: a wrong file, or no host reported yet.
    io.err(
      values.host ? `no reports from host ${values.host} in ${file}` : `no D0 reports in ${file}`,
    );
    return EXIT_FAILED;
  }
  for (const h of hosts) for (const line of describeHost(h)) io.out(line);
  return 0;
}

/** Request problems (a bad host, key, BMC target, site) are bad input; the rest failed checks. */
const INPUT_CODES = ['KEY', 'ROLLOUT_REQUEST', 'BMC_TARGET', 'PUBLISH_HOST_ID', 'PUBLISH_SITE'];

export const command: Command = {
  name: 'rollout',
  usage: Object.values(USAGE),
  async run(args, io) {
    // `status` is the one subcommand; a site directory named so is given as ./status.
    const sub = args[0] === 'status' ? 'status' : undefined;
    try {
      return sub ? status(args.slice(1), io) : await run(args, io);
    } catch (e) {
      if (e instanceof D0Error)
        throw new CliError(
          INPUT_CODES.includes(errorCode(e) ?? '') ? EXIT_BAD_INPUT : EXIT_FAILED,
          [`d0 rollout${sub ? ` ${sub}` : ''}: ${e.message}`],
        );
      throw e;
    }
  },
};
