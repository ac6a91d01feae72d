// The semantic rules of a decoded manifest (proto/SEMANTICS.md): the same rules, in the same
// order and with the same names as D0's kernel/manifest/semantic.c. D0 reports the first broken
// rule; this lists every one in that order, so its first problem is D0's error. The golden
// vectors of test/vectors/semantic/ pin the agreement.
import type { Container, Manifest, RateLimit } from '../schema';
import { broadcastOf, inSubnet, ip4ToU32, maskOf, networkOf, parseCidr, type Cidr } from './ip4';

export type SemanticCode =
  | 'SEMANTIC_EPOCH_CEILING'
  | 'SEMANTIC_BRIDGE_PREFIX'
  | 'SEMANTIC_RESERVED_ADDRESS'
  | 'SEMANTIC_UPLINK_INCOMPLETE'
  | 'SEMANTIC_UPLINK_PREFIX'
  | 'SEMANTIC_UPLINK_OVERLAP'
  | 'SEMANTIC_OUTSIDE_SUBNET'
  | 'SEMANTIC_OWN_ADDRESS'
  | 'SEMANTIC_RESERVED_PATH'
  | 'SEMANTIC_RESERVED_MAC'
  | 'SEMANTIC_HOST_BITS'
  | 'SEMANTIC_PUBLISH_NO_UPLINK'
  | 'SEMANTIC_DUPLICATE_PORT'
  | 'SEMANTIC_EGRESS_UNRESTRICTED'
  | 'SEMANTIC_EGRESS_PORTS'
  | 'SEMANTIC_RATE_LIMIT'
  | 'SEMANTIC_DUPLICATE_MAC'
  | 'SEMANTIC_DUPLICATE_IP4'
  | 'SEMANTIC_DUPLICATE_BOOT_ORDER'
  | 'SEMANTIC_DUPLICATE_DISK_PATH'
  | 'SEMANTIC_REPORT_NO_UPLINK';

export interface SemanticProblem {
  readonly code: SemanticCode;
  /** Where, with entries numbered: `containers[web].routes[1].via`. */
  readonly path: string;
  /** Where as D0 logs it (entries not numbered): `containers[web].routes.via`. */
  readonly at: string;
  readonly message: string;
}

/** D0's own MAC on the bridge (the containers' gateway answers ARP with it). */
export const D0_BRIDGE_MAC = '02:d0:00:00:00:01';
/** One full Ethernet frame without FCS: the least a byte bucket must hold to pass any frame. */
export const MIN_BURST_BYTES = 1514;

// The decisions the pack-time validator shares (core/manifest/rules.ts, container-network.ts):
// one home for each rule; the validator words its own messages around the verdicts.

/** Where addr stands against a subnet: undefined for a usable host address. */
export function addressProblem(
  addr: number,
  net: Cidr,
): 'outside' | 'network' | 'broadcast' | undefined {
  if (!inSubnet(addr, net)) return 'outside';
  if (addr === networkOf(net)) return 'network';
  if (addr === broadcastOf(net)) return 'broadcast';
  return undefined;
}

/** An egress rule's ports against its protocol: undefined when they fit. */
export function egressPortsProblem(
  protocol: string,
  lo: number,
  hi: number,
): 'not_ported' | 'zero' | 'reversed' | undefined {
  if (!PORTED.has(protocol)) return lo !== 0 || hi !== 0 ? 'not_ported' : undefined;
  if (lo === 0) return 'zero';
  return lo > hi ? 'reversed' : undefined;
}

/** A rate limit that limits nothing, or whose bucket does not fit bytes_per_s. */
export function rateLimitProblem(
  bytes: bigint,
  packets: number,
  burst: number,
): 'nothing' | 'burst_small' | 'burst_unused' | undefined {
  if (bytes === 0n && packets === 0) return 'nothing';
  if (bytes > 0n && burst < MIN_BURST_BYTES) return 'burst_small';
  if (bytes === 0n && burst !== 0) return 'burst_unused';
  return undefined;
}

/** A security_epoch may be at most floor + EPOCH_STEP. */
export const EPOCH_STEP = 65536n;
/** The bound checked when no floor is known (proto/SEMANTICS.md "Epoch ceiling"). */
export const EPOCH_ABSOLUTE_MAX = 1n << 48n;

export interface SemanticOptions {
  /** The host's anti-rollback floor; undefined: unknown, check EPOCH_ABSOLUTE_MAX instead. */
  readonly epochFloor?: bigint;
}

/** proto/SEMANTICS.md "Reserved paths" (ASCII case-insensitive, as FAT names are). */
export function isReservedPath(p: string): boolean {
  const l = p.toLowerCase();
  if (l.startsWith('efi/')) return true;
  return !l.includes('/') && l.startsWith('manifest-') && /\.(tlv|sig)$/.test(l) && l.length >= 13;
}

const hostBits = (c: Cidr) => networkOf(c) !== c.addr;
const PORTED = new Set(['IP_PROTO_TCP', 'IP_PROTO_UDP']);

