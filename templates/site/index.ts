// A D0 site: one container as a micro-VM on a /24 bridge, built into a signed build and written
// to one host's A/B disk image. Every change of the site (memMb, the image, the key) makes a new
// signed build, which `up` writes into the disk's inactive slot; the next boot tries it.
//
// Paths in the stack config are relative to this folder (the project directory).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from 'd0-deployable';

const cfg = new pulumi.Config();

const network = new d0.Network('lan', { bridge: '10.20.0.1/24' });
const app = new d0.Container('app', {
  image: cfg.require('image'),
  memMb: cfg.getNumber('memMb') ?? 64,
  ip: '10.20.0.10/24',
  gw: '10.20.0.1',
  healthTimeoutS: 30,
  restart: 'on-failure',
});
const deployment = new d0.Deployment('site', {
  site: pulumi.getProject(),
  network,
  containers: [app],
  securityEpoch: cfg.getNumber('securityEpoch') ?? 1,
  // Read from a file, never from stack config: see the d0-deployable README, "How the key is handled".
  signingKey: d0.signingKeyFromFile(d0.projectPath(cfg.require('signingKeyFile'))),
  outDir: d0.projectPath(cfg.get('outDir') ?? '.d0/builds'),
});
const disk = d0.projectPath(cfg.get('diskImage') ?? '.d0/hosts/host-01.img');
fs.mkdirSync(path.dirname(disk), { recursive: true });
const host = new d0.EspSlotWriter('host-01', { deployment, target: { diskImage: disk } });

export const buildUuid = deployment.buildUuid;
export const slotDir = deployment.slotDir;
export const hostDisk = host.writtenUuid.apply(() => disk);
export const hostSlot = host.slot;
/** What the host's next boot will do: the slot and build D0 runs, and how (trial, commit, ...). */
export const nextBoot = host.nextBoot;
