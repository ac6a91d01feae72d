// The closing lines of a test run, one home for their format: the slowest files table (where
// CI's minutes go, docs/ci.md) and "tests: N passed, N failed, N skipped", the plain summary line
// CI reads. Used by the mocha reporter (./reporter.js) for one process and by scripts/test-parallel.ts
// for the processes it runs side by side.
'use strict';

const SLOWEST_SHOWN = 25;

const seconds = (ms) => `${(ms / 1000).toFixed(0).padStart(5)} s`;

/**
 * rows: [file, ms] or [file, ms, cpuMs] in any order; the SLOWEST_SHOWN slowest as text, or '' for
 * one file or none. With CPU times, each row shows the file's CPU (its process's and its waited-for
 * children's) after its wall time.
 */
function slowestTable(rows, title = 'slowest files (wall time, hooks included):') {
  const shown = [...rows].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
  if (shown.length <= 1) return '';
  const withCpu = shown.some((r) => r[2] !== undefined);
  const lines = shown.map(([f, ms, cpu]) =>
    withCpu
      ? `  ${seconds(ms)}  ${cpu === undefined ? '    ? s' : seconds(cpu)} cpu  ${f}\n`
      : `  ${seconds(ms)}  ${f}\n`,
  );
  return `\n${title}\n${lines.join('')}`;
}

/** counts: { passes, failures, pending }. */
function testsLine(counts) {
  return `tests: ${counts.passes} passed, ${counts.failures} failed, ${counts.pending} skipped`;
}

module.exports = { SLOWEST_SHOWN, slowestTable, testsLine };
