// Property tests of the TLV codec: round trip, canonical bytes, and a decoder that refuses hostile
// input only by throwing TlvError.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { decodeManifest, decodeManifestDetailed } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { encodeManifest } from '../../core/tlv/encode';
import { TlvError } from '../../core/tlv/errors';
import type { Manifest } from '../../core/schema';
import { arbManifest } from './support/arbitrary';

const VECTORS = path.join(__dirname, '..', 'vectors', 'manifest');
const valid = fs
  .readdirSync(VECTORS)
  .filter((f) => f.startsWith('valid-') && f.endsWith('.tlv'))
  .map((f) => new Uint8Array(fs.readFileSync(path.join(VECTORS, f))));

/** The manifest in canonical order: containers by name, routes by (dest, via) bytes. */
function canonical(m: Manifest): Manifest {
  return decodeManifest(encodeManifest(m));
}

/** Decodes; returns the result, or undefined for a TlvError; rethrows anything else (the failure). */
function decodeOrTlvError(b: Uint8Array) {
  try {
    return decodeManifestDetailed(b);
  } catch (e) {
    if (e instanceof TlvError) return undefined;
    throw e;
  }
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('core/tlv properties', () => {
  it('decode(encode(m)) is m in canonical order, and encode(decode(b)) == b', () => {
    fc.assert(
      fc.property(arbManifest, (m) => {
        const b = encodeManifest(m);
        const d = decodeManifest(b);
        assert.equal(dumpManifest(d), dumpManifest(m));
        const sortedNames = m.containers
          .map((c) => c.name)
          .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.deepEqual(
          d.containers.map((c) => c.name),
          sortedNames,
        );
        for (const c of d.containers) {
          const src = m.containers.find((x) => x.name === c.name)!;
          // (JSON: fast-check's records have a null prototype.)
          const bare = (x: typeof c) =>
            JSON.parse(JSON.stringify({ ...x, routes: [], publish: [], egress_allow: [] }));
          assert.deepEqual(bare(c), bare(src));
          assert.equal(c.routes.length, src.routes.length);
          assert.equal(c.publish!.length, src.publish!.length);
          assert.equal(c.egress_allow!.length, src.egress_allow!.length);
        }
        // update, loader and report come back as given, or stay absent.
        const json = (x: unknown) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));
        assert.deepEqual(json(d.update), json(m.update));
        assert.deepEqual(json(d.loader), json(m.loader));
        assert.deepEqual(json(d.report), json(m.report));
        assert.ok(same(encodeManifest(d), b));
      }),
      { numRuns: 300 },
    );
  });

  it('encoding does not depend on the input order of containers and routes', () => {
    fc.assert(
      fc.property(arbManifest, fc.integer(), (m, seed) => {
        const rot = <T>(a: T[]) =>
          a.length ? [...a.slice(seed % a.length), ...a.slice(0, seed % a.length)] : a;
        const shuffled = {
          ...m,
          containers: rot(
            m.containers.map((c) => ({
              ...c,
              routes: rot([...c.routes].reverse()),
              publish: rot([...c.publish!].reverse()),
              egress_allow: rot([...c.egress_allow!].reverse()),
            })),
          ),
        };
        assert.ok(same(encodeManifest(shuffled), encodeManifest(m)));
        assert.deepEqual(canonical(shuffled), canonical(m));
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes never make the decoder throw anything but TlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        decodeOrTlvError(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind a well-framed root record: only TlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (body) => {
        const b = new Uint8Array(6 + body.length);
        new DataView(b.buffer).setUint16(0, 0x8001, true);
        new DataView(b.buffer).setUint32(2, body.length, true);
        b.set(body, 6);
        decodeOrTlvError(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid encodings: only TlvError, and whatever is accepted re-encodes to the same bytes', () => {
    const mutation = fc.record({
      which: fc.nat(),
      kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      count: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        let b = Array.from(valid[muts[0].which % valid.length]);
        for (const m of muts) {
          const at = m.at % (b.length + 1);
          if (m.kind === 'flip' && at < b.length) b[at] ^= 1 << (m.value & 7);
          if (m.kind === 'set' && at < b.length) b[at] = m.value;
          if (m.kind === 'insert') b.splice(at, 0, ...new Array(m.count).fill(m.value));
          if (m.kind === 'delete') b.splice(at, m.count);
          if (m.kind === 'truncate') b = b.slice(0, at);
        }
        const bytes = Uint8Array.from(b);
        const r = decodeOrTlvError(bytes);
        if (r && r.skipped === 0)
          assert.ok(same(encodeManifest(r.manifest), bytes), 'accepted a non-canonical encoding');
      }),
      { numRuns: 3000 },
    );
  });

  it('the dump of every decoded manifest is stable through encode/decode', () => {
    fc.assert(
      fc.property(arbManifest, (m) => {
        const d = canonical(m);
        assert.equal(dumpManifest(decodeManifest(encodeManifest(d))), dumpManifest(d));
      }),
      { numRuns: 100 },
    );
  });
});
