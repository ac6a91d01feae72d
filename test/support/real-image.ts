// A real Debian image with a real service, built by the Docker engine from Debian's packages:
// debootstrap minbase + nginx-light (`docker import`, cached by builder/docker/base-image.ts), then
// Dockerfile steps that add a page, remove docs, and set WORKDIR and USER www-data: three layers.
// Its command prints nginx's version, the user, the working directory and the page, then exits 0.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { ensureBaseImage, KERNEL_BASE, type BaseImageSpec } from '../../builder/docker/base-image';

export const REAL_IMAGE_TAG = 'd0-test/real-nginx:1';
const BASE: BaseImageSpec = { suite: 'bookworm', variant: 'minbase', mirror: KERNEL_BASE.mirror, include: ['nginx-light'] };
const DOCKERFILE = `ARG BASE
FROM $BASE
RUN mkdir -p /srv/www && echo 'served by nginx on D0' > /srv/www/index.html && chown -R www-data:www-data /srv/www
RUN rm -rf /usr/share/doc /usr/share/man && ln -s /srv/www/index.html /srv/index.html
WORKDIR /srv/www
USER www-data
CMD ["/bin/sh", "-c", "nginx -v 2>&1; id; echo cwd=$(pwd); cat index.html"]
`;

/** Builds REAL_IMAGE_TAG (context under workDir) and returns the tag; removeRealImage() undoes it. */
export async function buildRealImage(docker: Dockerode, workDir: string): Promise<string> {
  const base = await ensureBaseImage(docker, BASE, () => {});
  const ctx = path.join(workDir, 'real-image-ctx');
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  execFileSync('/usr/bin/docker', ['build', '-q', '--network', 'none', '--build-arg', `BASE=${base}`, '-t', REAL_IMAGE_TAG, ctx], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  return REAL_IMAGE_TAG;
}

export function removeRealImage(): void {
  execFileSync('/usr/bin/docker', ['rmi', '-f', REAL_IMAGE_TAG], { stdio: 'ignore' });
}
