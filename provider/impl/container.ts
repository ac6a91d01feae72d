// Container: one micro-VM's spec. check() resolves the image source's digest (no conversion) and
// leaves the reporting of problems to the Deployment (see check); create/update refuse a container
// with problems, convert the image (cached; the bytes read are shown on the CLI) and output the root disk's sha256 and size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import { imageSourceDigest } from '../../builder/site/image-digest';
import { checkContainer } from '../../core/site/plan';
import { comparableNetworkFields, type ContainerSpec } from '../../core/site/spec';
import type { Problem } from '../../core/errors';
import { hasUnknown, refuseProblems, scoped, withoutProvider } from './problems';
import { imageProgress, progressSink } from './progress';

// check() and diff() run on every preview; the image builder and dockerode load on first use.
const conversions = () =>
  require('../../builder/site/conversions') as typeof import('../../builder/site/conversions');
const guestInit = () =>
  require('../../builder/guest/init') as typeof import('../../builder/guest/init');
const connectDocker = () =>
  (
    require('../../builder/docker/engine') as typeof import('../../builder/docker/engine')
  ).connectDocker();

type Inputs = ContainerSpec & { imageDigest?: string } & Record<string, unknown>;

/** The fields whose change makes a different VM; `imageDigest` is the source's content digest. */
export const CONTAINER_KEYS = [
  'name',
  'image',
  'imageDigest',
  'exec',
  'vcpu',
  'memMb',
  'ip',
  'gw',
  'mac',
  'routes',
  'bootOrder',
  'healthTimeoutS',
  'health',
  'restart',
  'headroomMiB',
] as const;
/** Compared as the manifest fields they make (core/site/spec comparableNetworkFields). */
export const CONTAINER_NETWORK_KEYS = ['publish', 'egress', 'rateLimit'] as const;

// check() is lenient: it reports nothing and only adds the image digest. The engine stops a
// preview at the first resource whose check fails, so a bad field failing here would hide the
// site's problems (duplicate addresses, a missing image, a bad key) until the next fix. The
// Deployment checks every container it is given with the same core/ rules plus the site's and
// lists every problem of the site in one preview, each once. create() and update() refuse a
// container with problems before converting anything, so a Container that no Deployment uses is
// still refused at `up`.
export async function check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
  const inputs: Inputs = { ...news };
  if (hasUnknown(withoutProvider(news))) return { inputs };
  const image = (news as Partial<ContainerSpec>).image;
  if (typeof image === 'string' && image !== '') {
    try {
      // The Deployment checks the layers too (and reports the image); here only the digest.
      inputs.imageDigest = await imageSourceDigest(image, () => connectDocker(), { layers: false });
    } catch {
      delete inputs.imageDigest;
    }
  }
  return { inputs, failures: [] };
}

/** The container's own problems at its own paths (`memMb`, `ip`), as check() would have failed. */
export function ownProblems(news: Inputs): Problem[] {
  const spec = withoutProvider(news) as ContainerSpec;
  const name = typeof spec.name === 'string' && spec.name ? spec.name : 'container';
  return scoped(checkContainer({ ...spec, name }), `containers.${name}`);
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const changed: string[] = CONTAINER_KEYS.filter(
    (k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
  );
  const net = (v: Inputs) => JSON.stringify(comparableNetworkFields(v));
  if (net(olds) !== net(news)) changed.push(...CONTAINER_NETWORK_KEYS);
  return { changes: changed.length > 0, replaces: changed.includes('name') ? ['name'] : [] };
}

async function convert(inputs: Inputs): Promise<Record<string, unknown>> {
  refuseProblems(`Container ${JSON.stringify(inputs.name)}`, ownProblems(inputs));
  // Names a missing image before any work; the conversion checks every layer byte itself.
  await imageSourceDigest(inputs.image, () => connectDocker(), { layers: false });
  const init = await guestInit().buildGuestInit();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-container-'));
  // The conversion's bytes on the CLI while the Container is created (see progress.ts).
  const image = imageProgress(progressSink(`Container ${inputs.name}`));
  try {
    const r = await conversions().convertImage({
      source: inputs.image,
      out: path.join(dir, 'disk.img'),
      init: init.init,
      overrides: inputs.exec ? { ...inputs.exec } : undefined,
      headroomMiB: inputs.headroomMiB,
      docker: inputs.image.startsWith('docker:') ? await connectDocker() : undefined,
      onProgress: (e) => image('image', e),
    });
    return {
      ...withoutProvider(inputs),
      diskSha256: r.meta.sha256,
      diskSize: r.meta.size,
      imageCacheKey: r.key,
      warnings: r.meta.warnings,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true }); // the cache keeps the image
  }
}

export async function create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = await convert(inputs);
  return { id: `${inputs.name}-${String(outs.diskSha256).slice(0, 16)}`, outs };
}

export async function update(
  _id: string,
  _olds: Inputs,
  news: Inputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return { outs: await convert(news) };
}
