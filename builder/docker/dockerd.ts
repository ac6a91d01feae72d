// A Docker engine when none runs: Debian's dockerd with vfs storage, no iptables and no bridge (what
// runs on a machine without privileges beyond root and without a network), its data root fixed
// under $D0_CACHE/docker so images built by one run are still there for the next. An engine found
// answering (on DOCKER_HOST or /var/run/docker.sock) is used and never stopped.
//
// Two lifetimes: ensureDockerd() for one process (tests, benches: stop() when done), and
// startEngine()/stopStartedEngine() across processes (`d0 engine start` ... `d0 engine stop` in a
// script), which remember the engine they started in $D0_CACHE/docker-run/started-by-d0.pid.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { processAlive as alive } from '../process-alive';
import { dockerSocketPath } from '../oci/engine-client';
import { connectDocker } from './engine';
import { d0CacheRoot } from '../cache/root';


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
  const log = fs.openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      'dockerd',
      [
        '--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none',
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
      // Another process may have started an engine at the same moment (the pidfile or socket
      // was taken): if one answers now, use it without owning it.
      await sleep(500);
      const other = await connectDocker();
      if (other) return { docker: other, socketPath };
      throw new Error(`dockerd exited with ${child.exitCode ?? child.signalCode}; see ${logPath}`);
    }
    if (Date.now() > deadline) {
      signal(child.pid, 'SIGKILL');
      throw new Error(`dockerd did not answer on ${socketPath} within ${START_TIMEOUT_MS} ms; see ${logPath}`);
    }
    await sleep(200);
  }
  return { docker, child, socketPath };
}

/** For one process: the engine, and stop() that ends it only if this call started it. */
export async function ensureDockerd(): Promise<DockerHandle> {
  const { docker, child } = await findOrStart();
  if (!child) return { docker, stop: async () => {} };
  return { docker, stop: () => stopPid(child.pid!) };
}

export interface EngineStart {
  socketPath: string;
  /** The pid of the dockerd started now; undefined when an engine was already answering. */
  startedPid?: number;
}

/** `d0 engine start`: an engine answers afterwards; one started here is remembered for stopStartedEngine(). */
export async function startEngine(): Promise<EngineStart> {
  const { child, socketPath } = await findOrStart();
  if (!child) return { socketPath };
  fs.writeFileSync(markerPath(), `${child.pid}\n`);
  return { socketPath, startedPid: child.pid };
}

/**
 * `d0 engine stop`: stops the dockerd startEngine() started, if it still runs (SIGTERM, then
 * SIGKILL after 30 s); returns its pid, or undefined when there was none to stop. An engine
 * that d0 did not start is never touched.
 */
export async function stopStartedEngine(): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(markerPath(), 'utf8').trim());
  } catch {
    return undefined;
  }
  fs.rmSync(markerPath(), { force: true });
  // The pid must still be a dockerd: after a reboot or a crash it may name another process.
  if (!Number.isInteger(pid) || pid <= 1 || !isDockerd(pid)) return undefined;
  await stopPid(pid);
  return pid;
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
