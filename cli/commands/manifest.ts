// `d0 manifest pack | inspect | verify | diff | pcr`: build, read and check signed manifests.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostMemory } from '../../core/host-memory';
import type { Problem } from '../../core/errors';
import { diffManifests, renderChange } from '../../core/diff';
import { MEASURE_PCR, extendChain, measuredEvents } from '../../core/measure';
import { semanticProblems } from '../../core/manifest/semantic';
import { validateManifest } from '../../core/manifest/validate';
import { manifestName, signatureName, uuidOfManifestName } from '../../core/naming';
import type { Manifest } from '../../core/schema';
import {
  parsePublicKeyFile,
  parseSecretKeyFile,
  publicKeyOf,
  signManifest,
  verifyManifest,
} from '../../core/sign';
import { decodeManifest } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { encodeManifest } from '../../core/tlv/encode';
import { TlvError } from '../../core/tlv/errors';
import { uuidv7 } from '../../core/uuid';
import {
  CliError,
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  badInput,
  parseFlags,
  readFileOrFail,
  writeAllOrNothing,
  type Command,
  type Io,
} from '../io';
import { loadSite } from '../site';

const USAGE = {
  pack: 'manifest pack SITE --key KEYFILE --out DIR [--epoch N] [--artifacts DIR] [--loader FILE]   (key also from $D0_SIGNING_KEY)',
  inspect: 'manifest inspect FILE.tlv [--json]',
  verify:
    "manifest verify FILE.tlv --sig FILE.sig --pub KEY.pub [--floor N]   (N: the host's epoch floor)",
  diff: 'manifest diff A.tlv B.tlv [--all]   (--all: include build_uuid and timestamp_ms)',
  pcr: 'manifest pcr BUILD_DIR|FILE.tlv   (the PCR value D0 measures for the build; docs/measured-boot.md)',
};

const problemsError = (problems: readonly Problem[]) =>
  new CliError(
    EXIT_BAD_INPUT,
    problems.map((p) => `${p.path}: ${p.message}`),
  );

function signingKey(keyFile: string | undefined, io: Io): Uint8Array {
  if (keyFile)
    return parseKey(readFileOrFail(keyFile, 'the signing key').toString('latin1'), keyFile);
  const env = io.env.D0_SIGNING_KEY;
  if (env) return parseKey(env.endsWith('\n') ? env : env + '\n', '$D0_SIGNING_KEY');
  throw badInput(
    'no signing key: give --key KEYFILE or set D0_SIGNING_KEY',
    `usage: d0 ${USAGE.pack}`,
  );
}

function parseKey(text: string, what: string): Uint8Array {
  try {
    return parseSecretKeyFile(text, what);
  } catch (e) {
    throw badInput((e as Error).message);
  }
}

function readManifest(file: string): { tlv: Uint8Array; manifest: Manifest } {
  const tlv = new Uint8Array(readFileOrFail(file, 'the manifest'));
  try {
    return { tlv, manifest: decodeManifest(tlv) };
  } catch (e) {
    if (e instanceof TlvError) throw badInput(`${file}: ${e.message}`);
    throw e;
  }
}

function pack(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(
    args,
    {
      key: { type: 'string' },
      out: { type: 'string' },
      epoch: { type: 'string' },
      artifacts: { type: 'string' },
      loader: { type: 'string' },
    },
    USAGE.pack,
  );
  if (positionals.length !== 1 || !values.out) throw badInput(`usage: d0 ${USAGE.pack}`);
  const problems: Problem[] = [];
  if (values.epoch !== undefined && !/^(0|[1-9]\d*)$/.test(values.epoch)) {
    problems.push({
      code: 'INVALID',
      path: '--epoch',
      message: `${values.epoch} is not a non-negative integer`,
    });
  }
  // A missing --out directory is made when the files are written (never on a refusal).
  if (fs.existsSync(values.out) && !fs.statSync(values.out).isDirectory()) {
    problems.push({ code: 'FILE', path: '--out', message: `${values.out} is not a directory` });
  }
  if (values.artifacts !== undefined && !fs.existsSync(values.artifacts)) {
    problems.push({
      code: 'FILE',
      path: '--artifacts',
      message: `${values.artifacts}: no such directory`,
    });
  }
  const secretKey = signingKey(values.key, io);
  const site = loadSite(positionals[0], values.artifacts, values.loader);
  problems.push(...site.problems);
  if (site.input === undefined) throw problemsError(problems);

  const nowMs = Date.now();
  const build = {
    build_uuid: uuidv7(nowMs, new Uint8Array(crypto.randomBytes(16))),
    timestamp_ms: nowMs,
  };
  const result = validateManifest(site.input, {
    build,
    ...(values.epoch !== undefined && problems.length === 0
      ? { security_epoch: values.epoch }
      : {}),
  });
  problems.push(...result.problems);
  if (problems.length > 0 || !result.manifest) throw problemsError(problems);

  const tlv = encodeManifest(result.manifest);
  const sig = signManifest(tlv, secretKey);
  if (!verifyManifest(sig, tlv, publicKeyOf(secretKey)))
    throw new CliError(EXIT_FAILED, ['signature self-check failed']);
  secretKey.fill(0);
  fs.mkdirSync(values.out, { recursive: true });
  writeAllOrNothing([
    { path: path.join(values.out, manifestName(build.build_uuid)), data: tlv },
    { path: path.join(values.out, signatureName(build.build_uuid)), data: sig },
  ]);
  io.out(build.build_uuid);
  return 0;
}

