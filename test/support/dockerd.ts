// A Docker engine for tests: reuse the one answering on /var/run/docker.sock, or start Debian's
// dockerd (vfs storage, no iptables, no bridge: what runs on a CI machine without privileges
// beyond root) and stop it again afterwards. Its data root is fixed under $D0_CACHE/docker so
// images built by one run are still there for the next.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { d0CacheRoot } from '../../builder/cache/root';

export const DOCKER_SOCKET = '/var/run/docker.sock';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface DockerHandle {
  docker: Dockerode;
  /** Stops the engine if ensureDockerd() started it; does nothing for an engine found running. */
  stop(): Promise<void>;
}

async function answers(docker: Dockerode): Promise<boolean> {
  if (!fs.existsSync(DOCKER_SOCKET)) return false;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), 3000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function ensureDockerd(): Promise<DockerHandle> {
  const docker = new Dockerode({ socketPath: DOCKER_SOCKET });
  if (await answers(docker)) return { docker, stop: async () => {} };

  const root = path.join(d0CacheRoot(), 'docker');
  const runDir = path.join(d0CacheRoot(), 'docker-run');
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true });
  const logPath = path.join(runDir, 'dockerd.log');
  const log = fs.openSync(logPath, 'a');
  const child = spawn(
    'dockerd',
    [
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
      `--data-root=${root}`,
      `--pidfile=${path.join(runDir, 'docker.pid')}`,
      `--host=unix://${DOCKER_SOCKET}`,
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  child.unref();

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(docker))) {
    if (exited(child)) {
      // Another process may have started an engine at the same moment (the pidfile or socket
      // was taken): if one answers now, use it without owning it.
      await sleep(500);
      if (await answers(docker)) return { docker, stop: async () => {} };
      throw new Error(`dockerd exited with ${child.exitCode ?? child.signalCode}; see ${logPath}`);
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`dockerd did not answer on ${DOCKER_SOCKET} within ${START_TIMEOUT_MS} ms; see ${logPath}`);
    }
    await sleep(200);
  }

  return {
    docker,
    stop: async () => {
      if (exited(child)) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child, 'SIGTERM');
      const timedOut = await Promise.race([done.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
      if (timedOut) {
        killGroup(child, 'SIGKILL');
        await done;
      }
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // dockerd first, so it shuts its managed containerd down in order; the group as a fallback.
    if (signal === 'SIGTERM') process.kill(child.pid, signal);
    else process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}
