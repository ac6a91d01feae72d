// core/diff.ts, core/naming.ts and core/uuid.ts.
import { strict as assert } from 'node:assert';
import { diffManifests, renderChange } from '../../core/diff';
import {
  bootloaderName,
  diskImageName,
  guestKernelName,
  manifestName,
  signatureName,
  uuidOfManifestName,
} from '../../core/naming';
import { formatUuid, isUuidV7, parseUuid, uuidv7, uuidv7Time } from '../../core/uuid';
import { validateManifest } from '../../core/manifest/validate';
import type { Manifest } from '../../core/schema';

// Authoring input as parsed from YAML: deliberately untyped, tests write malformed values into it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Site = Record<string, any>;

const SHA = 'cd'.repeat(32);
function build(uuidMs: number, mutate: (s: Site) => void = () => {}): Manifest {
  const s: Site = {
    header: { site: 'a', security_epoch: 1 },
    network: { bridge_ip4: '10.0.0.1/24' },
    guest_kernel: { sha256: SHA, size: 10 },
    containers: [
      {
        name: 'web',
        vcpu: 1,
        mem_mb: 256,
        disk_sha256: SHA,
        disk_size: 1,
        ip4: '10.0.0.2/24',
        boot_order: 0,
        health_timeout_s: 5,
      },
      {
        name: 'db',
        vcpu: 1,
        mem_mb: 256,
        disk_sha256: SHA,
        disk_size: 1,
        ip4: '10.0.0.3/24',
        boot_order: 1,
        health_timeout_s: 5,
      },
    ],
  };
  mutate(s);
  const r = validateManifest(s, {
    build: {
      build_uuid: uuidv7(uuidMs, new Uint8Array(16).fill(uuidMs & 255)),
      timestamp_ms: uuidMs,
    },
  });
  assert.deepEqual(r.problems, []);
  return r.manifest!;
}

describe('core/diff', () => {
  it('two builds differing in one container memory: exactly that change (build UUID in paths ignored)', () => {
    const a = build(1000);
    const b = build(2000, (s) => (s.containers[0].mem_mb = 512));
    assert.notEqual(a.containers[0].disk_path, b.containers[0].disk_path);
    assert.deepEqual(diffManifests(a, b).map(renderChange), ['containers[web].mem_mb: 256 -> 512']);
    const all = diffManifests(a, b, { includeBuildIdentity: true }).map((c) => c.path);
    assert.ok(all.includes('containers[web].disk_path') && all.includes('header.build_uuid'));
  });

  it('a path that really changes is reported', () => {
    const a = build(1000);
    const b = structuredClone(a);
    b.containers[0].disk_path = 'VM/other.img';
    assert.deepEqual(
      diffManifests(a, b).map((c) => c.path),
      ['containers[db].disk_path'],
    );
  });

  it('reports build identity only when asked', () => {
    const a = build(1000);
    const other = uuidv7(2000, new Uint8Array(16));
    const b = JSON.parse(JSON.stringify(a).split(a.header.build_uuid).join(other)) as Manifest;
    b.header.timestamp_ms = '2000';
    assert.deepEqual(diffManifests(a, b), []);
    assert.deepEqual(
      diffManifests(a, b, { includeBuildIdentity: true }).map((c) => c.path),
      [
        'header.build_uuid',
        'header.timestamp_ms',
        'guest_kernel.path',
        'containers[db].disk_path',
        'containers[web].disk_path',
      ],
    );
  });

  it('matches containers by name: added, removed, optional fields and routes', () => {
    const a = build(1000);
    const b = structuredClone(a);
    b.containers = b.containers.filter((c) => c.name !== 'db');
    b.containers.push({ ...structuredClone(a.containers[0]), name: 'api' });
    b.containers.find((c) => c.name === 'web')!.gw4 = '10.0.0.1';
    b.containers.find((c) => c.name === 'web')!.routes = [{ dest: '0.0.0.0/0', via: '10.0.0.1' }];
    assert.deepEqual(diffManifests(a, b).map(renderChange), [
      'containers[api]: added',
      'containers[db]: removed',
      'containers[web].gw4: (unset) -> 10.0.0.1',
      'containers[web].routes: (unset) -> 0.0.0.0/0 via 10.0.0.1',
    ]);
  });
});

