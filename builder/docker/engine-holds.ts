// Who still uses the Docker engine d0 started, so that the last user out stops it and no user
// stops it under another. Several processes share one engine: two test processes of one CI run,
// `scripts/main` beside a test run, two checkouts on one machine. Without this, whoever had
// started the engine stopped it when done, while the others were still building through it.
//
// A hold is a file in $D0_CACHE/docker-run/holds/:
//   proc-<pid>-<n>   a process between ensureDockerd() and its stop(); dropped for it when the
//                    process is gone (killed tests never hold the engine forever)
//   script-<n>       one `d0 engine start`, kept until a `d0 engine stop` drops it (a script's
//                    commands are separate processes)
// Every change of holds, and every start or stop of the engine, happens under one lock
// (withEngineLock), so "no hold left, stop it" never races "add a hold, use it".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { withBuildLock } from '../cache/build-cache';
import { processAlive, processStartTime } from '../process-alive';

export type HoldKind = 'proc' | 'script';

interface ProcHold {
  pid: number;
  start?: string;
}

export function holdsDir(runDir: string): string {
  return path.join(runDir, 'holds');
}

/** Runs fn holding the engine lock of runDir (waits for another holder; a dead holder's lock is taken over). */
export function withEngineLock<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(runDir, { recursive: true });
  return withBuildLock(path.join(runDir, 'engine'), fn, 100);
}

/** Adds a hold of this process (proc) or of a script; returns its name for dropHold. Call under the lock. */
export function addHold(runDir: string, kind: HoldKind): string {
  const dir = holdsDir(runDir);
  fs.mkdirSync(dir, { recursive: true });
  const tag = crypto.randomBytes(6).toString('hex');
  const name = kind === 'proc' ? `proc-${process.pid}-${tag}` : `script-${tag}`;
  const body: ProcHold | Record<string, never> =
    kind === 'proc' ? { pid: process.pid, start: processStartTime(process.pid) } : {};
  fs.writeFileSync(path.join(dir, name), JSON.stringify(body) + '\n');
  return name;
}

/** Removes one hold by name; false when it was not there. Call under the lock. */
export function dropHold(runDir: string, name: string): boolean {
  try {
    fs.unlinkSync(path.join(holdsDir(runDir), name));
    return true;
  } catch {
    return false;
  }
}

/** The holds still standing, oldest name order; process holds whose process is gone are removed. Call under the lock. */
export function liveHolds(runDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(holdsDir(runDir)).sort();
  } catch {
    return [];
  }
  return names.filter((name) => {
    if (name.startsWith('script-')) return true;
    if (!name.startsWith('proc-')) return false; // not a hold (a temp file of an editor, say)
    let h: ProcHold | undefined;
    try {
      h = JSON.parse(fs.readFileSync(path.join(holdsDir(runDir), name), 'utf8')) as ProcHold;
    } catch {
      h = undefined;
    }
    if (h && processAlive(h.pid, h.start)) return true;
    dropHold(runDir, name);
    return false;
  });
}

/** The holds `d0 engine start` left, one of which `d0 engine stop` drops. */
export function scriptHolds(runDir: string): string[] {
  return liveHolds(runDir).filter((n) => n.startsWith('script-'));
}
