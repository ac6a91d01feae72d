// The examples, run by the real engine as they are in the repository: examples/hello through the
// root Pulumi.yaml (preview, up, destroy) and examples/fleet's two site stacks (preview). Each is
// copied into a temporary project whose node_modules resolves the package name to this checkout
// (built: dist/), so the examples' `import * as d0 from 'd0-deployable'` loads what users load.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isUuidV7 } from '../../core/uuid';
import { consoleLines, eventsOf } from '../support/events';
import { writeBusyboxArchive } from '../provider/fixture-image';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  parsePreviewJson,
  parseStackOutputs,
  PulumiWorkspace,
} from '../support/pulumi';
import { buildPackage, linkPackageModules } from '../support/package';
import { engineEnv, PUBLIC, REPO_ROOT, SECRET } from './site-program';

const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');

async function prepare(ws: PulumiWorkspace): Promise<{ image: string; keyFile: string }> {
  const image = await writeBusyboxArchive(path.join(ws.root, 'images', 'busybox.tar'));
  const keyFile = path.join(ws.root, 'signing.key');
  fs.writeFileSync(keyFile, SECRET + '\n', { mode: 0o600 });
  return { image, keyFile };
}

const created = (stdout: string) =>
  parsePreviewJson(stdout)
    .steps.filter((s) => s.op === 'create' && s.urn.includes('dynamic/d0:'))
    .map((s) => `${s.urn.split('dynamic/d0:')[1]}`)
    .sort();

describe('Pulumi engine: examples', function () {
  this.timeout(240_000);

  describe('examples/hello (the root Pulumi.yaml)', () => {
    let ws: PulumiWorkspace;
    before(async function () {
      this.timeout(ENGINE_BUILD_TIMEOUT_MS);
      await buildPackage();
      ws = await PulumiWorkspace.create({
        nodeModules: linkPackageModules,
        files: {
          'Pulumi.yaml': read('Pulumi.yaml'),
          'examples/hello/index.ts': read('examples/hello/index.ts'),
          'examples/hello/Pulumi.dev.yaml': read('examples/hello/Pulumi.dev.yaml'),
        },
      });
    });
    after(() => ws?.dispose());

    it('previews, builds and writes one host, boots it with d0 run, and destroys', async function () {
      this.timeout(600_000);
      const { image, keyFile } = await prepare(ws);
      await ws.pulumiOk(['stack', 'init', 'dev']);
      await ws.pulumiOk(['config', 'set', 'image', image]);
      await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
      const p = await ws.pulumiOk(['preview', '--json'], engineEnv);
      assert.deepEqual(created(p.stdout), [
        'Container::hello',
        'Deployment::hello',
        'EspSlotWriter::host-01',
        'Network::lan',
      ]);
      const up = await ws.pulumiOk(['up', '--yes', '--skip-preview'], engineEnv);
      // The package resolves by name to a real entry file: neither the host's fallback warning
      // nor Node's for a package.json main that names a missing file.
      assert.doesNotMatch(up.stdout + up.stderr, /Could not find entry point|DEP0128/);
      const o = parseStackOutputs(
        (await ws.pulumiOk(['stack', 'output', '--json'])).stdout,
      ) as Record<string, string>;
      assert.ok(isUuidV7(o.buildUuid));
      assert.equal(o.publicKey, PUBLIC);
      assert.ok(fs.existsSync(o.hostDisk), o.hostDisk);
      assert.ok(fs.existsSync(path.join(o.slotDir, `manifest-${o.buildUuid}.tlv`)));
      // `up` says what the host's first boot will do: the one build, in slot A.
      assert.deepEqual(o.nextBoot, {
        slot: 'A',
        uuid: o.buildUuid,
        path: 'first boot: no candidate, commit',
      });
      // The dev loop on what up wrote: d0 run boots the host disk under QEMU+OVMF with SVM, and the
      // container's output reaches D0's log under its name.
      const run = spawnSync(
        'npx',
        ['tsx', path.join(REPO_ROOT, 'cli/main.ts'), 'run', o.hostDisk, '--cpu', 'EPYC'].concat([
          '--until',
          'vm_exit',
          '--timeout',
          '240',
        ]),
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL' },
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const log = run.stdout + run.stderr;
      assert.match(log, new RegExp(`ev=manifest_verified\\b.*\\buuid=${o.buildUuid}`));
      assert.ok(consoleLines(eventsOf(run.stdout), 'hello').includes('hello from v1'), log);
      assert.match(log, /ev=vm_exit\b.*\bvm=hello\b.*\bstatus=0\b/);
      await ws.pulumiOk(['destroy', '--yes', '--skip-preview'], engineEnv);
      assert.equal(fs.existsSync(o.hostDisk), false);
    });
  });

  describe('examples/fleet (two sites as stacks)', () => {
    let ws: PulumiWorkspace;
    before(async function () {
      this.timeout(ENGINE_BUILD_TIMEOUT_MS);
      await buildPackage();
      ws = await PulumiWorkspace.create({
        nodeModules: linkPackageModules,
        files: {
          'Pulumi.yaml': read('examples/fleet/Pulumi.yaml').replace(
            /^main: .*$/m,
            'main: examples/fleet/index.ts',
          ),
          'examples/fleet/index.ts': read('examples/fleet/index.ts'),
          'Pulumi.site-a.yaml': read('examples/fleet/Pulumi.site-a.yaml'),
          'Pulumi.site-b.yaml': read('examples/fleet/Pulumi.site-b.yaml'),
        },
      });
    });
    after(() => ws?.dispose());

    it('each stack previews its own site: its bridge, addresses and hosts', async () => {
      const { image, keyFile } = await prepare(ws);
      const expected = {
        'site-a': {
          bridge: '10.20.0.1/24',
          web: '10.20.0.10/24',
          hosts: ['site-a-a-01', 'site-a-a-02', 'site-a-a-03'],
        },
        'site-b': {
          bridge: '10.30.0.1/24',
          web: '10.30.0.20/24',
          hosts: ['site-b-b-01', 'site-b-b-02'],
        },
      };
      for (const [stack, want] of Object.entries(expected)) {
        await ws.pulumiOk(['stack', 'init', stack]);
        await ws.pulumiOk(['config', 'set', 'image', image]);
        await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
        const p = parsePreviewJson((await ws.pulumiOk(['preview', '--json'], engineEnv)).stdout);
        const step = (type: string, name: string) =>
          p.steps.find((s) => s.urn.endsWith(`dynamic/d0:${type}::${name}`));
        assert.equal(step('Network', `${stack}-net`)?.newState?.inputs?.bridge, want.bridge);
        assert.equal(step('Container', `${stack}-web`)?.newState?.inputs?.ip, want.web);
        const writers = p.steps
          .filter((s) => s.urn.includes('dynamic/d0:EspSlotWriter::'))
          .map((s) => s.urn.split('::').pop())
          .sort();
        assert.deepEqual(writers, want.hosts);
        assert.equal(p.steps.filter((s) => s.urn.includes('d0:index:Site::')).length, 1);
      }
    });
  });
});
