// The MMIO instruction decoder and guest page walk both backends share (kernel/arch/x86/
// decode.c), their register-file helpers (regfile.c: width rules, completions, I/O exits) and
// the host tick's source choice and calibration arithmetic (tick_calc.c), on the host: unit
// tests under ASan+UBSan (accepted encodings with their operands,
// every refusal class, 4 KiB / 2 MiB / 1 GiB translations, instruction fetch across a page
// end), then the libFuzzer target for 20 s on arbitrary guest bytes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fuzzSeconds } from '../support/fuzz-time';

const DECODE_FUZZ_SECONDS = fuzzSeconds(10);

const TESTS_DIR = path.resolve(__dirname, '../../kernel/arch/x86/tests');

describe('hv-vmx: shared x86 MMIO decoder (host)', function () {
  this.timeout((DECODE_FUZZ_SECONDS + 160) * 1000);
  let out: string;

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-decode-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('decodes the MOV/MOVZX forms Linux uses, refuses everything else, walks guest page tables', () => {
    const r = spawnSync('make', ['-s', '-C', TESTS_DIR, 'test', `OUT=${out}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /decode: 16 accepted, 12 refused, page walk ok/);
    // The register-file helpers both backends complete exits with (arch/x86/regfile.c).
    assert.match(r.stdout, /^regfile: [1-9]\d* checks, 0 failed$/m);
    // The host tick: TSC-deadline > APIC timer > PIT, periods and measured rates (tick_calc.c).
    assert.match(r.stdout, /^tick: [1-9]\d* checks, 0 failed$/m);
  });

  it(`survives ${DECODE_FUZZ_SECONDS} s of libFuzzer on arbitrary instruction bytes (ASan+UBSan, invariants)`, () => {
    execFileSync('make', ['-s', '-C', TESTS_DIR, 'fuzz', `OUT=${out}`], { stdio: 'pipe' });
    const corpus = fs.mkdtempSync(path.join(out, 'corpus-'));
    const r = spawnSync(path.join(out, 'fuzz_decode'), [`-max_total_time=${DECODE_FUZZ_SECONDS}`, '-seed=1', corpus], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const done = /Done (\d+) runs/.exec(r.stderr);
    assert.ok(done && Number(done[1]) > 10_000, r.stderr.slice(-2000));
  });
});
