// Reading a collector's file of reports from a byte offset on, in bounded memory: the file is
// read in chunks of CHUNK_BYTES up to the size it had when the read began (a file that keeps
// growing is read on at the next call), and a line is held only up to REPORT_LINE_MAX bytes (a
// longer one is skipped whole, however long). Only complete lines are read: the offset returned
// is just past the last newline, so a line the collector is still writing is read whole next
// time. A file shorter than the offset was truncated or replaced (rotated), and one whose inode
// is not the one the caller saw last was replaced: both are read again from 0. A missing file is
// an empty one (a collector creates it at its first message).
import fs from 'node:fs';
import { parseReportLine, REPORT_APP, REPORT_LINE_MAX, type Report } from './report-line';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export interface ScanFrom {
  /** Where the read starts, a byte offset (default 0). */
  readonly offset?: number;
  /** The file's inode when the offset was taken; another one means the file was replaced. */
  readonly ino?: number;
}

export interface ScanResult {
  /** Just past the last complete line read: where the next read starts. */
  readonly offset: number;
  /** The file's inode (undefined while it is missing). */
  readonly ino?: number;
  /** The file was shorter than the offset, or replaced: it was read from 0. */
  readonly restarted: boolean;
  /** Complete lines that held no report of app d0 (garbage, another app, too long). */
  readonly skipped: number;
}

/** The end of the file now (0 when it is missing): reports from here on are newer than now. */
export function reportsEnd(file: string): { offset: number; ino?: number } {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? { offset: st.size, ino: st.ino } : { offset: 0 };
}

/** Hands each D0 report of the file's complete lines from `from` on to onReport, in order. */
export function scanReports(
  file: string,
  from: ScanFrom,
  onReport: (report: Report) => void,
): ScanResult {
  const requested = from.offset ?? 0;
  if (!Number.isSafeInteger(requested) || requested < 0)
    throw new RangeError(`${file}: offset ${requested} is not a byte offset`);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { offset: 0, restarted: requested > 0, skipped: 0 };
  }
  try {
    const st = fs.fstatSync(fd);
    const replaced = from.ino !== undefined && st.ino !== from.ino;
    const restarted = replaced || st.size < requested;
    const start = restarted ? 0 : requested;
    let skipped = 0;
    let line: Buffer[] = [];
    let lineBytes = 0;
    let overlong = false;
    let lineStart = start;
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (let pos = start; pos < st.size;) {
      const n = fs.readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, st.size - pos), pos);
      if (n === 0) break;
      let at = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0 && nl < n; nl = chunk.indexOf(NEWLINE, at)) {
        const part = chunk.subarray(at, nl);
        if (!overlong && lineBytes + part.length <= REPORT_LINE_MAX) {
          const text = Buffer.concat([...line, part]).toString('latin1');
          const report = parseReportLine(text);
          if (report && report.app === REPORT_APP) onReport(report);
          else skipped++;
        } else skipped++;
        line = [];
        lineBytes = 0;
        overlong = false;
        at = nl + 1;
        lineStart = pos + at;
      }
      const rest = chunk.subarray(at, n);
      if (!overlong && lineBytes + rest.length <= REPORT_LINE_MAX) {
        line.push(Buffer.from(rest));
        lineBytes += rest.length;
      } else {
        overlong = true;
        line = [];
        lineBytes = 0;
      }
      pos += n;
    }
    return { offset: lineStart, ino: st.ino, restarted, skipped };
  } finally {
    fs.closeSync(fd);
  }
}