class Out {
  readonly problems: SemanticProblem[] = [];
  add(code: SemanticCode, path: string, message: string): void {
    // Entry numbers go, the container's name stays (a name may be all digits).
    const m = /^(containers\[[^\]]*\])?(.*)$/.exec(path)!;
    const at = (m[1] ?? '') + m[2].replace(/\[\d+\]/g, '');
    this.problems.push({ code, path, at, message });
  }
}

function headerNetwork(o: Out, m: Manifest, opts: SemanticOptions): Cidr | undefined {
  const epoch = BigInt(m.header.security_epoch);
  const max = opts.epochFloor === undefined ? EPOCH_ABSOLUTE_MAX : opts.epochFloor + EPOCH_STEP;
  if (epoch > max)
    o.add(
      'SEMANTIC_EPOCH_CEILING',
      'header.security_epoch',
      opts.epochFloor === undefined
        ? `${epoch} is over 2^48, beyond any floor a host reaches`
        : `${epoch} is over the floor ${opts.epochFloor} + ${EPOCH_STEP}: it would pin the anti-rollback floor`,
    );
  const n = m.network;
  const br = parseCidr(n.bridge_ip4)!;
  let bridge: Cidr | undefined = br;
  if (br.prefix < 1 || br.prefix > 30) {
    o.add('SEMANTIC_BRIDGE_PREFIX', 'network.bridge_ip4', `/${br.prefix} is outside /1../30`);
    bridge = undefined;
  } else if (br.addr === networkOf(br) || br.addr === broadcastOf(br))
    o.add('SEMANTIC_RESERVED_ADDRESS', 'network.bridge_ip4', 'is its network or broadcast address');
  const hasIp = n.uplink_ip4 !== undefined;
  if (hasIp !== (n.uplink_gw4 !== undefined))
    o.add(
      'SEMANTIC_UPLINK_INCOMPLETE',
      hasIp ? 'network.uplink_gw4' : 'network.uplink_ip4',
      'uplink_ip4 and uplink_gw4 go together',
    );
  if (n.uplink_echo !== undefined && !hasIp)
    o.add('SEMANTIC_UPLINK_INCOMPLETE', 'network.uplink_echo', 'is set without uplink_ip4');
  if (!hasIp) return bridge;
  const up = parseCidr(n.uplink_ip4!)!;
  if (up.prefix < 1 || up.prefix > 30) {
    o.add('SEMANTIC_UPLINK_PREFIX', 'network.uplink_ip4', `/${up.prefix} is outside /1../30`);
    return bridge;
  }
  if (up.addr === networkOf(up) || up.addr === broadcastOf(up))
    o.add('SEMANTIC_RESERVED_ADDRESS', 'network.uplink_ip4', 'is its network or broadcast address');
  const shorter = maskOf(Math.min(up.prefix, br.prefix));
  if ((up.addr & shorter) >>> 0 === (br.addr & shorter) >>> 0)
    o.add('SEMANTIC_UPLINK_OVERLAP', 'network.uplink_ip4', `overlaps the bridge ${n.bridge_ip4}`);
  if (n.uplink_gw4 === undefined) return bridge;
  const gw = ip4ToU32(n.uplink_gw4)!;
  if (!inSubnet(gw, up))
    o.add('SEMANTIC_OUTSIDE_SUBNET', 'network.uplink_gw4', `is outside ${n.uplink_ip4}`);
  else if (gw === up.addr)
    o.add('SEMANTIC_OWN_ADDRESS', 'network.uplink_gw4', "is D0's own uplink address");
  else if (gw === networkOf(up) || gw === broadcastOf(up))
    o.add('SEMANTIC_RESERVED_ADDRESS', 'network.uplink_gw4', 'is a network or broadcast address');
  return bridge;
}

/** Inside the bridge subnet and not its network or broadcast address; false after a problem. */
function hostIn(o: Out, br: Cidr, addr: number, path: string): boolean {
  const p = addressProblem(addr, br);
  if (p === 'outside') o.add('SEMANTIC_OUTSIDE_SUBNET', path, 'is outside the bridge subnet');
  else if (p) o.add('SEMANTIC_RESERVED_ADDRESS', path, `is the subnet's ${p} address`);
  return p === undefined;
}

function addresses(o: Out, br: Cidr, c: Container, p: string): void {
  const ip = parseCidr(c.ip4)!;
  if (ip.prefix !== br.prefix)
    o.add('SEMANTIC_OUTSIDE_SUBNET', `${p}.ip4`, `/${ip.prefix} differs from the bridge's`);
  else if (hostIn(o, br, ip.addr, `${p}.ip4`) && ip.addr === br.addr)
    o.add('SEMANTIC_RESERVED_ADDRESS', `${p}.ip4`, "is the bridge's own address");
  if (c.gw4 !== undefined) {
    const gw = ip4ToU32(c.gw4)!;
    if (hostIn(o, br, gw, `${p}.gw4`) && gw === ip.addr)
      o.add('SEMANTIC_OWN_ADDRESS', `${p}.gw4`, "is the container's own address");
  }
  c.routes.forEach((r, i) => {
    if (hostBits(parseCidr(r.dest)!))
      o.add('SEMANTIC_HOST_BITS', `${p}.routes[${i}].dest`, `${r.dest} has host bits set`);
    else hostIn(o, br, ip4ToU32(r.via)!, `${p}.routes[${i}].via`);
  });
}

