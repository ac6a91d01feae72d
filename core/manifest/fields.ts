// Per-field checks of the authoring input against the TLV value kinds (the decoder's rules, with
// messages for people): one scalar, or the scalar fields of one message, each problem at its path.
import { allowedEnumValues, tlvScope, type ValueKind } from '../tlv/tags';
import {
  STRING_KINDS,
  parseHex32,
  parseIp4,
  parseIp4Cidr,
  parseMac,
  toU64,
  unicastProblem,
} from '../tlv/values';
import { isUuidV7 } from '../uuid';
import type { Collector } from './collector';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/** Checks one scalar against its TLV kind; returns the normalized value or undefined (problem added). */
export function scalar(c: Collector, k: ValueKind, v: unknown, path: string): unknown {
  const bad = (msg: string) => (c.add('INVALID', path, msg), undefined);
  switch (k.kind) {
    case 'u16':
    case 'u32':
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad(`${show(v)} is not an integer`);
      if (v < k.min || v > k.max) return bad(`${v} is outside ${k.min}..${k.max}`);
      return v;
    case 'u64': {
      const n = toU64(v);
      if (typeof v === 'number' && Number.isInteger(v) && v > Number.MAX_SAFE_INTEGER) {
        return bad(
          `${show(v)} is above 2^53 and loses precision as a number; quote it as a decimal string`,
        );
      }
      if (n === undefined) return bad(`${show(v)} is not a non-negative integer`);
      if (n < k.min || n > k.max) return bad(`${n} is outside ${k.min}..${k.max}`);
      return n.toString();
    }
    case 'bool':
      return typeof v === 'boolean' ? v : bad(`${show(v)} is not true or false`);
    case 'flag': // false is the field left out
      return typeof v === 'boolean' ? v || undefined : bad(`${show(v)} is not true or false`);
    case 'u8enum': {
      const names = [...allowedEnumValues(k).values()];
      return typeof v === 'string' && names.includes(v)
        ? v
        : bad(`${show(v)} is not one of ${names.join(', ')}`);
    }
    case 'ip4': {
      const b = typeof v === 'string' ? parseIp4(v) : undefined;
      if (!b) return bad(`${show(v)} is not an IPv4 address`);
      const p = k.unicast ? unicastProblem(b) : undefined;
      return p ? bad(`${show(v)} ${p}, not a unicast one`) : v;
    }
    case 'ip4cidr': {
      if (typeof v !== 'string') return bad(`${show(v)} is not an IPv4 address with a /prefix`);
      if (parseIp4Cidr(v)) return v;
      const [ip, p] = v.split('/');
      if (p === undefined) return bad(`${v} has no /prefix`);
      if (!parseIp4(ip)) return bad(`${ip} is not an IPv4 address`);
      return bad(`/${p} is not a prefix length 0..32`);
    }
    case 'mac': {
      const s = typeof v === 'string' ? v.toLowerCase() : undefined;
      const b = s !== undefined ? parseMac(s) : undefined;
      if (!b) return bad(`${show(v)} is not a MAC address like 02:00:00:00:00:01`);
      if (b[0] & 1) return bad(`${s} is a multicast MAC; a unicast one is required`);
      return s;
    }
    case 'sha256': {
      const s = typeof v === 'string' ? v.toLowerCase() : undefined;
      return s !== undefined && parseHex32(s)
        ? s
        : bad(`${show(v)} is not a SHA-256 digest (64 hex digits)`);
    }
    case 'uuid7':
      return typeof v === 'string' && isUuidV7(v)
        ? v
        : bad(`${show(v)} is not a UUIDv7 in canonical lowercase form`);
    case 'name':
    case 'path':
    case 'url': {
      if (typeof v !== 'string') return bad(`${show(v)} is not a string`);
      const p = STRING_KINDS[k.kind].problem(v);
      return p ? bad(`${show(v)} ${p}`) : v;
    }
    case 'nested':
      throw new Error('scalar() on a nested kind');
  }
}

/** Copies the known scalar fields of `message` from `input`, reporting unknown keys and bad values. */
export function fields(
  c: Collector,
  message: string,
  input: Obj,
  path: string,
  skip: readonly string[] = [],
): Obj {
  const scope = tlvScope(message);
  const out: Obj = {};
  const at = (n: string) => (path ? `${path}.${n}` : n);
  for (const key of Object.keys(input)) {
    if (!scope.fields.some((f) => f.name === key))
      c.add(
        'UNKNOWN_FIELD',
        at(key),
        `unknown field (the ${message} fields are ${scope.fields.map((f) => f.name).join(', ')})`,
      );
  }
  for (const f of scope.fields) {
    if (f.spec.value.kind === 'nested' || skip.includes(f.name)) continue;
    const v = input[f.name];
    if (v === undefined || v === null) {
      if (!f.spec.optional) c.add('REQUIRED', at(f.name), 'is required');
      continue;
    }
    const n = scalar(c, f.spec.value, v, at(f.name));
    if (n !== undefined) out[f.name] = n;
  }
  return out;
}

/**
 * A repeated nested field of the input: absent = empty; each entry's scalar fields checked at
 * `path[i]`, after `defaults(entry)` fills what the input may leave out. Over the field's maximum
 * count is a COUNT problem.
 */
export function entries(
  c: Collector,
  owner: string,
  field: string,
  input: unknown,
  path: string,
  defaults: (entry: Obj) => Obj = (e) => e,
): Obj[] | undefined {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) return (c.add('INVALID', path, 'is not a list'), undefined);
  const f = tlvScope(owner).fields.find((x) => x.name === field)!;
  const { max } = f.spec.count!;
  if (input.length > max)
    c.add('COUNT', path, `has ${input.length} entries, at most ${max} allowed`);
  const message = (f.spec.value as { message: string }).message;
  return input.map((e, i) => {
    if (!isObj(e)) return (c.add('INVALID', `${path}[${i}]`, 'is not an object'), {});
    return fields(c, message, defaults(e), `${path}[${i}]`);
  });
}
