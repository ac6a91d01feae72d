// The virtqueue fuzz target (kernel/tests/hv/fuzz_virtq.c): libFuzzer with ASan+UBSan, hostile
// guest RAM and queue indices against virtqueue, virtio-blk and virtio-net, for 30 seconds (test/support/fuzz-time.ts),
// starting from the committed seed corpus. Then the bridge's (fuzz_bridge.c): scripted frames
// from three VMs and D0 through the guard, rate limits and live virtio-net devices, 10 seconds.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fuzzSeconds } from '../support/fuzz-time';

const HV_TESTS = path.join(__dirname, '..', '..', 'kernel', 'tests', 'hv');
const FUZZ_SECONDS = fuzzSeconds(30);
const BRIDGE_FUZZ_SECONDS = fuzzSeconds(10);

describe('virtqueue fuzzing (kernel/tests/hv/fuzz_virtq)', function () {
  this.timeout((FUZZ_SECONDS + BRIDGE_FUZZ_SECONDS + 120) * 1000);
  let out: string;

  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-hv-fuzz-'));
    execFileSync('make', ['-s', '-C', HV_TESTS, `OUT=${out}`, 'fuzz'], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('the seed corpus replays cleanly', () => {
    const seeds = fs.readdirSync(path.join(HV_TESTS, 'corpus'));
    assert.ok(seeds.length >= 5, 'seed corpus missing');
    const r = spawnSync(path.join(out, 'fuzz_virtq'), seeds.map((s) => path.join(HV_TESTS, 'corpus', s)), {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stderr.match(/^Executed .+ in \d+ ms$/gm) ?? []).length, seeds.length, r.stderr);
  });

  it(`runs ${FUZZ_SECONDS} s with no crash, leak or sanitizer report`, () => {
    const work = path.join(out, 'corpus');
    fs.mkdirSync(work);
    const r = spawnSync(
      path.join(out, 'fuzz_virtq'),
      [`-max_total_time=${FUZZ_SECONDS}`, '-rss_limit_mb=2048', '-print_final_stats=1', `-artifact_prefix=${out}/`, work, path.join(HV_TESTS, 'corpus')],
      { encoding: 'utf8', cwd: out, timeout: (FUZZ_SECONDS + 60) * 1000, killSignal: 'SIGKILL' },
    );
    const tail = r.stderr.split('\n').slice(-40).join('\n');
    assert.equal(r.status, 0, `fuzzer failed:\n${tail}`);
    const runs = /Done (\d+) runs in (\d+) second/.exec(r.stderr);
    assert.ok(runs, `no final line:\n${tail}`);
    assert.ok(Number(runs[1]) > 1000, `only ${runs[1]} runs`);
    assert.deepEqual(
      fs.readdirSync(out).filter((f) => /^(crash|leak|timeout|oom)-/.test(f)),
      [],
    );
  });

  it(`fuzz_bridge runs ${BRIDGE_FUZZ_SECONDS} s with no crash, leak or broken invariant`, () => {
    const work = path.join(out, 'bridge-corpus');
    fs.mkdirSync(work);
    const r = spawnSync(
      path.join(out, 'fuzz_bridge'),
      [`-max_total_time=${BRIDGE_FUZZ_SECONDS}`, '-print_final_stats=1', `-artifact_prefix=${out}/bridge-`, work],
      { encoding: 'utf8', cwd: out, timeout: (BRIDGE_FUZZ_SECONDS + 60) * 1000, killSignal: 'SIGKILL' },
    );
    const tail = r.stderr.split('\n').slice(-40).join('\n');
    assert.equal(r.status, 0, `fuzzer failed:\n${tail}`);
    const runs = /Done (\d+) runs in (\d+) second/.exec(r.stderr);
    assert.ok(runs && Number(runs[1]) > 1000, `too few runs:\n${tail}`);
  });
});
