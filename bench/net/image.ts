// The bench's container image: the network tests' nginx (test/support/net-images.ts NGINX_SERVED,
// Debian's nginx-light serving a page on port 80) plus one file of N MiB per size to download,
// and a workload that ends once a GET /stop has been served: the workload's exit stops the VM,
// which is when D0 logs the VM's counters (ev=vm_stats), and ends plain QEMU (isa-debug-exit).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { dockerBuild } from '../../test/support/docker-build';
import { NGINX_SERVED, buildNginxServed } from '../../test/support/net-images';

export const BENCH_NET_IMAGE = 'd0-bench/net-nginx:1';
/** The path whose GET ends the workload. */
export const STOP_PATH = '/stop';
/** The file of `mib` MiB the image serves. */
export const blobPath = (mib: number) => `/blob-${mib}.bin`;
/** The workload's own bound: it exits 2 when no stop came within this many seconds. */
const WORKLOAD_LIMIT_S = 3600;

// nginx logs every request to access.log as it is served (no buffer= in Debian's config), so
// the stop request shows up there within a second.
const SERVE_SCRIPT = `#!/bin/sh
nginx -g 'daemon off;' &
i=0
until grep -q 'GET ${STOP_PATH} ' /var/log/nginx/access.log 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt ${WORKLOAD_LIMIT_S} ]; then exit 2; fi
  sleep 1
done
kill $!
exit 0
`;

function dockerfile(sizesMib: readonly number[]): string {
  // Random bytes: nothing on either path compresses, and the sizes are exact.
  const blobs = sizesMib.map(
    (m) => `head -c ${m * 2 ** 20} /dev/urandom > /var/www/html${blobPath(m)}`,
  );
  return [
    `FROM ${NGINX_SERVED}`,
    `RUN ${[...blobs, `echo stopping > /var/www/html${STOP_PATH}`].join(' && ')}`,
    'COPY serve.sh /bin/bench-serve.sh',
    'CMD ["/bin/sh", "/bin/bench-serve.sh"]',
    '',
  ].join('\n');
}

/** Builds BENCH_NET_IMAGE with one file per size (context under workDir); removeBenchImages() undoes it. */
export async function buildBenchImage(
  docker: Dockerode,
  workDir: string,
  sizesMib: readonly number[],
): Promise<string> {
  await buildNginxServed(docker, workDir);
  return dockerBuild({
    dir: path.join(workDir, 'bench-net-ctx'),
    dockerfile: dockerfile(sizesMib),
    tag: BENCH_NET_IMAGE,
    files: { 'serve.sh': SERVE_SCRIPT },
  });
}

export function removeBenchImages(): void {
  execFileSync('/usr/bin/docker', ['rmi', '-f', BENCH_NET_IMAGE, NGINX_SERVED], {
    stdio: 'ignore',
  });
}
