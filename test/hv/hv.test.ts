// The hypervisor core's host tests (kernel/tests/hv): built with clang under ASan+UBSan and run
// here; the same sources compiled for the freestanding UEFI target with warnings as errors.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const HV_TESTS = path.join(__dirname, '..', '..', 'kernel', 'tests', 'hv');
const CACHE = process.env.D0_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'd0');

/** Real kernels to parse and load: the cached micro-VM guest kernel and Debian's stock kernel. */
function realBzImages(): string[] {
  const found: string[] = [];
  const guestDir = path.join(CACHE, 'guest-kernel');
  if (fs.existsSync(guestDir)) {
    for (const d of fs.readdirSync(guestDir)) {
      const p = path.join(guestDir, d, 'bzImage');
      if (fs.existsSync(p)) found.push(p);
    }
  }
  if (fs.existsSync('/boot')) {
    for (const f of fs.readdirSync('/boot')) if (f.startsWith('vmlinuz-')) found.push(path.join('/boot', f));
  }
  return found;
}

function summary(out: string): { passed: number; failed: number } {
  const m = /^hv: (\d+) checks, (\d+) failed$/m.exec(out);
  assert.ok(m, `no summary line in:\n${out}`);
  return { passed: Number(m[1]), failed: Number(m[2]) };
}

describe('hypervisor core host tests (kernel/tests/hv)', function () {
  this.timeout(180_000);
  let out: string;

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-hv-'));
    execFileSync('make', ['-s', '-C', HV_TESTS, `OUT=${out}`, 'all'], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('pass under ASan/UBSan: memory, buses, exits, status port, health, virtio, boot, cmdline', () => {
    const r = spawnSync(path.join(out, 'hv_tests'), { encoding: 'utf8' });
    assert.equal(r.status, 0, `hv_tests failed:\n${r.stdout}${r.stderr}`);
    const s = summary(r.stdout);
    assert.equal(s.failed, 0);
    assert.ok(s.passed > 500, `only ${s.passed} checks ran`);
    assert.doesNotMatch(r.stderr, /ERROR: AddressSanitizer|runtime error/);
  });

  it('parse and load real bzImages (cached guest kernel, Debian stock kernel)', function () {
    const images = realBzImages();
    if (images.length === 0) this.skip(); // neither kernel exists on this machine
    const r = spawnSync(path.join(out, 'hv_tests'), images, { encoding: 'utf8' });
    assert.equal(r.status, 0, `hv_tests failed on ${images.join(' ')}:\n${r.stdout}${r.stderr}`);
    assert.equal(summary(r.stdout).failed, 0);
    for (const img of images) assert.match(r.stdout, new RegExp(`real bzImage ${img}: protocol 2\\.`));
  });

  it('a failing check makes the binary exit non-zero (the harness can fail)', () => {
    // A path that does not exist is a failed CHECK in test_load_real.
    const r = spawnSync(path.join(out, 'hv_tests'), ['/nonexistent/bzImage'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(summary(r.stdout).failed, 1);
  });

  it('kernel/hv and kernel/dev compile freestanding for the UEFI target, warning-free', () => {
    const r = spawnSync('make', ['-s', '-C', HV_TESTS, `OUT=${out}`, 'freestanding'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `freestanding build failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^freestanding: \d+ files ok$/m);
    // No C library reference may sneak in: every symbol the objects need is defined by one of
    // them, by the arch backend (arch_*), by the platform (hv_event_sink) or by kernel/lib (mem*).
    const objs = fs.readdirSync(path.join(out, 'uefi')).map((f) => path.join(out, 'uefi', f));
    const syms = (flag: string) => {
      const r = spawnSync('llvm-nm', [flag, ...objs], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return new Set(
        r.stdout
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.endsWith(':'))
          .map((l) => l.trim().split(/\s+/).pop() as string),
      );
    };
    const defined = syms('--defined-only');
    const external = [...syms('-u')].filter((s) => !defined.has(s));
    const unexpected = external.filter((s) => !/^(arch_\w+|hv_event_sink|memcpy|memset|memmove|memcmp)$/.test(s));
    assert.deepEqual(unexpected, [], `unexpected external symbols: ${unexpected.join(' ')}`);
    assert.ok(external.includes('arch_vcpu_run'), 'the arch interface is an external dependency');
  });
});
