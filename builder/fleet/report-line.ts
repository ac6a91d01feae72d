// One line of a syslog collector's file read as a D0 report (docs/fleet.md, "Reports"). A host
// sends each reported event as an RFC 5424 message, `<PRI>1 - HOST d0 - EVENT - MSG`; a collector
// such as rsyslog with RSYSLOG_SyslogProtocol23Format writes it with its receive time:
//
//   <133>1 2026-12-05T02:23:25.892049+00:00 52-54-00-12-34-56 d0 - commit - seq=2 ev=commit boot=...
//
// The file is untrusted text (anyone who reaches the collector can send a datagram), so a line is a
// report only when all of it parses, and otherwise it is skipped, never half-read:
// - at most REPORT_LINE_MAX bytes, printable ASCII (a trailing CR is dropped);
// - PRI 0..191, VERSION 1, a TIMESTAMP that is '-' or RFC 3339, HOSTNAME a host identity
//   (builder/publish/host-id.ts: the id of its pointer), APP-NAME, PROCID, MSGID tokens within
//   RFC 5424's lengths, no STRUCTURED-DATA ('-': D0 sends none);
// - MSG one logfmt record (core/logfmt.ts) whose `ev` is the MSGID (up to the MSGID's 32
//   characters), with `seq` before it or not, and no key twice (a forged `boot=A boot=B` is not
//   read either way).
// Pure.
import { parseLogfmt, type LogfmtPair } from '../../core/logfmt';
import { hostIdProblem } from '../publish/host-id';

/** One event a host reported. */
export interface Report {
  /** When the collector received it (RFC 3339), when the line has a timestamp. */
  readonly time?: string;
  /** The host's id: its NIC's MAC, lowercase, dashes (the name of its pointer). */
  readonly host: string;
  /** The sender's APP-NAME: `d0`. */
  readonly app: string;
  /** The event's name (`commit`, `rollback`, ...). */
  readonly event: string;
  /** Every pair of the record but `ev` (seq and the trailing uuid included), values decoded. */
  readonly fields: Readonly<Record<string, string>>;
  /** The line as the collector wrote it. */
  readonly raw: string;
}

/** The longest line read, in bytes; D0's messages are at most ~1.1 kB. */
export const REPORT_LINE_MAX = 4096;
/** The APP-NAME D0 sends. */
export const REPORT_APP = 'd0';

const HEADER = /^<([0-9]{1,3})>1 (\S{1,64}) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) - (.*)$/;
const RFC3339 =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
const MSGID_MAX = 32;
const PRI_MAX = 191;

/** The report on one line of a collector's file (no newline), or undefined when it holds none. */
export function parseReportLine(line: string): Report | undefined {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.length > REPORT_LINE_MAX || !PRINTABLE.test(text)) return undefined;
  const m = HEADER.exec(text);
  if (!m) return undefined;
  const [, pri, timestamp, host, app, , msgid, msg] = m;
  if (Number(pri) > PRI_MAX || (pri.length > 1 && pri.startsWith('0'))) return undefined;
  if (timestamp !== '-' && !RFC3339.test(timestamp)) return undefined;
  if (hostIdProblem(host) !== undefined) return undefined;
  let pairs: LogfmtPair[];
  try {
    pairs = parseLogfmt(msg);
  } catch {
    return undefined;
  }
  const evAt = pairs[0]?.[0] === 'seq' ? 1 : 0;
  const ev = pairs[evAt];
  if (ev?.[0] !== 'ev' || ev[1].slice(0, MSGID_MAX) !== msgid) return undefined;
  if (evAt === 1 && !/^[0-9]{1,20}$/.test(pairs[0][1])) return undefined;
  const keys = new Set(pairs.map(([k]) => k));
  if (keys.size !== pairs.length) return undefined;
  return {
    ...(timestamp !== '-' ? { time: timestamp } : {}),
    host,
    app,
    event: ev[1],
    // fromEntries defines each key as an own property: a key "__proto__" stays a plain field.
    fields: Object.fromEntries(pairs.filter((_, i) => i !== evAt)),
    raw: text,
  };
}
