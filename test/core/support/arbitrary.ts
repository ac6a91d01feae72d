// fast-check generators of valid manifests (every field inside its TLV domain; cross-field rules
// of the validator are not enforced here, the TLV does not need them).
import fc from 'fast-check';
import type {
  Container,
  EgressRule,
  Loader,
  Manifest,
  Publish,
  RateLimit,
  Report,
  Route,
  Update,
} from '../../../core/schema';
import { uuidv7 } from '../../../core/uuid';

const byte = fc.integer({ min: 0, max: 255 });
export const arbName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);
const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/).filter((s) => s !== '.' && s !== '..');
export const arbPath = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((a) => a.join('/'))
  .filter((p) => p.length <= 128);
const ip4 = fc.tuple(byte, byte, byte, byte).map((b) => b.join('.'));
const cidr = fc.tuple(ip4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`);
const hex32 = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('hex'));
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => {
  b[0] &= 0xfe;
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
});
const u64 = (min: bigint, max: bigint) => fc.bigInt({ min, max }).map(String);
const route: fc.Arbitrary<Route> = fc.record({ dest: cidr, via: ip4 });
const port = fc.integer({ min: 1, max: 65535 });
const publish: fc.Arbitrary<Publish> = fc.record({
  protocol: fc.constantFrom('IP_PROTO_TCP' as const, 'IP_PROTO_UDP' as const),
  uplink_port: port,
  container_port: port,
});
const egressRule: fc.Arbitrary<EgressRule> = fc.record({
  dest: cidr,
  protocol: fc.constantFrom(
    'IP_PROTO_ANY' as const,
    'IP_PROTO_ICMP' as const,
    'IP_PROTO_TCP' as const,
    'IP_PROTO_UDP' as const,
  ),
  port_lo: fc.integer({ min: 0, max: 65535 }),
  port_hi: fc.integer({ min: 0, max: 65535 }),
});
const rateLimit: fc.Arbitrary<RateLimit> = fc.record({
  bytes_per_s: u64(0n, 12_500_000_000n),
  packets_per_s: fc.integer({ min: 0, max: 10_000_000 }),
  burst_bytes: fc.integer({ min: 0, max: 0xffffffff }),
});

/** A url string (proto/TLV.md): a dotted quad or a DNS name whose last label is not a number,
 * an optional port, a path of 0..4 components; at most 200 bytes. */
const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const dnsName = fc
  .tuple(
    fc.array(dnsLabel, { maxLength: 3 }),
    dnsLabel.filter((l) => !/^\d+$/.test(l)),
  )
  .map(([a, last]) => [...a, last].join('.'));
export const arbUrl = fc
  .record({
    host: fc.oneof(ip4, dnsName),
    port: fc.option(port, { nil: undefined }),
    path: fc.array(segment, { maxLength: 4 }),
  })
  .map(
    ({ host, port: p, path }) =>
      `http://${host}${p === undefined ? '' : `:${p}`}/${path.map((c) => `${c}/`).join('')}`,
  )
  .filter((u) => u.length <= 200);
const update: fc.Arbitrary<Update> = fc.record({
  url: arbUrl,
  timeout_s: fc.integer({ min: 1, max: 600 }),
});
const loader: fc.Arbitrary<Loader> = fc.record({ sha256: hex32, size: u64(1n, 67108864n) });
/** An ip4 unicast (proto/TLV.md): none of 0.0.0.0, 255.255.255.255, 127/8, 224/4; the edges of
 * those ranges drawn as often as the rest. */
const edge = fc.constantFrom(
  '0.0.0.1',
  '126.255.255.255',
  '128.0.0.0',
  '223.255.255.255',
  '240.0.0.0',
  '255.255.255.254',
);
export const arbUnicastIp4 = fc.oneof(
  edge,
  fc
    .tuple(byte, byte, byte, byte)
    .filter(([a, b, c, d]) => {
      const all = [a, b, c, d];
      return !(
        all.every((x) => x === 0) ||
        all.every((x) => x === 255) ||
        a === 127 ||
        (a >= 224 && a <= 239)
      );
    })
    .map((b) => b.join('.')),
);
const report: fc.Arbitrary<Report> = fc.record({
  collector_ip4: arbUnicastIp4,
  collector_port: port,
});

const container: fc.Arbitrary<Container> = fc
  .record(
    {
      name: arbName,
      vcpu: fc.integer({ min: 1, max: 16 }),
      mem_mb: fc.integer({ min: 16, max: 65536 }),
      disk_path: arbPath,
      disk_sha256: hex32,
      disk_size: u64(1n, 68719476736n),
      mac,
      ip4: cidr,
      gw4: ip4,
      routes: fc.uniqueArray(route, { maxLength: 4, selector: (r) => `${r.dest}|${r.via}` }),
      boot_order: fc.integer({ min: 0, max: 65535 }),
      health_timeout_s: fc.integer({ min: 1, max: 3600 }),
      health: fc.constantFrom('HEALTH_READY' as const, 'HEALTH_EXIT_ZERO' as const),
      restart: fc.constantFrom(
        'RESTART_NEVER' as const,
        'RESTART_ON_FAILURE' as const,
        'RESTART_ALWAYS' as const,
      ),
      publish: fc.uniqueArray(publish, {
        maxLength: 4,
        selector: (p) => `${p.protocol}|${p.uplink_port}`,
      }),
      egress_restricted: fc.constant(true as const),
      egress_allow: fc.uniqueArray(egressRule, {
        maxLength: 4,
        selector: (r) => `${r.dest}|${r.protocol}|${r.port_lo}|${r.port_hi}`,
      }),
      tx_limit: rateLimit,
      rx_limit: rateLimit,
    },
    {
      requiredKeys: [
        'name',
        'vcpu',
        'mem_mb',
        'disk_path',
        'disk_sha256',
        'disk_size',
        'mac',
        'ip4',
        'routes',
        'publish',
        'egress_allow',
        'boot_order',
        'health_timeout_s',
        'health',
      ],
    },
  )
  .map((c) => c as Container);

export const arbManifest: fc.Arbitrary<Manifest> = fc
  .record({
    ms: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    rnd: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    ts: u64(0n, (1n << 64n) - 1n),
    epoch: u64(0n, (1n << 64n) - 1n),
    site: fc.option(arbName, { nil: undefined }),
    bridge: cidr,
    nat: fc.boolean(),
    kpath: arbPath,
    ksha: hex32,
    ksize: u64(1n, 268435456n),
    containers: fc.uniqueArray(container, { minLength: 1, maxLength: 6, selector: (c) => c.name }),
    update: fc.option(update, { nil: undefined }),
    loader: fc.option(loader, { nil: undefined }),
    report: fc.option(report, { nil: undefined }),
  })
  .map((r) => ({
    header: {
      manifest_version: 1,
      build_uuid: uuidv7(r.ms, r.rnd),
      timestamp_ms: r.ts,
      security_epoch: r.epoch,
      ...(r.site !== undefined ? { site: r.site } : {}),
    },
    network: { bridge_ip4: r.bridge, egress_nat: r.nat },
    guest_kernel: { path: r.kpath, sha256: r.ksha, size: r.ksize },
    containers: r.containers,
    ...(r.update !== undefined ? { update: r.update } : {}),
    ...(r.loader !== undefined ? { loader: r.loader } : {}),
    ...(r.report !== undefined ? { report: r.report } : {}),
  }));
