// Mocha's spec reporter plus, at the end, the time spent per test file (slowest first: where CI's
// minutes go, see docs/ci.md) and one closing line "tests: N passed, N failed, N skipped", the
// plain summary format that CI reads whatever runner produced it.
'use strict';
const path = require('node:path');
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

const SLOWEST_SHOWN = 25;

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
    runner.once(EVENT_RUN_END, () => {
      const s = this.stats;
      const rows = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
      if (rows.length > 1) {
        process.stdout.write(`\nslowest files (wall time, hooks included):\n`);
        for (const [f, ms] of rows) process.stdout.write(`  ${(ms / 1000).toFixed(0).padStart(5)} s  ${f}\n`);
      }
      process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}
module.exports = SpecWithSummary;
