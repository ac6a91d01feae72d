// The build spec: what Pulumi resources (and any other caller) describe, in camelCase, and its
// mapping onto the Manifest authoring input of core/manifest/validate.ts. Pure.
//
// Problem paths come back in the spec's own terms (`containers.web.memMb`), so a Pulumi
// CheckFailure or a diff names the property the user wrote.
import type { Problem } from '../errors';
import { egressDefaults, rateDefaults } from '../manifest/container-network';
import { parseIp4 } from '../tlv/values';
import type { ExecOverrides } from '../image/image-config';

export type HealthName = 'ready' | 'exit-zero';
export type RestartName = 'never' | 'on-failure' | 'always';

/** Per-container overrides of the image's config (`docker run` semantics): core/image's. */
export type { ExecOverrides } from '../image/image-config';

export interface RouteSpec {
  readonly dest: string;
  readonly via: string;
}

/** A port of D0's uplink address forwarded to the container. */
export interface PublishSpec {
  /** The port on D0's uplink address, 1..65535. */
  readonly port: number;
  /** The port inside the container, 1..65535. */
  readonly targetPort: number;
  /** @default "tcp" */
  readonly protocol?: 'tcp' | 'udp';
}

/** One destination new outbound flows may reach. */
export interface EgressAllowSpec {
  /** A network in CIDR form, e.g. `10.0.2.2/32`. */
  readonly to: string;
  /** @default "any" */
  readonly protocol?: 'tcp' | 'udp' | 'icmp' | 'any';
  /** tcp/udp only: one port (`"80"`) or a range (`"8000-8100"`); default every port. */
  readonly ports?: string;
}

/** The container's egress policy: absent = unrestricted; `allow: []` = nothing may leave. */
export interface EgressSpec {
  readonly allow: readonly EgressAllowSpec[];
}

/** One direction's token bucket; an absent or 0 dimension is unlimited. */
export interface RateSpec {
  /** Up to 12.5e9 (100 Gbit/s). */
  readonly bytesPerSecond?: number;
  /** Up to 10,000,000. */
  readonly packetsPerSecond?: number;
  /** Bucket depth; at least 1514 (one frame) when bytesPerSecond is set. */
  readonly burstBytes?: number;
}

/** tx: frames the VM sends; rx: frames delivered to it. */
export interface RateLimitSpec {
  readonly tx?: RateSpec;
  readonly rx?: RateSpec;
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
  /** Ports of D0's uplink address forwarded to this container (needs `network.uplink`). */
  readonly publish?: readonly PublishSpec[];
  readonly egress?: EgressSpec;
  readonly rateLimit?: RateLimitSpec;
}

export interface NetworkSpec {
  /** The bridge's own address and prefix, e.g. 10.20.0.1/24. */
  readonly bridge: string;
  readonly egressNat?: boolean;
  /** D0's own address on the host's NIC, e.g. 192.0.2.10/24 (static; absent = no uplink). */
  readonly uplink?: string;
  /** The uplink's gateway; required with uplink. */
  readonly uplinkGw?: string;
  /** D0 answers ICMP echo on its uplink address; default true. */
  readonly uplinkEcho?: boolean;
}

/** Where the site's hosts pull their next build from when they reboot. */
export interface UpdateSpec {
  /** The update server's base URL, `http://host[:port]/path/` (proto/TLV.md "url string"). */
  readonly url: string;
  /** Upper bound of the whole pull at boot, 1..600 seconds. @default 60 */
  readonly timeoutS?: number;
}

/** Where the site's hosts send their one-way reports (syslog, RFC 5424 over UDP). */
export interface ReportSpec {
  /**
   * The collector, `a.b.c.d:port` (`10.0.2.2:5514`): a unicast IPv4 address and a UDP port
   * 1..65535. Needs `network.uplink`: D0 sends its reports through it.
   */
  readonly collector: string;
}

export interface BuildSpec {
  readonly site?: string;
  readonly network: NetworkSpec;
  readonly containers: readonly ContainerSpec[];
  /** Anti-rollback epoch (u64 as a number or decimal string). */
  readonly securityEpoch: number | string;
  /** Absent: the hosts pull nothing. */
  readonly update?: UpdateSpec;
  /** Absent: the hosts report nothing. */
  readonly report?: ReportSpec;
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
  ['uplink', 'uplink_ip4'],
  ['uplinkGw', 'uplink_gw4'],
  ['uplinkEcho', 'uplink_echo'],
] as const satisfies readonly (readonly [keyof NetworkSpec, string])[];
/** Spec protocol names -> the manifest's IpProtocol. */
const PROTOCOL = {
  tcp: 'IP_PROTO_TCP',
  udp: 'IP_PROTO_UDP',
  icmp: 'IP_PROTO_ICMP',
  any: 'IP_PROTO_ANY',
} as const;
type ProtocolName = keyof typeof PROTOCOL;
const RATE_FIELDS = {
  bytes_per_s: 'bytesPerSecond',
  packets_per_s: 'packetsPerSecond',
  burst_bytes: 'burstBytes',
} as const;
/**
 * A container's nested manifest fields: the spec path each comes from and its sub-fields
 * (manifest -> spec). `protocol` maps its value too (PROTOCOL, a default per field); `ports` is
 * one text for port_lo and port_hi (parsePorts).
 */
