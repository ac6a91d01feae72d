// The closing lines of a run of several mocha processes (scripts/test-parallel.ts): each process's
// reporter leaves its counts and per-file times in a JSON file (test/support/reporter.js); these
// are summed into one slowest-files table and ONE "tests: N passed, N failed, N skipped" line,
// the line CI reads. A process that left no result (it crashed, or mocha refused a file before
// running anything) or that exited non-zero with no failed test counts as one failed test, so the
// line never reads 0 failed for a broken run. Failed tests are named there too, each with the first
// line of its error: CI may keep only the tail of the output.
import fs from 'node:fs';
import {
  slowestTable,
  testsLine,
  type FileTime,
  type RunCounts,
} from '../test/support/run-summary';

/** A failed test as the reporter recorded it: full title, file, first line of its error. */
export interface FailedTest {
  title: string;
  file: string;
  message: string;
}

export interface PartResult extends RunCounts {
  /** Per file: wall ms, and CPU ms when the reporter could read it (older files have none). */
  files: FileTime[];
  failed: FailedTest[];
}

export interface FinishedPart {
  name: string;
  /** The mocha process's exit code (null: killed by a signal). */
  exitCode: number | null;
  wallMs: number;
  /** undefined when the process wrote no readable result. */
  result?: PartResult;
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** The result file a reporter wrote, or undefined when missing or not of the expected shape. */
export function readPartResult(file: string): PartResult | undefined {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (!isCount(r.passes) || !isCount(r.failures) || !isCount(r.pending) || !Array.isArray(r.files))
    return undefined;
  const files = r.files as unknown[];
  const wellFormed = files.every(
    (e) =>
      Array.isArray(e) &&
      (e.length === 2 || (e.length === 3 && typeof e[2] === 'number')) &&
      typeof e[0] === 'string' &&
      typeof e[1] === 'number',
  );
  if (!wellFormed) return undefined;
  // Older result files have no `failed`; one that has it must be a list of { title, file, message }.
  const failed = r.failed ?? [];
  const isFailedTest = (e: unknown) =>
    typeof e === 'object' &&
    e !== null &&
    ['title', 'file', 'message'].every(
      (k) => typeof (e as Record<string, unknown>)[k] === 'string',
    );
  if (!Array.isArray(failed) || !failed.every(isFailedTest)) return undefined;
  return {
    passes: r.passes,
    failures: r.failures,
    pending: r.pending,
    files: files as FileTime[],
    failed: failed as FailedTest[],
  };
}

export function formatWall(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The text that ends the run (its last line is the tests line) and whether the run failed. */
export function closingText(parts: readonly FinishedPart[]): { text: string; failed: boolean } {
  const total: RunCounts = { passes: 0, failures: 0, pending: 0 };
  const rows: FileTime[] = [];
  const lines: string[] = [];
  const failedTests: string[] = [];
  let failed = false;
  for (const p of parts) {
    const exit = p.exitCode === null ? 'killed by a signal' : `exit ${p.exitCode}`;
    if (!p.result) {
      total.failures += 1;
      failed = true;
      lines.push(
        `part ${p.name}: no result (mocha ${exit}; see its output above), wall ${formatWall(p.wallMs)}`,
      );
      continue;
    }
    total.passes += p.result.passes;
    total.failures += p.result.failures;
    total.pending += p.result.pending;
    rows.push(...p.result.files);
    for (const t of p.result.failed)
      failedTests.push(`  ${p.name}: ${t.title} (${t.file})\n      ${t.message}`);
    let note = '';
    if (p.exitCode !== 0 && p.result.failures === 0) {
      total.failures += 1;
      note = ' (no test failed: counted as one failure)';
    }
    if (p.result.failures > 0 || p.exitCode !== 0) failed = true;
    const counts = testsLine(p.result).replace(/^tests: /, '');
    const n = p.result.files.length;
    const files = `${n} file${n === 1 ? '' : 's'}`;
    const cpus = p.result.files.map((f) => f[2]);
    const cpu =
      n > 0 && cpus.every((c) => c !== undefined)
        ? `, cpu ${formatWall(cpus.reduce((a, b) => a + b, 0))}`
        : '';
    lines.push(
      `part ${p.name}: ${counts}, ${files}, wall ${formatWall(p.wallMs)}${cpu}, ${exit}${note}`,
    );
  }
  const table = slowestTable(
    rows,
    `slowest files (wall time, hooks included; all ${parts.length} processes):`,
  );
  const failures = failedTests.length ? `\nfailed tests:\n${failedTests.join('\n')}\n` : '';
  return { text: `${table}${failures}\n${lines.join('\n')}\n${testsLine(total)}\n`, failed };
}
