// Parses D0's structured boot log (format: kernel/log/log.h): "D0 " and one logfmt record,
//   D0 seq=<n> ev=<name> key=value key="quoted value" ... [ms=<n>] [uuid=<build uuid>]
// through core/d0-log.ts (core/logfmt.ts, the parser the golden lines of test/vectors/logfmt/ pin
// down). Serial output also carries the firmware's console (with ANSI escapes), so an event is
// found where the first "D0 seq=" on a line starts, and anything else is ignored.
import { parseD0LogLine } from '../../core/d0-log';
import type { LogfmtPair } from '../../core/logfmt';

export interface D0Event {
  seq: number;
  ev: string;
  /** Every key=value after ev, values decoded (uuid included when present). */
  fields: Record<string, string>;
  /** The same pairs in line order, seq and ev included. */
  pairs: readonly LogfmtPair[];
  /** The line from "D0 seq=" on, as written. */
  raw: string;
}

/** The event on a line, or undefined for a line that holds none, a malformed one or no seq. */
export function parseEventLine(line: string): D0Event | undefined {
  const e = parseD0LogLine(line);
  if (e?.seq === undefined) return undefined;
  return { seq: e.seq, ev: e.ev, fields: { ...e.fields }, pairs: e.pairs, raw: e.raw };
}

/** Every event in a block of output (a `d0 run` transcript, a serial log), in order. */
export function eventsOf(text: string): D0Event[] {
  return text.split('\n').flatMap((line) => {
    const e = parseEventLine(line);
    return e ? [e] : [];
  });
}

/** The console lines of one VM, decoded (the log quotes and escapes them). */
export function consoleLines(events: readonly D0Event[], vm: string): string[] {
  return events
    .filter((e) => e.ev === 'console' && e.fields.vm === vm)
    .map((e) => e.fields.line ?? '');
}

/** Splits a stream into lines and emits each event; keeps the unterminated tail for the next chunk. */
export class EventStream {
  readonly events: D0Event[] = [];
  private tail = '';
  private listeners: Array<(e: D0Event) => void> = [];

  push(chunk: string): void {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    for (const line of lines) {
      const e = parseEventLine(line);
      if (!e) continue;
      this.events.push(e);
      for (const l of this.listeners) l(e);
    }
  }

  onEvent(l: (e: D0Event) => void): void {
    this.listeners.push(l);
  }
}

/** Throws unless seq runs 0, 1, 2, ... with no gap (a gap means a lost or garbled line). */
export function assertContiguous(events: D0Event[]): void {
  events.forEach((e, i) => {
    if (e.seq !== i) throw new Error(`event ${i} has seq=${e.seq}: ${e.raw}`);
  });
}

/** What waiting on an emulator's log needs: its events, when it gives up, when it exited. */
export interface EventSource {
  readonly stream: EventStream;
  /** Epoch ms after which a wait fails with timeoutError. */
  readonly deadline: number;
  /** Settles when the emulator has exited and its output has been read. */
  readonly exited: Promise<void>;
  timeoutError(what: string): Error;
  exitError(what: string): Error;
}

/**
 * The first event matching ev (a name or a predicate), already seen or still to come; fails at
 * the source's deadline, or when the emulator exits without it (after the last output is parsed).
 */
export function waitForEvent(
  src: EventSource,
  ev: string | ((e: D0Event) => boolean),
): Promise<D0Event> {
  const match = typeof ev === 'string' ? (e: D0Event) => e.ev === ev : ev;
  const found = src.stream.events.find(match);
  if (found) return Promise.resolve(found);
  const what = typeof ev === 'string' ? `ev=${ev}` : 'a matching event';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(src.timeoutError(what)),
      Math.max(0, src.deadline - Date.now()),
    );
    src.stream.onEvent((e) => {
      if (match(e)) {
        clearTimeout(timer);
        resolve(e);
      }
    });
    void src.exited.then(() => {
      // Let any buffered output be parsed first.
      setImmediate(() => {
        clearTimeout(timer);
        const late = src.stream.events.find(match);
        if (late) resolve(late);
        else reject(src.exitError(what));
      });
    });
  });
}
