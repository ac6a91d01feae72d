// TLV tags and value kinds of every schema field.
//
// Tags come from proto/manifest.proto (core/schema.ts). What the proto cannot say, the value kind
// of each field, its numeric range, whether it may be absent and how many repeats are allowed, is
// declared here once; proto/TLV.md's tag table and kernel/include/d0/tlv_tags.h are checked
// against / generated from this table plus the proto. A schema field missing here is an error at
// load time, so a proto change cannot silently go unencoded.
import { CRITICAL_BIT, messageInfo, schema, type FieldInfo } from '../schema';

export const ROOT_TAG = 0x8001; // (scope 0 << 8) | 1, critical: the MANIFEST root record
export const RECORD_HEADER_LEN = 6; // tag u16 + len u32
export const MAX_TLV_BYTES = 65536;
export const NAME_MAX_LEN = 32;
export const PATH_MAX_LEN = 128;
export const URL_MAX_LEN = 200;
export const MANIFEST_VERSION = 1;

export type ValueKind =
  | { kind: 'u8enum'; enumName: string; only?: readonly string[] }
  | { kind: 'u16'; min: number; max: number }
  | { kind: 'u32'; min: number; max: number }
  | { kind: 'u64'; min: bigint; max: bigint }
  | { kind: 'bool' }
  /** A bool that is only ever true when present: false is written by leaving the field out. */
  | { kind: 'flag' }
  /** unicast: also none of 0.0.0.0, 255.255.255.255, 127/8, 224/4 (proto/TLV.md "ip4 unicast";
   * values.ts unicastProblem): a rule of the 4 bytes alone, so the decoder's, like a MAC's. */
  | { kind: 'ip4'; unicast?: boolean }
  | { kind: 'ip4cidr' }
  | { kind: 'name' }
  | { kind: 'path' }
  /** http://host[:port]/path/ (proto/TLV.md "url string"; values.ts urlProblem). */
  | { kind: 'url' }
  | { kind: 'sha256' }
  | { kind: 'uuid7' }
  | { kind: 'mac' }
  | { kind: 'nested'; message: string };

export interface FieldSpec {
  readonly value: ValueKind;
  /** Singular fields only: may be absent (proto/TLV.md "(optional)"). A repeated field may be absent when its count.min is 0. */
  readonly optional?: boolean;
  /** Repeated fields: allowed count. */
  readonly count?: { readonly min: number; readonly max: number };
  /** Repeated fields: the nested fields whose values, concatenated, are the sort key (integers
   * big-endian, so bytewise order is numeric order; values.ts entryKey). */
  readonly key?: readonly string[];
}

const U64_MAX = (1n << 64n) - 1n;