function publish(o: Out, m: Manifest, ci: number, p: string): void {
  const c = m.containers[ci];
  const ps = c.publish ?? [];
  if (ps.length > 0 && m.network.uplink_ip4 === undefined)
    o.add('SEMANTIC_PUBLISH_NO_UPLINK', `${p}.publish`, 'publishes ports without an uplink');
  ps.forEach((x, i) => {
    const at = `${p}.publish[${i}]`;
    if (
      ps.slice(0, i).some((y) => y.protocol === x.protocol && y.container_port === x.container_port)
    )
      o.add('SEMANTIC_DUPLICATE_PORT', `${at}.container_port`, 'is published twice');
    else if (
      m.containers
        .slice(0, ci)
        .some((e) =>
          (e.publish ?? []).some(
            (y) => y.protocol === x.protocol && y.uplink_port === x.uplink_port,
          ),
        )
    )
      o.add('SEMANTIC_DUPLICATE_PORT', `${at}.uplink_port`, 'is published by another container');
  });
}

function egress(o: Out, c: Container, p: string): void {
  const rs = c.egress_allow ?? [];
  if (rs.length > 0 && c.egress_restricted !== true)
    o.add('SEMANTIC_EGRESS_UNRESTRICTED', `${p}.egress_allow`, 'without egress_restricted');
  rs.forEach((r, i) => {
    const at = `${p}.egress_allow[${i}]`;
    const ports = egressPortsProblem(r.protocol, r.port_lo, r.port_hi);
    if (hostBits(parseCidr(r.dest)!))
      o.add('SEMANTIC_HOST_BITS', `${at}.dest`, 'has host bits set');
    else if (ports)
      o.add('SEMANTIC_EGRESS_PORTS', `${at}.port_lo`, `ports ${r.port_lo}..${r.port_hi}: ${ports}`);
  });
}

function rate(o: Out, r: RateLimit | undefined, path: string): void {
  if (!r) return;
  const why = rateLimitProblem(BigInt(r.bytes_per_s), r.packets_per_s, r.burst_bytes);
  if (why === 'nothing') o.add('SEMANTIC_RATE_LIMIT', path, 'limits nothing');
  else if (why) o.add('SEMANTIC_RATE_LIMIT', path, `burst_bytes ${r.burst_bytes}: ${why}`);
}

function duplicates(o: Out, m: Manifest, ci: number, p: string): void {
  const c = m.containers[ci];
  const before = m.containers.slice(0, ci);
  const addr = (x: Container) => x.ip4.split('/')[0];
  const rules: [SemanticCode, string, (x: Container) => boolean][] = [
    ['SEMANTIC_DUPLICATE_MAC', 'mac', (x) => x.mac.toLowerCase() === c.mac.toLowerCase()],
    ['SEMANTIC_DUPLICATE_IP4', 'ip4', (x) => addr(x) === addr(c)],
    ['SEMANTIC_DUPLICATE_BOOT_ORDER', 'boot_order', (x) => x.boot_order === c.boot_order],
    [
      'SEMANTIC_DUPLICATE_DISK_PATH',
      'disk_path',
      (x) => x.disk_path.toLowerCase() === c.disk_path.toLowerCase(),
    ],
  ];
  for (const [code, field, same] of rules) {
    const first = before.find(same);
    if (first) o.add(code, `${p}.${field}`, `is also containers[${first.name}]'s`);
  }
}

/**
 * Every rule of proto/SEMANTICS.md a decoded (canonical) manifest breaks, in D0's order: the
 * first is what D0 refuses the build with.
 */
export function semanticProblems(m: Manifest, opts: SemanticOptions = {}): SemanticProblem[] {
  const o = new Out();
  const bridge = headerNetwork(o, m, opts);
  if (isReservedPath(m.guest_kernel.path))
    o.add('SEMANTIC_RESERVED_PATH', 'guest_kernel.path', `${m.guest_kernel.path} is a slot file`);
  m.containers.forEach((c, i) => {
    const p = `containers[${c.name}]`;
    if (isReservedPath(c.disk_path))
      o.add('SEMANTIC_RESERVED_PATH', `${p}.disk_path`, `${c.disk_path} is a slot file`);
    if (c.mac.toLowerCase() === D0_BRIDGE_MAC)
      o.add('SEMANTIC_RESERVED_MAC', `${p}.mac`, "is D0's own MAC on the bridge");
    if (bridge) addresses(o, bridge, c, p);
    publish(o, m, i, p);
    egress(o, c, p);
    rate(o, c.tx_limit, `${p}.tx_limit`);
    rate(o, c.rx_limit, `${p}.rx_limit`);
    duplicates(o, m, i, p);
  });
  // D0 sends its reports through its uplink: without one they would have no way out.
  if (m.report !== undefined && m.network.uplink_ip4 === undefined)
    o.add('SEMANTIC_REPORT_NO_UPLINK', 'report', 'reports without an uplink');
  return o.problems;
}
