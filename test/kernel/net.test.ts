// D0's frame code on the host (kernel/tests/net, ASan + UBSan): ARP and ICMP echo for D0's own
// address, and the bridge's anti-spoofing guard and rate limiter, against truncated, malformed
// and random frames; the e1000 driver's receive path against hostile descriptors (registers
// simulated); the driver, PCI and kernel/net files compile for the UEFI target; and the
// libFuzzer targets run without a finding.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const DIR = path.join(REPO, 'kernel/tests/net');
const FUZZ_SECONDS = 30;
const GUARD_FUZZ_SECONDS = 15;
const E1000_FUZZ_SECONDS = 10;

function make(out: string, target: string) {
  const r = spawnSync('make', ['-s', '-C', DIR, `OUT=${out}`, target], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r;
}

describe('uplink frame code (host, ASan+UBSan)', function () {
  this.timeout((FUZZ_SECONDS + GUARD_FUZZ_SECONDS + E1000_FUZZ_SECONDS + 300) * 1000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('answers ARP and echo, and survives every truncated, malformed and random frame', () => {
    const r = make(out, 'test');
    const m = /^net: (\d+) checks, (\d+) failed$/m.exec(r.stdout);
    assert.ok(m, `no summary line:\n${r.stdout}\n${r.stderr}`);
    assert.equal(Number(m[2]), 0, r.stderr);
    assert.ok(Number(m[1]) >= 250, `only ${m[1]} checks ran`);
    // The guard and rate limiter's binary runs in the same target, after the uplink's.
    const g = /^guard: (\d+) checks, (\d+) failed$/m.exec(r.stdout);
    assert.ok(g, `no guard summary line:\n${r.stdout}\n${r.stderr}`);
    assert.equal(Number(g[2]), 0, r.stderr);
    assert.ok(Number(g[1]) >= 200, `only ${g[1]} guard checks ran`);
    assert.equal(r.status, 0, r.stderr);
  });

  it("takes from the e1000's receive ring only whole, in-bounds frames a hostile NIC describes", () => {
    const r = make(out, 'test');
    const m = /^e1000: (\d+) checks, (\d+) failed$/m.exec(r.stdout);
    assert.ok(m, `no e1000 summary line:\n${r.stdout}\n${r.stderr}`);
    assert.equal(Number(m[2]), 0, r.stderr);
    assert.ok(Number(m[1]) >= 250, `only ${m[1]} e1000 checks ran`);
    assert.equal(r.status, 0, r.stderr);
  });

  it('compiles the e1000 driver, PCI access, frame code, guard and rate limiter for the UEFI target', () => {
    const r = make(out, 'freestanding');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /freestanding: 5 files ok/);
  });

  function fuzz(target: string, seconds: number) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-fuzz-'));
    try {
      const r = spawnSync(
        path.join(out, target),
        [`-max_total_time=${seconds}`, `-artifact_prefix=${work}/`, '-print_final_stats=1', work],
        { encoding: 'utf8', timeout: (seconds + 120) * 1000 },
      );
      assert.equal(r.status, 0, r.stderr.slice(-4000));
      const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(r.stderr);
      assert.ok(runs && Number(runs[1]) > 1000, `too few executions: ${runs?.[1]}`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  it(`fuzzes ARP/ICMP ${FUZZ_SECONDS} s, the guard ${GUARD_FUZZ_SECONDS} s, e1000 RX ${E1000_FUZZ_SECONDS} s: no finding`, () => {
    const b = make(out, 'fuzz');
    assert.equal(b.status, 0, b.stderr);
    fuzz('fuzz_own_addr', FUZZ_SECONDS);
    fuzz('fuzz_guard', GUARD_FUZZ_SECONDS);
    fuzz('fuzz_e1000', E1000_FUZZ_SECONDS);
  });
});
