// Connecting to a Docker engine. The builder never starts one: a user's machine has its own, and
// tests start theirs (test/support/dockerd.ts). DOCKER_HOST (unix:///path or /path) is honoured.
import fs from 'node:fs';
import Dockerode from 'dockerode';

import { dockerSocketPath } from '../oci/engine-client';

/** The engine if one answers a ping within timeoutMs, else undefined. */
export async function connectDocker(timeoutMs = 3000): Promise<Dockerode | undefined> {
  const socketPath = dockerSocketPath();
  if (!fs.existsSync(socketPath)) return undefined;
  const docker = new Dockerode({ socketPath });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timeout')), timeoutMs);
      }),
    ]);
    return docker;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when a dockerode progress stream (build, import) ends; rejects on an error message in it. */
export function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = '';
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; stream?: string }>) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error);
        if (failed) return reject(new Error(`${failed.error}\n${log.slice(-4000)}`));
        resolve(log);
      },
      (event: { stream?: string; status?: string }) => {
        log += event.stream ?? (event.status ? `${event.status}\n` : '');
      },
    );
  });
}

export async function imageExists(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}
