// Progress of a long `make` whose output goes to a log file (kbuild's quiet lines, `  CC  x.o`):
// every few seconds, how many objects are compiled so far, and a percent against the count a
// build of the same configuration is expected to reach. A fresh machine's guest kernel build takes
// 10-20 minutes; this is what keeps it from being one silent line.
import * as fs from 'node:fs';

/** kbuild's quiet line for one compiled or assembled object. */
const OBJECT_LINE = /^\s+(?:CC|AS)\s+\S/;

/** Counts compile lines in `text` (whole lines only). */
export function countCompiled(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (OBJECT_LINE.test(line)) n++;
  return n;
}

export interface CompileProgress {
  /** Objects seen so far. */
  count(): number;
  /** Stops the timer after one last read. */
  stop(): number;
}

/**
 * Reads `logFile` from its current end every `everyMs` and reports `what: N of ~expected objects
 * compiled (P %), M:SS` through `log`. The percent stops at 99 until the caller stops the watch:
 * the expected count is an estimate, not a promise.
 */
export function watchCompileLog(o: {
  logFile: string;
  what: string;
  expected: number;
  log: (line: string) => void;
  everyMs?: number;
}): CompileProgress {
  const started = Date.now();
  let offset = fileSize(o.logFile);
  let partial = '';
  let seen = 0;
  const read = () => {
    const size = fileSize(o.logFile);
    if (size <= offset) return;
    const fd = fs.openSync(o.logFile, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const text = partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      seen += countCompiled(text.slice(0, cut));
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(() => {
    read();
    const pct = Math.min(99, Math.floor((100 * seen) / Math.max(1, o.expected)));
    o.log(`${o.what}: ${seen} of ~${o.expected} objects compiled (${pct} %), ${clock(Date.now() - started)}`);
  }, o.everyMs ?? 5000);
  timer.unref();
  return {
    count: () => seen,
    stop: () => {
      clearInterval(timer);
      read();
      return seen;
    },
  };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