function inspect(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } }, USAGE.inspect);
  if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE.inspect}`);
  const { manifest } = readManifest(positionals[0]);
  if (values.json) io.out(JSON.stringify(manifest, null, 2));
  else {
    io.out(dumpManifest(manifest).trimEnd());
    const mem = hostMemory(manifest);
    const vms = mem.vms
      .map((v) => `${v.name} ${v.ramMiB}+${Math.ceil(v.diskMiB)}+${v.overheadMiB}`)
      .join(', ');
    io.out(
      `# host memory needed: ${mem.totalMiB} MiB (firmware and D0 ${mem.firmwareMiB}, guest kernel ${mem.kernelMiB}, per VM RAM+disk+overlay/D0: ${vms})`,
    );
  }
  return 0;
}

function verify(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(
    args,
    { sig: { type: 'string' }, pub: { type: 'string' }, floor: { type: 'string' } },
    USAGE.verify,
  );
  if (positionals.length !== 1 || !values.sig || !values.pub)
    throw badInput(`usage: d0 ${USAGE.verify}`);
  if (values.floor !== undefined && !/^(0|[1-9]\d{0,19})$/.test(values.floor))
    throw badInput(`--floor: ${JSON.stringify(values.floor)} is not a non-negative integer`);
  const epochFloor = values.floor === undefined ? undefined : BigInt(values.floor);
  if (epochFloor !== undefined && epochFloor >= 1n << 64n)
    throw badInput(`--floor: ${values.floor} is over 2^64-1`);
  const tlv = new Uint8Array(readFileOrFail(positionals[0], 'the manifest'));
  const sig = new Uint8Array(readFileOrFail(values.sig, 'the signature'));
  let pub: Uint8Array;
  try {
    pub = parsePublicKeyFile(
      readFileOrFail(values.pub, 'the public key').toString('latin1'),
      values.pub,
    );
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw badInput((e as Error).message);
  }
  const fail = (why: string) => new CliError(EXIT_FAILED, [`not verified: ${why}`]);
  if (sig.length !== 64)
    throw fail(`${values.sig} is ${sig.length} bytes, an Ed25519 signature is 64`);
  if (!verifyManifest(sig, tlv, pub))
    throw fail(`the signature does not match ${positionals[0]} under ${values.pub}`);
  let manifest: Manifest;
  try {
    manifest = decodeManifest(tlv);
  } catch (e) {
    if (e instanceof TlvError) throw fail(`signed, but D0 would refuse it: ${e.message}`);
    throw e;
  }
  // proto/SEMANTICS.md: the first problem is the reason D0 logs; the others follow.
  const problems = semanticProblems(manifest, { epochFloor });
  if (problems.length > 0)
    throw new CliError(EXIT_FAILED, [
      `not verified: signed, but D0 would refuse it: ${problems[0].code} at ${problems[0].path}: ${problems[0].message}`,
      ...problems.slice(1).map((p) => `  also ${p.code} at ${p.path}: ${p.message}`),
    ]);
  io.out('verified');
  return 0;
}

function diff(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(args, { all: { type: 'boolean' } }, USAGE.diff);
  if (positionals.length !== 2) throw badInput(`usage: d0 ${USAGE.diff}`);
  const [a, b] = positionals.map((f) => readManifest(f).manifest);
  for (const c of diffManifests(a, b, { includeBuildIdentity: values.all === true }))
    io.out(renderChange(c));
  return 0;
}

/** The one manifest-<uuid>.tlv of a build directory (or the file given). */
function buildManifestFile(arg: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(arg);
  } catch {
    throw badInput(`${arg}: no such build directory or manifest file`);
  }
  if (!st.isDirectory()) return arg;
  const found = fs.readdirSync(arg).filter((f) => f.endsWith('.tlv') && uuidOfManifestName(f));
  if (found.length !== 1)
    throw badInput(
      `${arg}: ${found.length === 0 ? 'no' : found.length} manifest-<uuid>.tlv files; a build directory holds exactly one`,
    );
  return path.join(arg, found[0]);
}

// What D0 extends its PCR with for this manifest (core/measure.ts), from the manifest alone: the
// signature is not checked here (`manifest verify` does that; D0 measures only verified builds).
function pcr(args: string[], io: Io): number {
  const { positionals } = parseFlags(args, {}, USAGE.pcr);
  if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE.pcr}`);
  const { tlv, manifest } = readManifest(buildManifestFile(positionals[0]));
  const events = measuredEvents(tlv, manifest);
  events.forEach((e, i) =>
    io.out(
      `# event ${i + 1}: ${e.description}  measured ${Buffer.from(e.measured).toString('hex')}`,
    ),
  );
  io.out(
    `sha256:${MEASURE_PCR} ${Buffer.from(extendChain(events.map((e) => e.measured))).toString('hex')}`,
  );
  return 0;
}

const SUB: Record<string, (args: string[], io: Io) => number> = {
  pack,
  inspect,
  verify,
  diff,
  pcr,
};

export const command: Command = {
  name: 'manifest',
  usage: Object.values(USAGE),
  run(args, io) {
    const [sub, ...rest] = args;
    const fn = sub ? SUB[sub] : undefined;
    if (!fn) throw badInput(`usage:`, ...Object.values(USAGE).map((u) => `  d0 ${u}`));
    return fn(rest, io);
  },
};
