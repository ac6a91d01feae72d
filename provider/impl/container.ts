// Container: one micro-VM's spec. check() runs core/'s per-field rules and resolves the image
// source's digest (no conversion); create/update convert the image (cached) and output the
// root disk's sha256 and size. Rules that need the whole site (unique addresses, the bridge
// subnet) are the Deployment's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import { imageSourceDigest } from '../../builder/site/image-digest';
import { checkContainer } from '../../core/site/plan';
import type { ContainerSpec } from '../../core/site/spec';
import { failures, hasUnknown, scoped, withoutProvider } from './problems';

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

export async function check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
  const inputs: Inputs = { ...news };
  if (hasUnknown(withoutProvider(news))) return { inputs };
  const spec = withoutProvider(news) as ContainerSpec;
  const name = typeof spec.name === 'string' && spec.name ? spec.name : 'container';
  const own = scoped(checkContainer({ ...spec, name }), `containers.${name}`);
  // An image that cannot be resolved is not a failure here but the Deployment's: the engine stops
  // a preview at the first resource whose check fails, and the Deployment lists every problem of
  // the site at once. create() still refuses the image, naming it.
  if (typeof spec.image === 'string' && spec.image !== '') {
    try {
      inputs.imageDigest = await imageSourceDigest(spec.image, () => connectDocker());
    } catch {
      delete inputs.imageDigest;
    }
  }
  return { inputs, failures: failures(own) };
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const changed = CONTAINER_KEYS.filter(
    (k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
  );
  return { changes: changed.length > 0, replaces: changed.includes('name') ? ['name'] : [] };
}

async function convert(inputs: Inputs): Promise<Record<string, unknown>> {
  await imageSourceDigest(inputs.image, () => connectDocker()); // names a missing image before any work
  const init = await guestInit().buildGuestInit();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-container-'));
  try {
    const r = await conversions().convertImage({
      source: inputs.image,
      out: path.join(dir, 'disk.img'),
      init: init.init,
      overrides: inputs.exec ? { ...inputs.exec } : undefined,
      headroomMiB: inputs.headroomMiB,
      docker: inputs.image.startsWith('docker:') ? await connectDocker() : undefined,
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
