// D0's network code on the host (kernel/tests/net, ASan + UBSan): ARP and ICMP echo for D0's own
// uplink address, and the router between the bridge and the uplink (header views and checksums,
// connection tracking, egress policy, NAT, ICMP error translation) against well-formed,
// truncated, malformed and random frames; the driver, PCI and network files compile for the
// UEFI target; and each libFuzzer target runs a bounded time without a finding.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const DIR = path.join(REPO, 'kernel/tests/net');
const FUZZ_SECONDS = 20;
const FUZZ_TARGETS = ['fuzz_own_addr', 'fuzz_router', 'fuzz_conntrack'];

function make(out: string, target: string) {
  const r = spawnSync('make', ['-s', '-C', DIR, `OUT=${out}`, target], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r;
}

// The "<name>: N checks, F failed" line of one test program: the number of checks, F asserted 0.
function checks(stdout: string, stderr: string, name: string): number {
  const m = new RegExp(`^${name}: (\\d+) checks, (\\d+) failed$`, 'm').exec(stdout);
  assert.ok(m, `no ${name} summary line:\n${stdout}\n${stderr.slice(-4000)}`);
  assert.equal(Number(m[2]), 0, stderr.slice(-4000));
  return Number(m[1]);
}

describe('network code (host, ASan+UBSan)', function () {
  this.timeout((FUZZ_TARGETS.length * FUZZ_SECONDS + 300) * 1000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('answers ARP and echo, routes, NATs and tracks flows, and survives every bad frame', () => {
    const r = make(out, 'test');
    assert.ok(checks(r.stdout, r.stderr, 'net') >= 250, 'too few own-address checks ran');
    assert.ok(checks(r.stdout, r.stderr, 'router') >= 100_000, 'too few router checks ran');
    assert.equal(r.status, 0, r.stderr.slice(-4000));
  });

  it('compiles the e1000 driver, PCI access, frame code and router for the UEFI target', () => {
    const r = make(out, 'freestanding');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /freestanding: 7 files ok/);
  });

  for (const target of FUZZ_TARGETS) {
    it(`${target} runs ${FUZZ_SECONDS} s without a finding`, () => {
      const b = make(out, path.join(out, target));
      assert.equal(b.status, 0, b.stderr);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-fuzz-'));
      try {
        const r = spawnSync(
          path.join(out, target),
          [`-max_total_time=${FUZZ_SECONDS}`, `-artifact_prefix=${work}/`, '-print_final_stats=1', work],
          { encoding: 'utf8', timeout: (FUZZ_SECONDS + 120) * 1000 },
        );
        assert.equal(r.status, 0, r.stderr.slice(-4000));
        const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(r.stderr);
        assert.ok(runs && Number(runs[1]) > 1000, `too few executions: ${runs?.[1]}`);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
