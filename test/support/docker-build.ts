// `docker build` of a test image from a Dockerfile text and a few files, offline (--network none,
// the classic builder: the engine here has no BuildKit). The tag is returned.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function dockerBuild(o: { dir: string; dockerfile: string; tag: string; files?: Record<string, string>; buildArgs?: Record<string, string> }): string {
  fs.mkdirSync(o.dir, { recursive: true });
  fs.writeFileSync(path.join(o.dir, 'Dockerfile'), o.dockerfile);
  for (const [name, text] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(o.dir, name), text, { mode: 0o755 });
  const args = Object.entries(o.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  execFileSync('/usr/bin/docker', ['build', '-q', '--network', 'none', ...args, '-t', o.tag, o.dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  return o.tag;
}
