// logfmt: the record format of D0's log lines (after their "D0 " marker) and of the events `d0`
// prints. The grammar, the quoting rule and the error names are those of kernel/log/logfmt.h, and
// the golden lines of test/vectors/logfmt/ are checked against this file and against the C parser
// and writer:
//
//   record = "" | pair *(" " pair)      exactly one space between pairs, none at the ends
//   pair   = key "=" value
//   key    = 1*plain
//   value  = 1*plain | '"' *qchar '"'
//   plain  = 0x21..0x7e except '=', '"', '\'
//   qchar  = 0x20..0x7e except '"', '\'  |  '\"'  |  '\\'  |  '\x' 2(0-9 a-f)
//
// Values are byte strings: here, strings whose every code unit is 0..255 (what \xHH decodes to).
// A value is written as is when every byte is plain, else quoted with '"' and '\' escaped and every
// byte outside 0x20..0x7e as \xHH, so a record is printable ASCII on one line.
import { D0Error } from './errors';

export const LOGFMT_ERROR_NAMES = [
  'BAD_KEY',
  'MISSING_EQUALS',
  'EMPTY_VALUE',
  'BAD_VALUE',
  'BAD_ESCAPE',
  'UNTERMINATED_QUOTE',
  'BAD_SEPARATOR',
] as const;
export type LogfmtErrorName = (typeof LOGFMT_ERROR_NAMES)[number];

/** A record that does not parse: which rule it breaks and the offset of the offending byte. */
export class LogfmtError extends D0Error {
  readonly reason: LogfmtErrorName;
  readonly at: number;
  constructor(reason: LogfmtErrorName, at: number, record: string) {
    super('BAD_LOGFMT', `logfmt: ${reason} at offset ${at}: ${JSON.stringify(record)}`);
    this.name = 'LogfmtError';
    this.reason = reason;
    this.at = at;
  }
}

/** One key=value pair of a record, value decoded. */
export type LogfmtPair = readonly [key: string, value: string];

function isPlain(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x3d /* = */ && c !== 0x22 /* " */ && c !== 0x5c; /* \ */
}

function isQuotedLiteral(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Parses a record (no line terminator) into its pairs, in order; throws LogfmtError. */
export function parseLogfmt(record: string): LogfmtPair[] {
  const s = record;
  const n = s.length;
  const fail = (reason: LogfmtErrorName, at: number): never => {
    throw new LogfmtError(reason, at, record);
  };
  const pairs: LogfmtPair[] = [];
  let i = 0;
  while (i < n) {
    if (s[i] === ' ') fail('BAD_SEPARATOR', i);
    const keyStart = i;
    while (i < n && isPlain(s.charCodeAt(i))) i++;
    if (i === keyStart) fail('BAD_KEY', i);
    if (i === n || s[i] === ' ') fail('MISSING_EQUALS', i);
    if (s[i] !== '=') fail('BAD_KEY', i);
    const key = s.slice(keyStart, i);
    i++;
    if (i === n || s[i] === ' ') fail('EMPTY_VALUE', i);
    let value = '';
    if (s[i] === '"') {
      const open = i;
      i++;
      for (;;) {
        if (i >= n) fail('UNTERMINATED_QUOTE', open);
        const c = s.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c) {
          const e = s[i + 1];
          if (e === '"' || e === '\\') {
            value += e;
            i += 2;
            continue;
          }
          const hi = e === 'x' ? hexDigit(s.charCodeAt(i + 2)) : -1;
          const lo = hi >= 0 ? hexDigit(s.charCodeAt(i + 3)) : -1;
          if (lo < 0) fail('BAD_ESCAPE', i);
          value += String.fromCharCode((hi << 4) | lo);
          i += 4;
          continue;
        }
        if (!isQuotedLiteral(c)) fail('BAD_VALUE', i);
        value += s[i];
        i++;
      }
      i++;
      if (i < n && s[i] !== ' ') fail('BAD_SEPARATOR', i);
    } else {
      const start = i;
      while (i < n && isPlain(s.charCodeAt(i))) i++;
      if (i === start || (i < n && s[i] !== ' ')) fail('BAD_VALUE', i);
      value = s.slice(start, i);
    }
    pairs.push([key, value]);
    if (i < n) {
      if (i + 1 === n) fail('BAD_SEPARATOR', i);
      i++;
    }
  }
  return pairs;
}

/** A value as the writer puts it: as is when every byte is plain, else quoted and escaped. */
export function formatLogfmtValue(value: string): string {
  let plain = value.length > 0;
  for (let i = 0; i < value.length && plain; i++) plain = isPlain(value.charCodeAt(i));
  if (plain) return value;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff)
      throw new D0Error(
        'BAD_LOGFMT',
        `logfmt: a value is a byte string; ${JSON.stringify(value)} has U+${c.toString(16).padStart(4, '0')} at ${i}`,
      );
    if (isQuotedLiteral(c)) out += value[i];
    else if (c === 0x22 || c === 0x5c) out += '\\' + value[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** A record from pairs (an object's entries keep their order); keys must be plain. */
export function formatLogfmt(
  pairs: Iterable<LogfmtPair> | Readonly<Record<string, string | number>>,
): string {
  const list: Iterable<readonly [string, string | number]> =
    Symbol.iterator in pairs ? (pairs as Iterable<LogfmtPair>) : Object.entries(pairs);
  const out: string[] = [];
  for (const [key, value] of list) {
    if (key.length === 0 || [...key].some((ch) => !isPlain(ch.charCodeAt(0))))
      throw new D0Error(
        'BAD_LOGFMT',
        `logfmt: key ${JSON.stringify(key)} is empty or holds a space, '=', '"', '\\' or a non-printable byte`,
      );
    out.push(`${key}=${formatLogfmtValue(String(value))}`);
  }
  return out.join(' ');
}

/** A parsed value read as UTF-8 text (a guest's console line, say). */
export function logfmtText(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}