describe('core/diff: the container network fields', () => {
  it('shows published ports, egress rules, the egress switch and rate limits by their values', () => {
    const a = build(1000);
    const b = structuredClone(a);
    const web = b.containers.find((c) => c.name === 'web')!;
    web.publish = [
      { protocol: 'IP_PROTO_TCP', uplink_port: 8080, container_port: 80 },
      { protocol: 'IP_PROTO_UDP', uplink_port: 53, container_port: 53 },
    ];
    web.egress_restricted = true;
    web.egress_allow = [
      { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 80, port_hi: 80 },
      { dest: '192.0.2.0/24', protocol: 'IP_PROTO_ICMP', port_lo: 0, port_hi: 0 },
    ];
    web.tx_limit = { bytes_per_s: '1000000', packets_per_s: 0, burst_bytes: 1514 };
    assert.deepEqual(diffManifests(a, b).map(renderChange), [
      'containers[web].publish: (unset) -> tcp 8080->80, udp 53->53',
      'containers[web].egress_restricted: (unset) -> true',
      'containers[web].egress_allow: (unset) -> 10.0.2.2/32 tcp 80-80, 192.0.2.0/24 icmp',
      'containers[web].tx_limit.bytes_per_s: (unset) -> 1000000',
      'containers[web].tx_limit.packets_per_s: (unset) -> 0',
      'containers[web].tx_limit.burst_bytes: (unset) -> 1514',
    ]);
    const c = structuredClone(b);
    c.containers.find((x) => x.name === 'web')!.publish![0].container_port = 81;
    assert.deepEqual(diffManifests(b, c).map(renderChange), [
      'containers[web].publish: tcp 8080->80, udp 53->53 -> tcp 8080->81, udp 53->53',
    ]);
  });
});

describe('core/naming and core/uuid', () => {
  const u = uuidv7(
    1700000000123,
    Uint8Array.from({ length: 16 }, (_, i) => i * 17),
  );

  it('UUIDv7 is deterministic in (time, random), version 7, variant 10, and carries the time', () => {
    assert.equal(
      uuidv7(
        1700000000123,
        Uint8Array.from({ length: 16 }, (_, i) => i * 17),
      ),
      u,
    );
    assert.notEqual(uuidv7(1700000000123, new Uint8Array(16)), u);
    assert.ok(isUuidV7(u));
    assert.equal(uuidv7Time(u), 1700000000123);
    assert.equal(formatUuid(parseUuid(u)), u);
    assert.ok(uuidv7(1, new Uint8Array(16)) < uuidv7(2, new Uint8Array(16)), 'sorts by time');
    assert.throws(() => uuidv7(-1, new Uint8Array(16)), /48-bit/);
    assert.throws(() => uuidv7(1, new Uint8Array(15)), /16 random bytes/);
    assert.throws(() => parseUuid(u.toUpperCase()), /canonical lowercase/);
    assert.equal(isUuidV7('3d813cbb-47fb-42ba-91df-831e1593ac29'), false);
  });

  it('names every artifact after the build UUID', () => {
    assert.equal(bootloaderName(u), `EFI/BOOT/BOOTX64-${u}.EFI`);
    assert.equal(manifestName(u), `manifest-${u}.tlv`);
    assert.equal(signatureName(u), `manifest-${u}.sig`);
    assert.equal(diskImageName('web', u), `VM/web-${u}.img`);
    assert.equal(guestKernelName(u), `VM/vmlinuz-${u}`);
    assert.equal(uuidOfManifestName(`out/manifest-${u}.tlv`), u);
    assert.equal(uuidOfManifestName('manifest-x.tlv'), undefined);
  });

  it('refuses names that are not safe in file names, and non-v7 UUIDs', () => {
    assert.throws(() => diskImageName('../etc', u), /NAMING|must be/);
    assert.throws(() => manifestName('3d813cbb-47fb-42ba-91df-831e1593ac29'), /not a UUIDv7/);
  });
});
