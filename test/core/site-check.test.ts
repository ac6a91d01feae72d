// checkContainer: one container's own rules, in spec terms, without the site's (bridge subnet,
// unique addresses), so a Container resource is checked alone without inventing a bridge.
import assert from 'node:assert/strict';
import { checkContainer, planBuild } from '../../core/site/plan';
import type { ContainerSpec } from '../../core/site/spec';

const web = (o: Partial<Record<keyof ContainerSpec, unknown>> = {}) =>
  ({ name: 'web', image: 'oci:/x', vcpu: 1, memMb: 128, ip: '10.20.0.10/24', bootOrder: 1, healthTimeoutS: 30, ...o }) as unknown as ContainerSpec;

describe('core/site: checkContainer', () => {
  it('accepts a container alone, whatever bridge a site will give it', () => {
    assert.deepEqual(checkContainer(web()), []);
    // the first host address of a subnet: a site whose bridge holds it refuses it, alone it is fine
    assert.deepEqual(checkContainer(web({ ip: '10.99.0.1/24' })), []);
  });

  it('reports each field problem with its spec path', () => {
    const paths = checkContainer(
      web({ memMb: 0, vcpu: 'two', ip: '10.20.0.10', mac: '01:00:00:00:00:01', health: 'sometimes', image: '' }),
    ).map((p) => p.path);
    assert.deepEqual(paths.sort(), [
      'containers.web.health',
      'containers.web.image',
      'containers.web.ip',
      'containers.web.mac',
      'containers.web.memMb',
      'containers.web.vcpu',
    ]);
  });

  it('checks routes and names a container without a name by its index', () => {
    const ps = checkContainer(web({ name: undefined, routes: [{ dest: '10.0.0.0/33', via: '10.20.0.1' }] }));
    assert.ok(ps.some((p) => p.path === 'containers[0].name' && p.code === 'REQUIRED'), JSON.stringify(ps));
    assert.ok(ps.some((p) => p.path.startsWith('containers[0].routes[0]')), JSON.stringify(ps));
  });

  it('leaves the site rules to the whole plan', () => {
    const c = web({ ip: '10.99.0.5/24' });
    assert.deepEqual(checkContainer(c), []);
    const site = planBuild({ network: { bridge: '10.20.0.1/24' }, securityEpoch: 1, containers: [c] });
    assert.ok(site.problems.some((p) => p.path === 'containers.web.ip' && p.code === 'OUT_OF_SUBNET'), JSON.stringify(site.problems));
  });
});

describe('core/site: the network spec', () => {
  it("maps the uplink's fields onto the manifest's, and their problems back to the spec's names", () => {
    const c = { name: 'web', image: 'oci:/x', vcpu: 1, memMb: 128, ip: '10.20.0.10/24', bootOrder: 1, healthTimeoutS: 30 } as ContainerSpec;
    const ok = planBuild({
      network: { bridge: '10.20.0.1/24', uplink: '192.0.2.10/24', uplinkGw: '192.0.2.1', uplinkEcho: false },
      securityEpoch: 1,
      containers: [c],
    });
    assert.deepEqual(ok.problems, []);
    const n = ok.manifest!.network as unknown as Record<string, unknown>;
    assert.equal(n.uplink_ip4, '192.0.2.10/24');
    assert.equal(n.uplink_gw4, '192.0.2.1');
    assert.equal(n.uplink_echo, false);
    const bad = planBuild({ network: { bridge: '10.20.0.1/24', uplink: '192.0.2.10/24', uplinkGw: '198.51.100.1' }, securityEpoch: 1, containers: [c] });
    assert.ok(bad.problems.some((p) => p.path === 'network.uplinkGw'), JSON.stringify(bad.problems));
  });
});
