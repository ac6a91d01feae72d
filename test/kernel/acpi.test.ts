// D0's ACPI parser (kernel/acpi) on the host (kernel/tests/acpi, ASan + UBSan): the tables QEMU +
// OVMF really give on q35 and pc with 1 and 4 CPUs (test/vectors/acpi), hostile variants the test
// makes from them (every truncation, a changed byte at every offset, lengths past the end, zero-
// length, short and overlong MADT entries, overlapping tables, duplicate APIC ids) and synthetic
// MADTs; the parser compiles for the UEFI target; and its libFuzzer target runs a bounded time,
// seeded with the real tables, without a finding.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, run, summary , assertFuzzClean } from './host-build';
import { fuzzSeconds } from '../support/fuzz-time';

const DIR = path.join(REPO, 'kernel/tests/acpi');
const VECTORS = path.join(REPO, 'test/vectors/acpi');
const FUZZ_SECONDS = fuzzSeconds(10);

const make = (out: string, target: string) =>
  run('make', ['-s', '-C', DIR, `OUT=${out}`, target], 300_000);

/** The table with signature sig of one vectors directory (its file name starts with the address). */
function table(dir: string, sig: string): Buffer {
  const f = fs.readdirSync(path.join(VECTORS, dir)).find((n) => n.endsWith(`-${sig}.bin`));
  assert.ok(f, `${dir}: no ${sig}`);
  return fs.readFileSync(path.join(VECTORS, dir, f));
}

/** Seeds in fuzz_acpi.c's structured form: mode 1, {u16 MADT, u16 FADT} body lengths, bodies. */
function seed(dir: string): Buffer {
  const body = (sig: string) => table(dir, sig).subarray(36);
  const madt = body('APIC');
  const fadt = body('FACP');
  const mcfg = dir.startsWith('q35') ? body('MCFG') : Buffer.alloc(8);
  const head = Buffer.alloc(5);
  head[0] = 1;
  head.writeUInt16LE(madt.length, 1);
  head.writeUInt16LE(fadt.length, 3);
  return Buffer.concat([head, madt, fadt, mcfg]);
}

describe('ACPI parser (host, ASan+UBSan)', function () {
  this.timeout((FUZZ_SECONDS + 600) * 1000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-acpi-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('reads the real q35/pc tables and rejects every hostile variant with its named error', async () => {
    const r = await make(out, 'test');
    assert.equal(r.code, 0, r.stdout.slice(-4000) + r.stderr.slice(-4000));
    const s = summary(r.stdout, 'acpi');
    assert.equal(s.failed, 0);
    // Per-byte variants of 4 machines' tables alone are ~2,300 parses of several checks each.
    assert.ok(s.checks >= 15_000, `too few ACPI checks ran: ${s.checks}`);
  });

  it('compiles kernel/acpi for UEFI', async () => {
    const r = await make(out, 'freestanding');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /freestanding: 6 files ok/);
  });

  it(`fuzz_acpi runs ${FUZZ_SECONDS} s without a finding`, async () => {
    const b = await make(out, path.join(out, 'fuzz_acpi'));
    assert.equal(b.code, 0, b.stderr);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-acpi-fuzz-'));
    const seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-acpi-seeds-'));
    try {
      for (const dir of fs.readdirSync(VECTORS)) fs.writeFileSync(path.join(seeds, dir), seed(dir));
      const r = await run(
        path.join(out, 'fuzz_acpi'),
        [
          `-max_total_time=${FUZZ_SECONDS}`,
          `-artifact_prefix=${work}/`,
          '-print_final_stats=1',
          work, // new inputs go to the first directory; the seeds stay untouched
          seeds,
        ],
        (FUZZ_SECONDS + 120) * 1000,
      );
      assertFuzzClean(r, work);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
      fs.rmSync(seeds, { recursive: true, force: true });
    }
  });
});
