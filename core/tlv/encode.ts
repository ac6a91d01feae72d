// Manifest -> canonical TLV bytes (proto/TLV.md, "Canonical form"): fields in ascending tag order,
// repeated entries sorted by their key, optional fields omitted when unset. The encoder refuses
// (D0Error 'ENCODE', naming the path) anything the decoder would refuse, so a successful encode
// always decodes back to the same manifest.
import { D0Error } from '../errors';
import type { Manifest } from '../schema';
import { MAX_TLV_BYTES, ROOT_TAG, tlvScope, type TlvField } from './tags';
import { compareBytes, concat, record } from './record';
import { encodeValue, entryKey } from './values';

type Obj = Record<string, unknown>;

interface Entry {
  key: Uint8Array;
  bytes: Uint8Array;
  label: string;
}

function entryLabel(f: TlvField, entry: Obj, index: number): string {
  return f.name === 'containers' && typeof entry.name === 'string' ? entry.name : String(index);
}

function encodeScope(message: string, obj: unknown, path: string): Uint8Array {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new D0Error('ENCODE', `${path || 'manifest'}: is not an object`);
  }
  const o = obj as Obj;
  const at = (name: string) => (path ? `${path}.${name}` : name);
  const parts: Uint8Array[] = [];
  for (const f of tlvScope(message).fields) {
    const v = o[f.name];
    if (f.repeated) {
      const arr = v === undefined || v === null ? [] : v;
      if (!Array.isArray(arr)) throw new D0Error('ENCODE', `${at(f.name)}: is not a list`);
      const { min, max } = f.spec.count!;
      if (arr.length < min || arr.length > max) {
        throw new D0Error(
          'ENCODE',
          `${at(f.name)}: has ${arr.length} entries, allowed ${min}..${max}`,
        );
      }
      const entries: Entry[] = arr.map((e: unknown, i: number) => {
        if (typeof e !== 'object' || e === null)
          throw new D0Error('ENCODE', `${at(f.name)}[${i}]: is not an object`);
        const p = `${at(f.name)}[${entryLabel(f, e as Obj, i)}]`;
        const nested = (f.spec.value as { message: string }).message;
        return {
          key: entryKey(f, e as Obj, p),
          bytes: record(f.tag, encodeScope(nested, e, p)),
          label: p,
        };
      });
      entries.sort((a, b) => compareBytes(a.key, b.key));
      for (let i = 1; i < entries.length; i++) {
        if (compareBytes(entries[i - 1].key, entries[i].key) === 0) {
          throw new D0Error('ENCODE', `${entries[i].label}: duplicate ${f.spec.key!.join('+')}`);
        }
      }
      parts.push(...entries.map((e) => e.bytes));
      continue;
    }
    if (v === undefined || v === null) {
      if (f.spec.optional) continue;
      throw new D0Error('ENCODE', `${at(f.name)}: is required`);
    }
    const value =
      f.spec.value.kind === 'nested'
        ? encodeScope(f.spec.value.message, v, at(f.name))
        : encodeValue(f.spec.value, v, at(f.name));
    parts.push(record(f.tag, value));
  }
  return concat(parts);
}

/** The canonical TLV of a manifest. Throws D0Error('ENCODE') naming the first unencodable field. */
export function encodeManifest(m: Manifest): Uint8Array {
  const out = record(ROOT_TAG, encodeScope('Manifest', m, ''));
  if (out.length > MAX_TLV_BYTES) {
    throw new D0Error(
      'ENCODE',
      `manifest: encodes to ${out.length} bytes, over the ${MAX_TLV_BYTES}-byte limit`,
    );
  }
  return out;
}
