// Authoring input (the Manifest message in protobuf JSON mapping, proto field names) -> a complete,
// canonical Manifest, or every problem found, each with its path (`containers[web].ip4`).
//
// Per-field checks mirror the TLV decoder's; the cross-field rules (unique names, MACs, IPs and
// boot orders; addresses inside the bridge subnet; routes) are D0's too (proto/SEMANTICS.md,
// semantic.ts, kernel/manifest/semantic.c): here they run on the raw input, with paths and
// advice, then semantic.ts runs on the finished manifest, so nothing passes here that D0 refuses.
// The pipeline assigns
// header.build_uuid and header.timestamp_ms (opts.build); disk and kernel paths derive from the
// build UUID when omitted, MACs from (site, name).
import type { Problem } from '../errors';
import type { Container, Manifest } from '../schema';
import { encodeManifest } from '../tlv/encode';
import { MAX_TLV_BYTES, tlvScope } from '../tlv/tags';
import { nameProblem, sortByKey } from '../tlv/values';
import { diskImageName, guestKernelName } from '../naming';
import { DEFAULTS, deriveMac } from './normalize';
import { broadcastOf, networkOf, parseCidr, u32ToIp4 } from './ip4';
import { Collector } from './collector';
import { isReservedPath, semanticProblems } from './semantic';
import { addressRules, uniq } from './rules';
import { uplinkRules } from './uplink';
import { reportRules } from './report';
import {
  containerNetworkFields,
  containerNetworkRules,
  containerOwnNetworkRules,
} from './container-network';
import { entries, fields, isObj } from './fields';

export interface ValidateOptions {
  /** The build identity the pipeline assigns; the input must then not set these two fields. */
  readonly build?: { readonly build_uuid: string; readonly timestamp_ms: number | string };
  /** Overrides header.security_epoch (the CLI's --epoch). */
  readonly security_epoch?: number | string;
}

export interface ValidateResult {
  readonly manifest?: Manifest;
  readonly problems: Problem[];
}

type Obj = Record<string, unknown>;

function section(c: Collector, input: Obj, key: string): Obj | undefined {
  const v = input[key];
  if (v === undefined || v === null) return (c.add('REQUIRED', key, 'is required'), undefined);
  if (!isObj(v)) return (c.add('INVALID', key, 'is not an object'), undefined);
  return v;
}

/** An optional message of the manifest (update, loader, report): absent stays absent; given,
 * it is checked field by field like any section. */
function optionalSection(c: Collector, input: Obj, key: string, message: string): Obj | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) return (c.add('INVALID', key, 'is not an object'), undefined);
  return fields(c, message, v, key);
}

function header(c: Collector, input: Obj | undefined, opts: ValidateOptions): Obj | undefined {
  if (!input) return undefined;
  const h = { manifest_version: DEFAULTS.manifest_version, ...input } as Obj;
  if (opts.build) {
    for (const k of ['build_uuid', 'timestamp_ms']) {
      if (input[k] !== undefined)
        c.add(
          'ASSIGNED',
          `header.${k}`,
          'is assigned by the build pipeline; remove it from the input',
        );
    }
    h.build_uuid = opts.build.build_uuid;
    h.timestamp_ms = opts.build.timestamp_ms;
  }
  if (opts.security_epoch !== undefined) h.security_epoch = opts.security_epoch;
  if (h.security_epoch === undefined) {
    c.add(
      'REQUIRED',
      'header.security_epoch',
      'is required (the anti-rollback epoch; the CLI also takes --epoch N)',
    );
    delete h.security_epoch;
  }
  return fields(c, 'Header', h, 'header');
}

/** proto/SEMANTICS.md "Reserved paths", reported with the other problems of the input. */
function reservedPath(c: Collector, p: unknown, at: string): void {
  if (typeof p === 'string' && isReservedPath(p))
    c.add(
      'SEMANTIC_RESERVED_PATH',
      at,
      `${p} names a file of the slot itself (EFI/..., manifest-*.tlv/.sig): D0 refuses it`,
    );
}

function container(
  c: Collector,
  input: unknown,
  i: number,
  site: string,
  uuid: string | undefined,
): { path: string; value: Obj } {
  if (!isObj(input)) {
    c.add('INVALID', `containers[${i}]`, 'is not an object');
    return { path: `containers[${i}]`, value: {} };
  }
  const named = typeof input.name === 'string' && !nameProblem(input.name);
  const path = named ? `containers[${input.name as string}]` : `containers[${i}]`;
  const v: Obj = { health: DEFAULTS.health, ...input };
  if (named && v.mac === undefined) v.mac = deriveMac(site, input.name as string);
  if (named && v.disk_path === undefined && uuid)
    v.disk_path = diskImageName(input.name as string, uuid);
  const noIp = v.ip4 === undefined || v.ip4 === null;
  if (noIp)
    c.add(
      'REQUIRED',
      `${path}.ip4`,
      'is required: D0 has no dynamic address assignment, give a static ip4 in the bridge subnet',
    );
  const out = fields(c, 'Container', v, path, noIp ? ['ip4'] : []);
  reservedPath(c, out.disk_path, `${path}.disk_path`);
  const r = entries(c, 'Container', 'routes', input.routes, `${path}.routes`);
  if (r) out.routes = r;
  containerNetworkFields(c, input, path, out);
  return { path, value: out };
}

/**
 * The rules of one container alone (its fields, its routes, its network fields), without the
 * site's: unique names, addresses and published ports and the bridge subnet need the whole
 * manifest. What a Container resource can check before it is part of a site. `buildUuid` names its disk path as a build would.
 */
