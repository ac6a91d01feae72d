// The record tree of a manifest's TLV encoding, for the surgical edits scripts/gen-vectors.ts makes
// to build invalid vectors (each one breaks exactly one rule of proto/TLV.md).
import type { Manifest } from '../core/schema';
import { encodeManifest } from '../core/tlv/encode';
import { concat, record } from '../core/tlv/record';
import { RECORD_HEADER_LEN, tlvScope, type TlvScope } from '../core/tlv/tags';

export interface Node {
  tag: number;
  value?: Uint8Array;
  kids?: Node[];
  /** Bytes emitted as they are, with no record header (for broken framing). */
  raw?: Uint8Array;
}

export function parseTree(
  b: Uint8Array,
  scope: TlvScope | undefined,
  start = 0,
  end = b.length,
): Node[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const out: Node[] = [];
  for (let p = start; p < end;) {
    const tag = dv.getUint16(p, true);
    const len = dv.getUint32(p + 2, true);
    const v = b.subarray(p + RECORD_HEADER_LEN, p + RECORD_HEADER_LEN + len);
    const f = scope ? scope.fields.find((x) => x.tag === tag) : undefined;
    const nested =
      scope === undefined
        ? 'Manifest'
        : f?.spec.value.kind === 'nested'
          ? f.spec.value.message
          : undefined;
    if (nested)
      out.push({
        tag,
        kids: parseTree(b, tlvScope(nested), p + RECORD_HEADER_LEN, p + RECORD_HEADER_LEN + len),
      });
    else out.push({ tag, value: Uint8Array.from(v) });
    p += RECORD_HEADER_LEN + len;
  }
  return out;
}

export const tree = (m: Manifest): Node => parseTree(encodeManifest(m), undefined)[0];
export const bytesOf = (n: Node): Uint8Array =>
  n.raw ?? record(n.tag, n.kids ? concat(n.kids.map(bytesOf)) : n.value!);

/** Finds the nth child with `tag` (tags written with the critical bit, as in proto/TLV.md). */
export function kid(n: Node, tag: number, nth = 0): Node {
  const k = n.kids!.filter((x) => x.tag === tag)[nth];
  if (!k) throw new Error(`vector tree: no record 0x${tag.toString(16)} #${nth}`);
  return k;
}
export const header = (root: Node) => kid(root, 0x8101);
export const network = (root: Node) => kid(root, 0x8102);
export const cont = (root: Node, nth = 0) => kid(root, 0x8104, nth);

export function edit(m: Manifest, f: (root: Node) => void): Uint8Array {
  const root = tree(m);
  f(root);
  return bytesOf(root);
}

export function setValue(n: Node, tag: number, value: Uint8Array): void {
  kid(n, tag).value = value;
}

export function remove(n: Node, tag: number): void {
  n.kids = n.kids!.filter((x) => x.tag !== tag);
}

export function insertAfter(n: Node, tag: number, added: Node): void {
  const i = n.kids!.indexOf(kid(n, tag));
  n.kids!.splice(i + 1, 0, added);
}

export const u32 = (x: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
};

/** The overflow vector: a record inside header whose length runs past header's end. */
export function overflowLen(root: Node): Uint8Array {
  const b = bytesOf(root);
  const hdrAt = RECORD_HEADER_LEN; // header is the first record of the manifest scope
  const firstFieldAt = hdrAt + RECORD_HEADER_LEN;
  const out = Uint8Array.from(b);
  new DataView(out.buffer).setUint32(firstFieldAt + 2, 1000, true);
  return out;
}
