// Text <-> bytes for every TLV value kind (proto/TLV.md, "Value encodings"). Encoding throws a
// D0Error('ENCODE') naming the path; decoding returns the error class the decoder reports.
import { D0Error } from '../errors';
import { formatUuid, isUuidV7, parseUuid } from '../uuid';
import { compareBytes, concat } from './record';
import {
  FIXED_LEN,
  NAME_MAX_LEN,
  PATH_MAX_LEN,
  URL_MAX_LEN,
  allowedEnumValues,
  keyFieldsOf,
  type TlvField,
  type ValueKind,
} from './tags';

export const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;
const PATH_CHARS = /^[A-Za-z0-9._/-]+$/;
const IP4_RE = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const U64_TEXT = /^(0|[1-9]\d{0,19})$/;
const URL_SCHEME = 'http://';
const URL_PORT_RE = /^[1-9]\d{0,4}$/;
const DNS_LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name string is not acceptable, or undefined. */
export function nameProblem(s: string): string | undefined {
  if (s.length < 1 || s.length > NAME_MAX_LEN) return `must be 1..${NAME_MAX_LEN} characters`;
  if (!NAME_RE.test(s)) return 'must be [a-z0-9][a-z0-9-]*';
  return undefined;
}

/** Why a path string is not acceptable, or undefined. */
export function pathProblem(s: string): string | undefined {
  if (s.length < 1 || s.length > PATH_MAX_LEN) return `must be 1..${PATH_MAX_LEN} characters`;
  if (!PATH_CHARS.test(s)) return 'may only contain [A-Za-z0-9._/-]';
  if (s.startsWith('/')) return 'must be relative (no leading /)';
  return componentsProblem(s);
}

/** The components of a path string (also of a url string's path): none empty, "." or "..". */
function componentsProblem(s: string): string | undefined {
  if (s.split('/').some((c) => c === '' || c === '.' || c === '..'))
    return 'has an empty, "." or ".." component';
  return undefined;
}

/**
 * Why a url string is not acceptable, or undefined (proto/TLV.md "url string"):
 * `http://` + host + optional `:port` + path, all of it ASCII. The host is an IPv4 address when
 * its last label is all digits (then exactly a dotted quad, as parseIp4 reads it), otherwise a
 * DNS name of lowercase labels; so `10.0.0.01` or `0x7f.0.0.1` can never be read as an address
 * some other way. The path starts and ends with `/` and its components are path-string ones.
 */
export function urlProblem(s: string): string | undefined {
  if (s.length < 1 || s.length > URL_MAX_LEN) return `must be 1..${URL_MAX_LEN} characters`;
  if (!s.startsWith(URL_SCHEME)) return `must start with ${URL_SCHEME} (lowercase)`;
  const rest = s.slice(URL_SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return 'has no path (it starts and ends with /)';
  const [host, port, ...more] = rest.slice(0, slash).split(':');
  const hp = hostProblem(host);
  if (hp) return hp;
  if (more.length > 0) return 'has more than one ":"';
  if (port !== undefined && !(URL_PORT_RE.test(port) && Number(port) <= 65535))
    return `port ${JSON.stringify(port)} is not 1..65535 (decimal, no leading zero)`;
  const path = rest.slice(slash);
  if (!path.endsWith('/')) return 'path must end with /';
  if (path === '/') return undefined;
  const inner = path.slice(1, -1);
  const cp = componentsProblem(inner);
  if (cp) return `path ${cp}`;
  return PATH_CHARS.test(inner) ? undefined : 'path may only contain [A-Za-z0-9._/-]';
}

function hostProblem(host: string): string | undefined {
  const labels = host.split('.');
  if (labels.some((l) => l === '')) return `host ${JSON.stringify(host)} has an empty label`;
  if (/^\d+$/.test(labels[labels.length - 1]))
    return parseIp4(host)
      ? undefined
      : `host ${JSON.stringify(host)} is not a dotted quad (0..255 each, no leading zero)`;
  const bad = labels.find((l) => !DNS_LABEL_RE.test(l));
  return bad === undefined
    ? undefined
    : `host label ${JSON.stringify(bad)} is not 1..63 of [a-z0-9-] without a leading or trailing -`;
}

/** Dotted quad -> 4 bytes, or undefined. */
export function parseIp4(s: string): Uint8Array | undefined {
  const m = typeof s === 'string' ? IP4_RE.exec(s) : null;
  if (!m) return undefined;
  const b = m.slice(1, 5).map(Number);
  return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
}

/**
 * Why 4 address bytes are not a unicast address a host can send to, or undefined
 * (proto/TLV.md "ip4 unicast"): the unspecified and the limited broadcast address, loopback
 * (127/8) and multicast (224/4). A rule of the value alone, so the decoder's (VALUE).
 */
export function unicastProblem(b: Uint8Array): string | undefined {
  if (b.every((x) => x === 0)) return 'is the unspecified address';
  if (b.every((x) => x === 255)) return 'is the limited broadcast address';
  if (b[0] === 127) return 'is a loopback address (127/8)';
  if (b[0] >= 224 && b[0] <= 239) return 'is a multicast address (224/4)';
  return undefined;
}

/** "a.b.c.d/p" -> 5 bytes, or undefined. */
export function parseIp4Cidr(s: string): Uint8Array | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([^/]+)\/(0|[1-9]\d?)$/.exec(s);
  if (!m) return undefined;
  const ip = parseIp4(m[1]);
  const p = Number(m[2]);
  if (!ip || p > 32) return undefined;
  return Uint8Array.from([...ip, p]);
}

