// UpdatePublication: a Deployment's build put into a site's publication directory, the directory
// the site's update server serves (docs/update-server.md), for HostRollouts to point hosts at.
//
// Contract:
// - create/update: the build is checked as `d0 publish` checks it (builder/publish checkBuild:
//   its signature with the Deployment's public key, D0's rules, the loader digest, every file),
//   then written to <site>/builds/<uuid>/ (copied aside and renamed into place; an identical one
//   already there is reused) and netboot/BOOTX64.EFI. No pointer is written: each host's is
//   its HostRollout's, written when that host's turn comes.
// - A refusal of builder/publish (PUBLISH_BAD_BUILD, PUBLISH_CONFLICT, PUBLISH_SITE) is the
//   resource's error: its code, the build and the site, then builder/publish's message naming the
//   file and why; nothing is written then.
// - diff(): another build, site or key is a replacement (a build directory is written once).
// - read() (`pulumi refresh`): the published build is still there when builds/<uuid>/ holds
//   exactly the build, verified with its key; otherwise the refresh drops the resource (saying
//   why) and the next `up` publishes it again.
// - delete: the published build stays where it is: hosts that are not rolled out again still
//   point at it, and a host pulls its files from there at its next reboot. Remove old builds
//   with `d0 publish status` once no pointer names them.
import type * as pulumi from '@pulumi/pulumi';
import fs from 'node:fs';
import path from 'node:path';
import { D0Error, errorCode, type Problem } from '../../core/errors';
import { checkBuild, publishedBuildDir, writePublication } from '../../builder/publish';
import { failures, hasUnknown, withoutProvider } from './problems';
import { progressSink } from './progress';

export interface PublicationInputs extends Record<string, unknown> {
  /** The site's publication directory (absolute; created when missing). */
  site: string;
  /** The Deployment's build, its slot tree and its public key (64 hex digits). */
  buildUuid: string;
  slotDir: string;
  publicKey: string;
  /** The resource's name, for its progress line. */
  resourceName?: string;
}

/** What create and update add to the inputs. */
export interface Published {
  /** `<site>/builds/<uuid>`: the build as hosts fetch it. */
  buildDir: string;
  /** `<site>/netboot/BOOTX64.EFI`: the D0 a blank host netboots (the last build published). */
  netbootFile: string;
  /** builds/<uuid>/ already held the build and was left as it was. */
  reused: boolean;
}

const known = (v: unknown) => v !== undefined && !hasUnknown(v);

function problems(inputs: PublicationInputs): Problem[] {
  const out: Problem[] = [];
  if (known(inputs.site)) {
    if (typeof inputs.site !== 'string' || !path.isAbsolute(inputs.site))
      out.push({
        code: 'INVALID',
        path: 'site',
        message: `${JSON.stringify(inputs.site)} is not an absolute path`,
      });
    else {
      const st = fs.statSync(inputs.site, { throwIfNoEntry: false });
      if (st && !st.isDirectory())
        out.push({ code: 'INVALID', path: 'site', message: `${inputs.site} is not a directory` });
    }
  }
  if (known(inputs.publicKey) && !/^[0-9a-f]{64}$/.test(String(inputs.publicKey)))
    out.push({
      code: 'KEY',
      path: 'publicKey',
      message: "not 64 lowercase hex digits (the Deployment's publicKey)",
    });
  return out;
}

export function check(
  _olds: PublicationInputs,
  news: PublicationInputs,
): pulumi.dynamic.CheckResult {
  return { inputs: news, failures: failures(problems(news)) };
}

export function diff(
  _id: string,
  olds: PublicationInputs,
  news: PublicationInputs,
): pulumi.dynamic.DiffResult {
  const replaces = (['buildUuid', 'site', 'publicKey'] as const).filter((k) => olds[k] !== news[k]);
  return { changes: replaces.length > 0 || olds.slotDir !== news.slotDir, replaces };
}

/** `UpdatePublication: [CODE] build <uuid> into <site>: <what refused it, naming the file>`. */
function failed(e: unknown, inputs: PublicationInputs): Error {
  const code = errorCode(e);
  return new Error(
    `UpdatePublication: ${code ? `[${code}] ` : ''}build ${inputs.buildUuid} into ${inputs.site}: ` +
      (e as Error).message,
  );
}

async function publish(inputs: PublicationInputs): Promise<Published> {
  const found = problems(inputs);
  if (found.length > 0)
    throw new D0Error('INVALID', found.map((p) => `${p.path}: ${p.message}`).join('; '));
  const build = await checkBuild(inputs.slotDir, Buffer.from(inputs.publicKey, 'hex'));
  if (build.uuid !== inputs.buildUuid)
    throw new D0Error(
      'SLOT_TREE',
      `${inputs.slotDir} holds build ${build.uuid}, not the Deployment's build ${inputs.buildUuid}; nothing was published`,
    );
  const r = writePublication(inputs.site, build, []);
  progressSink(`UpdatePublication ${inputs.resourceName ?? ''}`).line(
    `build ${r.uuid} ${r.reused ? 'already published' : 'published'} in ${r.buildDir}`,
  );
  return { buildDir: r.buildDir, netbootFile: r.netboot, reused: r.reused };
}

export async function create(inputs: PublicationInputs): Promise<pulumi.dynamic.CreateResult> {
  try {
    const p = await publish(inputs);
    return { id: p.buildDir, outs: { ...withoutProvider(inputs), ...p } };
  } catch (e) {
    throw failed(e, inputs);
  }
}

export async function update(
  _id: string,
  _olds: PublicationInputs,
  news: PublicationInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  try {
    return { outs: { ...withoutProvider(news), ...(await publish(news)) } };
  } catch (e) {
    throw failed(e, news);
  }
}

/** `pulumi refresh`: kept while builds/<uuid>/ verifies as the build; else dropped, saying why. */
export async function read(
  id: string,
  props: PublicationInputs & Partial<Published>,
): Promise<pulumi.dynamic.ReadResult> {
  const dir = props.buildDir ?? publishedBuildDir(props.site, props.buildUuid);
  let why: string | undefined;
  try {
    const b = await checkBuild(dir, Buffer.from(String(props.publicKey), 'hex'));
    if (b.uuid !== props.buildUuid) why = `it holds build ${b.uuid}`;
  } catch (e) {
    why = (e as Error).message;
  }
  if (!why) return { id, props: withoutProvider(props) };
  process.stderr.write(
    `UpdatePublication ${props.resourceName ?? ''}: ${dir} is no longer build ${props.buildUuid} (${why}); the next up publishes it again\n`,
  );
  return { id: '' };
}

/** The published build is left in place: hosts may point at it (the contract above). */
export function remove(_id: string, _props: PublicationInputs): void {}
