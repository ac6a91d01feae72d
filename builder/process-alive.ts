// Whether a process that left something behind (a lock, a temp file, a cache staging directory)
// still runs: the one liveness check of the build path. Linux /proc; a pid with no /proc entry is gone.
import fs from 'node:fs';

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. Recorded beside
 *  a pid, it guards against a reused pid (a new process with the old number has a later start). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while pid runs (any owner); with `start`, only if it is the same process that recorded it. */
export function processAlive(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = processStartTime(pid);
  return now !== undefined && (start === undefined || now === start);
}
