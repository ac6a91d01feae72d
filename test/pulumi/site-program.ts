// A Pulumi project for the real-engine tests: index.ts builds the site described by site.json
// (rewritten by the test between steps) with the public API of provider/, the signing key from
// the key file named by the stack config `signingKeyFile`.
import fs from 'node:fs';
import path from 'node:path';
import { d0CacheRoot } from '../../builder/cache/build-cache';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface SiteFile {
  network: { bridge: string; egressNat?: boolean };
  containers: Array<{ name: string; image: string; memMb: number; ip: string; bootOrder?: number }>;
  epoch: number;
  outDir: string;
  disk: string;
}

export function projectFiles(name: string): Record<string, string> {
  return {
    'Pulumi.yaml': `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n`,
    'package.json': JSON.stringify({ name, private: true, main: 'index.ts' }),
    'index.ts': `import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from ${JSON.stringify(path.join(REPO_ROOT, 'provider'))};

const site = JSON.parse(fs.readFileSync('site.json', 'utf8'));
const cfg = new pulumi.Config();
const network = new d0.Network('lan', site.network);
const containers = site.containers.map((c: d0.ContainerArgs & { name: string }) => new d0.Container(c.name, c));
const deployment = new d0.Deployment('site', {
  network, containers, signingKey: d0.signingKeyFromFile(cfg.require('signingKeyFile')), securityEpoch: site.epoch,
  outDir: site.outDir, kernelMode: 'host',
});
const writer = new d0.EspSlotWriter('host-01', { deployment, target: { diskImage: site.disk } });
export const buildUuid = deployment.buildUuid;
export const publicKey = deployment.publicKey;
export const manifestSha256 = deployment.manifestSha256;
export const slotDir = deployment.slotDir;
export const writtenUuid = writer.writtenUuid;
export const nextBoot = writer.nextBoot;
`,
  };
}

export function writeSite(projectDir: string, site: SiteFile): void {
  fs.writeFileSync(path.join(projectDir, 'site.json'), JSON.stringify(site, null, 2));
}

// RFC 8032 TEST 1 (public knowledge): the seed and its public key.
export const SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

/** Engine commands see the same build cache as the test process (the workspace HOME is private). */
export const engineEnv = { env: { D0_CACHE: d0CacheRoot() } };
