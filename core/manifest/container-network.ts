// A container's network fields (publish, egress_restricted + egress_allow, tx_limit, rx_limit)
// and their cross-field rules: ports published once across the whole manifest and only with an
// uplink, a container port behind one published port, egress rules that mean one thing, rate
// limits that limit something with a bucket that holds a frame; and the MAC D0 keeps for itself
// on the bridge. The decoder checks each record alone; D0 re-checks these rules after it
// (proto/SEMANTICS.md), whose decisions this file takes from semantic.ts.
import type { Collector } from './collector';
import { entries, fields, isObj, type Obj } from './fields';
import { networkOf, parseCidr, u32ToIp4 } from './ip4';
import { D0_BRIDGE_MAC, MIN_BURST_BYTES, egressPortsProblem, rateLimitProblem } from './semantic';

// The rule decisions live in semantic.ts (D0's rules, proto/SEMANTICS.md); here they get paths
// and messages for the pack-time input.
export { D0_BRIDGE_MAC, MIN_BURST_BYTES };
export const RATE_LIMIT_FIELDS = ['tx_limit', 'rx_limit'] as const;

const PORTED = new Set(['IP_PROTO_TCP', 'IP_PROTO_UDP']);
const protoName = (p: unknown) =>
  String(p)
    .replace(/^IP_PROTO_/, '')
    .toLowerCase();

/** An egress rule with what the input may leave out: protocol any; every port of tcp/udp. */
export function egressDefaults(e: Obj): Obj {
  const out: Obj = { protocol: 'IP_PROTO_ANY', ...e };
  const ported = PORTED.has(out.protocol as string);
  if (out.port_lo === undefined && out.port_hi === undefined) {
    out.port_lo = ported ? 1 : 0;
    out.port_hi = ported ? 65535 : 0;
  } else if (out.port_hi === undefined) out.port_hi = out.port_lo;
  return out;
}

/** A rate limit with its dimensions defaulting to 0 (unlimited in that dimension). */
export function rateDefaults(r: Obj): Obj {
  return { bytes_per_s: 0, packets_per_s: 0, burst_bytes: 0, ...r };
}

/**
 * The nested network fields of one container's input, checked field by field, into `out`
 * (publish and egress_allow always set, empty when absent; the limits only when given).
 */
export function containerNetworkFields(c: Collector, input: Obj, path: string, out: Obj): void {
  const p = entries(c, 'Container', 'publish', input.publish, `${path}.publish`);
  if (p) out.publish = p;
  const e = entries(
    c,
    'Container',
    'egress_allow',
    input.egress_allow,
    `${path}.egress_allow`,
    egressDefaults,
  );
  if (e) out.egress_allow = e;
  for (const k of RATE_LIMIT_FIELDS) {
    const v = input[k];
    if (v === undefined || v === null) continue;
    if (!isObj(v)) c.add('INVALID', `${path}.${k}`, 'is not an object');
    else out[k] = fields(c, 'RateLimit', rateDefaults(v), `${path}.${k}`);
  }
}

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** A (protocol, uplink_port) published once in the whole manifest, and only with an uplink. */
function publishRules(
  c: Collector,
  network: Obj | undefined,
  items: readonly { path: string; value: Obj }[],
): void {
  const published = new Map<string, string>(); // "tcp port 8080" -> the first entry's path
  for (const { path, value } of items) {
    const ps = list(value.publish);
    if (ps.length > 0 && network && network.uplink_ip4 === undefined)
      c.add(
        'INVALID',
        `${path}.publish`,
        'publishes ports but network.uplink_ip4 is not set: there is no uplink to publish them on',
      );
    ps.forEach((p, i) => {
      if (p.uplink_port === undefined || p.protocol === undefined) return;
      const at = `${path}.publish[${i}]`;
      const k = `${protoName(p.protocol)} port ${String(p.uplink_port)}`;
      const first = published.get(k);
      if (first !== undefined)
        c.add('DUPLICATE', `${at}.uplink_port`, `uplink ${k} is also published by ${first}`);
      else published.set(k, at);
    });
  }
}

