// The manifest schema, read once from proto/manifest.proto (the single source of truth), and the
// TypeScript shape of a manifest.
//
// Reading the .proto is the one file access in core/: it is a source file of this package, read at
// module load, never user input. Everything else in core/ is pure.
import * as protobuf from 'protobufjs';
import { packagePath } from './package-root';

export const PROTO_PATH = packagePath('proto', 'manifest.proto');

/** One field of a schema message, as the TLV sees it. */
export interface FieldInfo {
  readonly message: string;
  readonly name: string;
  readonly number: number;
  /** The proto type name: a scalar ('uint32', 'string', ...), a message or an enum name. */
  readonly protoType: string;
  readonly repeated: boolean;
  readonly critical: boolean;
  /** Tag with the critical bit applied: (scope << 8) | number, plus 0x8000 when critical. */
  readonly tag: number;
  /** Set when the field's type is a message of the schema. */
  readonly nested?: string;
  /** Set when the field's type is an enum of the schema. */
  readonly enumName?: string;
}

export interface MessageInfo {
  readonly name: string;
  readonly scope: number;
  readonly fields: readonly FieldInfo[];
}

export interface EnumInfo {
  readonly name: string;
  /** [value name, number] in declaration order. */
  readonly values: readonly (readonly [string, number])[];
}

export interface Schema {
  readonly messages: ReadonlyMap<string, MessageInfo>;
  readonly enums: ReadonlyMap<string, EnumInfo>;
}

export const CRITICAL_BIT = 0x8000;
export const TAG_ID_MASK = 0x7fff;

/** Builds the schema from the text of a .proto file (pure; used by tests and the generator). */
export function schemaFromProtoText(text: string): Schema {
  const root = protobuf.parse(text, { keepCase: true }).root;
  root.resolveAll();
  const pkg = root.lookup('d0');
  if (!(pkg instanceof protobuf.Namespace)) throw new Error('manifest.proto: package d0 not found');
  const messages = new Map<string, MessageInfo>();
  const enums = new Map<string, EnumInfo>();
  for (const obj of pkg.nestedArray) {
    if (obj instanceof protobuf.Type) {
      const scope = (obj.options ?? {})['(d0.tlv_scope)'];
      if (typeof scope !== 'number' || scope < 1 || scope > 0x7f) {
        throw new Error(`manifest.proto: message ${obj.name} has no valid (d0.tlv_scope) option`);
      }
      const fields = obj.fieldsArray
        .slice()
        .sort((a, b) => a.id - b.id)
        .map((f): FieldInfo => {
          if (f.id < 1 || f.id > 0xff)
            throw new Error(`manifest.proto: ${obj.name}.${f.name} number out of 1..255`);
          const critical = (f.options ?? {})['(d0.critical)'] === true;
          const rt = f.resolvedType;
          return {
            message: obj.name,
            name: f.name,
            number: f.id,
            protoType: f.type,
            repeated: f.repeated,
            critical,
            tag: (scope << 8) | f.id | (critical ? CRITICAL_BIT : 0),
            ...(rt instanceof protobuf.Type ? { nested: rt.name } : {}),
            ...(rt instanceof protobuf.Enum ? { enumName: rt.name } : {}),
          };
        });
      messages.set(obj.name, { name: obj.name, scope, fields });
    } else if (obj instanceof protobuf.Enum) {
      const values = Object.entries(obj.values)
        .map(([k, v]) => [k, v] as const)
        .sort((a, b) => a[1] - b[1]);
      enums.set(obj.name, { name: obj.name, values });
    }
  }
  return { messages, enums };
}

let cached: Schema | undefined;

/** The schema of proto/manifest.proto, parsed on first use. */
export function schema(): Schema {
  if (!cached) {
    const fs = require('node:fs') as typeof import('node:fs');
    cached = schemaFromProtoText(fs.readFileSync(PROTO_PATH, 'utf8'));
  }
  return cached;
}

