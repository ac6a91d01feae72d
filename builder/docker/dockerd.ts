// A Docker engine when none runs: Debian's dockerd with overlay2 storage where the kernel has
// overlayfs and vfs where it does not (./storage-driver.ts), no iptables and no bridge (what
// runs on a machine without privileges beyond root and without a network), its data root fixed
// under $D0_CACHE/docker so images built by one run are still there for the next. An engine found
// answering (on DOCKER_HOST or /var/run/docker.sock) is used and never stopped.
//
// Two lifetimes: ensureDockerd() for one process (tests, benches: stop() when done), and
// startEngine()/stopStartedEngine() across processes (`d0 engine start` ... `d0 engine stop` in a
// script). The dockerd d0 started is named in $D0_CACHE/docker-run/started-by-d0.pid; each user
// holds it (./engine-holds.ts) and the last one to let go stops it, so one user never stops the
// engine under another.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { processAlive as alive } from '../process-alive';
import { dockerSocketPath } from '../oci/engine-client';
import { connectDocker } from './engine';
import { d0CacheRoot } from '../cache/root';
import { addHold, dropHold, liveHolds, scriptHolds, withEngineLock } from './engine-holds';
import { storageDrivers, type StorageDriver } from './storage-driver';


const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface DockerHandle {
  docker: Dockerode;
  /** Stops the engine if ensureDockerd() started it; does nothing for an engine found running. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function runDir(): string {
  return path.join(d0CacheRoot(), 'docker-run');
}

const markerPath = () => path.join(runDir(), 'started-by-d0.pid');

type Started = { docker: Dockerode; child?: ChildProcess; socketPath: string };

/** The engine answering on the socket, or a dockerd started (detached: it outlives this process). */
async function findOrStart(): Promise<Started> {
  const socketPath = dockerSocketPath();
  const found = await connectDocker();
  if (found) return { docker: found, socketPath };
  const root = path.join(d0CacheRoot(), 'docker');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(runDir(), { recursive: true });
  const logPath = path.join(runDir(), 'dockerd.log');
  const drivers = storageDrivers();
  const refused: string[] = [];
  for (const driver of drivers) {
    const r = await startDockerd(driver, root, socketPath, logPath);
    if ('docker' in r) return r;
    // dockerd ended before it answered: the driver does not work on this data root (or this
    // kernel); the next one may. Its reason is in the log.
    refused.push(`${driver}: exited with ${r.exited}`);
  }
  throw new Error(`dockerd did not start with any storage driver (${refused.join('; ')}); see ${logPath}`);
}

/**
 * Spawns dockerd with `driver` and waits until it answers (the engine), or until it exits
 * ({ exited }) when no other engine answers either. Another process may have started an engine
 * at the same moment (the pidfile or socket was taken): if one answers then, it is used without
 * being owned.
 */
async function startDockerd(driver: StorageDriver, root: string, socketPath: string, logPath: string): Promise<Started | { exited: string }> {
  const log = fs.openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    fs.writeSync(log, `d0: starting dockerd with --storage-driver=${driver}\n`);
    child = spawn(
      'dockerd',
      [
        `--storage-driver=${driver}`, '--iptables=false', '--ip-masq=false', '--bridge=none',
        `--data-root=${root}`, `--pidfile=${path.join(runDir(), 'docker.pid')}`, `--host=unix://${socketPath}`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
  } finally {
    fs.closeSync(log);
  }
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let docker: Dockerode | undefined;
  while (!(docker = await connectDocker())) {
    const failed = await Promise.race([spawnError, sleep(0).then(() => undefined)]);
    if (failed) throw new Error(`cannot start dockerd: ${failed.message} (install the Debian package docker.io)`);
    if (exited(child)) {
      await sleep(500);
      const other = await connectDocker();
      if (other) return { docker: other, socketPath };
      return { exited: String(child.exitCode ?? child.signalCode) };
    }
    if (Date.now() > deadline) {
      signal(child.pid, 'SIGKILL');
      throw new Error(`dockerd did not answer on ${socketPath} within ${START_TIMEOUT_MS} ms; see ${logPath}`);
    }
    await sleep(200);
  }
  return { docker, child, socketPath };
}

/**
 * For one process: the engine (the one answering, else a dockerd started now), held until stop();
 * stop() lets go, and stops the engine if d0 started it and nobody else holds it.
 */
export async function ensureDockerd(): Promise<DockerHandle> {
  const dir = runDir();
  const { docker, hold } = await withEngineLock(dir, async () => {
    const hold = addHold(dir, 'proc');
    try {
      return { docker: (await takeEngine()).docker, hold };
    } catch (e) {
      dropHold(dir, hold);
      throw e;
    }
  });
  let released = false;
  return {
    docker,
    stop: async () => {
      if (released) return;
      released = true;
      await withEngineLock(dir, async () => {
        dropHold(dir, hold);
        await settle(dir);
      });
    },
  };
}

export interface EngineStart {
  socketPath: string;
  /** The pid of the dockerd started now; undefined when an engine was already answering. */
  startedPid?: number;
}

/** `d0 engine start`: an engine answers afterwards, held by the script until `d0 engine stop`. */
export async function startEngine(): Promise<EngineStart> {
  const dir = runDir();
  return withEngineLock(dir, async () => {
    const { child, socketPath } = await takeEngine();
    // Held only when it is d0's: an engine d0 did not start is never stopped, so nothing to hold.
    const owned = ownedDockerd();
    if (owned !== undefined) addHold(dir, 'script', owned);
    return { socketPath, startedPid: child?.pid };
  });
}

/** What letting go of the engine did. */
export interface EngineRelease {
  /** The dockerd d0 started, stopped now (SIGTERM, then SIGKILL after 30 s). */
  stopped?: number;
  /** The dockerd d0 started, left running because others still hold it ... */
  leftRunning?: number;
  /** ... this many of them. */
  holders?: number;
}

/**
 * `d0 engine stop`: drops one `d0 engine start`'s hold; stops the dockerd d0 started when no
 * other user holds it. An engine that d0 did not start is never touched.
 */
export async function stopStartedEngine(): Promise<EngineRelease> {
  const dir = runDir();
  return withEngineLock(dir, async () => {
    const [hold] = scriptHolds(dir);
    if (hold) dropHold(dir, hold);
    return settle(dir);
  });
}

/** Finds or starts the engine; one started here is named in the marker. Under the engine lock. */
async function takeEngine(): Promise<Started> {
  const started = await findOrStart();
  if (started.child) fs.writeFileSync(markerPath(), `${started.child.pid}\n`);
  return started;
}

/** With no hold left, stops the dockerd the marker names. Under the engine lock. */
async function settle(dir: string): Promise<EngineRelease> {
  const pid = ownedDockerd();
  if (pid === undefined) return {};
  const holders = liveHolds(dir).length;
  if (holders > 0) return { leftRunning: pid, holders };
  fs.rmSync(markerPath(), { force: true });
  await stopPid(pid);
  return { stopped: pid };
}

/** The running dockerd d0 started, if any; a marker naming anything else is stale and removed. */
function ownedDockerd(): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(markerPath(), 'utf8').trim());
  } catch {
    return undefined;
  }
  // The pid must still be a dockerd: after a reboot or a crash it may name another process.
  if (Number.isInteger(pid) && pid > 1 && isDockerd(pid)) return pid;
  fs.rmSync(markerPath(), { force: true });
  return undefined;
}

function isDockerd(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd';
  } catch {
    return false;
  }
}

/** dockerd first, so it shuts its managed containerd down in order; the group as a fallback. */
async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) {
      signal(-pid, 'SIGKILL');
      break;
    }
    await sleep(200);
  }
}

/** A child of this process that exited stays a zombie until reaped; it is stopped all the same. */
function isZombie(pid: number): boolean {
  try {
    return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ')'));
  } catch {
    return false;
  }
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
