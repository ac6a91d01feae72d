// A real Debian image with a real service, built by the Docker engine from Debian's packages:
// debootstrap minbase + nginx-light (`docker import`, cached by builder/docker/base-image.ts), then
// Dockerfile steps that add a page, remove docs, and set WORKDIR and USER www-data: three layers.
// Its command prints nginx's version, the user, the working directory and the page, then exits 0.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { dockerBuild } from './docker-build';
import { ensureBaseImage, KERNEL_BASE, type BaseImageSpec } from '../../builder/docker/base-image';

export const REAL_IMAGE_TAG = 'd0-test/real-nginx:1';
/** Debian minbase with nginx-light: the base of every nginx test image. */
export const NGINX_BASE: BaseImageSpec = { suite: 'bookworm', variant: 'minbase', mirror: KERNEL_BASE.mirror, include: ['nginx-light'] };
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
  const base = await ensureBaseImage(docker, NGINX_BASE, () => {});
  return dockerBuild({ dir: path.join(workDir, 'real-image-ctx'), dockerfile: DOCKERFILE, tag: REAL_IMAGE_TAG, buildArgs: { BASE: base } });
}

export function removeRealImage(): void {
  execFileSync('/usr/bin/docker', ['rmi', '-f', REAL_IMAGE_TAG], { stdio: 'ignore' });
}
