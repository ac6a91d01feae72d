// Types of ./run-summary.js for the TypeScript callers (scripts/test-parallel.ts).
export interface RunCounts {
  passes: number;
  failures: number;
  pending: number;
}
export const SLOWEST_SHOWN: number;
/** A test file's wall time in ms and, when known, its CPU time in ms. */
export type FileTime = readonly [string, number] | readonly [string, number, number];
export function slowestTable(rows: ReadonlyArray<FileTime>, title?: string): string;
export function testsLine(counts: RunCounts): string;
