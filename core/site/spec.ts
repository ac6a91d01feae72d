// The build spec: what Pulumi resources (and any other caller) describe, in camelCase, and its
// mapping onto the Manifest authoring input of core/manifest/validate.ts. Pure.
//
// Problem paths come back in the spec's own terms (`containers.web.memMb`), so a Pulumi
// CheckFailure or a diff names the property the user wrote.
import type { Problem } from '../errors';
import type { ExecOverrides } from '../image/image-config';

export type HealthName = 'ready' | 'exit-zero';
export type RestartName = 'never' | 'on-failure' | 'always';

/** Per-container overrides of the image's config (`docker run` semantics): core/image's. */
export type { ExecOverrides } from '../image/image-config';

export interface RouteSpec {
  readonly dest: string;
  readonly via: string;
}

export interface ContainerSpec {
  readonly name: string;
  /** `docker:NAME[:TAG]`, `oci:PATH[:REF]` or `docker-archive:FILE[:REPO:TAG]`. */
  readonly image: string;
  readonly exec?: ExecOverrides;
  readonly vcpu: number;
  readonly memMb: number;
  /** Static address with the bridge's prefix, e.g. 10.20.0.10/24. */
  readonly ip: string;
  readonly gw?: string;
  /** Derived from (site, name) when omitted. */
  readonly mac?: string;
  readonly routes?: RouteSpec[];
  readonly bootOrder: number;
  readonly healthTimeoutS: number;
  readonly health?: HealthName;
  readonly restart?: RestartName;
  /** Free space in the root disk beyond the image, MiB. */
  readonly headroomMiB?: number;
}

export interface NetworkSpec {
  /** The bridge's own address and prefix, e.g. 10.20.0.1/24. */
  readonly bridge: string;
  readonly egressNat?: boolean;
}

export interface BuildSpec {
  readonly site?: string;
  readonly network: NetworkSpec;
  readonly containers: readonly ContainerSpec[];
  /** Anti-rollback epoch (u64 as a number or decimal string). */
  readonly securityEpoch: number | string;
}

const HEALTH: Record<HealthName, string> = {
  ready: 'HEALTH_READY',
  'exit-zero': 'HEALTH_EXIT_ZERO',
};
const RESTART: Record<RestartName, string> = {
  never: 'RESTART_NEVER',
  'on-failure': 'RESTART_ON_FAILURE',
  always: 'RESTART_ALWAYS',
};

/**
 * The one table between the spec (camelCase, what users write) and the manifest (snake_case, the
 * proto's names): manifestInput() maps forward with it, specPath() backward. Fields copied as
 * they are; `health` and `restart` map their values too (HEALTH, RESTART); a container's disk
 * fields come from its image.
 */
const CONTAINER_COPIED = [
  ['name', 'name'],
  ['vcpu', 'vcpu'],
  ['memMb', 'mem_mb'],
  ['ip', 'ip4'],
  ['gw', 'gw4'],
  ['mac', 'mac'],
  ['routes', 'routes'],
  ['bootOrder', 'boot_order'],
  ['healthTimeoutS', 'health_timeout_s'],
] as const satisfies readonly (readonly [keyof ContainerSpec, string])[];
const NETWORK_COPIED = [
  ['bridge', 'bridge_ip4'],
  ['egressNat', 'egress_nat'],
] as const satisfies readonly (readonly [keyof NetworkSpec, string])[];
const HEADER_COPIED = [
  ['securityEpoch', 'security_epoch'],
  ['site', 'site'],
] as const satisfies readonly (readonly [keyof BuildSpec, string])[];

const backward = (pairs: readonly (readonly [string, string])[], extra: Record<string, string> = {}) =>
  Object.fromEntries([...pairs.map(([spec, manifest]) => [manifest, spec]), ...Object.entries(extra)]) as Record<string, string>;
/** Manifest field -> spec field, per message. */
const CONTAINER_FIELDS = backward(CONTAINER_COPIED, {
  health: 'health',
  restart: 'restart',
  disk_path: 'image',
  disk_sha256: 'image',
  disk_size: 'image',
});
const NETWORK_FIELDS = backward(NETWORK_COPIED);
const HEADER_FIELDS = backward(HEADER_COPIED);

