// D0's uplink frame code on the host (kernel/tests/net, ASan + UBSan): ARP and ICMP echo for D0's
// own address against truncated, malformed and random frames; the driver and PCI files compile
// for the UEFI target; and the libFuzzer target runs 30 s without a finding.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const DIR = path.join(REPO, 'kernel/tests/net');
const FUZZ_SECONDS = 30;

function make(out: string, target: string) {
  const r = spawnSync('make', ['-s', '-C', DIR, `OUT=${out}`, target], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return r;
}

describe('uplink frame code (host, ASan+UBSan)', function () {
  this.timeout((FUZZ_SECONDS + 300) * 1000);
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
    assert.equal(r.status, 0, r.stderr);
  });

  it('compiles the e1000 driver, PCI access and frame code for the UEFI target', () => {
    const r = make(out, 'freestanding');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /freestanding: 3 files ok/);
  });

  it(`fuzzes the ARP/ICMP path for ${FUZZ_SECONDS} s without a finding`, () => {
    const b = make(out, 'fuzz');
    assert.equal(b.status, 0, b.stderr);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-net-fuzz-'));
    try {
      const r = spawnSync(
        path.join(out, 'fuzz_own_addr'),
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
});
