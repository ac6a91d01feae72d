// Differential test of D0's two Ed25519 verifiers, the C one (kernel/crypto) and the TypeScript
// one (core/sign.ts verifyManifest, behind `d0 manifest verify`), with @noble/ed25519's strict mode
// (zip215: false) as a third opinion: 10,800 generated cases (valid signatures, bit flips of
// signature, message and key, wrong keys, S + L, random signatures, non-canonical R and A,
// small-order A and R, mixed-order R). The C verdict must equal the TypeScript one on every case,
// with zero disagreements; both equal @noble's except on a small-order R, which @noble accepts and
// both reject (kernel/crypto/ed25519_verify.c).
//
// Generating the cases costs ~10-50 s of @noble verifications, so the file is cached in
// $D0_CACHE keyed by the generator's source and seed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyManifest } from '../../core/sign';
import { CLASSES, DEFAULT_COUNTS, generateCases } from './ed25519-cases';
import { bin, build, run, summary } from './host-build';

const SEED = 20170101;
const CACHE = process.env.D0_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'd0');

function casesFile(): string {
  // The TypeScript verifier's source is part of the key: its verdicts are the expected column.
  const h = crypto.createHash('sha256');
  for (const f of [path.join(__dirname, 'ed25519-cases.ts'), path.join(__dirname, '../../core/sign.ts')])
    h.update(fs.readFileSync(f));
  const key = h.update(String(SEED)).digest('hex').slice(0, 16);
  const file = path.join(CACHE, 'kernel-ed25519-diff', `cases-${key}.txt`);
  if (!fs.existsSync(file)) {
    const g = generateCases(SEED);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, g.text);
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

describe('kernel Ed25519 vs @noble/ed25519 (differential)', function () {
  this.timeout(10 * 60_000);
  let file: string;
  before(async () => {
    await build('all');
    file = casesFile();
  });

  it('the generated cases cover every class, with the verdicts each class must have', () => {
    const perClass = new Map<string, { n: number; noble: number; d0: number }>();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    for (const line of lines) {
      const [cls, noble, d0] = line.split(' ');
      const st = perClass.get(cls) ?? { n: 0, noble: 0, d0: 0 };
      st.n++;
      st.noble += Number(noble);
      st.d0 += Number(d0);
      perClass.set(cls, st);
    }
    assert.ok(lines.length >= 10_000, `${lines.length} cases`);
    for (const cls of CLASSES) assert.equal(perClass.get(cls)?.n, DEFAULT_COUNTS[cls], cls);
    // node:crypto signed the valid ones; @noble strict accepts all of them.
    assert.equal(perClass.get('valid')?.noble, DEFAULT_COUNTS.valid);
    // The constructed classes do what they claim: @noble accepts small-order R and mixed-order R
    // (cofactored equation), rejects small-order A; D0's verifiers differ from it only on
    // small-order R.
    assert.equal(perClass.get('small_order_r')?.noble, DEFAULT_COUNTS.small_order_r);
    assert.equal(perClass.get('small_order_r')?.d0, 0);
    assert.equal(perClass.get('mixed_order_r')?.noble, DEFAULT_COUNTS.mixed_order_r);
    assert.equal(perClass.get('mixed_order_r')?.d0, DEFAULT_COUNTS.mixed_order_r);
    assert.equal(perClass.get('small_order_a')?.noble, 0);
    for (const [cls, st] of perClass) if (cls !== 'small_order_r') assert.equal(st.d0, st.noble, cls);
  });

  it('the TypeScript verifier (core/sign.ts) gives the expected verdict on every case', () => {
    // The expected column was written by core/sign.ts when the file was generated; this re-runs
    // it over the file as it is, so a cached file cannot hide a change of verdict.
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const bytes = (h: string) => (h === '-' ? new Uint8Array() : Uint8Array.from(Buffer.from(h, 'hex')));
    let disagreements = 0;
    for (const line of lines) {
      const [, , expect, sig, pub, msg] = line.split(' ');
      if (verifyManifest(bytes(sig), bytes(msg), bytes(pub)) !== (expect === '1')) disagreements++;
    }
    assert.equal(disagreements, 0);
  });

  it('the C verifier gives the expected verdict on every case (zero disagreements with core/sign.ts)', async () => {
    const r = await run(bin('ed25519_diff'), [file], 300_000);
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(0, 4000));
    const s = summary(r.stdout, 'ed25519_diff');
    const total = Object.values(DEFAULT_COUNTS).reduce((a, b) => a + b, 0);
    assert.deepEqual(s, { checks: total, failed: 0 });
    assert.match(r.stdout, new RegExp(`^class valid: ${DEFAULT_COUNTS.valid} cases, ${DEFAULT_COUNTS.valid} accepted, 0 mismatches$`, 'm'));
    assert.match(r.stdout, /^class sig_bitflip: \d+ cases, 0 accepted, 0 mismatches$/m);
  });

  it('reports a mismatch when a verdict is wrong (the checker is not vacuous)', async () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'd0-diff-')), 'cases.txt');
    try {
      const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      const i = lines.findIndex((l) => l.startsWith('valid '));
      lines[i] = lines[i].replace(/^valid 1 1 /, 'valid 1 0 ');
      fs.writeFileSync(tmp, lines.slice(0, 50).join('\n') + '\n');
      const r = await run(bin('ed25519_diff'), [tmp], 60_000);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`line ${i + 1} \\(valid\\): D0 accepts, expected reject`));
    } finally {
      fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    }
  });
});