/** Spec-side name of a manifest field path, e.g. `containers[web].mem_mb` -> `containers.web.memMb`. */
export function specPath(manifestPath: string): string {
  let m = /^containers\[([^\]]+)\](?:\.([a-z0-9_]+)(.*))?$/.exec(manifestPath);
  if (m) {
    const [, name, field, rest] = m;
    const head = /^\d+$/.test(name) ? `containers[${name}]` : `containers.${name}`;
    if (!field) return head;
    return `${head}.${CONTAINER_FIELDS[field] ?? field}${rest ?? ''}`;
  }
  m = /^network\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m) return `network.${NETWORK_FIELDS[m[1]] ?? m[1]}`;
  m = /^header\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m) return HEADER_FIELDS[m[1]] ?? manifestPath;
  return manifestPath;
}

export function mapProblems(problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, path: specPath(p.path) }));
}

type Obj = Record<string, unknown>;

/** Digests of a container's built disk (or placeholders when planning before any build). */
export interface DiskDigest {
  readonly sha256: string;
  readonly size: string;
}
export interface GuestKernelDigest {
  readonly sha256: string;
  readonly size: string;
}

/** Problems the mapping itself finds (enum names, types the manifest has no field for). */
function specProblems(spec: BuildSpec): Problem[] {
  return (Array.isArray(spec.containers) ? spec.containers : []).flatMap((c, i) => containerSpecProblems(c, i));
}

/** The same, for one container (`i` names it when it has no name). */
export function containerSpecProblems(c: ContainerSpec, i: number): Problem[] {
  const out: Problem[] = [];
  const at = typeof c?.name === 'string' && c.name ? `containers.${c.name}` : `containers[${i}]`;
  if (typeof c?.image !== 'string' || c.image === '')
    out.push({
      code: 'REQUIRED',
      path: `${at}.image`,
      message: 'is required (docker:NAME, oci:PATH or docker-archive:FILE)',
    });
  if (c?.health !== undefined && !(c.health in HEALTH))
    out.push({
      code: 'INVALID',
      path: `${at}.health`,
      message: `${JSON.stringify(c.health)} is not one of ${Object.keys(HEALTH).join(', ')}`,
    });
  if (c?.restart !== undefined && !(c.restart in RESTART))
    out.push({
      code: 'INVALID',
      path: `${at}.restart`,
      message: `${JSON.stringify(c.restart)} is not one of ${Object.keys(RESTART).join(', ')}`,
    });
  if (c?.headroomMiB !== undefined && !(Number.isInteger(c.headroomMiB) && c.headroomMiB >= 0))
    out.push({
      code: 'INVALID',
      path: `${at}.headroomMiB`,
      message: `${JSON.stringify(c.headroomMiB)} is not a whole number of MiB >= 0`,
    });
  return out;
}

/** One container's Manifest authoring input, with its disk's digest (real or a placeholder). */
export function containerInput(c: ContainerSpec, d: DiskDigest | undefined): Obj {
  const o: Obj = {
    health: HEALTH[(c?.health ?? 'ready') as HealthName] ?? 'HEALTH_READY',
    disk_sha256: d?.sha256,
    disk_size: d?.size,
  };
  for (const [from, to] of CONTAINER_COPIED) if (c?.[from] !== undefined) o[to] = c[from];
  if (c?.restart !== undefined && c.restart in RESTART) o.restart = RESTART[c.restart as RestartName];
  return o;
}

/**
 * The Manifest authoring input of a spec. `disks` gives each container's digest by name and
 * `kernel` the guest kernel's; both may be placeholders (planning) or real (building).
 */
export function manifestInput(
  spec: BuildSpec,
  disks: (name: string) => DiskDigest,
  kernel: GuestKernelDigest,
): { input: Obj; problems: Problem[] } {
  const problems = specProblems(spec);
  const containers = Array.isArray(spec.containers)
    ? spec.containers.map((c) => containerInput(c, typeof c?.name === 'string' ? disks(c.name) : undefined))
    : spec.containers;
  const header: Obj = {};
  for (const [from, to] of HEADER_COPIED) if (spec[from] !== undefined) header[to] = spec[from];
  const network: Obj = { egress_nat: false };
  for (const [from, to] of NETWORK_COPIED) if (spec.network?.[from] !== undefined) network[to] = spec.network[from];
  return {
    input: {
      header,
      network,
      guest_kernel: { sha256: kernel.sha256, size: kernel.size },
      containers,
    },
    problems,
  };
}
