// Site and Fleet under pulumi.runtime.setMocks: the children they create, their parents, names
// and inputs, and the rollout order (each batch's writers depend on the previous batch's), read
// from the dependencies the SDK sends with each registration.
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { Fleet, rolloutBatches, Site } from '../../components';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  parent: string;
  dependencies: string[];
}

const registered: Registered[] = [];

/** The parts of the SDK's RegisterResourceRequest (a protobuf message) read here. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getParent(): string;
  getDependenciesList(): string[];
}

function setMocks(): void {
  registered.length = 0;
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        const state = { ...a.inputs };
        if (a.type.endsWith(':Deployment'))
          Object.assign(state, {
            buildUuid: `uuid-of-${a.name}`,
            slotDir: `/builds/${a.name}/slot`,
          });
        return { id: `${a.name}-id`, state };
      },
      call: () => ({}),
    },
    'd0-test',
    'site-a',
    true,
  );
  // Record each registration's parent and dependencies as the SDK sends them to the engine.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: unknown) => {
    const type = req.getType() as string;
    registered.push({
      type,
      name: req.getName(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
    });
    return original(req, cb);
  };
}

const urnName = (urn: string) => urn.split('::').pop()!;
const settle = () => new Promise((r) => setTimeout(r, 200));
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply((v) => (r(v), v)));

const siteArgs = {
  network: { bridge: '10.20.0.1/24' },
  containers: [
    { name: 'web', image: 'oci:/images/web', memMb: 64, ip: '10.20.0.10/24', bootOrder: 1 },
    { name: 'api', image: 'oci:/images/api', memMb: 96, ip: '10.20.0.11/24', bootOrder: 2 },
  ],
  signingKey: pulumi.secret('00'.repeat(32)),
  securityEpoch: 3,
};

describe('components: Site and Fleet under mocks', function () {
  this.timeout(60_000);
  beforeEach(setMocks);

  it('Site makes a network, its containers, one deployment and a writer per host, all its children', async () => {
    const site = new Site('lab', {
      ...siteArgs,
      hosts: [
        { name: 'h1', target: { diskImage: '/disks/h1.img' } },
        { name: 'h2', target: { diskImage: '/disks/h2.img' } },
      ],
    });
    assert.equal(await value(site.buildUuid), 'uuid-of-lab-build');
    await settle();
    const mine = registered.filter((r) => r.type.startsWith('pulumi-nodejs:dynamic/d0:'));
    assert.deepEqual(mine.map((r) => `${r.type.split(':').pop()} ${r.name}`).sort(), [
      'Container lab-api',
      'Container lab-web',
      'Deployment lab-build',
      'EspSlotWriter lab-h1',
      'EspSlotWriter lab-h2',
      'Network lab-net',
    ]);
    const siteUrn = registered.find((r) => r.type === 'd0:index:Site')!;
    assert.equal(siteUrn.name, 'lab');
    for (const r of mine)
      assert.equal(urnName(r.parent), 'lab', `${r.name} is not a child of the Site`);
    const dep = mine.find((r) => r.name === 'lab-build')!;
    assert.deepEqual(Object.keys(dep.inputs.containers as object).sort(), ['api', 'web']);
    assert.equal(dep.inputs.site, 'lab');
    assert.equal(dep.inputs.securityEpoch, 3);
    assert.deepEqual(dep.dependencies.map(urnName).sort(), ['lab-api', 'lab-net', 'lab-web']);
    const w = mine.find((r) => r.name === 'lab-h1')!;
    assert.deepEqual(w.inputs.target, { diskImage: '/disks/h1.img' });
    assert.ok(w.dependencies.map(urnName).includes('lab-build'));
  });

  it('Fleet builds one deployment per site and rolls hosts out in batches', async () => {
    const fleet = new Fleet('prod', {
      signingKey: pulumi.secret('00'.repeat(32)),
      securityEpoch: 5,
      batchSize: 2,
      sites: [
        {
          name: 'site-a',
          ...siteArgs,
          hosts: [
            { name: 'a1', target: { diskImage: '/d/a1.img' } },
            { name: 'a2', target: { diskImage: '/d/a2.img' } },
            { name: 'a3', target: { diskImage: '/d/a3.img' } },
          ],
        },
        {
          name: 'site-b',
          ...siteArgs,
          securityEpoch: undefined,
          network: { bridge: '10.30.0.1/24' },
          hosts: [{ name: 'b1', target: { diskImage: '/d/b1.img' } }],
        },
      ],
    });
    assert.deepEqual(await value(fleet.buildUuids), {
      'site-a': 'uuid-of-site-a-build',
      'site-b': 'uuid-of-site-b-build',
    });
    await settle();
    assert.deepEqual(
      fleet.batches.map((b) => b.length),
      [2, 2],
    );
    const writer = (n: string) =>
      registered.find((r) => r.name === n && r.type.endsWith(':EspSlotWriter'))!;
    const deps = (n: string) =>
      writer(n)
        .dependencies.map(urnName)
        .filter((d) => !d.endsWith('-build'))
        .sort();
    assert.deepEqual(deps('site-a-a1'), []);
    assert.deepEqual(deps('site-a-a2'), []);
    assert.deepEqual(deps('site-a-a3'), ['site-a-a1', 'site-a-a2']);
    assert.deepEqual(deps('site-b-b1'), ['site-a-a1', 'site-a-a2']);
    assert.equal(urnName(writer('site-b-b1').parent), 'site-b');
    const sites = registered.filter((r) => r.type === 'd0:index:Site');
    for (const s of sites) assert.equal(urnName(s.parent), 'prod');
    const epoch = (n: string) => registered.find((r) => r.name === n)!.inputs.securityEpoch;
    assert.equal(epoch('site-a-build'), 3); // the site's own
    assert.equal(epoch('site-b-build'), 5); // the fleet's default
  });

  it('rolloutBatches keeps order, cuts batches and refuses bad input', () => {
    const hosts = [1, 2, 3, 4, 5].map((i) => ({ site: i < 4 ? 'a' : 'b', host: `h${i}` }));
    assert.deepEqual(
      rolloutBatches(hosts, 2).map((b) => b.map((h) => h.host)),
      [['h1', 'h2'], ['h3', 'h4'], ['h5']],
    );
    assert.deepEqual(rolloutBatches(hosts, 10).length, 1);
    assert.throws(() => rolloutBatches(hosts, 0), /batchSize 0/);
    assert.throws(
      () => rolloutBatches([...hosts, hosts[0]], 1),
      /host h1 of site a is listed twice/,
    );
  });
});
