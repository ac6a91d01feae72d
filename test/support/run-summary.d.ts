// Types of ./run-summary.js for the TypeScript callers (scripts/test-parallel.ts).
export interface RunCounts {
  passes: number;
  failures: number;
  pending: number;
}
export const SLOWEST_SHOWN: number;
export function slowestTable(rows: ReadonlyArray<readonly [string, number]>, title?: string): string;
export function testsLine(counts: RunCounts): string;
