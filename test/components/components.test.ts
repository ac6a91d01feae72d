// Site and Fleet under pulumi.runtime.setMocks: the children they create, their parents, names
// and inputs, and the rollout order (each batch's writers, or with `updateServer` each batch's
// HostRollouts, depend on the previous batch's; an optional canary batch first), read from the
// dependencies the SDK sends with each registration.
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

  const pullingHost = (name: string, n: number) => ({
    name,
    mac: `52-54-00-12-34-${n.toString(16).padStart(2, '0')}`,
    bmc: { url: `https://10.0.0.${n}`, username: 'admin', password: pulumi.secret('bmc-secret') },
  });
  const updateServer = { site: '/srv/d0/pub', reportsFile: '/var/log/d0/reports.log' };

  it("Fleet with updateServer: one UpdatePublication per site, one HostRollout per host, each batch gated on the previous batch's HostRollouts", async () => {
    const fleet = new Fleet('prod', {
      signingKey: pulumi.secret('00'.repeat(32)),
      securityEpoch: 5,
      canary: 1,
      batchSize: 2,
      updateServer: { ...updateServer, timeoutSeconds: 900 },
      sites: [
        {
          name: 'site-a',
          ...siteArgs,
          hosts: [pullingHost('a1', 1), pullingHost('a2', 2), pullingHost('a3', 3)],
        },
        {
          name: 'site-b',
          ...siteArgs,
          network: { bridge: '10.30.0.1/24' },
          hosts: [pullingHost('b1', 4)],
        },
      ],
    });
    await value(fleet.buildUuids);
    await settle();
    assert.deepEqual(
      fleet.rollouts.map((b) => b.length),
      [1, 2, 1],
    );
    assert.deepEqual(fleet.batches, []);
    assert.deepEqual(Object.keys(fleet.publications).sort(), ['site-a', 'site-b']);
    const mine = registered.filter((r) => r.type.startsWith('pulumi-nodejs:dynamic/d0:'));
    assert.deepEqual(
      mine.filter((r) => r.type.endsWith(':EspSlotWriter')),
      [],
    );
    const of = (type: string, n: string) =>
      registered.find((r) => r.name === n && r.type.endsWith(`:${type}`))!;
    for (const s of ['site-a', 'site-b']) {
      const pub = of('UpdatePublication', `${s}-publication`);
      assert.equal(urnName(pub.parent), s);
      assert.equal(pub.inputs.site, '/srv/d0/pub');
      assert.equal(pub.inputs.buildUuid, `uuid-of-${s}-build`);
      assert.ok(pub.dependencies.map(urnName).includes(`${s}-build`));
    }
    const deps = (n: string) =>
      of('HostRollout', n)
        .dependencies.map(urnName)
        .filter((d) => !d.endsWith('-publication'))
        .sort();
    assert.deepEqual(deps('site-a-a1'), []); // the canary
    assert.deepEqual(deps('site-a-a2'), ['site-a-a1']);
    assert.deepEqual(deps('site-a-a3'), ['site-a-a1']);
    assert.deepEqual(deps('site-b-b1'), ['site-a-a2', 'site-a-a3']);
    const b1 = of('HostRollout', 'site-b-b1');
    assert.equal(urnName(b1.parent), 'site-b');
    assert.ok(b1.dependencies.map(urnName).includes('site-b-publication'));
    assert.equal(b1.inputs.buildUuid, 'uuid-of-site-b-build');
    assert.equal(b1.inputs.site, '/srv/d0/pub');
    assert.equal(b1.inputs.reportsFile, '/var/log/d0/reports.log');
    assert.equal(b1.inputs.timeoutSeconds, 900);
    assert.deepEqual(b1.inputs.host, {
      name: 'b1',
      mac: '52-54-00-12-34-04',
      bmc: { url: 'https://10.0.0.4', username: 'admin' },
    });
    // The password is its own input, sent as a secret (the provider's check() keeps it out of state).
    const password = b1.inputs.bmcPassword as Record<string, unknown>;
    assert.equal(password['4dabf18193072939515e22adb298388d'], '1b47061264138c4ac30d75fd1eb44270');
    assert.ok(!JSON.stringify(b1.inputs.host).includes('bmc-secret'));
  });

  it('Fleet: canary without updateServer cuts the writers the same way', async () => {
    const fleet = new Fleet('lab', {
      signingKey: pulumi.secret('00'.repeat(32)),
      securityEpoch: 1,
      canary: 1,
      batchSize: 3,
      sites: [
        {
          name: 'site-a',
          ...siteArgs,
          hosts: [1, 2, 3, 4, 5].map((i) => ({
            name: `h${i}`,
            target: { diskImage: `/d/h${i}.img` },
          })),
        },
      ],
    });
    await settle();
    assert.deepEqual(
      fleet.batches.map((b) => b.length),
      [1, 3, 1],
    );
    assert.deepEqual(fleet.rollouts, []);
  });

  it('Fleet refuses, in the program, a host the chosen rollout cannot reach', () => {
    const fleet = (hosts: object[], withServer: boolean) => () =>
      new Fleet('bad', {
        signingKey: pulumi.secret('00'.repeat(32)),
        securityEpoch: 1,
        ...(withServer ? { updateServer } : {}),
        sites: [{ name: 'site-a', ...siteArgs, hosts: hosts as never }],
      });
    assert.throws(fleet([{ name: 'h1' }], false), /host h1 of site site-a has no target/);
    assert.throws(
      fleet([{ ...pullingHost('h1', 1), bmc: undefined }], true),
      /host h1 of site site-a has no bmc: .*`d0 rollout`/,
    );
    assert.throws(fleet([{ name: 'h1', bmc: { url: 'https://x' } }], true), /h1 .* has no mac/);
    assert.throws(
      fleet([{ ...pullingHost('h1', 1), target: { diskImage: '/d/h1.img' } }], true),
      /target is for writing a disk/,
    );
    assert.throws(
      fleet([pullingHost('h1', 1), { ...pullingHost('h2', 1) }], true),
      /host h2 of site site-a: mac 52-54-00-12-34-01 is also host h1 of site site-a's/,
    );
  });

  it('rolloutBatches keeps order, cuts batches and refuses bad input', () => {
    const hosts = [1, 2, 3, 4, 5].map((i) => ({ site: i < 4 ? 'a' : 'b', host: `h${i}` }));
    assert.deepEqual(
      rolloutBatches(hosts, 2).map((b) => b.map((h) => h.host)),
      [['h1', 'h2'], ['h3', 'h4'], ['h5']],
    );
    assert.deepEqual(rolloutBatches(hosts, 10).length, 1);
    assert.throws(() => rolloutBatches(hosts, 0), /batchSize 0/);
    assert.deepEqual(
      rolloutBatches(hosts, 2, 1).map((b) => b.map((h) => `${h.host}@${h.batch}`)),
      [['h1@0'], ['h2@1', 'h3@1'], ['h4@2', 'h5@2']],
    );
    assert.deepEqual(
      rolloutBatches(hosts, 10, 2).map((b) => b.length),
      [2, 3],
    );
    assert.equal(rolloutBatches(hosts, 1, 9).length, 1);
    assert.throws(() => rolloutBatches(hosts, 1, 0), /canary 0/);
    assert.throws(
      () => rolloutBatches([...hosts, hosts[0]], 1),
      /host h1 of site a is listed twice/,
    );
  });
});
