// Structure-aware mutations of manifest TLV files, for the TypeScript/C decoder differential
// (manifest-diff.test.ts). Inputs are parsed into a record tree by the nesting of proto/TLV.md
// (the root, the manifest's nested fields and routes; other nested values stay leaves),
// mutated, and re-serialized with lengths recomputed, so most mutants get past framing and
// exercise the later checks (order, duplicates, values, counts); byte-level mutations cover
// framing.
import { Rng } from './ed25519-cases';

const NESTED = new Set([0x8001, 0x8101, 0x8102, 0x8103, 0x8104, 0x8105, 0x8106, 0x8107, 0x850a]);

/** Every tag of proto/TLV.md, plus unknown ones with and without the critical bit. */
const TAGS = [
  0x8101, 0x8102, 0x8103, 0x8104, 0x8201, 0x8202, 0x8203, 0x8204, 0x0205, 0x8301, 0x8302, 0x8401, 0x8402,
  0x8403, 0x8501, 0x8502, 0x8503, 0x8504, 0x8505, 0x8506, 0x8507, 0x8508, 0x8509, 0x850a, 0x850b, 0x850c,
  0x850d, 0x050e, 0x8601, 0x8602, 0x8105, 0x8106, 0x8a01, 0x8a02, 0x8b01, 0x8b02, 0x8107, 0x8c01, 0x8c02,
  0x0777, 0x8777, 0x0503, 0x850e, 0x0001,
];

interface Rec {
  tag: number;
  value?: Uint8Array; // leaf
  children?: Rec[]; // nested
}

function parse(b: Uint8Array, nested: boolean): Rec[] | undefined {
  const out: Rec[] = [];
  let p = 0;
  while (p < b.length) {
    if (b.length - p < 6) return undefined;
    const tag = b[p] | (b[p + 1] << 8);
    const len = (b[p + 2] | (b[p + 3] << 8) | (b[p + 4] << 16) | (b[p + 5] << 24)) >>> 0;
    if (len > b.length - p - 6) return undefined;
    const v = b.subarray(p + 6, p + 6 + len);
    if (nested && NESTED.has(tag)) {
      const children = parse(v, true);
      if (!children) return undefined;
      out.push({ tag, children });
    } else out.push({ tag, value: Uint8Array.from(v) });
    p += 6 + len;
  }
  return out;
}

function serialize(recs: readonly Rec[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const r of recs) {
    const v = r.children ? serialize(r.children) : r.value!;
    const h = Buffer.alloc(6);
    h.writeUInt16LE(r.tag, 0);
    h.writeUInt32LE(v.length, 2);
    parts.push(h, Buffer.from(v));
  }
  return Uint8Array.from(Buffer.concat(parts));
}

/** Every list of records in the tree (the root list included), for picking a mutation site. */
function lists(recs: Rec[], acc: Rec[][] = []): Rec[][] {
  acc.push(recs);
  for (const r of recs) if (r.children) lists(r.children, acc);
  return acc;
}

const clone = (recs: readonly Rec[]): Rec[] =>
  recs.map((r) => (r.children ? { tag: r.tag, children: clone(r.children) } : { tag: r.tag, value: Uint8Array.from(r.value!) }));

function mutateTree(recs: Rec[], rng: Rng): void {
  const all = lists(recs).filter((l) => l.length > 0);
  if (all.length === 0) return;
  const list = all[rng.int(all.length)];
  const i = rng.int(list.length);
  const r = list[i];
  switch (rng.int(9)) {
    case 0: // delete a record
      list.splice(i, 1);
      break;
    case 1: // duplicate a record in place
      list.splice(i, 0, clone([r])[0]);
      break;
    case 2: // swap with the next record
      if (i + 1 < list.length) [list[i], list[i + 1]] = [list[i + 1], list[i]];
      break;
    case 3: // another tag (known, unknown, critical bit toggled)
      r.tag = rng.int(3) === 0 ? r.tag ^ 0x8000 : TAGS[rng.int(TAGS.length)];
      break;
    case 4: // a leaf's value: one byte changed
      if (r.value && r.value.length) r.value[rng.int(r.value.length)] = rng.int(256);
      break;
    case 5: // a leaf's value: another length
      if (r.value) r.value = rng.bytes([0, 1, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 128, 129][rng.int(17)]);
      break;
    case 6: // a leaf's value: boundary integers
      if (r.value && (r.value.length === 4 || r.value.length === 8 || r.value.length === 1)) {
        // As 4 address bytes 127, 224, 239 and 2^32-1 are 127.0.0.0, 224.0.0.0, 239.0.0.0 and
        // 255.255.255.255: addresses the report's collector refuses.
        const picks = [0, 1, 2, 15, 16, 17, 127, 224, 239, 255, 3600, 3601, 65535, 65536, 65537, 4294967295];
        const v = BigInt(picks[rng.int(picks.length)]);
        for (let k = 0; k < r.value.length; k++) r.value[k] = Number((v >> BigInt(8 * k)) & 0xffn);
      }
      break;
    case 7: // an unknown record inserted
      list.splice(i, 0, { tag: rng.int(2) ? 0x0777 : 0x8777, value: rng.bytes(rng.int(6)) });
      break;
    case 8: // a nested record's children reversed
      if (r.children) r.children.reverse();
      break;
  }
}

function mutateBytes(b: Uint8Array, rng: Rng): Uint8Array {
  const c = Uint8Array.from(b);
  switch (rng.int(4)) {
    case 0:
      for (let k = 0, n = 1 + rng.int(3); k < n && c.length; k++) c[rng.int(c.length)] ^= 1 << rng.int(8);
      return c;
    case 1:
      return c.subarray(0, rng.int(c.length + 1));
    case 2:
      return Uint8Array.from(Buffer.concat([c, Buffer.from(rng.bytes(1 + rng.int(8)))]));
    default: {
      const at = rng.int(c.length + 1);
      return Uint8Array.from(Buffer.concat([c.subarray(0, at), Buffer.from(rng.bytes(1 + rng.int(6))), c.subarray(at)]));
    }
  }
}

/** A mutant of b: 1..3 tree mutations (when b parses as a tree), or a byte-level mutation. */
export function mutate(b: Uint8Array, rng: Rng): Uint8Array {
  const tree = rng.int(4) !== 0 ? parse(b, true) : undefined;
  if (!tree) return mutateBytes(b, rng);
  for (let k = 0, n = 1 + rng.int(3); k < n; k++) mutateTree(tree, rng);
  return serialize(tree);
}
