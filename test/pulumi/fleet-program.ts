// The Pulumi project of the health-gated fleet test: one Fleet of one site (`site-a`, one container
// `web` whose image comes from fleet.json, rewritten between steps) rolled out through the update
// server: a canary batch of one host, then batches of two, each host with its MAC and its BMC
// (from fleet.json). The BMC password comes from the environment (D0_TEST_BMC_PASSWORD) as a
// secret, never from stack config; the signing key is the RFC 8032 TEST 1 key, from a 0600 file.
// Exports each HostRollout's outputs, batch by batch.
import fs from 'node:fs';
import path from 'node:path';
import { PulumiWorkspace } from '../support/pulumi';
import { REPO_ROOT, SECRET } from './site-program';

export const BMC_PASSWORD_ENV = 'D0_TEST_BMC_PASSWORD';

const PROGRAM = `import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from ${JSON.stringify(path.join(REPO_ROOT, 'provider'))};
import { Fleet } from ${JSON.stringify(path.join(REPO_ROOT, 'components'))};

const cfg = new pulumi.Config();
const fleet = JSON.parse(fs.readFileSync('fleet.json', 'utf8'));
const password = pulumi.secret(process.env.${BMC_PASSWORD_ENV} ?? '');
const f = new Fleet('fleet', {
  signingKey: d0.signingKeyFromFile(cfg.require('signingKeyFile')),
  securityEpoch: 1,
  kernelMode: 'host',
  outDir: fleet.outDir,
  canary: 1,
  batchSize: 2,
  updateServer: { site: fleet.publication, reportsFile: fleet.reportsFile, timeoutSeconds: 30 },
  sites: [{
    name: 'site-a',
    network: { bridge: '10.20.0.1/24' },
    containers: [{ name: 'web', image: fleet.image, memMb: 64, ip: '10.20.0.10/24', healthTimeoutS: 30 }],
    hosts: fleet.hosts.map((h: { name: string; mac: string; bmc: string }) => ({
      name: h.name, mac: h.mac, bmc: { url: h.bmc, username: 'admin', password },
    })),
  }],
});
export const buildUuids = f.buildUuids;
export const rollouts = f.rollouts.map((batch) => batch.map((r) => ({
  buildUuid: r.buildUuid, outcome: r.outcome, committedAt: r.committedAt, slot: r.slot,
})));
`;

export interface FleetFile {
  image: string;
  outDir: string;
  publication: string;
  reportsFile: string;
  hosts: { name: string; mac: string; bmc: string }[];
}

export interface FleetOutputs {
  buildUuids: Record<string, string>;
  rollouts: { buildUuid: string; outcome: string; committedAt: string; slot?: string }[][];
}

/** A workspace with the fleet program and a stack `site-a` whose key file is set. */
export async function fleetWorkspace(): Promise<PulumiWorkspace> {
  const ws = await PulumiWorkspace.create({
    files: {
      'Pulumi.yaml':
        'name: d0-fleet\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n',
      'package.json': JSON.stringify({ name: 'd0-fleet', private: true, main: 'index.ts' }),
      'index.ts': PROGRAM,
    },
  });
  const keyFile = path.join(ws.root, 'signing.key');
  fs.writeFileSync(keyFile, SECRET + '\n', { mode: 0o600 });
  await ws.pulumiOk(['stack', 'init', 'site-a']);
  await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
  return ws;
}

export function writeFleet(ws: PulumiWorkspace, fleet: FleetFile): void {
  ws.writeFile('fleet.json', JSON.stringify(fleet, null, 2));
}