export const formatIp4 = (b: Uint8Array): string => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
export const formatIp4Cidr = (b: Uint8Array): string => `${formatIp4(b)}/${b[4]}`;
export const formatMac = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
export const toHex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

export function parseMac(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || !MAC_RE.test(s)) return undefined;
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

export function parseHex32(s: string): Uint8Array | undefined {
  if (typeof s !== 'string' || !HEX64_RE.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** A u64 given as decimal text (the JSON mapping), a safe integer or a bigint. */
export function toU64(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v >= 0n && v < 1n << 64n ? v : undefined;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v === 'string' && U64_TEXT.test(v)) {
    const b = BigInt(v);
    return b < 1n << 64n ? b : undefined;
  }
  return undefined;
}

function fail(path: string, msg: string): never {
  throw new D0Error('ENCODE', `${path}: ${msg}`);
}

/** The string kinds: their longest value and their rule (the validator's too: fields.ts). */
export const STRING_KINDS = {
  name: { max: NAME_MAX_LEN, problem: nameProblem },
  path: { max: PATH_MAX_LEN, problem: pathProblem },
  url: { max: URL_MAX_LEN, problem: urlProblem },
} as const;

/** Encodes one scalar value (not nested) at `path`; throws D0Error('ENCODE') if not encodable. */
export function encodeValue(k: ValueKind, v: unknown, path: string): Uint8Array {
  const show = JSON.stringify(v) ?? String(v);
  switch (k.kind) {
    case 'u16': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < k.min || v > k.max) {
        fail(path, `${show} is not an integer in ${k.min}..${k.max}`);
      }
      const b = new Uint8Array(2);
      new DataView(b.buffer).setUint16(0, v, true);
      return b;
    }
    case 'u32': {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < k.min || v > k.max) {
        fail(path, `${show} is not an integer in ${k.min}..${k.max}`);
      }
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v, true);
      return b;
    }
    case 'u64': {
      const n = toU64(v);
      if (n === undefined || n < k.min || n > k.max)
        fail(path, `${show} is not an integer in ${k.min}..${k.max}`);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    }
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `${show} is not true or false`);
      return Uint8Array.of(v ? 1 : 0);
    case 'flag':
      if (v !== true) fail(path, `${show} is not true (false is written by leaving it out)`);
      return Uint8Array.of(1);
    case 'u8enum': {
      const allowed = allowedEnumValues(k);
      for (const [num, name] of allowed) if (name === v) return Uint8Array.of(num);
      return fail(path, `${show} is not one of ${[...allowed.values()].join(', ')}`);
    }
    case 'ip4': {
      const b = parseIp4(v as string) ?? fail(path, `${show} is not an IPv4 address`);
      const p = k.unicast ? unicastProblem(b) : undefined;
      if (p) fail(path, `${show} ${p}, not a unicast one`);
      return b;
    }
    case 'ip4cidr':
      return (
        parseIp4Cidr(v as string) ?? fail(path, `${show} is not an IPv4 address with a /prefix`)
      );
    case 'mac': {
      const b =
        parseMac(v as string) ?? fail(path, `${show} is not a MAC address like 02:00:00:00:00:01`);
      if (b[0] & 1) fail(path, `${show} is a multicast MAC`);
      return b;
    }
    case 'sha256':
      return parseHex32(v as string) ?? fail(path, `${show} is not 64 lowercase hex digits`);
    case 'uuid7': {
      if (typeof v !== 'string' || !isUuidV7(v))
        fail(path, `${show} is not a UUIDv7 in canonical lowercase form`);
      return parseUuid(v);
    }
    case 'name':
    case 'path':
    case 'url': {
      if (typeof v !== 'string') fail(path, `${show} is not a string`);
      const p = STRING_KINDS[k.kind].problem(v);
      if (p) fail(path, `${show} ${p}`);
      return new Uint8Array(Buffer.from(v, 'latin1'));
    }
    case 'nested':
      throw new Error('encodeValue: nested values are encoded by encode.ts');
  }
}

