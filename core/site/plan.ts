// Planning a build without building it: the normalized manifest a spec will produce, with the
// build identity fixed and each disk digest replaced by a digest of its INPUTS (image source
// digest, exec overrides, headroom). Two plans differ exactly where two builds would differ, so
// `pulumi preview` can name what changes without converting an image or signing anything. Pure.
import { createHash } from 'node:crypto';
import { diffManifests, type Change } from '../diff';
import type { Problem } from '../errors';
import { validateContainer, validateManifest } from '../manifest/validate';
import type { Manifest } from '../schema';
import {
  containerInput,
  containerSpecProblems,
  manifestInput,
  specPath,
  mapProblems,
  type BuildSpec,
  type ContainerSpec,
} from './spec';

/** The identity every plan uses, so plans compare equal across runs. */
export const PLAN_BUILD = {
  build_uuid: '00000000-0000-7000-8000-000000000000',
  timestamp_ms: 0,
} as const;

export interface Plan {
  readonly manifest?: Manifest;
  readonly problems: Problem[];
}

/**
 * A stand-in for a container's disk digest: sha256 over what the disk is made from. `imageDigest`
 * is the source image's content digest (see image-digest.ts); without it the source string is used.
 */
export function inputDigest(c: ContainerSpec, imageDigest: string | undefined): string {
  const parts = [
    imageDigest ?? `source:${c.image}`,
    JSON.stringify(c.exec ?? {}),
    String(c.headroomMiB ?? 0),
  ];
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/**
 * One container's own problems (spec paths), without the site's rules (unique names and
 * addresses, the bridge subnet: the Deployment's). What Container.check reports.
 */
export function checkContainer(c: ContainerSpec, imageDigest?: string): Problem[] {
  const disk = { sha256: inputDigest(c, imageDigest), size: '1' };
  return dedupe([
    ...containerSpecProblems(c, 0),
    ...mapProblems(validateContainer(containerInput(c, disk), PLAN_BUILD.build_uuid)),
  ]);
}

export function planBuild(
  spec: BuildSpec,
  imageDigests: Readonly<Record<string, string>> = {},
): Plan {
  const byName = new Map(
    (Array.isArray(spec.containers) ? spec.containers : []).map((c) => [c?.name, c]),
  );
  const { input, problems } = manifestInput(
    spec,
    (name) => ({ sha256: inputDigest(byName.get(name)!, imageDigests[name]), size: '1' }),
    { sha256: '0'.repeat(64), size: '1' },
  );
  const r = validateManifest(input, { build: PLAN_BUILD });
  const all = [...problems, ...mapProblems(r.problems)];
  return all.length > 0 ? { problems: dedupe(all) } : { manifest: r.manifest, problems: [] };
}

function dedupe(ps: Problem[]): Problem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.path}\0${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** One change between two plans, in spec terms: `containers.web.memMb: 256 -> 512`. */
export interface PlanChange extends Change {
  /** The manifest path (`containers[web].mem_mb`). */
  readonly manifestPath: string;
}

export function diffPlans(a: Manifest, b: Manifest): PlanChange[] {
  const changes = diffManifests(a, b).map((c) => ({
    ...c,
    manifestPath: c.path,
    path: specPath(c.path),
  }));
  // The collector's address and port are one spec field (`report.collector`, `a.b.c.d:port`):
  // one change, with the whole value on each side.
  const collector = (m: Manifest) =>
    m.report ? `${m.report.collector_ip4}:${m.report.collector_port}` : undefined;
  const first = changes.findIndex((c) => c.path === 'report.collector');
  if (first < 0) return changes;
  const merged: PlanChange = {
    kind: 'changed',
    path: 'report.collector',
    manifestPath: 'report',
    before: collector(a),
    after: collector(b),
  };
  return changes.flatMap((c, i) =>
    c.path !== 'report.collector' ? [c] : i === first ? [merged] : [],
  );
}
