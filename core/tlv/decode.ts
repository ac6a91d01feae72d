// Canonical TLV bytes -> Manifest, refusing everything proto/TLV.md does not allow.
//
// Exactly one error is reported: the first met in one forward pass. Per record the checks run in
// this order: framing (TRUNCATED at root level, OVERFLOW inside a parent), tag (BAD_ROOT for the
// first record, UNKNOWN_CRITICAL), tag order / singleton duplicates (ORDER, DUPLICATE), then the
// value (BAD_LENGTH, VALUE; a nested value recursively). A repeated entry's key lives inside its
// value, so key order (ORDER / DUPLICATE between entries) is checked after the entry is parsed.
// When a scope ends, its fields are checked in tag order: MISSING, then COUNT. TRAILING is checked
// after the root record's value. A tag is known only when all 16 bits match the table; other tags
// are skipped when their critical bit is clear.
import type { Manifest } from '../schema';
import { TlvError, type TlvErrorCode } from './errors';
import {
  MAX_TLV_BYTES,
  RECORD_HEADER_LEN,
  ROOT_TAG,
  tlvScope,
  type TlvField,
  type TlvScope,
} from './tags';
import { compareBytes } from './record';
import { decodeValue, entryKey } from './values';

const hex4 = (t: number) => '0x' + t.toString(16).padStart(4, '0');

type Obj = Record<string, unknown>;

interface Ctx {
  readonly b: Uint8Array;
  readonly dv: DataView;
  skipped: number;
}

const byFullTag = new Map<string, Map<number, TlvField>>();
function fieldsByTag(s: TlvScope): Map<number, TlvField> {
  let m = byFullTag.get(s.message);
  if (!m) {
    m = new Map(s.fields.map((f) => [f.tag, f]));
    byFullTag.set(s.message, m);
  }
  return m;
}

function fail(code: TlvErrorCode, offset: number, message: string): never {
  throw new TlvError(code, offset, message);
}

