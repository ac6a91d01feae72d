// core/manifest/validate.ts: every problem, each with its path; a clean input becomes a complete
// canonical manifest.
import { strict as assert } from 'node:assert';
import { validateManifest } from '../../core/manifest/validate';
import { deriveMac } from '../../core/manifest/normalize';
import { encodeManifest } from '../../core/tlv/encode';
import { decodeManifest } from '../../core/tlv/decode';
import { uuidv7 } from '../../core/uuid';

// Authoring input as parsed from YAML: deliberately untyped, tests write malformed values into it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Site = Record<string, any>;

const UUID = uuidv7(1700000000000, new Uint8Array(16).fill(1));
const BUILD = { build: { build_uuid: UUID, timestamp_ms: 1700000000000 } };
const SHA = 'ab'.repeat(32);

function site(): Site {
  return {
    header: { site: 'site-a', security_epoch: 4 },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: true },
    guest_kernel: { sha256: SHA, size: 1000 },
    containers: [
      {
        name: 'web',
        vcpu: 1,
        mem_mb: 256,
        disk_sha256: SHA,
        disk_size: 4096,
        ip4: '10.20.0.10/24',
        gw4: '10.20.0.1',
        boot_order: 1,
        health_timeout_s: 30,
        routes: [
          { dest: '192.168.0.0/16', via: '10.20.0.1' },
          { dest: '0.0.0.0/0', via: '10.20.0.1' },
        ],
      },
      {
        name: 'db',
        vcpu: 1,
        mem_mb: 1024,
        disk_sha256: SHA.toUpperCase(),
        disk_size: '8192',
        ip4: '10.20.0.11/24',
        boot_order: 0,
        health_timeout_s: 60,
        health: 'HEALTH_EXIT_ZERO',
        restart: 'RESTART_ALWAYS',
      },
    ],
  };
}

const paths = (r: ReturnType<typeof validateManifest>) =>
  r.problems.map((p) => `${p.path}: ${p.message}`);

function problemAt(input: unknown, path: string, re: RegExp, opts = BUILD) {
  const r = validateManifest(input, opts);
  assert.equal(r.manifest, undefined, 'a manifest despite problems');
  const hit = r.problems.find((p) => p.path === path);
  assert.ok(hit, `no problem at ${path}; got:\n${paths(r).join('\n')}`);
  assert.match(hit.message, re);
}