export function messageInfo(name: string): MessageInfo {
  const m = schema().messages.get(name);
  if (!m) throw new Error(`schema: no message ${name}`);
  return m;
}

// ---- The TypeScript shape (proto field names; protobuf JSON mapping: u64 as decimal strings,
// enums by name, addresses/digests/UUIDs as text). Optional fields are absent when unset.

export type HealthKind = 'HEALTH_READY' | 'HEALTH_EXIT_ZERO';
export type RestartPolicy = 'RESTART_NEVER' | 'RESTART_ON_FAILURE' | 'RESTART_ALWAYS';
export type IpProtocol = 'IP_PROTO_ANY' | 'IP_PROTO_ICMP' | 'IP_PROTO_TCP' | 'IP_PROTO_UDP';

export interface Header {
  manifest_version: number;
  build_uuid: string;
  /** u64, decimal text. */
  timestamp_ms: string;
  /** u64, decimal text. */
  security_epoch: string;
  site?: string;
}

export interface Network {
  bridge_ip4: string;
  egress_nat: boolean;
  /** D0's own address on the uplink NIC, CIDR text; absent = no uplink. */
  uplink_ip4?: string;
  /** The uplink's gateway; required with uplink_ip4. */
  uplink_gw4?: string;
  /** Answer ICMP echo on uplink_ip4; absent = true. */
  uplink_echo?: boolean;
}

export interface GuestKernel {
  path: string;
  sha256: string;
  /** u64, decimal text. */
  size: string;
}

export interface Route {
  dest: string;
  via: string;
}

/** A port of D0's uplink address forwarded to a container. */
export interface Publish {
  protocol: 'IP_PROTO_TCP' | 'IP_PROTO_UDP';
  /** 1..65535 */
  uplink_port: number;
  /** 1..65535 */
  container_port: number;
}

/** One rule of a container's egress allow-list. */
export interface EgressRule {
  /** CIDR text, no host bits set. */
  dest: string;
  protocol: IpProtocol;
  /** TCP/UDP: 1 <= port_lo <= port_hi; other protocols: 0 and 0. */
  port_lo: number;
  port_hi: number;
}

/** A token bucket; 0 in a dimension = unlimited in it. */
export interface RateLimit {
  /** u64, decimal text; 0..12500000000. */
  bytes_per_s: string;
  /** 0..10000000 */
  packets_per_s: number;
  /** >= 1514 when bytes_per_s is set, else 0. */
  burst_bytes: number;
}

export interface Container {
  name: string;
  vcpu: number;
  mem_mb: number;
  disk_path: string;
  disk_sha256: string;
  /** u64, decimal text. */
  disk_size: string;
  mac: string;
  ip4: string;
  gw4?: string;
  /** Always present; empty when the container has no routes. */
  routes: Route[];
  boot_order: number;
  health_timeout_s: number;
  health: HealthKind;
  restart?: RestartPolicy;
  /** Present (empty when nothing is published) in a validated or decoded manifest; a manifest
   * written by hand may leave it out. */
  publish?: Publish[];
  /** Absent = false (egress unrestricted); never false when present (a TLV flag). */
  egress_restricted?: true;
  /** As publish: present, empty when there are no rules, once validated or decoded. */
  egress_allow?: EgressRule[];
  tx_limit?: RateLimit;
  rx_limit?: RateLimit;
}

/** Where the host pulls its next build from at reboot. */
export interface Update {
  /** A url string: http://host[:port]/path/ (proto/TLV.md). */
  url: string;
  /** 1..600: the bound of the whole pull, in seconds. */
  timeout_s: number;
}

/** D0's own EFI image of the build (EFI/BOOT/BOOTX64-<uuid>.EFI of the slot tree). */
export interface Loader {
  sha256: string;
  /** u64, decimal text; 1..67108864 (64 MiB). */
  size: string;
}

