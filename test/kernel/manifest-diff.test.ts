// The two decoders of proto/TLV.md, core/tlv (TypeScript) and kernel/manifest (C), on the same
// inputs: every golden vector and thousands of structure-aware mutants of them. For each input
// both must print the same canonical dump, or the same error name at the same byte offset.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeManifest } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { TlvError } from '../../core/tlv/errors';
import { Rng } from './ed25519-cases';
import { VECTORS, bin, build, listVectors, run } from './host-build';
import { mutate } from './tlv-mutate';

const MUTANTS_PER_VECTOR = 200;

function tsRender(b: Uint8Array): string {
  try {
    return dumpManifest(decodeManifest(b));
  } catch (e) {
    if (e instanceof TlvError) return `error=${e.code}@${e.offset}\n`;
    throw e;
  }
}

describe('kernel manifest parser vs core/tlv (differential)', function () {
  this.timeout(10 * 60_000);
  before(() => build('all'));

  it('both decoders agree on every golden vector and every mutant', async () => {
    const rng = new Rng(7);
    const inputs: Uint8Array[] = [];
    for (const f of listVectors('.tlv').sort()) {
      const b = new Uint8Array(fs.readFileSync(path.join(VECTORS, f)));
      if (b.length > 70_000) continue; // OVERSIZE: covered by the golden vector itself
      inputs.push(b);
      for (let i = 0; i < MUTANTS_PER_VECTOR; i++) inputs.push(mutate(b, rng));
    }
    inputs.push(new Uint8Array(0));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-tlv-diff-'));
    try {
      const file = path.join(dir, 'inputs.txt');
      fs.writeFileSync(file, inputs.map((b) => (b.length ? Buffer.from(b).toString('hex') : '-')).join('\n') + '\n');
      const r = await run(bin('manifest_render'), [file], 300_000);
      assert.equal(r.code, 0, r.stderr);
      const outputs = r.stdout.split(/^\.\n/m);
      assert.equal(outputs.length, inputs.length + 1, 'one output per input');
      const outcomes = new Map<string, number>();
      const mismatches: string[] = [];
      inputs.forEach((b, i) => {
        const want = tsRender(b);
        const outcome = want.startsWith('error=') ? want.slice(0, want.indexOf('@')) : 'valid';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (outputs[i] !== want && mismatches.length < 5) {
          mismatches.push(`input ${i} (${Buffer.from(b).toString('hex').slice(0, 120)}...):\n  TS: ${want.slice(0, 200)}\n  C:  ${outputs[i].slice(0, 200)}`);
        }
      });
      assert.deepEqual(mismatches, []);
      // The mutants reach every error class but OVERSIZE (covered by its golden vector) and
      // a good share of them still decode.
      for (const code of ['TRUNCATED', 'OVERFLOW', 'TRAILING', 'BAD_ROOT', 'UNKNOWN_CRITICAL', 'DUPLICATE', 'ORDER', 'MISSING', 'BAD_LENGTH', 'VALUE', 'COUNT']) {
        assert.ok((outcomes.get(`error=${code}`) ?? 0) > 0, `no input ended in ${code}: ${JSON.stringify([...outcomes])}`);
      }
      assert.ok((outcomes.get('valid') ?? 0) > 50, JSON.stringify([...outcomes]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
