// Parses D0's structured boot log (format: kernel/log/log.h):
//   D0 seq=<n> ev=<name> key=value ... [uuid=<build uuid>]
// Serial output also carries the firmware's console (with ANSI escapes), so an event is found
// wherever "D0 seq=" starts on a line, and anything else is ignored.

export interface D0Event {
  seq: number;
  ev: string;
  /** Every key=value after ev, uuid included when present. */
  fields: Record<string, string>;
  raw: string;
}

const EVENT = /D0 seq=(\d+) ev=(\S+)((?: [^\s=]+=\S*)*)\s*$/;

export function parseEventLine(line: string): D0Event | undefined {
  const m = EVENT.exec(line.replace(/\r/g, ''));
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of m[3].trim().split(' ').filter(Boolean)) {
    const eq = kv.indexOf('=');
    fields[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { seq: Number(m[1]), ev: m[2], fields, raw: m[0] };
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
