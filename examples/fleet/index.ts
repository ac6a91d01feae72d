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
// Optional: D0's own address on the hosts' NIC; with it, web's port 80 is published on it.
const uplink = cfg.getObject<{ address: string; gateway: string }>('uplink');
const image = cfg.require('image');

const fleet = new d0.Fleet('fleet', {
  signingKey: d0.signingKeyFromFile(abs(cfg.require('signingKeyFile'))),
  securityEpoch: cfg.requireNumber('securityEpoch'),
  batchSize: cfg.getNumber('batchSize') ?? 1,
  outDir: abs(cfg.get('outDir') ?? '.d0/builds'),
  sites: [
    {
      name: site,
      network: {
        bridge: cfg.require('bridge'),
        egressNat: true,
        ...(uplink ? { uplink: uplink.address, uplinkGw: uplink.gateway } : {}),
      },
      containers: [
        {
          name: 'web',
          image,
          memMb: 128,
          ip: ips.web,
          bootOrder: 1,
          healthTimeoutS: 30,
          ...(uplink ? { publish: [{ port: 80, targetPort: 8080 }] } : {}),
        },
        {
          name: 'api',
          image,
          memMb: 256,
          ip: ips.api,
          bootOrder: 2,
          healthTimeoutS: 60,
          // Out of the site only to DNS and one HTTPS service, at most 100 Mbit/s.
          egress: {
            allow: [
              { to: '192.0.2.53/32', protocol: 'udp', ports: '53' },
              { to: '198.51.100.0/24', protocol: 'tcp', ports: '443' },
            ],
          },
          rateLimit: { tx: { bytesPerSecond: 12_500_000, burstBytes: 65536 } },
        },
      ],
      hosts,
    },
  ],
});

export const buildUuids = fleet.buildUuids;
export const rollout = fleet.batches.map((b, i) => `batch ${i}: ${b.length} host(s)`);
