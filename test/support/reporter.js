// Mocha's spec reporter plus, at the end, the time spent per test file (slowest first: where CI's
// minutes go, see docs/ci.md) and one closing line "tests: N passed, N failed, N skipped", the
// plain summary format that CI reads whatever runner produced it (both from ./run-summary.js).
//
// Under scripts/test, which runs two mocha processes side by side, D0_TEST_RESULT_FILE names a file
// that receives this process's counts and per-file times as JSON ({ passes, failures, pending,
// files: [[file, ms, cpuMs], ...], failed: [{ title, file, message }, ...] }: each failed test's full
// title, file and first error line, which scripts/test repeats at the very end, where a log cut to
// its tail still shows them); the process then ends with "part NAME: ..." (NAME from
// D0_TEST_PART) instead of the table and the tests line, which scripts/test prints once for all
// processes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');
const { slowestTable, testsLine } = require('./run-summary');
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_FAIL } =
  Mocha.Runner.constants;

/** At most this many characters of a failed test's first error line go into the result file. */
const MESSAGE_CHARS = 400;

/**
 * CPU milliseconds used so far by this process and by the children it has waited for (their own
 * waited-for children included: QEMU, a Pulumi engine and its language host), from
 * /proc/self/stat (utime, stime, cutime, cstime in clock ticks of 10 ms); undefined without
 * /proc. A file's wall time is stretched by whatever runs beside it; its CPU is not. Not counted:
 * detached processes (dockerd, the prebuild's builds) and Bochs, which runs under `script` and is
 * ended with its process group, so nobody waits for it.
 */
function cpuMsNow() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) * 10;
  } catch {
    return undefined;
  }
}

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Wall and CPU time per file, hooks included: from its first root-level suite's start to its
    // last's end.
    const perFile = new Map();
    const started = new Map();
    runner.on(EVENT_SUITE_BEGIN, (s) => {
      if (s.file && s.parent && s.parent.root) started.set(s, { ms: Date.now(), cpu: cpuMsNow() });
    });
    runner.on(EVENT_SUITE_END, (s) => {
      const t = started.get(s);
      if (t === undefined) return;
      const f = path.relative(process.cwd(), s.file);
      const [ms, cpu] = perFile.get(f) ?? [0, 0];
      const now = cpuMsNow();
      const used = now === undefined || t.cpu === undefined ? undefined : now - t.cpu;
      perFile.set(f, [
        ms + (Date.now() - t.ms),
        used === undefined || cpu === undefined ? undefined : cpu + used,
      ]);
    });
    const rows = () =>
      [...perFile].map(([f, [ms, cpu]]) => (cpu === undefined ? [f, ms] : [f, ms, cpu]));
    const failed = [];
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const first = String(err instanceof Error ? `${err.name}: ${err.message}` : err).split(
        '\n',
      )[0];
      failed.push({
        title: test.fullTitle(),
        file: test.file ? path.relative(process.cwd(), test.file) : '',
        message: first.length > MESSAGE_CHARS ? `${first.slice(0, MESSAGE_CHARS)}...` : first,
      });
    });
    runner.once(EVENT_RUN_END, () => {
      const counts = {
        passes: this.stats.passes,
        failures: this.stats.failures,
        pending: this.stats.pending,
      };
      const resultFile = process.env.D0_TEST_RESULT_FILE;
      if (resultFile) {
        fs.writeFileSync(resultFile, JSON.stringify({ ...counts, files: rows(), failed }) + '\n');
        const line = testsLine(counts).replace(
          /^tests:/,
          `part ${process.env.D0_TEST_PART ?? '?'}:`,
        );
        process.stdout.write(`\n${line}\n`);
        return;
      }
      process.stdout.write(slowestTable(rows()));
      process.stdout.write(`\n${testsLine(counts)}\n`);
    });
  }
}
module.exports = SpecWithSummary;
