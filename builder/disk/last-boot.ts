// The last boot's story from a VARS file: the NV variable "D0LastBoot" D0 writes at each decision
// (a commit, a rollback; kernel/log/story.h), whole D0 log lines read back with the one parser of
// D0's lines (core/d0-log.ts). `d0 disk status --vars` prints it, so the reason of a rollback and
// each VM's health verdict can be read offline, once the serial console is gone.
//
// The variable is data anyone with runtime access to the firmware could have written: a line that
// does not parse is skipped and counted, never an error, and values are printed re-quoted
// (describeD0Event), never as raw bytes to a terminal.
import { describeD0Event, parseD0LogLine, type D0LogLine } from '../../core/d0-log';
import { D0_VENDOR_GUID, readOvmfVars } from './ovmf-vars';

export const D0_STORY_VARIABLE = 'D0LastBoot';

export interface LastBoot {
  /** The story's events in the order they were logged. */
  readonly events: readonly D0LogLine[];
  /** Lines D0 cut because the story was full (its ev=story_dropped line). */
  readonly dropped: number;
  /** Lines of the variable that were not D0 log lines. */
  readonly unreadable: number;
}

/** Parses the variable's bytes (ASCII lines, each ending in '\n'). */
export function decodeLastBoot(data: Buffer): LastBoot {
  const events: D0LogLine[] = [];
  let dropped = 0;
  let unreadable = 0;
  for (const line of data.toString('latin1').split('\n')) {
    if (line === '') continue;
    const e = parseD0LogLine(line);
    if (!e || !line.startsWith('D0 ')) unreadable++;
    else if (e.ev === 'story_dropped' && e.seq === undefined) dropped += Number(e.fields.lines) || 0;
    else events.push(e);
  }
  return { events, dropped, unreadable };
}

/** The last boot's story in a VARS file; undefined when D0 has written none. */
export function readLastBoot(vars: string): LastBoot | undefined {
  const v = readOvmfVars(vars).find((x) => x.vendor === D0_VENDOR_GUID && x.name === D0_STORY_VARIABLE);
  return v && decodeLastBoot(v.data);
}

/**
 * What a reader needs first: the decision (a commit, or the rollback and its reason) and each
 * VM's last health verdict, as lines for the terminal; then every event of the story.
 */
export function describeLastBoot(story: LastBoot): string[] {
  const last = (ev: string) => [...story.events].reverse().find((e) => e.ev === ev);
  const rollback = last('rollback');
  const commit = last('commit');
  const out: string[] = [];
  const q = (s: string | undefined) => describeValue(s ?? 'none');
  if (rollback)
    out.push(`last decision: rollback from ${q(rollback.fields.from)} to ${q(rollback.fields.to)}, reason ${q(rollback.fields.reason)}`);
  else if (commit)
    out.push(`last decision: commit of ${q(commit.fields.boot)} (slot ${q(commit.fields.slot)}, role ${q(commit.fields.role)})`);
  else out.push('last decision: none recorded');
  const verdicts = new Map<string, D0LogLine>();
  for (const e of story.events) if (e.ev === 'vm_health') verdicts.set(e.fields.vm ?? '', e);
  for (const [vm, e] of verdicts)
    out.push(`  vm ${q(vm)}: ${q(e.fields.verdict)}${e.fields.reason ? ` (${q(e.fields.reason)})` : ''}`);
  const failed = last('health_failed');
  if (failed) out.push(`  health failed on vm ${q(failed.fields.vm)}: ${q(failed.fields.reason)}`);
  out.push('  story:');
  for (const e of story.events) out.push(`    ${describeD0Event(e)}`);
  if (story.dropped) out.push(`    (${story.dropped} later line(s) cut: the story was full)`);
  if (story.unreadable) out.push(`    (${story.unreadable} line(s) not D0 log lines: skipped)`);
  return out;
}

/** A decoded value for a terminal: printable ASCII as is, anything else quoted as the log does. */
function describeValue(v: string): string {
  return /^[\x21-\x7e]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
}
