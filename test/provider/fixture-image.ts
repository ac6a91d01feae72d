// A tiny container image for provider, Pulumi and bench tests, written as a docker-archive file
// without a Docker engine: one layer holding Debian's static busybox (/bin/busybox, /bin/sh).
// `variant` changes the config (an env entry), so a test can make "the same image, new bytes".
import fs from 'node:fs';
import path from 'node:path';
import { makeBuild, type BuildOutput } from '../../builder/site';
import type { BuildSpec } from '../../core/site/spec';
import type { DeploymentInputs } from '../../provider/impl/deployment';
import { craftLayer, imageConfig, writeDockerArchive } from '../support/oci-pack';

export const BUSYBOX = '/bin/busybox';

export async function writeBusyboxArchive(file: string, variant = 'v1'): Promise<string> {
  if (!fs.existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} missing: install the Debian package busybox-static`);
  const layer = await craftLayer([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', content: fs.readFileSync(BUSYBOX), mode: 0o755 },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
  ]);
  const config = imageConfig([layer], {
    // Prints one line D0's log shows as the VM's console, then exits 0.
    Cmd: ['/bin/busybox', 'sh', '-c', 'echo "hello from $D0_VARIANT"'],
    Env: [`D0_VARIANT=${variant}`],
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeDockerArchive(file, [layer], config);
  return `docker-archive:${file}`;
}

/** The one-container site the provider and writer tests build: "web" from image at 10.20.0.10. */
export function webSiteSpec(image: string, memMb = 64): BuildSpec {
  return {
    network: { bridge: '10.20.0.1/24' },
    securityEpoch: 1,
    containers: [
      { name: 'web', image, vcpu: 1, memMb, ip: '10.20.0.10/24', bootOrder: 0, healthTimeoutS: 30 },
    ],
  };
}

/**
 * The Deployment provider's inputs for the web site of webSiteSpec, signed with TEST_SECRET, built
 * under `dir`/builds with the host toolchain; `over` replaces top-level inputs, `web` fields of
 * the container.
 */
export function webDeploymentInputs(
  image: string,
  dir: string,
  over: Record<string, unknown> = {},
  web: Record<string, unknown> = {},
): DeploymentInputs {
  return {
    site: 'lab',
    network: { bridge: '10.20.0.1/24', egressNat: false },
    containers: {
      web: {
        name: 'web',
        image,
        vcpu: 1,
        memMb: 64,
        ip: '10.20.0.10/24',
        bootOrder: 1,
        healthTimeoutS: 30,
        ...web,
      },
    },
    securityEpoch: 1,
    signingKey: TEST_SECRET.toString('hex'),
    outDir: path.join(dir, 'builds'),
    kernelMode: 'host',
    ...over,
  } as DeploymentInputs;
}

/** The RFC 8032 TEST 1 key pair the writer tests sign and verify with. */
export const TEST_SECRET = Buffer.from(
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  'hex',
);
export const TEST_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

/**
 * Builds of the web site from `image()` signed with TEST_SECRET under `dir()`/builds (D0 with the
 * host toolchain), and the EspSlotWriter inputs that write one to a disk image. Both are read at
 * each call: a test makes them in its before() hook.
 */
export function webSiteBuilds(dir: () => string, image: () => string) {
  return {
    build: (memMb: number) =>
      makeBuild({
        spec: webSiteSpec(image(), memMb),
        secretKey: TEST_SECRET,
        outDir: path.join(dir(), 'builds'),
        kernelMode: 'host',
      }),
    write: (b: BuildOutput, disk: string, activeUuid?: string) => ({
      buildUuid: b.buildUuid,
      slotDir: b.slotDir,
      publicKey: TEST_PUBLIC,
      target: { diskImage: disk },
      ...(activeUuid ? { activeUuid } : {}),
    }),
  };
}
