// Connecting to a Docker engine. Connecting never starts one: a user's machine has its own; one is
// started only when asked (builder/docker/dockerd.ts: tests, `d0 engine start`). DOCKER_HOST
// (unix:///path or /path) is honoured.
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

/**
 * Resolves when a dockerode progress stream (build, import) ends; rejects on an error message in it.
 * onText sees the stream's text as it comes (a build's `Step 1/4 : FROM ...` lines).
 */
export function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream, onText?: (text: string) => void): Promise<string> {
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
        const text = event.stream ?? (event.status ? `${event.status}\n` : '');
        log += text;
        if (text) onText?.(text);
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
