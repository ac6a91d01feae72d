// D0's network code on the host (kernel/tests/net, ASan + UBSan): ARP and ICMP echo for D0's own
// uplink address; the e1000 driver's receive path against hostile descriptors (registers
// simulated); the bridge's anti-spoofing guard and rate limiter; the router between the bridge
// and the uplink (header views and checksums, connection tracking, egress policy, NAT, ICMP error
// translation, the thinning of redundant ACKs from the uplink) against well-formed, truncated,
// malformed and random frames; the driver, PCI and
// network files compile for the UEFI target; and each libFuzzer target runs a bounded time
// without a finding.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertFuzzClean } from './host-build';
import { fuzzSeconds } from '../support/fuzz-time';

const REPO = path.resolve(__dirname, '../..');
const DIR = path.join(REPO, 'kernel/tests/net');
/** Seconds of fuzzing per target: the router's paths are the widest, so it gets the most. */
const FUZZ_SECONDS: Record<string, number> = {
  fuzz_own_addr: fuzzSeconds(5),
  fuzz_guard: fuzzSeconds(5),
  fuzz_e1000: fuzzSeconds(5),
  fuzz_router: fuzzSeconds(10),
  fuzz_conntrack: fuzzSeconds(5),
  fuzz_offload: fuzzSeconds(5),
  fuzz_ack_thin: fuzzSeconds(5),
};
const FUZZ_TOTAL = Object.values(FUZZ_SECONDS).reduce((a, b) => a + b, 0);

function make(out: string, target: string) {
  return spawnSync('make', ['-s', '-C', DIR, `OUT=${out}`, target], {
    encoding: 'utf8',
    timeout: 300_000,
  });
}

// The "<name>: N checks, F failed" line of one test program: the number of checks, F asserted 0.
function checks(stdout: string, stderr: string, name: string): number {
  const m = new RegExp(`^${name}: (\\d+) checks, (\\d+) failed$`, 'm').exec(stdout);
  assert.ok(m, `no ${name} summary line:\n${stdout}\n${stderr.slice(-4000)}`);
  assert.equal(Number(m[2]), 0, stderr.slice(-4000));
  return Number(m[1]);
}

describe('network code (host, ASan+UBSan)', function () {
  this.timeout((FUZZ_TOTAL + 5 * 120 + 300) * 1000);
  let out: string;
  let tests: ReturnType<typeof make>;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-'));
    tests = make(out, 'test');
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('answers ARP and echo for its own address, and survives every bad frame', () => {
    assert.ok(checks(tests.stdout, tests.stderr, 'net') >= 250, 'too few own-address checks ran');
  });

  it('guards the bridge (every spoof kind, ethertypes, truncations) and limits rates exactly', () => {
    assert.ok(checks(tests.stdout, tests.stderr, 'guard') >= 200, 'too few guard checks ran');
  });

  it("takes from the e1000's receive ring only whole, in-bounds frames a hostile NIC describes", () => {
    assert.ok(checks(tests.stdout, tests.stderr, 'e1000') >= 250, 'too few e1000 checks ran');
  });

  it('routes, NATs and tracks flows, finishes the offloads a VM leaves to D0, thins redundant ACKs, and survives every bad frame', () => {
    assert.ok(checks(tests.stdout, tests.stderr, 'router') >= 100_000, 'too few router checks ran');
    assert.equal(tests.status, 0, tests.stderr.slice(-4000));
  });

  it('compiles the e1000 driver, PCI access, frame code, guard, limiter, router and offloads for UEFI', () => {
    const r = make(out, 'freestanding');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /freestanding: 11 files ok/);
  });

  for (const [target, seconds] of Object.entries(FUZZ_SECONDS)) {
    it(`${target} runs ${seconds} s without a finding`, () => {
      const b = make(out, path.join(out, target));
      assert.equal(b.status, 0, b.stderr);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-fuzz-'));
      try {
        const r = spawnSync(
          path.join(out, target),
          [`-max_total_time=${seconds}`, `-artifact_prefix=${work}/`, '-print_final_stats=1', work],
          { encoding: 'utf8', timeout: (seconds + 120) * 1000 },
        );
        assertFuzzClean({ code: r.status, timedOut: r.error !== undefined, stderr: r.stderr }, work);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