/** Keyed by `Message.field` (proto names). */
export const FIELD_SPECS: Readonly<Record<string, FieldSpec>> = {
  'Manifest.header': { value: { kind: 'nested', message: 'Header' } },
  'Manifest.network': { value: { kind: 'nested', message: 'Network' } },
  'Manifest.guest_kernel': { value: { kind: 'nested', message: 'GuestKernel' } },
  'Manifest.containers': {
    value: { kind: 'nested', message: 'Container' },
    count: { min: 1, max: 64 },
    key: ['name'],
  },
  'Manifest.update': { value: { kind: 'nested', message: 'Update' }, optional: true },
  'Manifest.loader': { value: { kind: 'nested', message: 'Loader' }, optional: true },
  'Manifest.report': { value: { kind: 'nested', message: 'Report' }, optional: true },
  'Header.manifest_version': {
    value: { kind: 'u32', min: MANIFEST_VERSION, max: MANIFEST_VERSION },
  },
  'Header.build_uuid': { value: { kind: 'uuid7' } },
  'Header.timestamp_ms': { value: { kind: 'u64', min: 0n, max: U64_MAX } },
  'Header.security_epoch': { value: { kind: 'u64', min: 0n, max: U64_MAX } },
  'Header.site': { value: { kind: 'name' }, optional: true },
  'Network.bridge_ip4': { value: { kind: 'ip4cidr' } },
  'Network.egress_nat': { value: { kind: 'bool' } },
  'Network.uplink_ip4': { value: { kind: 'ip4cidr' }, optional: true },
  'Network.uplink_gw4': { value: { kind: 'ip4' }, optional: true },
  'Network.uplink_echo': { value: { kind: 'bool' }, optional: true },
  'GuestKernel.path': { value: { kind: 'path' } },
  'GuestKernel.sha256': { value: { kind: 'sha256' } },
  'GuestKernel.size': { value: { kind: 'u64', min: 1n, max: 268435456n } },
  'Container.name': { value: { kind: 'name' } },
  'Container.vcpu': { value: { kind: 'u32', min: 1, max: 16 } },
  'Container.mem_mb': { value: { kind: 'u32', min: 16, max: 65536 } },
  'Container.disk_path': { value: { kind: 'path' } },
  'Container.disk_sha256': { value: { kind: 'sha256' } },
  'Container.disk_size': { value: { kind: 'u64', min: 1n, max: 68719476736n } },
  'Container.mac': { value: { kind: 'mac' } },
  'Container.ip4': { value: { kind: 'ip4cidr' } },
  'Container.gw4': { value: { kind: 'ip4' }, optional: true },
  'Container.routes': {
    value: { kind: 'nested', message: 'Route' },
    count: { min: 0, max: 16 },
    key: ['dest', 'via'],
  },
  'Container.boot_order': { value: { kind: 'u32', min: 0, max: 65535 } },
  'Container.health_timeout_s': { value: { kind: 'u32', min: 1, max: 3600 } },
  'Container.health': { value: { kind: 'u8enum', enumName: 'HealthKind' } },
  'Container.restart': { value: { kind: 'u8enum', enumName: 'RestartPolicy' }, optional: true },
  'Container.publish': {
    value: { kind: 'nested', message: 'Publish' },
    count: { min: 0, max: 16 },
    key: ['protocol', 'uplink_port'],
  },
  'Container.egress_restricted': { value: { kind: 'flag' }, optional: true },
  'Container.egress_allow': {
    value: { kind: 'nested', message: 'EgressRule' },
    count: { min: 0, max: 16 },
    key: ['dest', 'protocol', 'port_lo', 'port_hi'],
  },
  'Container.tx_limit': { value: { kind: 'nested', message: 'RateLimit' }, optional: true },
  'Container.rx_limit': { value: { kind: 'nested', message: 'RateLimit' }, optional: true },
  'Route.dest': { value: { kind: 'ip4cidr' } },
  'Route.via': { value: { kind: 'ip4' } },
  'Publish.protocol': {
    value: { kind: 'u8enum', enumName: 'IpProtocol', only: ['IP_PROTO_TCP', 'IP_PROTO_UDP'] },
  },
  'Publish.uplink_port': { value: { kind: 'u16', min: 1, max: 65535 } },
  'Publish.container_port': { value: { kind: 'u16', min: 1, max: 65535 } },
  'EgressRule.dest': { value: { kind: 'ip4cidr' } },
  'EgressRule.protocol': { value: { kind: 'u8enum', enumName: 'IpProtocol' } },
  'EgressRule.port_lo': { value: { kind: 'u16', min: 0, max: 65535 } },
  'EgressRule.port_hi': { value: { kind: 'u16', min: 0, max: 65535 } },
  'RateLimit.bytes_per_s': { value: { kind: 'u64', min: 0n, max: 12_500_000_000n } },
  'RateLimit.packets_per_s': { value: { kind: 'u32', min: 0, max: 10_000_000 } },
  'RateLimit.burst_bytes': { value: { kind: 'u32', min: 0, max: 0xffffffff } },
  'Update.url': { value: { kind: 'url' } },
  'Update.timeout_s': { value: { kind: 'u32', min: 1, max: 600 } },
  'Loader.sha256': { value: { kind: 'sha256' } },
  'Loader.size': { value: { kind: 'u64', min: 1n, max: 67108864n } },
  'Report.collector_ip4': { value: { kind: 'ip4', unicast: true } },
  'Report.collector_port': { value: { kind: 'u16', min: 1, max: 65535 } },
};

/** Fixed value lengths; name, path and url are variable (1..NAME_MAX_LEN / PATH_MAX_LEN /
 * URL_MAX_LEN). */
