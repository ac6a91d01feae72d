// Cross-field rules of a manifest: uniqueness and the addressing inside the bridge subnet.
import type { Collector } from './collector';
import { ip4ToU32, networkOf, parseCidr, u32ToIp4, type Cidr } from './ip4';
import { addressProblem } from './semantic';

type Obj = Record<string, unknown>;

/** A DUPLICATE problem for every item whose key an earlier item already has. */
export function uniq(
  c: Collector,
  items: { path: string; key: string | undefined }[],
  field: string,
  what: string,
): void {
  const seen = new Map<string, string>();
  for (const { path, key } of items) {
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first !== undefined)
      c.add('DUPLICATE', `${path}.${field}`, `${what} ${key} is also used by ${first}`);
    else seen.set(key, path);
  }
}

/** Container ip4, gw4 and routes against the bridge subnet (cross-field, so not the decoder's). */
export function addressRules(
  c: Collector,
  bridge: Cidr | undefined,
  items: { path: string; value: Obj }[],
): void {
  if (!bridge) return;
  const net = networkOf(bridge);
  const subnet = `${u32ToIp4(net)}/${bridge.prefix}`;
  // The verdict is D0's rule (semantic.ts); the words are the validator's.
  const hostIn = (addr: number, path: string, what: string): boolean => {
    const why = addressProblem(addr, bridge);
    if (why === 'outside')
      c.add(
        'OUT_OF_SUBNET',
        path,
        `${what} ${u32ToIp4(addr)} is outside the bridge subnet ${subnet}`,
      );
    else if (why)
      c.add(
        'RESERVED_ADDRESS',
        path,
        `${what} ${u32ToIp4(addr)} is the ${why} address of ${subnet}`,
      );
    return why === undefined;
  };
  for (const { path, value } of items) {
    const ip = typeof value.ip4 === 'string' ? parseCidr(value.ip4) : undefined;
    if (ip) {
      if (ip.prefix !== bridge.prefix)
        c.add(
          'OUT_OF_SUBNET',
          `${path}.ip4`,
          `prefix /${ip.prefix} differs from the bridge's /${bridge.prefix}`,
        );
      if (hostIn(ip.addr, `${path}.ip4`, 'address') && ip.addr === bridge.addr) {
        c.add(
          'RESERVED_ADDRESS',
          `${path}.ip4`,
          `${u32ToIp4(ip.addr)} is the bridge's own address`,
        );
      }
    }
    if (typeof value.gw4 === 'string') {
      const gw = ip4ToU32(value.gw4)!;
      if (hostIn(gw, `${path}.gw4`, 'gateway') && ip && gw === ip.addr)
        c.add('INVALID', `${path}.gw4`, "is the container's own address");
    }
    const rs = Array.isArray(value.routes) ? (value.routes as Obj[]) : [];
    const pairs = new Set<string>();
    rs.forEach((r, i) => {
      const rp = `${path}.routes[${i}]`;
      const d = typeof r.dest === 'string' ? parseCidr(r.dest) : undefined;
      if (d && networkOf(d) !== d.addr) {
        c.add(
          'INVALID',
          `${rp}.dest`,
          `${r.dest} is not a network address (did you mean ${u32ToIp4(networkOf(d))}/${d.prefix}?)`,
        );
      }
      if (typeof r.via === 'string') hostIn(ip4ToU32(r.via)!, `${rp}.via`, 'next hop');
      const k = `${String(r.dest)} via ${String(r.via)}`;
      if (pairs.has(k)) c.add('DUPLICATE', rp, `route ${k} is listed twice`);
      pairs.add(k);
    });
  }
}
