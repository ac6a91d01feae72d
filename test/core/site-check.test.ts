// checkContainer: one container's own rules, in spec terms, without the site's (bridge subnet,
// unique addresses), so a Container resource is checked alone without inventing a bridge.
import assert from 'node:assert/strict';
import { checkContainer, planBuild } from '../../core/site/plan';
import { specPath, type ContainerSpec } from '../../core/site/spec';

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

describe("core/site: a container's publish, egress and rateLimit", () => {
  const net = { bridge: '10.20.0.1/24', uplink: '192.0.2.10/24', uplinkGw: '192.0.2.1' };
  const plan = (c: ContainerSpec) => planBuild({ network: net, securityEpoch: 1, containers: [c] });

  it('maps onto the manifest fields with their defaults (tcp; any protocol, every port)', () => {
    const p = plan(
      web({
        publish: [{ port: 8080, targetPort: 80 }, { port: 53, targetPort: 5353, protocol: 'udp' }],
        egress: {
          allow: [
            { to: '10.0.2.2/32', protocol: 'tcp', ports: '8000-8100' },
            { to: '10.0.3.0/24', protocol: 'udp', ports: '53' },
            { to: '10.0.4.0/24', protocol: 'tcp' },
            { to: '10.0.5.0/24' },
          ],
        },
        rateLimit: { tx: { bytesPerSecond: 1_000_000, burstBytes: 3000 }, rx: { packetsPerSecond: 100 } },
      }),
    );
    assert.deepEqual(p.problems, []);
    const c = p.manifest!.containers[0];
    assert.deepEqual(c.publish, [
      { protocol: 'IP_PROTO_TCP', uplink_port: 8080, container_port: 80 },
      { protocol: 'IP_PROTO_UDP', uplink_port: 53, container_port: 5353 },
    ]);
    assert.equal(c.egress_restricted, true);
    assert.deepEqual(c.egress_allow, [
      { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 8000, port_hi: 8100 },
      { dest: '10.0.3.0/24', protocol: 'IP_PROTO_UDP', port_lo: 53, port_hi: 53 },
      { dest: '10.0.4.0/24', protocol: 'IP_PROTO_TCP', port_lo: 1, port_hi: 65535 },
      { dest: '10.0.5.0/24', protocol: 'IP_PROTO_ANY', port_lo: 0, port_hi: 0 },
    ]);
    assert.deepEqual(c.tx_limit, { bytes_per_s: '1000000', packets_per_s: 0, burst_bytes: 3000 });
    assert.deepEqual(c.rx_limit, { bytes_per_s: '0', packets_per_s: 100, burst_bytes: 0 });
  });

  it('egress absent is unrestricted; allow: [] denies everything', () => {
    const open = plan(web()).manifest!.containers[0];
    assert.equal(open.egress_restricted, undefined);
    const closed = plan(web({ egress: { allow: [] } })).manifest!.containers[0];
    assert.equal(closed.egress_restricted, true);
    assert.deepEqual(closed.egress_allow, []);
  });

  it("reports problems at the spec's names, from the mapping and from the validator", () => {
    const p = plan(
      web({
        publish: [
          { port: 0, targetPort: 80 },
          { port: 81, targetPort: 81, protocol: 'sctp' },
        ],
        egress: {
          allow: [
            { to: '10.0.2.5/24' },
            { to: '10.0.3.0/24', protocol: 'tcp', ports: '90-80' },
            { to: '10.0.4.0/24', protocol: 'icmp', ports: '80' },
            { to: '10.0.5.0/24', protocol: 'tcp', ports: 'http' },
          ],
        },
        rateLimit: { tx: { bytesPerSecond: 1000 }, rx: {} },
      }),
    );
    assert.deepEqual(p.problems.map((x) => x.path).sort(), [
      'containers.web.egress.allow[0].to',
      'containers.web.egress.allow[1].ports',
      'containers.web.egress.allow[2].ports',
      'containers.web.egress.allow[3].ports',
      'containers.web.publish[0].port',
      'containers.web.publish[1].protocol',
      'containers.web.rateLimit.rx',
      'containers.web.rateLimit.tx.burstBytes',
    ]);
    const dup = planBuild({
      network: net,
      securityEpoch: 1,
      containers: [
        web({ publish: [{ port: 80, targetPort: 80 }] }),
        web({ name: 'api', ip: '10.20.0.11/24', bootOrder: 2, publish: [{ port: 80, targetPort: 8080 }] }),
      ],
    });
    assert.deepEqual(dup.problems.map((x) => x.path), ['containers.api.publish[0].port']);
    const noUplink = planBuild({
      network: { bridge: '10.20.0.1/24' },
      securityEpoch: 1,
      containers: [web({ publish: [{ port: 80, targetPort: 80 }] })],
    });
    assert.deepEqual(noUplink.problems.map((x) => x.path), ['containers.web.publish']);
  });

  it("checkContainer reports a container's own network problems without a site", () => {
    const ps = checkContainer(
      web({
        mac: '02:d0:00:00:00:01',
        publish: [{ port: 80, targetPort: 80 }, { port: 81, targetPort: 80 }],
        rateLimit: { tx: { packetsPerSecond: 10, burstBytes: 2000 } },
      }),
    );
    assert.deepEqual(ps.map((x) => x.path).sort(), [
      'containers.web.mac',
      'containers.web.publish[1].targetPort',
      'containers.web.rateLimit.tx.burstBytes',
    ]);
  });

  it('maps manifest paths of the nested fields back to the spec', () => {
    const cases: [string, string][] = [
      ['containers[web].publish', 'containers.web.publish'],
      ['containers[web].publish[2].container_port', 'containers.web.publish[2].targetPort'],
      ['containers[web].egress_restricted', 'containers.web.egress'],
      ['containers[web].egress_allow', 'containers.web.egress.allow'],
      ['containers[web].egress_allow[0].port_hi', 'containers.web.egress.allow[0].ports'],
      ['containers[web].egress_allow[1].dest', 'containers.web.egress.allow[1].to'],
      ['containers[web].tx_limit', 'containers.web.rateLimit.tx'],
      ['containers[web].rx_limit.packets_per_s', 'containers.web.rateLimit.rx.packetsPerSecond'],
    ];
    for (const [m, s] of cases) assert.equal(specPath(m), s, m);
  });
});
