// Deployment: network + containers + signing key + security epoch -> one signed build
// (builder/site). A build is immutable: any change that alters the manifest, the key or where
// the build goes is a replacement, i.e. a new build with a new UUIDv7; no change keeps the UUID.
//
// check() validates the whole site with core/ (every problem, each at its path: the network's and
// each container's own fields too, which their lenient checks leave to it, see container.ts),
// resolves each image source's digest, checking archives' layer blobs (builder/site/image-check.ts),
// and moves the signing key out of the inputs (see key-stash.ts); an optional Secure Boot db key
// (paths only, deployment-secure-boot.ts) signs D0 in the build's slot tree. diff() compares two plans (normalized manifests with input digests, never
// timestamps or UUIDs) and returns each changed field as `containers.web.memMb` in `replaces`,
// which the engine shows as the replacement's reasons, and says "new signed build" with each
// field's old and new value on stderr, which the engine shows in the preview (see diff).
import path from 'node:path';
import { hostMemory } from '../../core/host-memory';
import type * as pulumi from '@pulumi/pulumi';
import { imageSourceDigest } from '../../builder/site/image-digest';
import { renderChange, type Change } from '../../core/diff';
import { diffPlans, planBuild } from '../../core/site/plan';
import type {
  BuildSpec,
  ContainerSpec,
  NetworkSpec,
  ReportSpec,
  UpdateSpec,
} from '../../core/site/spec';
import type { Problem } from '../../core/errors';
import { errorCode, ValidationError } from '../../core/errors';
import { parseSecretKeyFile, publicKeyOf } from '../../core/sign';
import { checkSecureBootInputs, signerOf } from './deployment-secure-boot';
import { stashedKey, stashKey } from './key-stash';
import { failures, hasUnknown, withoutProvider } from './problems';
import { imageProgress, progressSink } from './progress';

// check() and diff() run on every preview and need only the plan and image digests; the
// builders (and dockerode) load on the first build or docker: source.
const builders = () => require('../../builder/site') as typeof import('../../builder/site');
const slots = () => require('../../builder/disk/slots') as typeof import('../../builder/disk/slots');
const slotVerify = () =>
  require('../../builder/disk/slot-verify') as typeof import('../../builder/disk/slot-verify');
const retention = () =>
  require('../../builder/site/retention') as typeof import('../../builder/site/retention');
const connectDocker = () =>
  (
    require('../../builder/docker/engine') as typeof import('../../builder/docker/engine')
  ).connectDocker();

export interface DeploymentInputs extends Record<string, unknown> {
  site?: string;
  network: NetworkSpec;
  /** Container name -> spec (+ imageDigest after check). */
  containers: Record<string, ContainerSpec & { imageDigest?: string }>;
  securityEpoch: number | string;
  /** Before check: the secret seed (64 hex digits). Never stored: check() removes it. */
  signingKey?: string;
  /** After check: the public key (64 hex digits) of the signing key. */
  publicKey?: string;
  outDir: string;
  kernelMode?: 'auto' | 'docker' | 'host';
  /** The Secure Boot db key and certificate: paths only (deployment-secure-boot.ts). */
  secureBoot?: { key?: unknown; cert?: unknown };
  /** After check: the certificate's SHA-256 fingerprint (public). */
  secureBootCertSha256?: string;
  update?: UpdateSpec;
  report?: ReportSpec;
}

function specOf(v: DeploymentInputs): { spec: BuildSpec; digests: Record<string, string> } {
  const list = Object.values(v.containers ?? {});
  const digests: Record<string, string> = {};
  for (const c of list) if (c.imageDigest) digests[c.name] = c.imageDigest;
  const containers = list.map((c) => {
    const spec = { ...c };
    delete spec.imageDigest;
    return spec as ContainerSpec;
  });
  return {
    spec: {
      site: v.site,
      network: v.network,
      securityEpoch: v.securityEpoch,
      containers,
      ...(v.update ? { update: v.update } : {}),
      ...(v.report ? { report: v.report } : {}),
    },
    digests,
  };
}

// Key problems are reported at `signingKey` without the key: failures() never names a property,
// so the engine prints no input value (see problems.ts).
function keyProblem(key: unknown): Problem | undefined {
  if (key === undefined || key === null || key === '')
    return {
      code: 'REQUIRED',
      path: 'signingKey',
      message: 'is required (a pulumi secret: 64 hex digits, as `d0 keygen` writes)',
    };
  if (typeof key !== 'string' || !/^[0-9a-fA-F]{64}\s*$/.test(key))
    return {
      code: 'KEY',
      path: 'signingKey',
      message: 'is not a D0 secret key (expected 64 hex digits, as `d0 keygen` writes)',
    };
  return undefined;
}

