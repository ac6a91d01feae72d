// The platform devices' host tests (kernel/tests/platform): 8259A pair, 8254 PIT, CMOS RTC,
// 16550A UART, system ports and the guest's local and I/O APICs, alone and behind the real core (buses, exit dispatch, VM
// lifecycle), built with clang under ASan+UBSan; the same sources compiled for the freestanding
// UEFI target with warnings as errors.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PLATFORM_TESTS = path.join(__dirname, '..', '..', 'kernel', 'tests', 'platform');

function summary(out: string): { passed: number; failed: number } {
  const m = /^platform: (\d+) checks, (\d+) failed$/m.exec(out);
  assert.ok(m, `no summary line in:\n${out}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

describe('platform devices host tests (kernel/tests/platform)', function () {
  this.timeout(180_000);
  let out: string;

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-platform-'));
    execFileSync('make', ['-s', '-C', PLATFORM_TESTS, `OUT=${out}`, 'all'], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('pass under ASan/UBSan: PIC, PIT, RTC, UART, system ports, local and I/O APIC, interrupt order, reset, hostile traffic', () => {
    const r = spawnSync(path.join(out, 'platform_tests'), { encoding: 'utf8' });
    assert.equal(r.status, 0, `platform_tests failed:\n${r.stdout}${r.stderr}`);
    const s = summary(r.stdout);
    assert.equal(s.failed, 0);
    assert.ok(s.passed > 450, `only ${s.passed} checks ran`);
    assert.doesNotMatch(r.stderr, /ERROR: AddressSanitizer|runtime error/);
  });

  it('kernel/dev/platform compiles freestanding for the UEFI target, warning-free, no libc', () => {
    const r = spawnSync('make', ['-s', '-C', PLATFORM_TESTS, `OUT=${out}`, 'freestanding'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `freestanding build failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^freestanding: \d+ files ok$/m);
    const objs = fs.readdirSync(path.join(out, 'uefi')).map((f) => path.join(out, 'uefi', f));
    const syms = (flag: string) => {
      const n = spawnSync('llvm-nm', [flag, ...objs], { encoding: 'utf8' });
      assert.equal(n.status, 0, n.stderr);
      return new Set(
        n.stdout
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.endsWith(':'))
          .map((l) => l.trim().split(/\s+/).pop() as string),
      );
    };
    const defined = syms('--defined-only');
    const external = [...syms('-u')].filter((s) => !defined.has(s));
    // Only the arch clock, the event sink, the core's bus (registration; all-ones reads for the
    // local APIC while it is off) and kernel/lib's mem* may be needed.
    const unexpected = external.filter(
      (s) => !/^(arch_time_ns|hv_event_sink|bus_register|bus_ones|memcpy|memset|memmove|memcmp)$/.test(s),
    );
    assert.deepEqual(unexpected, [], `unexpected external symbols: ${unexpected.join(' ')}`);
    assert.ok(external.includes('arch_time_ns'), 'the PIT and RTC read the arch clock');
    // No floating point anywhere: the UEFI target is built with -mgeneral-regs-only, which makes
    // any float a compile error; check no SSE register is named in the objects either.
    const d = spawnSync('llvm-objdump', ['-d', ...objs], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(d.status, 0, d.stderr);
    assert.doesNotMatch(d.stdout, /%xmm|%ymm/);
  });
});