/** One uplink port per (protocol, container_port) of a container. */
function containerPortRules(c: Collector, path: string, value: Obj): void {
  const inside = new Map<string, string>();
  list(value.publish).forEach((p, i) => {
    if (p.container_port === undefined || p.protocol === undefined) return;
    const at = `${path}.publish[${i}]`;
    const k = `${protoName(p.protocol)} port ${String(p.container_port)}`;
    const first = inside.get(k);
    if (first !== undefined)
      c.add(
        'DUPLICATE',
        `${at}.container_port`,
        `container ${k} is already published by ${first}; one uplink port per container port`,
      );
    else inside.set(k, at);
  });
}

function egressRules(c: Collector, path: string, value: Obj): void {
  const rules = list(value.egress_allow);
  if (rules.length > 0 && value.egress_restricted !== true)
    c.add(
      'INVALID',
      `${path}.egress_allow`,
      'is only allowed with egress_restricted = true (without it egress is not restricted)',
    );
  const seen = new Map<string, string>();
  rules.forEach((r, i) => {
    const at = `${path}.egress_allow[${i}]`;
    const d = typeof r.dest === 'string' ? parseCidr(r.dest) : undefined;
    if (d && networkOf(d) !== d.addr)
      c.add(
        'INVALID',
        `${at}.dest`,
        `${String(r.dest)} has host bits set (did you mean ${u32ToIp4(networkOf(d))}/${d.prefix}?)`,
      );
    const lo = r.port_lo as number | undefined;
    const hi = r.port_hi as number | undefined;
    if (r.protocol !== undefined && lo !== undefined && hi !== undefined) {
      const why = egressPortsProblem(r.protocol as string, lo, hi);
      if (why === 'not_ported')
        c.add(
          'INVALID',
          `${at}.port_lo`,
          `ports apply to tcp and udp only, not ${protoName(r.protocol)} (leave them out)`,
        );
      else if (why === 'zero')
        c.add('INVALID', `${at}.port_lo`, 'must be 1..65535 for tcp and udp');
      else if (why === 'reversed')
        c.add('INVALID', `${at}.port_hi`, `${hi} is below port_lo ${lo}: not a port range`);
    }
    const k = JSON.stringify([r.dest, r.protocol, lo, hi]);
    const first = seen.get(k);
    if (first !== undefined) c.add('DUPLICATE', at, `the same rule as ${first}`);
    else seen.set(k, at);
  });
}

function rateRules(c: Collector, path: string, value: Obj): void {
  for (const k of RATE_LIMIT_FIELDS) {
    const r = value[k];
    if (!isObj(r)) continue;
    const at = `${path}.${k}`;
    const bytes = typeof r.bytes_per_s === 'string' ? BigInt(r.bytes_per_s) : undefined;
    const burst = r.burst_bytes as number | undefined;
    const packets = r.packets_per_s as number | undefined;
    if (bytes === undefined || burst === undefined || packets === undefined) continue;
    const why = rateLimitProblem(bytes, packets, burst);
    if (why === 'nothing')
      c.add(
        'INVALID',
        at,
        'limits nothing: set bytes_per_s or packets_per_s (leave the limit out for unlimited)',
      );
    else if (why === 'burst_small')
      c.add(
        'INVALID',
        `${at}.burst_bytes`,
        `${burst} is below ${MIN_BURST_BYTES}: the bucket must hold one full frame`,
      );
    else if (why === 'burst_unused')
      c.add(
        'INVALID',
        `${at}.burst_bytes`,
        'applies to bytes_per_s, which is 0 (unlimited); leave it out',
      );
  }
}

/** The rules of one container's network fields that need no other container. */
export function containerOwnNetworkRules(c: Collector, path: string, value: Obj): void {
  if (value.mac === D0_BRIDGE_MAC)
    c.add('RESERVED_ADDRESS', `${path}.mac`, `${D0_BRIDGE_MAC} is D0's own MAC on the bridge`);
  containerPortRules(c, path, value);
  egressRules(c, path, value);
  rateRules(c, path, value);
}

/** Every container's own rules, then the manifest's: published ports across containers. */
export function containerNetworkRules(
  c: Collector,
  network: Obj | undefined,
  items: readonly { path: string; value: Obj }[],
): void {
  for (const { path, value } of items) containerOwnNetworkRules(c, path, value);
  publishRules(c, network, items);
}
