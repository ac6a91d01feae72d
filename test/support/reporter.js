// Mocha's spec reporter plus, at the end, the time spent per test file (slowest first: where CI's
// minutes go, see docs/ci.md) and one closing line "tests: N passed, N failed, N skipped", the
// plain summary format that CI reads whatever runner produced it (both from ./run-summary.js).
//
// Under scripts/test, which runs two mocha processes side by side, D0_TEST_RESULT_FILE names a file
// that receives this process's counts and per-file times as JSON ({ passes, failures, pending,
// files: [[file, ms], ...], failed: [{ title, file, message }, ...] }: each failed test's full
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

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Wall time per file, hooks included: from its first root-level suite's start to its last's end.
    const perFile = new Map();
    const started = new Map();
    runner.on(EVENT_SUITE_BEGIN, (s) => {
      if (s.file && s.parent && s.parent.root) started.set(s, Date.now());
    });
    runner.on(EVENT_SUITE_END, (s) => {
      const t = started.get(s);
      if (t === undefined) return;
      const f = path.relative(process.cwd(), s.file);
      perFile.set(f, (perFile.get(f) ?? 0) + (Date.now() - t));
    });
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
        fs.writeFileSync(
          resultFile,
          JSON.stringify({ ...counts, files: [...perFile], failed }) + '\n',
        );
        const line = testsLine(counts).replace(
          /^tests:/,
          `part ${process.env.D0_TEST_PART ?? '?'}:`,
        );
        process.stdout.write(`\n${line}\n`);
        return;
      }
      process.stdout.write(slowestTable([...perFile]));
      process.stdout.write(`\n${testsLine(counts)}\n`);
    });
  }
}
module.exports = SpecWithSummary;
