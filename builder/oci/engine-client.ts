// The Docker Engine API calls the converter needs (info, inspect, pull, save), over the engine's
// unix socket with node:http. The `d0` CLI uses this instead of dockerode, whose require() alone
// (ssh2, docker-modem, ...) costs ~1 s of process start on a loaded host; a caller that already
// has a dockerode instance passes it and gets an adapter (fromDockerode).
import http from 'node:http';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';

export interface EngineImageInfo {
  Id: string;
  Size: number;
}

/** Where the engine keeps its images (GET /info): read by ./engine-store.ts when it is local. */
export interface EngineStorage {
  DockerRootDir?: string;
  Driver?: string;
}

export interface Engine {
  /** The engine's data root and storage driver. */
  storage(): Promise<EngineStorage>;
  /** undefined when the engine has no such image (HTTP 404). */
  inspectImage(name: string): Promise<EngineImageInfo | undefined>;
  /** Pulls name (":latest" when untagged); rejects with the engine's message on failure. */
  pullImage(name: string): Promise<void>;
  /** `docker save` of one image: a tar stream. */
  saveImage(name: string): Promise<Readable>;
}

export const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * The engine's unix socket: DOCKER_HOST as `unix:///path` or a plain `/path`, else the default.
 * The one place every engine user (image builds, the kernel build, the provider) asks.
 */
export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST?.trim();
  if (!host) return DOCKER_SOCKET;
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  if (host.startsWith('/')) return host;
  throw new Error(
    `DOCKER_HOST=${host}: only a local engine on a unix socket is supported (unix:///path or /path)`,
  );
}
// Unversioned paths: the engine serves its own API version (as dockerode does by default).
const API = '';

class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function request(
  socketPath: string,
  method: string,
  urlPath: string,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path: API + urlPath, headers: { Host: 'docker' } },
      async (res) => {
        if ((res.statusCode ?? 0) < 300) return resolve(res);
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks).toString('utf8');
        let message = body.trim();
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? message;
        } catch {
          // not JSON: keep the text
        }
        reject(
          new EngineHttpError(
            res.statusCode ?? 0,
            `engine ${method} ${urlPath}: HTTP ${res.statusCode}: ${message}`,
          ),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** "repo[:tag]" or "repo@digest" -> the pull query; a ':' before the last '/' is a registry port. */
export function pullQuery(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0)
    return `fromImage=${encodeURIComponent(name.slice(0, at))}&tag=${encodeURIComponent(name.slice(at + 1))}`;
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  const repo = tagged ? name.slice(0, colon) : name;
  const tag = tagged ? name.slice(colon + 1) : 'latest';
  return `fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`;
}

async function jsonBody<T>(res: http.IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

export function engineClient(socketPath = dockerSocketPath()): Engine {
  return {
    async storage() {
      const info = await jsonBody<EngineStorage>(await request(socketPath, 'GET', '/info'));
      return { DockerRootDir: info.DockerRootDir, Driver: info.Driver };
    },
    async inspectImage(name) {
      let res: http.IncomingMessage;
      try {
        res = await request(socketPath, 'GET', `/images/${encodeURIComponent(name)}/json`);
      } catch (err) {
        if (err instanceof EngineHttpError && err.statusCode === 404) return undefined;
        throw err;
      }
      const info = await jsonBody<EngineImageInfo>(res);
      return { Id: info.Id, Size: info.Size };
    },
    async pullImage(name) {
      const res = await request(socketPath, 'POST', `/images/create?${pullQuery(name)}`);
      // Progress is a stream of JSON objects; a failure arrives as {"error": ...} with HTTP 200.
      let text = '';
      for await (const c of res) text += (c as Buffer).toString('utf8');
      for (const line of text.split(/\r?\n/)) {
        if (!line.trim()) continue;
        let msg: { error?: string };
        try {
          msg = JSON.parse(line) as { error?: string };
        } catch {
          continue;
        }
        if (msg.error) throw new Error(msg.error);
      }
    },
    saveImage: (name) => request(socketPath, 'GET', `/images/${encodeURIComponent(name)}/get`),
  };
}

export function fromDockerode(docker: Dockerode): Engine {
  return {
    async storage() {
      const info = (await docker.info()) as EngineStorage;
      return { DockerRootDir: info.DockerRootDir, Driver: info.Driver };
    },
    async inspectImage(name) {
      try {
        const i = await docker.getImage(name).inspect();
        return { Id: i.Id, Size: i.Size };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async pullImage(name) {
      const stream = await docker.pull(name);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
      );
    },
    saveImage: async (name) => (await docker.getImage(name).get()) as Readable,
  };
}
