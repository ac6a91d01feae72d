// The closing lines of a run of several mocha processes (scripts/test-results.ts) and the
// reporter's side of it (test/support/reporter.js with D0_TEST_RESULT_FILE), run for real on a
// one-file suite.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closingText, readPartResult, type FinishedPart } from '../../scripts/test-results';

const ROOT = path.resolve(__dirname, '..', '..');

const finished = (
  name: string,
  result: FinishedPart['result'],
  exitCode: number | null = 0,
): FinishedPart => ({
  name,
  exitCode,
  wallMs: 61_400,
  result,
});

describe('scripts/test-results.ts: one summary for several mocha processes', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-test-results-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sums the counts into ONE tests line, the last, and merges the slowest files of all processes', () => {
    const { text, failed } = closingText([
      finished('engine', {
        passes: 10,
        failures: 0,
        pending: 1,
        files: [
          ['test/a.test.ts', 5000],
          ['test/b.test.ts', 90_000],
        ],
        failed: [],
      }),
      finished('emulators', {
        passes: 7,
        failures: 0,
        pending: 2,
        files: [['test/c.test.ts', 30_000]],
        failed: [],
      }),
    ]);
    assert.equal(failed, false);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'tests: 17 passed, 0 failed, 3 skipped');
    assert.equal(lines.filter((l) => l.startsWith('tests:')).length, 1);
    const rows = lines.filter((l) => /^\s+\d+ s {2}test\//.test(l)).map((l) => l.trim());
    assert.deepEqual(rows, ['90 s  test/b.test.ts', '30 s  test/c.test.ts', '5 s  test/a.test.ts']);
    assert.ok(
      lines.includes(
        'part engine: 10 passed, 0 failed, 1 skipped, 2 files, wall 1 min 1 s, exit 0',
      ),
      text,
    );
  });

  it('fails the run when one process failed, and counts a process without result as one failure', () => {
    const one = closingText([
      finished('engine', { passes: 3, failures: 2, pending: 0, files: [], failed: [] }, 2),
      finished('emulators', { passes: 4, failures: 0, pending: 0, files: [], failed: [] }),
    ]);
    assert.equal(one.failed, true);
    assert.match(one.text, /tests: 7 passed, 2 failed, 0 skipped\n$/);

    const crashed = closingText([
      finished('engine', { passes: 3, failures: 0, pending: 0, files: [], failed: [] }),
      finished('emulators', undefined, null),
    ]);
    assert.equal(crashed.failed, true);
    assert.match(
      crashed.text,
      /part emulators: no result \(mocha killed by a signal; see its output above\)/,
    );
    assert.match(crashed.text, /tests: 3 passed, 1 failed, 0 skipped\n$/);

    const exitOnly = closingText([
      finished('engine', { passes: 3, failures: 0, pending: 0, files: [], failed: [] }, 1),
    ]);
    assert.equal(exitOnly.failed, true);
    assert.match(exitOnly.text, /exit 1 \(no test failed: counted as one failure\)/);
    assert.match(exitOnly.text, /tests: 3 passed, 1 failed, 0 skipped\n$/);
  });

  it('names each failed test with its file and first error line after the slowest files', () => {
    const failedTest = {
      title: 'e2e: rate limits drops what exceeds an rx_limit',
      file: 'test/e2e/net-rate.test.ts',
      message: 'AssertionError: sinkrx drop_rate 1002, excess 1170',
    };
    const { text, failed } = closingText([
      finished(
        'engine',
        {
          passes: 3,
          failures: 1,
          pending: 0,
          files: [['test/e2e/net-rate.test.ts', 150_000]],
          failed: [failedTest],
        },
        1,
      ),
      finished('emulators', { passes: 4, failures: 0, pending: 0, files: [], failed: [] }),
    ]);
    assert.equal(failed, true);
    const lines = text.trimEnd().split('\n');
    const at = lines.indexOf('failed tests:');
    assert.ok(at > lines.findIndex((l) => l.includes('150 s  test/e2e/net-rate')), text);
    assert.deepEqual(lines.slice(at + 1, at + 3), [
      '  engine: e2e: rate limits drops what exceeds an rx_limit (test/e2e/net-rate.test.ts)',
      '      AssertionError: sinkrx drop_rate 1002, excess 1170',
    ]);
    assert.equal(lines.at(-1), 'tests: 7 passed, 1 failed, 0 skipped');
    const clean = closingText([
      finished('engine', { passes: 3, failures: 0, pending: 0, files: [], failed: [] }),
    ]);
    assert.doesNotMatch(clean.text, /failed tests:/);
  });

  it("shows each file's CPU beside its wall time, and each process's CPU when every file has it", () => {
    const { text } = closingText([
      finished('engine', {
        passes: 2,
        failures: 0,
        pending: 0,
        files: [
          ['test/a.test.ts', 5000, 9000],
          ['test/b.test.ts', 90_000, 31_000],
        ],
        failed: [],
      }),
      finished('emulators', {
        passes: 1,
        failures: 0,
        pending: 0,
        files: [['test/c.test.ts', 30_000]],
        failed: [],
      }),
    ]);
    const lines = text.trimEnd().split('\n');
    const rows = lines
      .filter((l) => /test\//.test(l) && !l.startsWith('part'))
      .map((l) => l.trim());
    assert.deepEqual(rows, [
      '90 s     31 s cpu  test/b.test.ts',
      '30 s      ? s cpu  test/c.test.ts',
      '5 s      9 s cpu  test/a.test.ts',
    ]);
    assert.ok(
      lines.includes(
        'part engine: 2 passed, 0 failed, 0 skipped, 2 files, wall 1 min 1 s, cpu 40 s, exit 0',
      ),
      text,
    );
    assert.ok(
      lines.includes(
        'part emulators: 1 passed, 0 failed, 0 skipped, 1 file, wall 1 min 1 s, exit 0',
      ),
      text,
    );
  });

  it('reads a result file only when it has the shape the reporter writes', () => {
    const file = path.join(dir, 'r.json');
    const write = (v: unknown) =>
      fs.writeFileSync(file, typeof v === 'string' ? v : JSON.stringify(v));
    write({ passes: 1, failures: 0, pending: 0, files: [['test/x.test.ts', 12]] });
    assert.deepEqual(readPartResult(file), {
      passes: 1,
      failures: 0,
      pending: 0,
      files: [['test/x.test.ts', 12]],
      failed: [],
    });
    for (const bad of [
      '{"passes":1',
      { passes: -1, failures: 0, pending: 0, files: [], failed: [] },
      { passes: 1, failures: 0, pending: 0 },
      { passes: 1, failures: 0, pending: 0, files: [['x']] },
      { passes: 1, failures: 0, pending: 0, files: [['x', 1, 'fast']] },
      { passes: 1, failures: 0, pending: 0, files: [['x', 1, 2, 3]] },
      { passes: 1, failures: 1, pending: 0, files: [], failed: 'x' },
      { passes: 1, failures: 1, pending: 0, files: [], failed: [{ title: 't', file: 'f' }] },
      null,
    ]) {
      write(bad);
      assert.equal(readPartResult(file), undefined, JSON.stringify(bad));
    }
    assert.equal(readPartResult(path.join(dir, 'missing.json')), undefined);
    write({ passes: 1, failures: 0, pending: 0, files: [['test/x.test.ts', 12, 7]], failed: [] });
    assert.deepEqual(readPartResult(file)?.files, [['test/x.test.ts', 12, 7]]);
  });

  it('the reporter writes its counts and per-file times for scripts/test, and ends with its part line', function () {
    this.timeout(60_000);
    const spec = path.join(dir, 'tiny.test.js');
    fs.writeFileSync(
      spec,
      "describe('tiny', () => { it('passes', () => {}); it('fails', () => { throw new Error('no'); }); it.skip('skipped', () => {}); });\n",
    );
    const resultFile = path.join(dir, 'tiny.json');
    const mocha = require.resolve('mocha/bin/mocha.js', { paths: [ROOT] });
    const env = { ...process.env, D0_TEST_PART: 'tiny', D0_TEST_RESULT_FILE: resultFile };
    const r = spawnSync(process.execPath, [mocha, spec], { cwd: ROOT, env, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /\npart tiny: 1 passed, 1 failed, 1 skipped\n$/);
    assert.doesNotMatch(r.stdout, /^tests:/m);
    const got = readPartResult(resultFile);
    assert.ok(got, 'no readable result file');
    // Wall and CPU milliseconds, both counted (this file's CPU: mocha's own, at least 0).
    assert.ok(
      got.files.every((f) => f.length === 3 && f[1] >= 0 && f[2]! >= 0),
      JSON.stringify(got.files),
    );
    assert.deepEqual(
      { ...got, files: got.files.map(([f]) => f) },
      {
        passes: 1,
        failures: 1,
        pending: 1,
        files: [path.relative(ROOT, spec)],
        failed: [{ title: 'tiny fails', file: path.relative(ROOT, spec), message: 'Error: no' }],
      },
    );

    const plain = spawnSync(process.execPath, [mocha, spec], {
      cwd: ROOT,
      env: { ...process.env, D0_TEST_RESULT_FILE: '' },
      encoding: 'utf8',
    });
    assert.match(plain.stdout, /\ntests: 1 passed, 1 failed, 1 skipped\n$/);
  });
});