export function validateContainer(input: unknown, buildUuid: string): Problem[] {
  const c = new Collector();
  const { path, value } = container(c, input, 0, '', buildUuid);
  containerOwnNetworkRules(c, path, value);
  return c.problems;
}

export function validateManifest(input: unknown, opts: ValidateOptions = {}): ValidateResult {
  const c = new Collector();
  if (!isObj(input)) {
    c.add('INVALID', 'manifest', 'is not an object');
    return { problems: c.problems };
  }
  const known = tlvScope('Manifest').fields.map((f) => f.name);
  for (const key of Object.keys(input)) {
    if (!known.includes(key))
      c.add('UNKNOWN_FIELD', key, `unknown field (expected ${known.join(', ')})`);
  }
  const h = header(c, section(c, input, 'header'), opts);
  const uuid = typeof h?.build_uuid === 'string' ? h.build_uuid : undefined;
  const nIn = section(c, input, 'network');
  const network = nIn
    ? fields(c, 'Network', { egress_nat: DEFAULTS.egress_nat, ...nIn }, 'network')
    : undefined;
  const kIn = section(c, input, 'guest_kernel');
  const kernel = kIn
    ? fields(
        c,
        'GuestKernel',
        { ...(uuid ? { path: guestKernelName(uuid) } : {}), ...kIn },
        'guest_kernel',
      )
    : undefined;
  reservedPath(c, kernel?.path, 'guest_kernel.path');
  const update = optionalSection(c, input, 'update', 'Update');
  const loader = optionalSection(c, input, 'loader', 'Loader');
  const report = optionalSection(c, input, 'report', 'Report');

  const bridge =
    typeof network?.bridge_ip4 === 'string' ? parseCidr(network.bridge_ip4) : undefined;
  if (bridge) {
    if (bridge.prefix < 1 || bridge.prefix > 30)
      c.add(
        'INVALID',
        'network.bridge_ip4',
        `/${bridge.prefix} leaves no room for containers (use /1../30)`,
      );
    else if (bridge.addr === networkOf(bridge) || bridge.addr === broadcastOf(bridge)) {
      c.add(
        'RESERVED_ADDRESS',
        'network.bridge_ip4',
        `${u32ToIp4(bridge.addr)} is the network or broadcast address of its subnet`,
      );
    }
  }

  uplinkRules(c, network, bridge);
  reportRules(c, network, report);

  const cIn = input.containers;
  const { min, max } = tlvScope('Manifest').fields.find((f) => f.name === 'containers')!.spec
    .count!;
  let items: { path: string; value: Obj }[] = [];
  if (cIn === undefined || cIn === null)
    c.add('REQUIRED', 'containers', `is required (${min}..${max} containers)`);
  else if (!Array.isArray(cIn)) c.add('INVALID', 'containers', 'is not a list');
  else {
    if (cIn.length < min || cIn.length > max)
      c.add('COUNT', 'containers', `has ${cIn.length} containers, allowed ${min}..${max}`);
    const site = typeof h?.site === 'string' ? h.site : '';
    items = cIn.map((x, i) => container(c, x, i, site, uuid));
  }
  const key = (f: string) =>
    items.map(({ path, value }) => ({
      path,
      key: value[f] === undefined ? undefined : String(value[f]),
    }));
  uniq(c, key('name'), 'name', 'name');
  uniq(c, key('mac'), 'mac', 'MAC');
  uniq(
    c,
    items.map(({ path, value }) => ({
      path,
      key: typeof value.ip4 === 'string' ? value.ip4.split('/')[0] : undefined,
    })),
    'ip4',
    'address',
  );
  uniq(c, key('boot_order'), 'boot_order', 'boot_order');
  uniq(c, key('disk_path'), 'disk_path', 'disk path');
  addressRules(c, bridge && bridge.prefix >= 1 && bridge.prefix <= 30 ? bridge : undefined, items);
  containerNetworkRules(c, network, items);

  if (c.problems.length > 0) return { problems: c.problems };
  const manifest = {
    header: h,
    network,
    guest_kernel: kernel,
    containers: items.map((x) => x.value as unknown as Container),
    ...(update ? { update } : {}),
    ...(loader ? { loader } : {}),
    ...(report ? { report } : {}),
  } as unknown as Manifest;
  // Canonical order, so the object equals what decodeManifest(encodeManifest(m)) gives.
  manifest.containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  try {
    const size = encodeManifest(manifest).length;
    if (size > MAX_TLV_BYTES)
      c.add('COUNT', 'manifest', `encodes to ${size} bytes, over ${MAX_TLV_BYTES}`);
  } catch (e) {
    c.add('INVALID', 'manifest', (e as Error).message);
  }
  if (c.problems.length > 0) return { problems: c.problems };
  // Repeated entries in canonical order too (the input's order is the problems' paths above).
  const repeated = tlvScope('Container').fields.filter((f) => f.repeated);
  for (const ct of manifest.containers as unknown as Obj[])
    for (const f of repeated) ct[f.name] = sortByKey(f, ct[f.name] as Obj[]);
  // Last, D0's own re-check (proto/SEMANTICS.md) on the complete manifest: most of its rules are
  // the ones above and cannot fail here; the rest (reserved paths, the epoch's absolute ceiling)
  // live only there. So what the validator accepts, D0 accepts.
  for (const p of semanticProblems(manifest)) c.add(p.code, p.path, p.message);
  if (c.problems.length > 0) return { problems: c.problems };
  return { manifest, problems: [] };
}
