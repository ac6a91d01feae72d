// D0's log lines as they reach a reader: "D0 " and one logfmt record (kernel/log/log.h), usually
// "D0 seq=<n> ev=<name> ...", but the stack guard's last word has no seq ("D0 ev=stack_smash").
// On a serial console the line may follow firmware output (ANSI escapes) on the same line, so the
// line is read from the first "D0 seq=" or "D0 ev=" on.
import { formatLogfmt, parseLogfmt, type LogfmtPair } from './logfmt';

export interface D0LogLine {
  /** Absent only on the stack guard's line. */
  readonly seq?: number;
  readonly ev: string;
  /** Every pair after seq and ev, values decoded; a repeated key keeps its last value. */
  readonly fields: Readonly<Record<string, string>>;
  /** Every pair in line order, seq and ev included. */
  readonly pairs: readonly LogfmtPair[];
  /** The line from its "D0 " on, as written (no CR). */
  readonly raw: string;
}

const MARK = /D0 (?:seq=\d+ )?ev=/;

/** The D0 event on a line of output, or undefined when it holds none or a malformed one. */
export function parseD0LogLine(line: string): D0LogLine | undefined {
  const m = MARK.exec(line);
  if (!m) return undefined;
  const raw = line.slice(m.index).replace(/\r/g, '');
  let pairs: LogfmtPair[];
  try {
    pairs = parseLogfmt(raw.slice(3));
  } catch {
    return undefined;
  }
  const hasSeq = pairs[0]?.[0] === 'seq';
  const evAt = hasSeq ? 1 : 0;
  if (pairs[evAt]?.[0] !== 'ev') return undefined;
  const fields: Record<string, string> = {};
  for (const [k, v] of pairs.slice(evAt + 1)) fields[k] = v;
  return {
    ...(hasSeq ? { seq: Number(pairs[0][1]) } : {}),
    ev: pairs[evAt][1],
    fields,
    pairs,
    raw,
  };
}

/** The event without its "D0 seq=N" prefix (ev=... and its fields), for a message to the user. */
export function describeD0Event(e: D0LogLine): string {
  return formatLogfmt(e.pairs.filter(([k], i) => !(i === 0 && k === 'seq')));
}
