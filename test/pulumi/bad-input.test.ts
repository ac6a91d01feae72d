// Bad input fails at `pulumi preview` (and `up`) with every problem of the site listed at once,
// each at its path, named once, and nothing is built or written: a Container's bad field does not
// stop the preview before the Deployment's site-wide problems are shown. A corrupt image archive
// is reported at preview.
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
        { name: 'web', image, memMb: -1, ip: '10.20.0.10/24', bootOrder: 1 },
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

  it('lists a bad memMb, a duplicate IP, an IP outside the subnet, a missing image and a malformed key in one preview', async () => {
    fs.writeFileSync(keyFile, 'not-a-key-' + SECRET.slice(0, 20) + '\n');
    for (const cmd of [['preview'], ['up', '--yes']]) {
      const r = await ws.pulumi(cmd, engineEnv);
      const out = r.stdout + r.stderr;
      assert.notEqual(r.code, 0, `${cmd[0]} succeeded:\n${out}`);
      const reported = siteProblems(out);
      const paths = reported.map((p) => p.path);
      assert.ok(paths.includes('containers.web.memMb'), out);
      assert.match(
        reported.find((p) => /^containers\.(web|api)\.ip$/.test(p.path))?.message ?? out,
        /^address 10\.20\.0\.10 is also used by containers\[(api|web)\]/,
      );
      assert.match(
        reported.find((p) => p.path === 'containers.db.ip')?.message ?? out,
        /outside the bridge subnet 10\.20\.0\.0\/24/,
      );
      assert.match(
        reported.find((p) => p.path === 'containers.api.image')?.message ?? out,
        /missing\.tar: no such file/,
      );
      assert.match(
        reported.find((p) => p.path === 'signingKey')?.message ?? out,
        /^is not a D0 secret key/,
      );
      assert.equal(new Set(paths).size, paths.length, `a path is reported twice:\n${out}`);
      for (const p of reported)
        assert.ok(!p.message.includes(p.path), `${p.path} is named twice: ${p.message}`);
      assert.doesNotMatch(out, /\{<nil>\}|property \S+ value/);
      assert.doesNotMatch(out, new RegExp(SECRET.slice(0, 20)), 'the key file content is echoed');
      assert.equal(fs.existsSync(site.outDir), false);
      assert.equal(fs.existsSync(site.disk), false);
    }
  });

  it('lists a bad bridge with the other problems: the Network does not stop the preview', async () => {
    fs.writeFileSync(keyFile, 'not-a-key\n');
    writeSite(ws.projectDir, { ...site, network: { bridge: '10.20.0.300/24' } });
    const r = await ws.pulumi(['preview'], engineEnv);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, `preview succeeded:\n${out}`);
    const paths = siteProblems(out).map((p) => p.path);
    for (const p of [
      'network.bridge',
      'containers.web.memMb',
      'containers.api.image',
      'signingKey',
    ])
      assert.ok(paths.includes(p), `${p} is not reported:\n${out}`);
    assert.doesNotMatch(out, /resource 'lan' has a problem/);
  });

  it('reports a cut image archive at preview, without converting it', async () => {
    fs.writeFileSync(keyFile, SECRET + '\n');
    const cut = path.join(ws.root, 'images', 'cut.tar');
    const whole = fs.readFileSync(path.join(ws.root, 'images', 'busybox.tar'));
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const image = `docker-archive:${cut}`;
    writeSite(ws.projectDir, {
      ...site,
      containers: [{ name: 'web', image, memMb: 64, ip: '10.20.0.10/24', bootOrder: 1 }],
    });
    const log = path.join(ws.root, 'conversions.log');
    const r = await ws.pulumi(['preview'], { env: { ...engineEnv.env, D0_CONVERSION_LOG: log } });
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, `preview succeeded:\n${out}`);
    assert.deepEqual(
      siteProblems(out).map((p) => `${p.path}: ${p.message}`),
      [
        `containers.web.image: ${image}: not a readable tar: member "${LAYER}" runs past the end of the file`,
      ],
    );
    assert.equal(fs.existsSync(log), false, 'preview converted an image');
    assert.equal(fs.existsSync(site.outDir), false);
  });
});

/** The member a 60 % cut of the busybox archive ends in (its one layer holds nearly all bytes). */
const LAYER = 'layer0/layer.tar';

/**
 * The Deployment's problems from the Diagnostics section of an engine run: each line
 * `error: <type> resource 'site' has a problem: <path>: <message>`.
 */
function siteProblems(out: string): { path: string; message: string }[] {
  const diagnostics = out.slice(out.indexOf('Diagnostics:'));
  return [...diagnostics.matchAll(/resource 'site' has a problem: (\S+): (.*)$/gm)].map((m) => ({
    path: m[1],
    message: m[2],
  }));
}
