// Builds a directory holding a Dockerfile into a tagged image through the engine (its classic
// builder, no network for RUN steps), streaming the build's step lines. When the Dockerfile is
// FROM BUSYBOX_IMAGE, that base is imported first (builder/docker/busybox-image.ts), so the build
// needs no registry.
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from './busybox-image';
import { followProgress, imageExists } from './engine';

/** The base images a Dockerfile names (`FROM x [AS y]`, ARGs not expanded). */
export function fromImages(dockerfile: string): string[] {
  return [...dockerfile.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map((m) => m[1]);
}

/** Every path under dir, relative, for the build context (no .dockerignore: keep contexts small). */
function contextFiles(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...contextFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

export async function buildDockerfile(o: { docker: Dockerode; dir: string; tag: string; log: (line: string) => void }): Promise<string> {
  const dockerfile = path.join(o.dir, 'Dockerfile');
  let text: string;
  try {
    text = fs.readFileSync(dockerfile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${dockerfile}: cannot read the Dockerfile (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  if (fromImages(text).includes(BUSYBOX_IMAGE)) await ensureBusyboxImage(o.docker, o.log);
  const stream = await o.docker.buildImage(
    { context: o.dir, src: contextFiles(o.dir) },
    { t: o.tag, networkmode: 'none', rm: true, forcerm: true, version: '1' },
  );
  let pending = '';
  await followProgress(o.docker, stream, (t) => {
    pending += t;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (/^Step \d+\/\d+ : /.test(l)) o.log(`engine: ${l}`);
  }).catch((e: Error) => {
    throw new Error(`${dockerfile}: docker build failed: ${e.message.trim()}`);
  });
  if (!(await imageExists(o.docker, o.tag))) throw new Error(`${dockerfile}: the build did not tag ${o.tag}`);
  return o.tag;
}
