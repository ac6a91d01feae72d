// Bad input fails at `pulumi preview` (and `up`) with every problem listed at its property path,
// and nothing is built or written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { ENGINE_BUILD_TIMEOUT_MS, PulumiWorkspace } from '../support/pulumi';
import { engineEnv, projectFiles, SECRET, writeSite, type SiteFile } from './site-program';

describe('Pulumi engine: bad site input fails at preview, nothing written', function () {
  this.timeout(180_000);
  let ws: PulumiWorkspace;
  let site: SiteFile;
  let keyFile: string;

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await PulumiWorkspace.create({ files: projectFiles('d0-bad-input') });
    const image = await writeBusyboxArchive(path.join(ws.root, 'images', 'busybox.tar'));
    keyFile = path.join(ws.root, 'signing.key');
    site = {
      network: { bridge: '10.20.0.1/24' },
      containers: [
        { name: 'web', image, memMb: 64, ip: '10.20.0.10/24', bootOrder: 1 },
        {
          name: 'api',
          image: `docker-archive:${path.join(ws.root, 'images', 'missing.tar')}`,
          memMb: 64,
          ip: '10.20.0.10/24',
          bootOrder: 2,
        },
        { name: 'db', image, memMb: 64, ip: '10.30.0.5/24', bootOrder: 3 },
      ],
      epoch: 1,
      outDir: path.join(ws.root, 'builds'),
      disk: path.join(ws.root, 'host-01.img'),
    };
    writeSite(ws.projectDir, site);
    await ws.pulumiOk(['stack', 'init', 'bad']);
    await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
  });
  after(() => ws?.dispose());

  it('lists a duplicate IP, an IP outside the bridge subnet, a missing image and a malformed key', async () => {
    fs.writeFileSync(keyFile, 'not-a-key-' + SECRET.slice(0, 20) + '\n');
    for (const cmd of [['preview'], ['up', '--yes']]) {
      const r = await ws.pulumi(cmd, engineEnv);
      const out = r.stdout + r.stderr;
      assert.notEqual(r.code, 0, `${cmd[0]} succeeded:\n${out}`);
      assert.match(
        out,
        /containers\.(web|api)\.ip: address 10\.20\.0\.10 is also used by containers\[(api|web)\]/,
      );
      assert.match(out, /containers\.db\.ip: .*outside the bridge subnet 10\.20\.0\.0\/24/);
      assert.match(out, /containers\.api\.image: .*missing\.tar: no such file/);
      assert.match(out, /signingKey: is not a D0 secret key/);
      assert.doesNotMatch(out, new RegExp(SECRET.slice(0, 20)), 'the key file content is echoed');
      assert.equal(fs.existsSync(site.outDir), false);
      assert.equal(fs.existsSync(site.disk), false);
    }
  });
});
