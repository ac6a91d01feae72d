// The Pulumi project of the rollout tests: one container (`web`) whose image comes from site.json
// (rewritten between steps), one Deployment, and one EspSlotWriter on site.json's disk image, with
// the writer's outputs exported. The signing key is the RFC 8032 TEST 1 key, from a 0600 file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readGpt } from '../../builder/disk/gpt';
import { PulumiWorkspace } from '../support/pulumi';
import { REPO_ROOT, SECRET } from './site-program';

const PROGRAM = `import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from ${JSON.stringify(path.join(REPO_ROOT, 'provider'))};

const site = JSON.parse(fs.readFileSync('site.json', 'utf8'));
const cfg = new pulumi.Config();
const network = new d0.Network('lan', { bridge: '10.20.0.1/24' });
const web = new d0.Container('web', {
  image: site.image, memMb: 64, ip: '10.20.0.10/24', healthTimeoutS: 60,
});
const deployment = new d0.Deployment('site', {
  network, containers: [web], signingKey: d0.signingKeyFromFile(cfg.require('signingKeyFile')),
  securityEpoch: 1, outDir: site.outDir, kernelMode: 'host',
});
const host = new d0.EspSlotWriter('host-01', { deployment, target: { diskImage: site.disk } });
export const buildUuid = deployment.buildUuid;
export const writtenUuid = host.writtenUuid;
export const slot = host.slot;
export const slotSha256 = host.slotSha256;
export const wrote = host.wrote;
`;

export interface RolloutOutputs {
  buildUuid: string;
  writtenUuid: string;
  slot: string;
  slotSha256: string;
  wrote: boolean;
}

/** A workspace with the rollout program and a stack `site-a` whose key file is set. */
export async function rolloutWorkspace(): Promise<PulumiWorkspace> {
  const ws = await PulumiWorkspace.create({
    files: {
      'Pulumi.yaml':
        'name: d0-rollout\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n',
      'package.json': JSON.stringify({ name: 'd0-rollout', private: true, main: 'index.ts' }),
      'index.ts': PROGRAM,
    },
  });
  const keyFile = path.join(ws.root, 'signing.key');
  fs.writeFileSync(keyFile, SECRET + '\n', { mode: 0o600 });
  await ws.pulumiOk(['stack', 'init', 'site-a']);
  await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
  return ws;
}

/** Points the program at an image and a disk. */
export function writeRolloutSite(ws: PulumiWorkspace, image: string, disk: string): void {
  ws.writeFile('site.json', JSON.stringify({ image, outDir: path.join(ws.root, 'builds'), disk }));
}

/** SHA-256 of partition n (1-based) of a disk image, read here (not through the writer it checks). */
export function partitionSha256(disk: string, n: number): string {
  const p = readGpt(disk).find((x) => x.index === n)!;
  const fd = fs.openSync(disk, 'r');
  try {
    const b = Buffer.alloc(p.size);
    fs.readSync(fd, b, 0, p.size, p.offset);
    return crypto.createHash('sha256').update(b).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}