function parseScope(
  ctx: Ctx,
  message: string,
  start: number,
  end: number,
  path: string,
  owner: number,
): Obj {
  const scope = tlvScope(message);
  const known = fieldsByTag(scope);
  const obj: Obj = {};
  const counts = new Map<string, number>();
  const lastKey = new Map<string, Uint8Array>();
  let label = path;
  let lastId = 0;
  let pos = start;
  const where = (f: TlvField | undefined, tag: number) =>
    f
      ? `${label ? label + '.' : ''}${f.name} (${hex4(tag)})`
      : `${hex4(tag)} in ${label || 'manifest'}`;
  for (;;) {
    if (pos >= end) break;
    if (end - pos < RECORD_HEADER_LEN) {
      fail(
        'OVERFLOW',
        pos,
        `record header runs past the end of ${label || 'manifest'} (${end - pos} bytes left)`,
      );
    }
    const tag = ctx.dv.getUint16(pos, true);
    const len = ctx.dv.getUint32(pos + 2, true);
    if (len > end - pos - RECORD_HEADER_LEN) {
      fail(
        'OVERFLOW',
        pos,
        `record ${hex4(tag)} of ${len} bytes runs past the end of ${label || 'manifest'}`,
      );
    }
    const vstart = pos + RECORD_HEADER_LEN;
    const vend = vstart + len;
    const f = known.get(tag);
    if (!f) {
      if (tag & 0x8000)
        fail('UNKNOWN_CRITICAL', pos, `unknown critical tag ${where(undefined, tag)}`);
      ctx.skipped++;
      pos = vend;
      continue;
    }
    if (f.tagId < lastId) fail('ORDER', pos, `${where(f, tag)} comes after a higher tag`);
    if (f.tagId === lastId && !f.repeated) fail('DUPLICATE', pos, `${where(f, tag)} appears twice`);
    lastId = f.tagId;
    const n = counts.get(f.name) ?? 0;
    counts.set(f.name, n + 1);
    const v = f.spec.value;
    if (v.kind === 'nested') {
      const sub = f.repeated
        ? `${label ? label + '.' : ''}${f.name}[${n}]`
        : `${label ? label + '.' : ''}${f.name}`;
      const entry = parseScope(ctx, v.message, vstart, vend, sub, pos);
      if (f.repeated) {
        const key = entryKey(f, entry, sub);
        const prev = lastKey.get(f.name);
        if (prev) {
          const c = compareBytes(prev, key);
          const shown =
            f.name === 'containers'
              ? `${label ? label + '.' : ''}${f.name}[${String(entry.name)}]`
              : sub;
          if (c === 0)
            fail('DUPLICATE', pos, `${shown}: same ${f.spec.key!.join('+')} as the previous entry`);
          if (c > 0)
            fail('ORDER', pos, `${shown}: entries must ascend by ${f.spec.key!.join('+')}`);
        }
        lastKey.set(f.name, key);
        ((obj[f.name] ??= []) as Obj[]).push(entry);
      } else obj[f.name] = entry;
    } else {
      const d = decodeValue(v, ctx.b.subarray(vstart, vend));
      if (!d.ok) fail(d.code, pos, `${where(f, tag)}: ${d.message}`);
      obj[f.name] = d.value;
      // Containers are named by name in messages from here on (name is the scope's first field).
      if (message === 'Container' && f.name === 'name')
        label = path.replace(/\[\d+\]$/, `[${String(d.value)}]`);
    }
    pos = vend;
  }
  for (const f of scope.fields) {
    const n = counts.get(f.name) ?? 0;
    if (f.repeated) {
      const { min, max } = f.spec.count!;
      if (n < min)
        fail(
          'MISSING',
          owner,
          `${label ? label + '.' : ''}${f.name}: needs at least ${min}, has ${n}`,
        );
      if (n > max)
        fail(
          'COUNT',
          owner,
          `${label ? label + '.' : ''}${f.name}: ${n} entries, at most ${max} allowed`,
        );
      obj[f.name] ??= [];
    } else if (n === 0 && !f.spec.optional) {
      fail(
        'MISSING',
        owner,
        `${label ? label + '.' : ''}${f.name} (${hex4(f.tag)}) is required in ${label || 'manifest'}`,
      );
    }
  }
  return obj;
}

export interface DecodeResult {
  readonly manifest: Manifest;
  /** Unknown non-critical records skipped; when 0, encodeManifest(manifest) equals the input. */
  readonly skipped: number;
}

export function decodeManifestDetailed(b: Uint8Array): DecodeResult {
  if (b.length > MAX_TLV_BYTES)
    fail('OVERSIZE', 0, `${b.length} bytes is over the ${MAX_TLV_BYTES}-byte limit`);
  if (b.length < RECORD_HEADER_LEN)
    fail(
      'TRUNCATED',
      0,
      b.length === 0
        ? 'empty input'
        : `input ends inside the root record header (${b.length} bytes)`,
    );
  const ctx: Ctx = { b, dv: new DataView(b.buffer, b.byteOffset, b.length), skipped: 0 };
  const tag = ctx.dv.getUint16(0, true);
  const len = ctx.dv.getUint32(2, true);
  if (len > b.length - RECORD_HEADER_LEN) {
    fail(
      'TRUNCATED',
      0,
      `root record of ${len} bytes runs past the end of the ${b.length}-byte input`,
    );
  }
  if (tag !== ROOT_TAG)
    fail('BAD_ROOT', 0, `first record is ${hex4(tag)}, not ${hex4(ROOT_TAG)} (MANIFEST)`);
  const end = RECORD_HEADER_LEN + len;
  const manifest = parseScope(
    ctx,
    'Manifest',
    RECORD_HEADER_LEN,
    end,
    '',
    0,
  ) as unknown as Manifest;
  if (end < b.length) fail('TRAILING', end, `${b.length - end} bytes follow the root record`);
  return { manifest, skipped: ctx.skipped };
}

/** Decodes a manifest TLV; throws TlvError (stable `code`, `offset`) on any non-canonical input. */
export function decodeManifest(b: Uint8Array): Manifest {
  return decodeManifestDetailed(b).manifest;
}