const CONTAINER_NESTED: Record<
  string,
  { readonly spec: string; readonly fields: Readonly<Record<string, string>> }
> = {
  publish: {
    spec: 'publish',
    fields: { protocol: 'protocol', uplink_port: 'port', container_port: 'targetPort' },
  },
  egress_allow: {
    spec: 'egress.allow',
    fields: { dest: 'to', protocol: 'protocol', port_lo: 'ports', port_hi: 'ports' },
  },
  tx_limit: { spec: 'rateLimit.tx', fields: RATE_FIELDS },
  rx_limit: { spec: 'rateLimit.rx', fields: RATE_FIELDS },
};
const PROTOCOL_DEFAULT: Record<string, ProtocolName> = { publish: 'tcp', egress_allow: 'any' };
const PROTOCOL_ALLOWED: Record<string, readonly ProtocolName[]> = {
  publish: ['tcp', 'udp'],
  egress_allow: ['tcp', 'udp', 'icmp', 'any'],
};
const HEADER_COPIED = [
  ['securityEpoch', 'security_epoch'],
  ['site', 'site'],
] as const satisfies readonly (readonly [keyof BuildSpec, string])[];
const UPDATE_COPIED = [
  ['url', 'url'],
  ['timeoutS', 'timeout_s'],
] as const satisfies readonly (readonly [keyof UpdateSpec, string])[];
/** update.timeoutS when the spec leaves it out. */
export const DEFAULT_UPDATE_TIMEOUT_S = 60;
/** The report's manifest fields, both from the one `report.collector` text: which part of it each
 * is, named in the problems mapped back to it. */
const REPORT_PARTS: ReadonlyMap<string, string> = new Map([
  ['collector_ip4', 'address'],
  ['collector_port', 'port'],
]);

const backward = (pairs: readonly (readonly [string, string])[], extra: Record<string, string> = {}) =>
  Object.fromEntries([...pairs.map(([spec, manifest]) => [manifest, spec]), ...Object.entries(extra)]) as Record<string, string>;
/** Manifest field -> spec field, per message. */
const CONTAINER_FIELDS = backward(CONTAINER_COPIED, {
  health: 'health',
  restart: 'restart',
  disk_path: 'image',
  disk_sha256: 'image',
  disk_size: 'image',
  egress_restricted: 'egress',
});
const NETWORK_FIELDS = backward(NETWORK_COPIED);
const HEADER_FIELDS = backward(HEADER_COPIED);
const UPDATE_FIELDS = backward(UPDATE_COPIED);

/** Spec-side name of a manifest field path, e.g. `containers[web].mem_mb` -> `containers.web.memMb`. */
export function specPath(manifestPath: string): string {
  let m = /^containers\[([^\]]+)\](?:\.([a-z0-9_]+)(.*))?$/.exec(manifestPath);
  if (m) {
    const [, name, field, rest] = m;
    const head = /^\d+$/.test(name) ? `containers[${name}]` : `containers.${name}`;
    if (!field) return head;
    const nested = CONTAINER_NESTED[field];
    if (nested) {
      const [, index = '', sub, tail] = /^(\[\d+\])?(?:\.([a-z0-9_]+))?(.*)$/.exec(rest ?? '')!;
      return `${head}.${nested.spec}${index}${sub ? `.${nested.fields[sub] ?? sub}` : ''}${tail}`;
    }
    return `${head}.${CONTAINER_FIELDS[field] ?? field}${rest ?? ''}`;
  }
  m = /^network\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m) return `network.${NETWORK_FIELDS[m[1]] ?? m[1]}`;
  m = /^header\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m) return HEADER_FIELDS[m[1]] ?? manifestPath;
  m = /^update\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m) return `update.${UPDATE_FIELDS[m[1]] ?? m[1]}`;
  m = /^report\.([a-z0-9_]+)$/.exec(manifestPath);
  if (m && REPORT_PARTS.has(m[1])) return 'report.collector';
  return manifestPath;
}