export async function check(
  _olds: DeploymentInputs,
  news: DeploymentInputs,
): Promise<pulumi.dynamic.CheckResult> {
  const inputs: DeploymentInputs = { ...news, containers: { ...(news.containers ?? {}) } };
  const problems: Problem[] = [];
  // The key first, whatever else is unknown: it must never reach the returned inputs.
  const keyText = news.signingKey;
  delete inputs.signingKey;
  if (typeof keyText === 'string' && keyText.includes('04da6b54-80e4-46f7-96ec-b56ff0331ba9')) {
    inputs.publicKey = keyText; // unknown during preview; stays unknown
  } else {
    const kp = keyProblem(keyText);
    if (kp) problems.push(kp);
    else {
      const secret = parseSecretKeyFile(keyText!.trim() + '\n', 'signingKey');
      const pub = Buffer.from(publicKeyOf(secret)).toString('hex');
      stashKey(pub, secret);
      secret.fill(0);
      inputs.publicKey = pub;
    }
  }
  if (hasUnknown(withoutProvider({ ...inputs, publicKey: undefined })))
    return { inputs, failures: failures(problems) };

  if (typeof inputs.outDir !== 'string' || !path.isAbsolute(inputs.outDir))
    problems.push({
      code: 'INVALID',
      path: 'outDir',
      message: `${JSON.stringify(inputs.outDir)} is not an absolute path`,
    });
  if (inputs.kernelMode !== undefined && !['auto', 'docker', 'host'].includes(inputs.kernelMode))
    problems.push({
      code: 'INVALID',
      path: 'kernelMode',
      message: `${JSON.stringify(inputs.kernelMode)} is not auto, docker or host`,
    });
  problems.push(...(await checkSecureBootInputs(inputs)));
  for (const [key, c] of Object.entries(inputs.containers)) {
    if (c?.name !== key)
      problems.push({
        code: 'DUPLICATE',
        path: `containers.${key}`,
        message: `two Container resources are named ${JSON.stringify(c?.name)}`,
      });
    if (typeof c?.image !== 'string' || c.image === '') continue;
    try {
      inputs.containers[key] = {
        ...c,
        imageDigest: await imageSourceDigest(c.image, () => connectDocker()),
      };
    } catch (e) {
      problems.push({
        code: errorCode(e) ?? 'IMAGE',
        path: `containers.${c.name}.image`,
        message: (e as Error).message,
      });
    }
  }
  const { spec, digests } = specOf(inputs);
  problems.push(...planBuild(spec, digests).problems);
  return { inputs, failures: failures(problems) };
}