export type DecodedValue =
  { ok: true; value: unknown } | { ok: false; code: 'BAD_LENGTH' | 'VALUE'; message: string };

const bad = (code: 'BAD_LENGTH' | 'VALUE', message: string): DecodedValue => ({
  ok: false,
  code,
  message,
});

/** Decodes one scalar value: first its length, then its domain. */
export function decodeValue(k: ValueKind, b: Uint8Array): DecodedValue {
  const fixed = FIXED_LEN[k.kind];
  if (fixed !== undefined && b.length !== fixed)
    return bad('BAD_LENGTH', `${k.kind} is ${fixed} bytes, got ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  switch (k.kind) {
    case 'u16': {
      const n = dv.getUint16(0, true);
      return n < k.min || n > k.max
        ? bad('VALUE', `${n} is outside ${k.min}..${k.max}`)
        : { ok: true, value: n };
    }
    case 'u32': {
      const n = dv.getUint32(0, true);
      return n < k.min || n > k.max
        ? bad('VALUE', `${n} is outside ${k.min}..${k.max}`)
        : { ok: true, value: n };
    }
    case 'u64': {
      const n = dv.getBigUint64(0, true);
      return n < k.min || n > k.max
        ? bad('VALUE', `${n} is outside ${k.min}..${k.max}`)
        : { ok: true, value: n.toString() };
    }
    case 'bool':
      return b[0] > 1
        ? bad('VALUE', `bool byte is ${b[0]}, not 0 or 1`)
        : { ok: true, value: b[0] === 1 };
    case 'flag':
      return b[0] !== 1
        ? bad('VALUE', `flag byte is ${b[0]}, not 1 (false is written by leaving it out)`)
        : { ok: true, value: true };
    case 'u8enum': {
      const name = allowedEnumValues(k).get(b[0]);
      return name === undefined
        ? bad('VALUE', `${b[0]} is not a ${k.enumName} value this field accepts`)
        : { ok: true, value: name };
    }
    case 'ip4': {
      const p = k.unicast ? unicastProblem(b) : undefined;
      return p
        ? bad('VALUE', `${formatIp4(b)} ${p}, not a unicast one`)
        : { ok: true, value: formatIp4(b) };
    }
    case 'ip4cidr':
      return b[4] > 32
        ? bad('VALUE', `prefix length ${b[4]} is over 32`)
        : { ok: true, value: formatIp4Cidr(b) };
    case 'mac':
      return b[0] & 1
        ? bad('VALUE', `${formatMac(b)} is a multicast MAC`)
        : { ok: true, value: formatMac(b) };
    case 'sha256':
      return { ok: true, value: toHex(b) };
    case 'uuid7':
      return isUuidV7(b)
        ? { ok: true, value: formatUuid(b) }
        : bad('VALUE', `${formatUuid(b)} is not a UUIDv7`);
    case 'name':
    case 'path':
    case 'url': {
      const { max, problem } = STRING_KINDS[k.kind];
      if (b.length < 1 || b.length > max)
        return bad('BAD_LENGTH', `${k.kind} string is 1..${max} bytes, got ${b.length}`);
      const s = Buffer.from(b).toString('latin1');
      const p = problem(s);
      return p ? bad('VALUE', `${JSON.stringify(s)} ${p}`) : { ok: true, value: s };
    }
    case 'nested':
      throw new Error('decodeValue: nested values are decoded by decode.ts');
  }
}

/**
 * The sort key of a repeated entry (proto/TLV.md "Canonical form"): the key fields' values
 * concatenated, integers big-endian so that bytewise order is numeric order, everything else as
 * encoded. Throws D0Error('ENCODE') at `path` when a key field is not encodable.
 */
export function entryKey(f: TlvField, entry: Record<string, unknown>, path: string): Uint8Array {
  const parts = keyFieldsOf(f).map(({ name, kind }) => {
    const b = encodeValue(kind, entry[name], path ? `${path}.${name}` : name);
    return kind.kind === 'u16' || kind.kind === 'u32' || kind.kind === 'u64'
      ? b.slice().reverse()
      : b;
  });
  return concat(parts);
}

/** Entries of a repeated field in canonical order (ascending by entryKey); a new array. */
export function sortByKey<T extends Record<string, unknown>>(f: TlvField, arr: readonly T[]): T[] {
  return arr
    .map((e) => ({ e, k: entryKey(f, e, f.name) }))
    .sort((a, b) => compareBytes(a.k, b.k))
    .map((x) => x.e);
}