/** Problems at the spec's names; one about a part of report.collector says which part. */
export function mapProblems(problems: readonly Problem[]): Problem[] {
  return problems.map((p) => {
    const part = /^report\.([a-z0-9_]+)$/.exec(p.path)?.[1];
    const what = part === undefined ? undefined : REPORT_PARTS.get(part);
    return { ...p, path: specPath(p.path), ...(what ? { message: `${what} ${p.message}` } : {}) };
  });
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
/** D0's EFI image as the slot tree holds it (EFI/BOOT/BOOTX64-<uuid>.EFI). */
export interface LoaderDigest {
  readonly sha256: string;
  readonly size: string;
}

/** Problems the mapping itself finds (enum names, types the manifest has no field for). */
function specProblems(spec: BuildSpec): Problem[] {
  return [
    ...(Array.isArray(spec.containers) ? spec.containers : []).flatMap((c, i) =>
      containerSpecProblems(c, i),
    ),
    ...reportSpecProblems(spec.report),
  ];
}

/**
 * `a.b.c.d:port` -> the report's manifest fields, or undefined when the text is not of that form.
 * Whether the address is unicast and the port 1..65535 is the validator's, like any field's
 * value (its problems come back at `report.collector`, naming the part).
 */
export function parseCollector(
  v: unknown,
): { collector_ip4: string; collector_port: number } | undefined {
  const m = typeof v === 'string' ? /^([^:]*):(0|[1-9]\d{0,4})$/.exec(v) : null;
  if (!m || !parseIp4(m[1])) return undefined;
  return { collector_ip4: m[1], collector_port: Number(m[2]) };
}

/** The report's own problems: a collector missing or not `a.b.c.d:port`. A report that is not
 * an object is the validator's (`report: is not an object`). */
function reportSpecProblems(r: unknown): Problem[] {
  if (!isObj(r)) return [];
  if (r.collector === undefined || r.collector === null)
    return [
      {
        code: 'REQUIRED',
        path: 'report.collector',
        message: 'is required (a.b.c.d:port, e.g. 10.0.2.2:5514)',
      },
    ];
  if (parseCollector(r.collector)) return [];
  return [
    {
      code: 'INVALID',
      path: 'report.collector',
      message: `${JSON.stringify(r.collector)} is not an IPv4 address and a port like 10.0.2.2:5514`,
    },
  ];
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
  const listed = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
  const protocols = (field: string, entries: Obj[]) =>
    entries.forEach((e, j) => {
      const allowed = PROTOCOL_ALLOWED[field];
      if (e.protocol !== undefined && !allowed.includes(e.protocol as ProtocolName))
        out.push({
          code: 'INVALID',
          path: `${at}.${CONTAINER_NESTED[field].spec}[${j}].protocol`,
          message: `${JSON.stringify(e.protocol)} is not one of ${allowed.join(', ')}`,
        });
    });
  protocols('publish', listed(c?.publish));
  if (c?.egress !== undefined && !isObj(c.egress))
    out.push({
      code: 'INVALID',
      path: `${at}.egress`,
      message: 'is not an object like { allow: [...] } (leave it out for unrestricted egress)',
    });
  const allow = listed(isObj(c?.egress) ? c.egress.allow : undefined);
  protocols('egress_allow', allow);
  allow.forEach((e, j) => {
    if (e.ports !== undefined && parsePorts(e.ports) === undefined)
      out.push({
        code: 'INVALID',
        path: `${at}.egress.allow[${j}].ports`,
        message: `${JSON.stringify(e.ports)} is not a port ("80") or a range ("8000-8100")`,
      });
  });
  if (c?.rateLimit !== undefined && !isObj(c.rateLimit))
    out.push({
      code: 'INVALID',
      path: `${at}.rateLimit`,
      message: 'is not an object like { tx, rx }',
    });
  return out;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "80" -> 80..80, "8000-8100" -> 8000..8100 (ranges are the validator's); else undefined. */
export function parsePorts(v: unknown): { lo: number; hi: number } | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? { lo: v, hi: v } : undefined;
  const m = typeof v === 'string' ? /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v) : null;
  if (!m) return undefined;
  return { lo: Number(m[1]), hi: Number(m[2] ?? m[1]) };
}

/** The spec's entries of a nested manifest field, mapped through CONTAINER_NESTED. */
function nestedInput(field: string, e: Obj): Obj {
  const o: Obj = {};
  for (const [to, from] of Object.entries(CONTAINER_NESTED[field].fields)) {
    if (from === 'protocol') {
      const name = (e.protocol ?? PROTOCOL_DEFAULT[field]) as ProtocolName;
      // An unknown name was reported by containerSpecProblems: the default stands in for it.
      o.protocol = PROTOCOL_ALLOWED[field].includes(name)
        ? PROTOCOL[name]
        : PROTOCOL[PROTOCOL_DEFAULT[field]];
    } else if (from === 'ports') {
      const p = parsePorts(e.ports);
      if (p) o[to] = to === 'port_lo' ? p.lo : p.hi;
    } else if (e[from] !== undefined) o[to] = e[from];
  }
  return o;
}

/**
 * A container's publish, egress and rateLimit as the manifest will hold them: defaults filled in,
 * entries in one order. Two specs give equal values exactly when their manifests' fields are
 * equal (what Container.diff compares, so leaving out a default is no change).
 */
export function comparableNetworkFields(c: ContainerSpec): Obj {
  const o: Obj = {};
  networkInput(c, o);
  const sorted = (v: unknown[]) =>
    v.map((e) => JSON.stringify(e)).sort().map((e) => JSON.parse(e) as unknown);
  if (Array.isArray(o.publish)) o.publish = sorted(o.publish);
  if (Array.isArray(o.egress_allow))
    o.egress_allow = sorted(o.egress_allow.map((e) => (isObj(e) ? egressDefaults(e) : e)));
  for (const k of ['tx_limit', 'rx_limit']) if (isObj(o[k])) o[k] = rateDefaults(o[k] as Obj);
  return o;
}

/** A container's publish, egress and rateLimit as the manifest's fields. */
function networkInput(c: ContainerSpec, o: Obj): void {
  const entries = (field: string, v: unknown) =>
    Array.isArray(v) ? v.map((e) => (isObj(e) ? nestedInput(field, e) : e)) : v;
  if (c.publish !== undefined) o.publish = entries('publish', c.publish);
  if (isObj(c.egress)) {
    o.egress_restricted = true;
    o.egress_allow = entries('egress_allow', c.egress.allow ?? []);
  }
  const rate: unknown = c.rateLimit;
  if (!isObj(rate)) return;
  for (const [dir, field] of [
    ['tx', 'tx_limit'],
    ['rx', 'rx_limit'],
  ] as const) {
    const r = rate[dir];
    if (r !== undefined) o[field] = isObj(r) ? nestedInput(field, r) : r;
  }
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
  if (c) networkInput(c, o);
  return o;
}

/** The spec's update as the manifest's: timeout_s defaulted; anything else is the validator's. */
function updateInput(u: unknown): unknown {
  if (!isObj(u)) return u;
  const o: Obj = { timeout_s: DEFAULT_UPDATE_TIMEOUT_S };
  for (const [from, to] of UPDATE_COPIED) if (u[from] !== undefined) o[to] = u[from];
  return o;
}

/** The spec's report as the manifest's; left out when its collector is not `a.b.c.d:port`
 * (reportSpecProblems names it). Not an object: the validator's. */
function reportInput(r: unknown): unknown {
  return isObj(r) ? parseCollector(r.collector) : r;
}

/**
 * The Manifest authoring input of a spec. `disks` gives each container's digest by name and
 * `kernel` the guest kernel's; both may be placeholders (planning) or real (building). `loader`,
 * D0's EFI image in the slot tree, is known only once a build has it (a plan goes without).
 */
export function manifestInput(
  spec: BuildSpec,
  disks: (name: string) => DiskDigest,
  kernel: GuestKernelDigest,
  loader?: LoaderDigest,
): { input: Obj; problems: Problem[] } {
  const problems = specProblems(spec);
  const containers = Array.isArray(spec.containers)
    ? spec.containers.map((c) => containerInput(c, typeof c?.name === 'string' ? disks(c.name) : undefined))
    : spec.containers;
  const header: Obj = {};
  for (const [from, to] of HEADER_COPIED) if (spec[from] !== undefined) header[to] = spec[from];
  const network: Obj = { egress_nat: false };
  for (const [from, to] of NETWORK_COPIED) if (spec.network?.[from] !== undefined) network[to] = spec.network[from];
  const report = reportInput(spec.report);
  return {
    input: {
      header,
      network,
      guest_kernel: { sha256: kernel.sha256, size: kernel.size },
      containers,
      ...(spec.update !== undefined ? { update: updateInput(spec.update) } : {}),
      ...(loader ? { loader: { sha256: loader.sha256, size: loader.size } } : {}),
      ...(report !== undefined ? { report } : {}),
    },
    problems,
  };
}
