// IPv4 arithmetic on 32-bit unsigned numbers, for the validator's subnet rules.
import { parseIp4, parseIp4Cidr } from '../tlv/values';

export interface Cidr {
  readonly addr: number;
  readonly prefix: number;
}

const toU32 = (b: Uint8Array) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

export function ip4ToU32(s: string): number | undefined {
  const b = parseIp4(s);
  return b ? toU32(b) : undefined;
}

export function parseCidr(s: string): Cidr | undefined {
  const b = parseIp4Cidr(s);
  return b ? { addr: toU32(b), prefix: b[4] } : undefined;
}

export const maskOf = (prefix: number): number =>
  prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
export const networkOf = (c: Cidr): number => (c.addr & maskOf(c.prefix)) >>> 0;
export const broadcastOf = (c: Cidr): number => (networkOf(c) | ~maskOf(c.prefix)) >>> 0;
export const inSubnet = (addr: number, net: Cidr): boolean =>
  (addr & maskOf(net.prefix)) >>> 0 === networkOf(net);
export const u32ToIp4 = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
