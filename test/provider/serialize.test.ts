// The providers survive Pulumi's closure serialization: each provider object is serialized the
// way pulumi.dynamic.Resource does it, loaded in a separate plain Node.js process (no tsx, no
// ts-node, like the pulumi-resource-pulumi-nodejs plugin) and its check() is called there.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { containerProvider } from '../../provider/container';
import { deploymentProvider } from '../../provider/deployment';
import { espSlotWriterProvider } from '../../provider/esp-slot-writer';
import { hostRolloutProvider } from '../../provider/host-rollout';
import { kernelBuildProvider } from '../../provider/kernel-build';
import { networkProvider } from '../../provider/network';
import { updatePublicationProvider } from '../../provider/update-publication';
import { failurePath } from '../../provider/impl/problems';

const REPO = path.resolve(__dirname, '..', '..');

async function serialized(p: pulumi.dynamic.ResourceProvider): Promise<string> {
  return (await pulumi.runtime.serializeFunction(() => p, { allowSecrets: false })).text;
}

/** Loads the text as a module in a fresh `node` and calls handler().check(olds, news). */
function checkInPlainNode(
  text: string,
  news: unknown,
): { inputs: Record<string, unknown>; failures: { property: string; reason: string }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-serialized-'));
  try {
    fs.writeFileSync(path.join(dir, 'provider.js'), text);
    const script = `require(${JSON.stringify(path.join(dir, 'provider.js'))}).handler().check({}, ${JSON.stringify(news)})
      .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: os.tmpdir() },
      encoding: 'utf8',
    });
    return JSON.parse(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('provider: closure serialization', function () {
  this.timeout(60_000);

  it('every provider serializes without capturing builders or core modules', async () => {
    for (const p of [
      networkProvider,
      containerProvider,
      deploymentProvider,
      kernelBuildProvider,
      espSlotWriterProvider,
      updatePublicationProvider,
      hostRolloutProvider,
    ]) {
      const text = await serialized(p);
      assert.ok(text.length < 20_000, `serialized provider is ${text.length} characters`);
      assert.doesNotMatch(text, /validateManifest|buildImage|encodeManifest|dockerode/);
      assert.match(text, /impl\//);
    }
  });

  it('a deserialized Network provider runs check() in a plain node process', async () => {
    // check() is lenient (the Deployment reports a bad bridge) and fills in the default.
    const r = checkInPlainNode(await serialized(networkProvider), { bridge: '10.20.0.0/24' });
    assert.deepEqual(r.inputs, { bridge: '10.20.0.0/24', egressNat: false });
    assert.deepEqual(r.failures ?? [], []);
  });

  it('a deserialized Deployment provider replaces the signing key by its public key', async () => {
    const news = {
      site: 's',
      network: { bridge: '10.20.0.1/24', egressNat: false },
      containers: {
        web: {
          name: 'web',
          image: 'oci:/nonexistent',
          vcpu: 1,
          memMb: 64,
          ip: '10.20.0.10/24',
          bootOrder: 0,
          healthTimeoutS: 30,
        },
      },
      securityEpoch: 1,
      signingKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      outDir: '/tmp/d0-never-written',
    };
    const r = checkInPlainNode(await serialized(deploymentProvider), news);
    assert.equal(
      r.inputs.publicKey,
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    assert.equal(r.inputs.signingKey, undefined);
    assert.doesNotMatch(JSON.stringify(r), /9d61b19d/);
    assert.deepEqual(r.failures.map(failurePath), ['containers.web.image']);
  });

  it('a deserialized HostRollout provider takes the BMC password out of the inputs', async () => {
    const password = 'serialized-bmc-password';
    const news = {
      site: '/srv/d0/site-a',
      buildUuid: '01900000-0000-7000-8000-000000000002',
      publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      host: {
        name: 'web-1',
        mac: '52-54-00-12-34-56',
        bmc: { url: 'https://10.0.0.11', username: 'admin' },
      },
      bmcPassword: password,
      reportsFile: '/var/log/d0/reports.log',
    };
    const r = checkInPlainNode(await serialized(hostRolloutProvider), news);
    assert.equal(r.inputs.bmcPassword, undefined);
    assert.equal(r.inputs.timeoutSeconds, 600);
    assert.doesNotMatch(JSON.stringify(r), new RegExp(password));
    assert.deepEqual(r.failures ?? [], []);
  });
});