export const FIXED_LEN: Partial<Record<ValueKind['kind'], number>> = {
  u8enum: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  bool: 1,
  flag: 1,
  ip4: 4,
  ip4cidr: 5,
  sha256: 32,
  uuid7: 16,
  mac: 6,
};

export interface TlvField extends FieldInfo {
  readonly spec: FieldSpec;
  readonly tagId: number;
}

export interface TlvScope {
  readonly message: string;
  readonly scope: number;
  /** Ascending by tag id. */
  readonly fields: readonly TlvField[];
  readonly byTagId: ReadonlyMap<number, TlvField>;
}

let scopes: Map<string, TlvScope> | undefined;

/** Every message of the schema joined with its field specs. Throws if the two disagree. */
export function tlvScopes(): ReadonlyMap<string, TlvScope> {
  if (scopes) return scopes;
  const out = new Map<string, TlvScope>();
  const seen = new Set<string>();
  for (const m of schema().messages.values()) {
    const fields = m.fields.map((f): TlvField => {
      const key = `${m.name}.${f.name}`;
      const spec = FIELD_SPECS[key];
      if (!spec) throw new Error(`core/tlv/tags.ts: no value kind declared for ${key}`);
      if (spec.count && !f.repeated) throw new Error(`${key}: count given for a singular field`);
      if (f.repeated && (!spec.count || !spec.key))
        throw new Error(`${key}: repeated field needs a count and a key`);
      if (spec.value.kind === 'nested' && spec.value.message !== f.nested) {
        throw new Error(`${key}: nested kind disagrees with the proto type ${f.protoType}`);
      }
      if (spec.value.kind === 'u8enum' && spec.value.enumName !== f.enumName) {
        throw new Error(`${key}: enum kind disagrees with the proto type ${f.protoType}`);
      }
      seen.add(key);
      return { ...f, spec, tagId: f.tag & ~CRITICAL_BIT };
    });
    out.set(m.name, {
      message: m.name,
      scope: m.scope,
      fields,
      byTagId: new Map(fields.map((f) => [f.tagId, f])),
    });
  }
  for (const key of Object.keys(FIELD_SPECS)) {
    if (!seen.has(key)) throw new Error(`core/tlv/tags.ts: ${key} is not in proto/manifest.proto`);
  }
  scopes = out;
  return out;
}

export function tlvScope(message: string): TlvScope {
  const s = tlvScopes().get(message);
  if (!s) throw new Error(`no TLV scope for ${message}`);
  return s;
}

/** The tag (critical bit applied) of `Message.field`. */
export function tagOf(message: string, field: string): number {
  const f = messageInfo(message).fields.find((x) => x.name === field);
  if (!f) throw new Error(`no field ${message}.${field}`);
  return f.tag;
}

/** Enum value names by number. */
export function enumValues(enumName: string): ReadonlyMap<number, string> {
  const e = schema().enums.get(enumName);
  if (!e) throw new Error(`no enum ${enumName}`);
  return new Map(e.values.map(([n, v]) => [v, n]));
}

/** The enum values a u8enum field accepts (its `only` subset, else the whole enum), by number. */
export function allowedEnumValues(
  k: Extract<ValueKind, { kind: 'u8enum' }>,
): ReadonlyMap<number, string> {
  const all = enumValues(k.enumName);
  if (!k.only) return all;
  return new Map([...all].filter(([, name]) => k.only!.includes(name)));
}

/** The key fields of a repeated nested field, with their value kinds, in key order. */
export function keyFieldsOf(f: TlvField): { readonly name: string; readonly kind: ValueKind }[] {
  if (f.spec.value.kind !== 'nested' || !f.spec.key)
    throw new Error(`${f.message}.${f.name} is not a repeated nested field with a key`);
  const nested = tlvScope(f.spec.value.message);
  return f.spec.key.map((name) => {
    const kf = nested.fields.find((x) => x.name === name);
    if (!kf)
      throw new Error(`${f.message}.${f.name}: key field ${name} is not in ${nested.message}`);
    return { name, kind: kf.spec.value };
  });
}