/** The syslog collector the host sends its one-way reports to (RFC 5424 over UDP). */
export interface Report {
  /** A unicast IPv4 address (not 0.0.0.0, 255.255.255.255, 127/8 or 224/4). */
  collector_ip4: string;
  /** 1..65535 (UDP). */
  collector_port: number;
}

export interface Manifest {
  header: Header;
  network: Network;
  guest_kernel: GuestKernel;
  containers: Container[];
  update?: Update;
  loader?: Loader;
  /** Only with network.uplink_ip4 (proto/SEMANTICS.md SEMANTIC_REPORT_NO_UPLINK). */
  report?: Report;
}

/** Field names of each interface, in proto order; a test checks them against the proto. */
export const INTERFACE_FIELDS = {
  Manifest: ['header', 'network', 'guest_kernel', 'containers', 'update', 'loader', 'report'],
  Header: ['manifest_version', 'build_uuid', 'timestamp_ms', 'security_epoch', 'site'],
  Network: ['bridge_ip4', 'egress_nat', 'uplink_ip4', 'uplink_gw4', 'uplink_echo'],
  GuestKernel: ['path', 'sha256', 'size'],
  Route: ['dest', 'via'],
  Publish: ['protocol', 'uplink_port', 'container_port'],
  EgressRule: ['dest', 'protocol', 'port_lo', 'port_hi'],
  RateLimit: ['bytes_per_s', 'packets_per_s', 'burst_bytes'],
  Update: ['url', 'timeout_s'],
  Loader: ['sha256', 'size'],
  Report: ['collector_ip4', 'collector_port'],
  Container: [
    'name',
    'vcpu',
    'mem_mb',
    'disk_path',
    'disk_sha256',
    'disk_size',
    'mac',
    'ip4',
    'gw4',
    'routes',
    'boot_order',
    'health_timeout_s',
    'health',
    'restart',
    'publish',
    'egress_restricted',
    'egress_allow',
    'tx_limit',
    'rx_limit',
  ],
} as const satisfies {
  Manifest: readonly (keyof Manifest)[];
  Header: readonly (keyof Header)[];
  Network: readonly (keyof Network)[];
  GuestKernel: readonly (keyof GuestKernel)[];
  Route: readonly (keyof Route)[];
  Publish: readonly (keyof Publish)[];
  EgressRule: readonly (keyof EgressRule)[];
  RateLimit: readonly (keyof RateLimit)[];
  Update: readonly (keyof Update)[];
  Loader: readonly (keyof Loader)[];
  Report: readonly (keyof Report)[];
  Container: readonly (keyof Container)[];
};

// Compile-time completeness: every interface key is listed above.
type Missing<T, L extends readonly unknown[]> = Exclude<keyof T, L[number]>;
type AssertNever<T extends never> = T;
export type _FieldListsComplete = [
  AssertNever<Missing<Manifest, typeof INTERFACE_FIELDS.Manifest>>,
  AssertNever<Missing<Header, typeof INTERFACE_FIELDS.Header>>,
  AssertNever<Missing<Network, typeof INTERFACE_FIELDS.Network>>,
  AssertNever<Missing<GuestKernel, typeof INTERFACE_FIELDS.GuestKernel>>,
  AssertNever<Missing<Route, typeof INTERFACE_FIELDS.Route>>,
  AssertNever<Missing<Publish, typeof INTERFACE_FIELDS.Publish>>,
  AssertNever<Missing<EgressRule, typeof INTERFACE_FIELDS.EgressRule>>,
  AssertNever<Missing<RateLimit, typeof INTERFACE_FIELDS.RateLimit>>,
  AssertNever<Missing<Update, typeof INTERFACE_FIELDS.Update>>,
  AssertNever<Missing<Loader, typeof INTERFACE_FIELDS.Loader>>,
  AssertNever<Missing<Report, typeof INTERFACE_FIELDS.Report>>,
  AssertNever<Missing<Container, typeof INTERFACE_FIELDS.Container>>,
];
