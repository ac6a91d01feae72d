// The container images of the network tests, built by the Docker engine from what this machine
// has (no registry):
//   - NGINX_SERVED: Debian's nginx-light (the real-image base: debootstrap minbase + nginx-light)
//     serving a page on port 80 in the foreground, as a web container does;
//   - NGINX_SLIM: the same nginx (NGINX_SERVED's binary, modules, config and page) copied with
//     only what it needs to run (its libraries, the loader, the accounts it names, the directories
//     it writes) into an image built FROM scratch: 10 MB of files, a root disk of 28 MB instead of
//     221, for the slow emulators (Bochs reads and hashes every byte of a root disk through
//     emulated ATA);
//   - NET_CLIENT: Debian's busybox-static (d0/busybox-static) running a script that fetches (nc) from two
//     fixed addresses on the uplink side (10.0.2.100 ports 80 and 81, which the tests forward to
//     HTTP servers of their own on 127.0.0.1 with QEMU's guestfwd), printing one result line each,
//     then idles.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { ensureBaseImage } from '../../builder/docker/base-image';
import { dockerBuild } from './docker-build';
import { ensureBusyboxImage } from '../../builder/docker/busybox-image';
import { NGINX_BASE } from './real-image';

export const NGINX_SERVED = 'd0-test/nginx-served:1';
export const NET_CLIENT = 'd0-test/net-client:1';
export const NGINX_SLIM = 'd0-test/nginx-slim:1';
/** The page nginx serves. */
export const NGINX_PAGE = 'served by nginx on D0 through a published port';
/** Where NET_CLIENT fetches: the egress its policy allows (port 80) and one it does not (81). */
export const CLIENT_TARGETS = { allowed: { ip: '10.0.2.100', port: 80 }, denied: { ip: '10.0.2.100', port: 81 } };

/** The step that puts NGINX_PAGE where Debian's default site serves it from. */
const NGINX_PAGE_STEP = `RUN echo '${NGINX_PAGE}' > /var/www/html/index.html`;

const NGINX_DOCKERFILE = `ARG BASE
FROM $BASE
${NGINX_PAGE_STEP} && rm -rf /usr/share/doc /usr/share/man
CMD ["nginx", "-g", "daemon off;"]
`;

// Runs in NGINX_SLIM's build stage (the nginx base): copies into /out what nginx needs to run.
// The libraries are what ldd finds there, at the paths the loader resolved; ldd's output is read
// by this script inside the stage and never reaches the host.
const SLIM_SCRIPT = `#!/bin/sh
set -eu
out=/out
mkdir -p "$out"
mods=$(find /usr/lib/nginx/modules -name '*.so' | sort)
libs=$(ldd /usr/sbin/nginx $mods |
  awk '$2 == "=>" && $3 ~ /^\\// { print $3 } NF == 2 && $1 ~ /^\\// { print $1 }' | sort -u)
for f in /usr/sbin/nginx $mods $libs; do cp -L --parents "$f" "$out"; done
# nginx loads modules through its prefix: /usr/share/nginx/modules, a link to the directory above.
cp -a --parents /usr/share/nginx/modules "$out"
# Its configuration (links followed: sites-enabled and modules-enabled point outside /etc/nginx),
# the page, the accounts it names (user www-data), and the directories it writes or D0's PID1
# mounts on.
mkdir -p "$out/etc" "$out/var/www"
cp -rL /etc/nginx "$out/etc/nginx"
cp -a /var/www/html "$out/var/www/html"
grep -E '^(root|www-data):' /etc/passwd > "$out/etc/passwd"
grep -E '^(root|www-data):' /etc/group > "$out/etc/group"
cp /etc/nsswitch.conf "$out/etc/nsswitch.conf"
mkdir -p "$out/var/log/nginx" "$out/var/lib/nginx" "$out/run"
mkdir -p "$out/dev" "$out/proc" "$out/sys" "$out/tmp"
chmod 1777 "$out/tmp"
`;

const NGINX_SLIM_DOCKERFILE = `ARG BASE
FROM $BASE AS nginx
${NGINX_PAGE_STEP}
COPY slim.sh /slim.sh
RUN /bin/sh /slim.sh
FROM scratch
COPY --from=nginx /out/ /
CMD ["/usr/sbin/nginx", "-g", "daemon off;"]
`;

// busybox nc, not wget: Debian's static busybox wget crashes resolving even an address literal
// in a root without glibc's NSS files. A fetch prints what arrives within its time limit (QEMU's
// guestfwd does not pass the server's close on to the guest, so nc would wait for it forever);
// each outcome is one console line the test reads.
const CLIENT_SCRIPT = `#!/bin/sh
fetch() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout "$3" nc "$1" "$2"; }
sleep 2
out=$(fetch ${CLIENT_TARGETS.allowed.ip} ${CLIENT_TARGETS.allowed.port} 10)
case "$out" in
  *"200 OK"*) echo "egress-allowed: ok $(echo "$out" | tail -n 1)" ;;
  *) echo "egress-allowed: failed" ;;
esac
out=$(fetch ${CLIENT_TARGETS.denied.ip} ${CLIENT_TARGETS.denied.port} 5)
if [ -n "$out" ]; then echo "egress-denied: reached"; else echo "egress-denied: refused"; fi
exec sleep 100000
`;

const CLIENT_DOCKERFILE = `FROM d0/busybox-static:1
COPY client.sh /bin/client.sh
CMD ["/bin/sh", "/bin/client.sh"]
`;

/** Builds NGINX_SERVED (context under workDir); removeNetImages() undoes it. */
export async function buildNginxServed(docker: Dockerode, workDir: string): Promise<string> {
  const base = await ensureBaseImage(docker, NGINX_BASE, () => {});
  return dockerBuild({ dir: path.join(workDir, 'nginx-ctx'), dockerfile: NGINX_DOCKERFILE, tag: NGINX_SERVED, buildArgs: { BASE: base } });
}

/** Builds NGINX_SLIM (context under workDir); removeNetImages() undoes it. */
export async function buildNginxSlim(docker: Dockerode, workDir: string): Promise<string> {
  const base = await ensureBaseImage(docker, NGINX_BASE, () => {});
  return dockerBuild({
    dir: path.join(workDir, 'nginx-slim-ctx'),
    dockerfile: NGINX_SLIM_DOCKERFILE,
    tag: NGINX_SLIM,
    buildArgs: { BASE: base },
    files: { 'slim.sh': SLIM_SCRIPT },
  });
}

/** Builds NET_CLIENT (context under workDir). */
export async function buildNetClient(docker: Dockerode, workDir: string): Promise<string> {
  await ensureBusyboxImage(docker);
  return dockerBuild({ dir: path.join(workDir, 'client-ctx'), dockerfile: CLIENT_DOCKERFILE, tag: NET_CLIENT, files: { 'client.sh': CLIENT_SCRIPT } });
}

/** Removes the images of this file a test built; a test builds only some, so absent ones are fine. */
export function removeNetImages(): void {
  for (const tag of [NGINX_SERVED, NGINX_SLIM, NET_CLIENT]) {
    try {
      execFileSync('/usr/bin/docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    } catch {
      /* not built by this test (docker rmi fails on an absent image) */
    }
  }
}
