// A fleet where each stack is a site. The stack's config gives the site's bridge, the address of
// each container and the site's hosts; `pulumi up` makes the site's signed build and writes it
// to the hosts in batches of `batchSize` (each batch after the previous one is written).
//
//   npm run build                 # from the repository root: d0-deployable resolves to it
//   cd examples/fleet
//   pulumi stack select site-a && pulumi preview     # or site-b
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from 'd0-deployable';

interface HostConfig {
  name: string;
  diskImage: string;
}

const cfg = new pulumi.Config();
const site = pulumi.getStack();
// Relative paths in config are relative to this project's directory (examples/fleet).
const abs = (p: string) => d0.projectPath(p);
const hosts = cfg.requireObject<HostConfig[]>('hosts').map((h) => {
  const diskImage = abs(h.diskImage);
  fs.mkdirSync(path.dirname(diskImage), { recursive: true });
  return { name: h.name, target: { diskImage } };
});
const ips = cfg.requireObject<Record<string, string>>('ips');
const image = cfg.require('image');

const fleet = new d0.Fleet('fleet', {
  signingKey: d0.signingKeyFromFile(abs(cfg.require('signingKeyFile'))),
  securityEpoch: cfg.requireNumber('securityEpoch'),
  batchSize: cfg.getNumber('batchSize') ?? 1,
  outDir: abs(cfg.get('outDir') ?? '.d0/builds'),
  sites: [
    {
      name: site,
      network: { bridge: cfg.require('bridge'), egressNat: true },
      containers: [
        { name: 'web', image, memMb: 128, ip: ips.web, bootOrder: 1, healthTimeoutS: 30 },
        { name: 'api', image, memMb: 256, ip: ips.api, bootOrder: 2, healthTimeoutS: 60 },
      ],
      hosts,
    },
  ],
});

export const buildUuids = fleet.buildUuids;
export const rollout = fleet.batches.map((b, i) => `batch ${i}: ${b.length} host(s)`);