describe('core/manifest/validate', () => {
  it('turns a clean site into a complete, canonical, encodable manifest', () => {
    const r = validateManifest(site(), BUILD);
    assert.deepEqual(r.problems, []);
    const m = r.manifest!;
    assert.equal(m.header.build_uuid, UUID);
    assert.equal(m.header.timestamp_ms, '1700000000000');
    assert.equal(m.header.security_epoch, '4');
    assert.equal(m.header.manifest_version, 1);
    assert.deepEqual(
      m.containers.map((c) => c.name),
      ['db', 'web'],
    );
    const web = m.containers[1];
    assert.equal(web.mac, deriveMac('site-a', 'web'));
    assert.equal(web.disk_path, `VM/web-${UUID}.img`);
    assert.equal(web.health, 'HEALTH_READY');
    assert.deepEqual(
      web.routes.map((r) => r.dest),
      ['0.0.0.0/0', '192.168.0.0/16'],
    );
    assert.equal(m.containers[0].disk_sha256, SHA, 'digest lowercased');
    assert.equal(m.guest_kernel.path, `VM/vmlinuz-${UUID}`);
    assert.deepEqual(decodeManifest(encodeManifest(m)), m);
  });

  it('derived MACs are locally administered unicast, stable, and differ per site and name', () => {
    const a = deriveMac('site-a', 'web');
    assert.match(a, /^02(:[0-9a-f]{2}){5}$/);
    assert.equal(deriveMac('site-a', 'web'), a);
    assert.notEqual(deriveMac('site-b', 'web'), a);
    assert.notEqual(deriveMac('site-a', 'db'), a);
  });

  it('reports a bad IPv4 address with its path and the offending text', () => {
    const s = site();
    s.containers[0].ip4 = '10.20.0.300/24';
    problemAt(s, 'containers[web].ip4', /^10\.20\.0\.300 is not an IPv4 address$/);
  });

  it('accepts every vcpu count of the TLV bound (1..16): how many a host runs is its D0\'s', () => {
    for (const vcpu of [1, 2, 16]) {
      const s = site();
      s.containers[0].vcpu = vcpu;
      const r = validateManifest(s, BUILD);
      assert.deepEqual(r.problems, [], `vcpu ${vcpu}`);
      assert.equal(r.manifest!.containers.find((c) => c.name === 'web')!.vcpu, vcpu);
    }
  });

  it('collects every problem at once, each with its own path', () => {
    const s = site();
    s.containers[0].mem_mb = 8;
    s.containers[0].vcpu = 17;
    s.containers[1].ip4 = '10.99.0.5/24';
    s.containers[1].health_timeout_s = 0;
    s.network.egress_nat = 'nope';
    s.guest_kernel.sha256 = 'abc';
    const r = validateManifest(s, BUILD);
    const got = r.problems.map((p) => p.path).sort();
    assert.deepEqual(
      got,
      [
        'containers[db].health_timeout_s',
        'containers[db].ip4',
        'containers[web].mem_mb',
        'containers[web].vcpu',
        'guest_kernel.sha256',
        'network.egress_nat',
      ].sort(),
      paths(r).join('\n'),
    );
  });

  const cases: [string, (s: Site) => void, string, RegExp][] = [
    [
      'duplicate names',
      (s) => (s.containers[1].name = 'web'),
      'containers[web].name',
      /also used by containers\[web\]/,
    ],
    [
      'bad name characters',
      (s) => (s.containers[0].name = 'Web_1'),
      'containers[0].name',
      /\[a-z0-9\]/,
    ],
    [
      'name too long',
      (s) => (s.containers[0].name = 'a'.repeat(33)),
      'containers[0].name',
      /1\.\.32/,
    ],
    [
      'duplicate MACs',
      (s) => {
        s.containers[0].mac = '02:00:00:00:00:01';
        s.containers[1].mac = '02:00:00:00:00:01';
      },
      'containers[db].mac',
      /also used/,
    ],
    [
      'multicast MAC',
      (s) => (s.containers[0].mac = '01:00:5e:00:00:01'),
      'containers[web].mac',
      /multicast/,
    ],
    [
      'malformed MAC',
      (s) => (s.containers[0].mac = '02:00:00:00:01'),
      'containers[web].mac',
      /not a MAC/,
    ],
    [
      'duplicate IPs',
      (s) => (s.containers[1].ip4 = '10.20.0.10/24'),
      'containers[db].ip4',
      /address 10\.20\.0\.10 is also used by containers\[web\]/,
    ],
    [
      'IP outside the bridge subnet',
      (s) => (s.containers[0].ip4 = '10.21.0.10/24'),
      'containers[web].ip4',
      /outside the bridge subnet 10\.20\.0\.0\/24/,
    ],
    [
      'IP is the network address',
      (s) => (s.containers[0].ip4 = '10.20.0.0/24'),
      'containers[web].ip4',
      /network address/,
    ],
    [
      'IP is the broadcast address',
      (s) => (s.containers[0].ip4 = '10.20.0.255/24'),
      'containers[web].ip4',
      /broadcast address/,
    ],
    [
      'IP is the bridge address',
      (s) => (s.containers[0].ip4 = '10.20.0.1/24'),
      'containers[web].ip4',
      /bridge's own address/,
    ],
    [
      'IP prefix differs from the bridge',
      (s) => (s.containers[0].ip4 = '10.20.0.10/16'),
      'containers[web].ip4',
      /differs from the bridge's \/24/,
    ],
    [
      'missing IP (no dynamic IPAM)',
      (s) => delete s.containers[0].ip4,
      'containers[web].ip4',
      /no dynamic address assignment/,
    ],
    [
      'prefix 33',
      (s) => (s.containers[0].ip4 = '10.20.0.10/33'),
      'containers[web].ip4',
      /prefix length/,
    ],
    [
      'gateway outside the subnet',
      (s) => (s.containers[0].gw4 = '192.168.1.1'),
      'containers[web].gw4',
      /outside the bridge subnet/,
    ],
    [
      'route dest not a network address',
      (s) => (s.containers[0].routes[0].dest = '192.168.1.7/16'),
      'containers[web].routes[0].dest',
      /not a network address \(did you mean 192\.168\.0\.0\/16\?\)/,
    ],
    [
      'route via outside the subnet',
      (s) => (s.containers[0].routes[0].via = '10.30.0.1'),
      'containers[web].routes[0].via',
      /outside the bridge subnet/,
    ],
    [
      'duplicate route',
      (s) => s.containers[0].routes.push({ ...s.containers[0].routes[0] }),
      'containers[web].routes[2]',
      /listed twice/,
    ],
    [
      '17 routes',
      (s) =>
        (s.containers[0].routes = Array.from({ length: 17 }, (_, i) => ({
          dest: `172.${i}.0.0/16`,
          via: '10.20.0.1',
        }))),
      'containers[web].routes',
      /at most 16/,
    ],
    [
      'vcpu over the limit',
      (s) => (s.containers[0].vcpu = 17),
      'containers[web].vcpu',
      /outside 1\.\.16/,
    ],
    [
      'memory under the limit',
      (s) => (s.containers[0].mem_mb = 15),
      'containers[web].mem_mb',
      /outside 16\.\.65536/,
    ],
    [
      'health timeout over the limit',
      (s) => (s.containers[0].health_timeout_s = 3601),
      'containers[web].health_timeout_s',
      /outside 1\.\.3600/,
    ],
    [
      'non-integer vcpu',
      (s) => (s.containers[0].vcpu = 1.5),
      'containers[web].vcpu',
      /not an integer/,
    ],
    [
      'duplicate boot_order',
      (s) => (s.containers[1].boot_order = 1),
      'containers[db].boot_order',
      /also used/,
    ],
    [
      'boot_order over the limit',
      (s) => (s.containers[0].boot_order = 65536),
      'containers[web].boot_order',
      /outside 0\.\.65535/,
    ],
    [
      'short digest',
      (s) => (s.containers[0].disk_sha256 = 'ab'.repeat(31)),
      'containers[web].disk_sha256',
      /64 hex/,
    ],
    [
      'disk over 64 GiB',
      (s) => (s.containers[0].disk_size = 68719476737),
      'containers[web].disk_size',
      /outside 1\.\.68719476736/,
    ],
    [
      'kernel size 0',
      (s) => (s.guest_kernel.size = 0),
      'guest_kernel.size',
      /outside 1\.\.268435456/,
    ],
    [
      'negative security_epoch',
      (s) => (s.header.security_epoch = -1),
      'header.security_epoch',
      /non-negative integer/,
    ],
    [
      'fractional security_epoch',
      (s) => (s.header.security_epoch = '1.5'),
      'header.security_epoch',
      /non-negative integer/,
    ],
    [
      'missing security_epoch',
      (s) => delete s.header.security_epoch,
      'header.security_epoch',
      /required/,
    ],
    [
      'bad enum',
      (s) => (s.containers[0].health = 'HEALTH_MAYBE'),
      'containers[web].health',
      /HEALTH_READY, HEALTH_EXIT_ZERO/,
    ],
    ['bool as text', (s) => (s.network.egress_nat = 'yes'), 'network.egress_nat', /true or false/],
    [
      'unknown field (typo)',
      (s) => (s.containers[0].memory_mb = 256),
      'containers[web].memory_mb',
      /unknown field/,
    ],
    [
      'build_uuid in the input',
      (s) => (s.header.build_uuid = UUID),
      'header.build_uuid',
      /assigned by the build pipeline/,
    ],
    [
      'path with ..',
      (s) => (s.containers[0].disk_path = 'VM/../x.img'),
      'containers[web].disk_path',
      /"\.\."/,
    ],
    [
      'absolute path',
      (s) => (s.guest_kernel.path = '/VM/vmlinuz'),
      'guest_kernel.path',
      /leading \//,
    ],
    ['no containers', (s) => (s.containers = []), 'containers', /allowed 1\.\.64/],
    [
      '65 containers',
      (s) =>
        (s.containers = Array.from({ length: 65 }, (_, i) => ({
          ...site().containers[0],
          name: `c${i}`,
          ip4: `10.20.0.${i + 2}/24`,
          boot_order: i,
        }))),
      'containers',
      /allowed 1\.\.64/,
    ],
    ['bridge /31', (s) => (s.network.bridge_ip4 = '10.20.0.1/31'), 'network.bridge_ip4', /no room/],
    [
      'bridge on the network address',
      (s) => (s.network.bridge_ip4 = '10.20.0.0/24'),
      'network.bridge_ip4',
      /network or broadcast/,
    ],
    ['missing network', (s) => delete s.network, 'network', /required/],
  ];
  for (const [what, mutate, path, re] of cases) {
    it(`rejects ${what} at ${path}`, () => {
      const s = site();
      mutate(s);
      problemAt(s, path, re);
    });
  }

  it('without build options, the build identity and the paths it names are required from the input', () => {
    const r = validateManifest(site());
    assert.deepEqual(r.problems.map((p) => p.path).sort(), [
      'containers[db].disk_path',
      'containers[web].disk_path',
      'guest_kernel.path',
      'header.build_uuid',
      'header.timestamp_ms',
    ]);
  });

  it('--epoch overrides the input epoch; a non-object input is one problem', () => {
    assert.equal(
      validateManifest(site(), { ...BUILD, security_epoch: '9' }).manifest?.header.security_epoch,
      '9',
    );
    assert.deepEqual(
      validateManifest('hello', BUILD).problems.map((p) => p.path),
      ['manifest'],
    );
  });
});
