// The hello site: one micro-VM on a /24 bridge, built, signed and written to one host's disk
// image. It imports D0 by its package name, as a project that installed the package does; in
// this repository the name resolves to the repository itself (package.json "exports": the
// compiled dist/, so run `npm run build` first; tsconfig.json "paths" give the types). Run from
// the repository root, whose Pulumi.yaml points here:
//
//   npm run build
//   npx d0 keygen --out .d0/signing                  # writes .d0/signing.key (0600) + .pub
//   pulumi stack select --create dev                 # config: examples/hello/Pulumi.dev.yaml
//   pulumi config set image docker-archive:/path/to/image.tar   # or docker:NAME, oci:DIR
//   pulumi preview && pulumi up
//   npx d0 run .d0/hosts/host-01.img --cpu EPYC      # boots it; NVRAM kept beside it
//
// The first up lays out an A/B disk with the build in slot A. After a change, up writes the new
// build into the inactive slot (reading D0's NV state from host-01.img.vars.fd when `d0 run` left
// one), and the next `d0 run` tries it and commits it once its VM is healthy.
//
// Relative paths in config are relative to the project directory (where Pulumi.yaml is).
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from 'd0-deployable';

const cfg = new pulumi.Config();

const network = new d0.Network('lan', { bridge: '10.20.0.1/24', egressNat: false });
const hello = new d0.Container('hello', {
  image: cfg.get('image') ?? 'docker:d0-hello:1',
  memMb: cfg.getNumber('memMb') ?? 64,
  ip: '10.20.0.10/24',
  gw: '10.20.0.1',
  healthTimeoutS: 30,
  restart: 'on-failure',
});
const deployment = new d0.Deployment('hello', {
  site: 'hello',
  network,
  containers: [hello],
  signingKey: d0.signingKeyFromFile(d0.projectPath(cfg.require('signingKeyFile'))),
  securityEpoch: cfg.getNumber('securityEpoch') ?? 1,
  outDir: d0.projectPath(cfg.get('outDir') ?? '.d0/builds'),
});
const disk = d0.projectPath(cfg.get('diskImage') ?? '.d0/hosts/host-01.img');
fs.mkdirSync(path.dirname(disk), { recursive: true });
const host = new d0.EspSlotWriter('host-01', { deployment, target: { diskImage: disk } });

export const buildUuid = deployment.buildUuid;
export const manifestSha256 = deployment.manifestSha256;
export const publicKey = deployment.publicKey;
export const slotDir = deployment.slotDir;
export const hostDisk = host.writtenUuid.apply(() => disk);
/** The slot (A or B) holding this build: a new build always goes to the inactive one. */
export const hostSlot = host.slot;
/** What the host's next boot will do: the slot and build D0 runs, and how (trial, commit, ...). */
export const nextBoot = host.nextBoot;