/** Every difference between two deployments' builds, in spec terms, one per path, sorted. */
export function buildChanges(olds: DeploymentInputs, news: DeploymentInputs): Change[] {
  const out = new Map<string, Change>();
  const add = (c: Change) => out.set(c.path, c);
  const [a, b] = [specOf(olds), specOf(news)];
  const pa = planBuild(a.spec, a.digests).manifest;
  const pb = planBuild(b.spec, b.digests).manifest;
  if (!pa || !pb) add({ kind: 'changed', path: 'containers' });
  else for (const c of diffPlans(pa, pb)) add(c);
  if (olds.publicKey !== news.publicKey)
    add({ kind: 'changed', path: 'signingKey', before: olds.publicKey, after: news.publicKey });
  for (const k of ['outDir', 'kernelMode'] as const) {
    const [before, after] = [olds[k] ?? 'auto', news[k] ?? 'auto'];
    if (before !== after) add({ kind: 'changed', path: k, before, after });
  }
  // Signed for another db (or no longer signed, or now signed): D0's bytes differ, a new build.
  const [sbBefore, sbAfter] = [olds.secureBootCertSha256, news.secureBootCertSha256];
  const sbPaths = (v: DeploymentInputs) => JSON.stringify(v.secureBoot ?? null);
  if (sbBefore !== sbAfter || sbPaths(olds) !== sbPaths(news))
    add({
      kind: 'changed',
      path: 'secureBoot',
      before: sbBefore ?? 'unsigned',
      after: sbAfter ?? 'unsigned',
    });
  return [...out.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Spec paths of every difference between two deployments' builds, sorted. */
export function changes(olds: DeploymentInputs, news: DeploymentInputs): string[] {
  return buildChanges(olds, news).map((c) => c.path);
}

/** Digests and keys are cut to their first 12 characters: the line names the change, no more. */
function short(v: string | undefined): string | undefined {
  return v !== undefined && v.length > 24 ? `${v.slice(0, 12)}…` : v;
}

/**
 * What a preview should say about a replaced Deployment, on one line:
 * `Deployment site-a: new signed build: containers.web.memMb: 64 -> 96`.
 */
export function newBuildNotice(site: string, cs: readonly Change[]): string {
  const fields = cs.map((c) =>
    renderChange({ ...c, before: short(c.before), after: short(c.after) }),
  );
  return `Deployment ${site}: new signed build: ${fields.join('; ')}`;
}

/**
 * The changed fields go to the engine as replacement reasons (`replaces`), and as one line on
 * this process's stderr (`notify`), which the engine shows under the stack's diagnostics in the
 * default `pulumi preview` and `pulumi up`: the SDK's dynamic-provider shim (3.248) forwards no
 * `detailedDiff`, and a dynamic provider has no other channel to the engine's log.
 */
export function diff(
  _id: string,
  olds: DeploymentInputs,
  news: DeploymentInputs,
  notify: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): pulumi.dynamic.DiffResult {
  if (hasUnknown(withoutProvider(news))) return { changes: true, replaces: ['containers'] };
  const cs = buildChanges(olds, news);
  if (cs.length > 0) notify(newBuildNotice(String(news.site ?? olds.site ?? ''), cs));
  return { changes: cs.length > 0, replaces: cs.map((c) => c.path), deleteBeforeReplace: false };
}

async function build(inputs: DeploymentInputs): Promise<pulumi.dynamic.CreateResult> {
  const secret = inputs.publicKey ? stashedKey(inputs.publicKey) : undefined;
  if (!secret)
    throw new Error(
      'Deployment: the signing key was not checked in this provider process (run `pulumi up` again)',
    );
  const { spec } = specOf(inputs);
  const docker = spec.containers.some((c) => c.image.startsWith('docker:'))
    ? await connectDocker()
    : undefined;
  // Builder steps, the guest kernel's compile count and image conversion bytes, as they happen.
  const sink = progressSink(`Deployment ${inputs.site ?? ''}`);
  const image = imageProgress(sink);
  try {
    const r = await builders().makeBuild({
      spec,
      secretKey: secret,
      outDir: inputs.outDir,
      kernelMode: inputs.kernelMode,
      secureBoot: signerOf(inputs),
      docker,
      log: sink.line,
      onImageProgress: (c, e) => image(`image ${c}`, e),
    });
    await retention().collectRetained(inputs.outDir);
    return {
      id: r.buildUuid,
      outs: {
        ...withoutProvider(inputs),
        buildUuid: r.buildUuid,
        timestampMs: r.timestampMs,
        buildDir: r.dir,
        slotDir: r.slotDir,
        manifestSha256: r.manifestSha256,
        publicKey: r.publicKey,
        efiSha256: r.efiSha256,
        ...(r.secureBootCertSha256 ? { secureBootCertSha256: r.secureBootCertSha256 } : {}),
        artifacts: r.artifacts,
        disks: Object.fromEntries(
          r.manifest.containers.map((c) => [c.name, { sha256: c.disk_sha256, size: c.disk_size }]),
        ),
        // What a host needs to run this build (core/host-memory.ts), for sizing hosts before up.
        hostMemoryMiB: hostMemory(r.manifest).totalMiB,
      },
    };
  } catch (e) {
    if (e instanceof ValidationError) throw new Error(`Deployment: ${e.message}`);
    throw e;
  } finally {
    secret.fill(0);
  }
}

export const create = build;

export async function update(
  _id: string,
  _olds: DeploymentInputs,
  news: DeploymentInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: (await build(news)).outs };
}

/**
 * Removes the build directory (only a directory that is this build: its build.json says so),
 * unless a host disk's slot still holds the build: then it is kept, marked retained, and a later
 * build or deletion in the same outDir collects it once no slot holds it (builder/site/retention.ts).
 */
export async function remove(id: string, olds: DeploymentInputs & { buildDir?: string }): Promise<void> {
  const dir = olds.buildDir;
  if (!dir) return;
  await retention().removeBuildDir(dir, id);
  await retention().collectRetained(path.dirname(dir));
}

/** Why the build's slot tree is not this build, signed by its key and whole; undefined when it is. */
async function buildProblem(props: DeploymentInputs & { slotDir?: string }): Promise<string | undefined> {
  let tree: ReturnType<typeof import('../../builder/disk/slots').readSlotTree>;
  try {
    tree = slots().readSlotTree(String(props.slotDir));
  } catch (e) {
    return (e as Error).message;
  }
  if (tree.uuid !== props.buildUuid) return `${props.slotDir} holds build ${tree.uuid}`;
  const key = Buffer.from(String(props.publicKey), 'hex');
  const v = await slotVerify().verifySlot(slots().treeFiles(tree), key);
  return v.verified ? undefined : `${props.slotDir}: ${v.reason}`;
}

/**
 * `pulumi refresh`: the build is still there when its slot tree (the files a slot receives)
 * verifies with its public key: signature, manifest, every file's size and digest. A build
 * directory that vanished or whose files changed is no longer this build: read() answers an empty
 * id, the refresh drops the Deployment (saying why on stderr), and the next `up` makes a new build
 * that the site's writers then write.
 */
export async function read(
  id: string,
  props: DeploymentInputs & { slotDir?: string; buildUuid?: string },
): Promise<pulumi.dynamic.ReadResult> {
  const problem = await buildProblem(props);
  if (!problem) return { id, props: withoutProvider(props) };
  process.stderr.write(
    `Deployment ${props.site ?? ''}: build ${id} is gone (${problem}); the next up makes a new build\n`,
  );
  return { id: '' };
}
