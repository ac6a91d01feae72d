// Who still uses the Docker engine d0 started, so that the last user out stops it and no user
// stops it under another. Several processes share one engine: two test processes of one CI run,
// `scripts/main` beside a test run, two checkouts on one machine. Without this, whoever had
// started the engine stopped it when done, while the others were still building through it.
//
// A hold is a file in $D0_CACHE/docker-run/holds/:
//   proc-<pid>-<n>   a process between ensureDockerd() and its stop(); dropped for it when the
//                    process is gone (killed tests never hold the engine forever)
//   script-<n>       one `d0 engine start`, kept until a `d0 engine stop` drops it (a script's
//                    commands are separate processes), or until the dockerd it holds is gone: a
//                    script killed between start and stop (a CI run cut off, a reboot) leaves a
//                    hold that must not keep the next engine d0 starts, nor let a later
//                    `d0 engine stop` stop that engine under its own starter
// Every change of holds, and every start or stop of the engine, happens under one lock
// (withEngineLock), so "no hold left, stop it" never races "add a hold, use it".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { withBuildLock } from '../cache/build-cache';
import { processAlive, processStartTime } from '../process-alive';

export type HoldKind = 'proc' | 'script';

/** A running process, named so that a reused pid is not taken for it (../process-alive.ts). */
interface ProcessId {
  pid: number;
  start?: string;
}

/** proc-*: the process holding it. script-*: the dockerd it holds (an old hold without one is stale). */
type HoldBody = ProcessId | { engine?: ProcessId };

export function holdsDir(runDir: string): string {
  return path.join(runDir, 'holds');
}

/** Runs fn holding the engine lock of runDir (waits for another holder; a dead holder's lock is taken over). */
export function withEngineLock<T>(runDir: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(runDir, { recursive: true });
  return withBuildLock(path.join(runDir, 'engine'), fn, 100);
}

/**
 * Adds a hold of this process (proc) or of a script on the running dockerd `enginePid` (script);
 * returns its name for dropHold. Call under the lock.
 */
export function addHold(runDir: string, kind: 'proc'): string;
export function addHold(runDir: string, kind: 'script', enginePid: number): string;
export function addHold(runDir: string, kind: HoldKind, enginePid?: number): string {
  const dir = holdsDir(runDir);
  fs.mkdirSync(dir, { recursive: true });
  const tag = crypto.randomBytes(6).toString('hex');
  const name = kind === 'proc' ? `proc-${process.pid}-${tag}` : `script-${tag}`;
  const running = (pid: number): ProcessId => ({ pid, start: processStartTime(pid) });
  const body: HoldBody = kind === 'proc' ? running(process.pid) : { engine: running(enginePid!) };
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

/**
 * The holds still standing, oldest name order; a process hold whose process is gone, and a script
 * hold whose dockerd is gone, are removed. Call under the lock.
 */
export function liveHolds(runDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(holdsDir(runDir)).sort();
  } catch {
    return [];
  }
  return names.filter((name) => {
    const kind = name.startsWith('proc-')
      ? 'proc'
      : name.startsWith('script-')
        ? 'script'
        : undefined;
    if (!kind) return false; // not a hold (a temp file of an editor, say)
    let body: HoldBody | undefined;
    try {
      body = JSON.parse(fs.readFileSync(path.join(holdsDir(runDir), name), 'utf8')) as HoldBody;
    } catch {
      body = undefined;
    }
    const held =
      kind === 'proc'
        ? (body as ProcessId | undefined)
        : (body as { engine?: ProcessId } | undefined)?.engine;
    if (held && typeof held.pid === 'number' && processAlive(held.pid, held.start)) return true;
    dropHold(runDir, name);
    return false;
  });
}

/** The holds `d0 engine start` left, one of which `d0 engine stop` drops. */
export function scriptHolds(runDir: string): string[] {
  return liveHolds(runDir).filter((n) => n.startsWith('script-'));
}
