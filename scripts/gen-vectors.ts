// Writes the golden manifest vectors in test/vectors/manifest/ (format: test/vectors/README.md).
// Run: npx tsx scripts/gen-vectors.ts   (test/core/vectors.test.ts fails when the committed files
// differ from what this renders). Invalid vectors are built by editing the record tree of a valid
// encoding, so each one breaks exactly one rule.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Container, Manifest } from '../core/schema';
import { decodeManifest } from '../core/tlv/decode';
import { dumpManifest } from '../core/tlv/dump';
import { encodeManifest } from '../core/tlv/encode';
import { concat } from '../core/tlv/record';
import { MAX_TLV_BYTES, tlvScope } from '../core/tlv/tags';
import { signManifest } from '../core/sign';
import { reportVectors } from './report-vectors';
import {
  bytesOf,
  cont,
  edit,
  header,
  insertAfter,
  kid,
  network,
  overflowLen,
  parseTree,
  remove,
  setValue,
  tree,
  u32,
  type Node,
} from './vector-tree';

export const VECTOR_DIR = path.join(__dirname, '..', 'test', 'vectors', 'manifest');
export const KEY_DIR = path.join(__dirname, '..', 'test', 'vectors', 'keys');

/** RFC 8032 section 7.1 TEST 1 (public test data, not a secret). */
export const RFC8032_TEST1_SECRET =
  '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const RFC8032_TEST1_PUBLIC =
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

export interface Vector {
  readonly name: string;
  readonly tlv: Uint8Array;
  /** Dump text, or `error=NAME\n`. */
  readonly expect: string;
  /** Valid vectors only. */
  readonly sig?: Uint8Array;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const UUID = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f'; // RFC 9562 appendix A.6 example UUIDv7

function container(name: string, i: number, extra: Partial<Container> = {}): Container {
  return {
    name,
    vcpu: 1,
    mem_mb: 128,
    disk_path: `VM/${name}-${UUID}.img`,
    disk_sha256: sha(`disk:${name}`),
    disk_size: String(8 * 1024 * 1024),
    mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    ip4: `10.20.${(10 + i) >> 8}.${(10 + i) & 255}/16`,
    routes: [],
    boot_order: i,
    health_timeout_s: 30,
    health: 'HEALTH_READY',
    ...extra,
  };
}

function manifest(
  containers: Container[],
  extra: { site?: string; egress?: boolean } = {},
): Manifest {
  return {
    header: {
      manifest_version: 1,
      build_uuid: UUID,
      timestamp_ms: '1645557742000',
      security_epoch: '3',
      ...(extra.site ? { site: extra.site } : {}),
    },
    network: { bridge_ip4: '10.20.0.1/16', egress_nat: extra.egress ?? false },
    guest_kernel: { path: `VM/vmlinuz-${UUID}`, sha256: sha('kernel'), size: '6291456' },
    containers,
  };
}

export const MINIMAL = manifest([container('web', 0)]);

const SEVERAL = manifest(
  [
    container('web', 0, {
      vcpu: 2,
      mem_mb: 512,
      gw4: '10.20.0.1',
      routes: [
        { dest: '192.168.0.0/16', via: '10.20.0.2' },
        { dest: '0.0.0.0/0', via: '10.20.0.1' },
      ],
      restart: 'RESTART_ALWAYS',
    }),
    container('db', 1, {
      mem_mb: 1024,
      disk_size: '1073741824',
      restart: 'RESTART_ON_FAILURE',
      boot_order: 1,
    }),
    container('migrate', 2, {
      health: 'HEALTH_EXIT_ZERO',
      restart: 'RESTART_NEVER',
      health_timeout_s: 3600,
      boot_order: 2,
    }),
    container('cache-1', 3, { gw4: '10.20.0.1', boot_order: 65535, vcpu: 16, mem_mb: 65536 }),
  ],
  { site: 'site-a', egress: true },
);

// D0's own uplink address, with ICMP echo explicitly off (absent would mean on).
const UPLINK: Manifest = {
  ...MINIMAL,
  network: {
    ...MINIMAL.network,
    uplink_ip4: '192.0.2.10/24',
    uplink_gw4: '192.0.2.1',
    uplink_echo: false,
  },
};

// Every per-container network field: published ports (uplink 8080 before 9000 pins numeric, not
// little-endian, key order), an egress allow-list of every protocol, a deny-all container, and
// both rate limits (rx limiting packets only).
const NET: Manifest = {
  ...UPLINK,
  containers: [
    container('web', 0, {
      publish: [
        { protocol: 'IP_PROTO_UDP', uplink_port: 53, container_port: 5353 },
        { protocol: 'IP_PROTO_TCP', uplink_port: 9000, container_port: 9000 },
        { protocol: 'IP_PROTO_TCP', uplink_port: 8080, container_port: 80 },
      ],
      egress_restricted: true,
      egress_allow: [
        { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 8000, port_hi: 8100 },
        { dest: '0.0.0.0/0', protocol: 'IP_PROTO_UDP', port_lo: 53, port_hi: 53 },
        { dest: '10.0.2.2/32', protocol: 'IP_PROTO_TCP', port_lo: 80, port_hi: 80 },
        { dest: '192.0.2.0/24', protocol: 'IP_PROTO_ICMP', port_lo: 0, port_hi: 0 },
        { dest: '198.51.100.0/24', protocol: 'IP_PROTO_ANY', port_lo: 0, port_hi: 0 },
      ],
      tx_limit: { bytes_per_s: '12500000', packets_per_s: 10000, burst_bytes: 15140 },
      rx_limit: { bytes_per_s: '0', packets_per_s: 500, burst_bytes: 0 },
    }),
    container('db', 1, {
      boot_order: 1,
      publish: [{ protocol: 'IP_PROTO_TCP', uplink_port: 5432, container_port: 5432 }],
      egress_restricted: true,
      tx_limit: { bytes_per_s: '12500000000', packets_per_s: 10000000, burst_bytes: 1514 },
    }),
  ],
};

// Where the next build comes from and D0's own image: a DNS host with a port, the upper bounds
// of timeout_s and of the loader's size.
const UPDATE_LOADER: Manifest = {
  ...MINIMAL,
  update: { url: 'http://updates.example-site.net:8080/d0/site-a/', timeout_s: 600 },
  loader: { sha256: sha('loader'), size: '67108864' },
};

// The lower bounds: an IPv4 host, the path "/" alone, timeout_s 1, a 1-byte loader.
const UPDATE_ROOT: Manifest = {
  ...MINIMAL,
  update: { url: 'http://10.0.2.2/', timeout_s: 1 },
  loader: { sha256: sha('loader'), size: '1' },
};

/** A url of exactly `len` bytes: a 63-byte label, the highest port, one path component. */
const longUrl = (len: number) => {
  const head = `http://${'a'.repeat(63)}.example.net:65535/`;
  return `${head}${'p'.repeat(len - head.length - 1)}/`;
};

// update without loader; its url at the 200-byte maximum.
const UPDATE_URL_MAX: Manifest = {
  ...MINIMAL,
  update: { url: longUrl(200), timeout_s: 60 },
};

// The report (the syslog collector), always with an uplink: scripts/report-vectors.ts.
const REPORT = reportVectors(UPLINK, UPDATE_LOADER);

const MAX_CONTAINERS = manifest(
  Array.from({ length: 64 }, (_, i) =>
    container(`c${String(i).padStart(2, '0')}`, i, { boot_order: 63 - i }),
  ),
  { site: 'fleet-64' },
);

const MAX_ROUTES = manifest([
  container('router', 0, {
    gw4: '10.20.0.1',
    routes: Array.from({ length: 16 }, (_, i) => ({
      dest: `172.${16 + i}.0.0/16`,
      via: '10.20.0.1',
    })),
  }),
]);

/** The web container of NET (containers ascend by name: db, then web). */
const netWeb = (r: Node) => cont(r, 1);
const swapFirstTwo = (c: Node, tag: number) => {
  const i = c.kids!.indexOf(kid(c, tag));
  const [a, b] = c.kids!.slice(i, i + 2);
  c.kids!.splice(i, 2, b, a);
};
/** n copies of a container's first entry of `tag`, each with a distinct key by `vary`. */
const manyEntries = (c: Node, tag: number, n: number, vary: (e: Node, i: number) => void) => {
  const first = kid(c, tag);
  const copies = Array.from({ length: n }, (_, i) => {
    const e = structuredClone(first);
    vary(e, i);
    return e;
  });
  c.kids = [...c.kids!.filter((x) => x.tag !== tag), ...copies].sort(
    (a, b) => (a.tag & 0x7fff) - (b.tag & 0x7fff),
  );
};
const u16le = (x: number) => Uint8Array.of(x & 255, x >> 8);
const u64le = (x: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, x, true);
  return b;
};
const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const update = (r: Node) => kid(r, 0x8105);
const loader = (r: Node) => kid(r, 0x8106);

/** One broken rule each in update (url: a url string; timeout_s) or loader. */
function updateLoaderInvalid(): [string, Uint8Array, string][] {
  const badUrl = (what: string, url: string, code = 'VALUE'): [string, Uint8Array, string] => [
    `${code === 'VALUE' ? 'value' : 'bad-length'}-url-${what}`,
    edit(UPDATE_LOADER, (r) => setValue(update(r), 0x8a01, text(url))),
    code,
  ];
  return [
    badUrl('https', 'https://updates.example-site.net:8080/d0/site-a/'),
    badUrl('scheme-uppercase', 'HTTP://updates.example-site.net:8080/d0/site-a/'),
    badUrl('host-uppercase', 'http://Updates.example-site.net:8080/d0/site-a/'),
    badUrl('path-no-trailing-slash', 'http://updates.example-site.net:8080/d0/site-a'),
    badUrl('no-path', 'http://updates.example-site.net:8080'),
    badUrl('path-dotdot', 'http://updates.example-site.net:8080/d0/../site-a/'),
    badUrl('path-empty-component', 'http://updates.example-site.net:8080/d0//'),
    badUrl('port-0', 'http://updates.example-site.net:0/d0/'),
    badUrl('port-65536', 'http://updates.example-site.net:65536/d0/'),
    badUrl('port-leading-zero', 'http://updates.example-site.net:080/d0/'),
    badUrl('octet-leading-zero', 'http://192.0.2.01/d0/'),
    badUrl('octet-256', 'http://192.0.2.256/d0/'),
    badUrl('host-empty-label', 'http://updates..example-site.net/d0/'),
    badUrl('host-trailing-dot', 'http://updates.example-site.net./d0/'),
    badUrl('host-label-dash', 'http://updates-.example-site.net/d0/'),
    badUrl('host-label-64', `http://${'a'.repeat(64)}.example.net/d0/`),
    badUrl('query', 'http://updates.example-site.net/d0/?build=1'),
    badUrl('201', longUrl(201), 'BAD_LENGTH'),
    badUrl('empty', '', 'BAD_LENGTH'),
    [
      'value-update-timeout-0',
      edit(UPDATE_LOADER, (r) => setValue(update(r), 0x8a02, u32(0))),
      'VALUE',
    ],
    [
      'value-update-timeout-601',
      edit(UPDATE_LOADER, (r) => setValue(update(r), 0x8a02, u32(601))),
      'VALUE',
    ],
    [
      'value-loader-size-0',
      edit(UPDATE_LOADER, (r) => setValue(loader(r), 0x8b02, u64le(0n))),
      'VALUE',
    ],
    [
      'value-loader-size-over',
      edit(UPDATE_LOADER, (r) => setValue(loader(r), 0x8b02, u64le(67108865n))),
      'VALUE',
    ],
    [
      'bad-length-loader-sha256',
      edit(UPDATE_LOADER, (r) => setValue(loader(r), 0x8b01, new Uint8Array(31).fill(0xab))),
      'BAD_LENGTH',
    ],
    ['missing-update-timeout', edit(UPDATE_LOADER, (r) => remove(update(r), 0x8a02)), 'MISSING'],
    ['missing-loader-sha256', edit(UPDATE_LOADER, (r) => remove(loader(r), 0x8b01)), 'MISSING'],
    ['order-update-fields', edit(UPDATE_LOADER, (r) => void update(r).kids!.reverse()), 'ORDER'],
    [
      'order-loader-before-update',
      edit(UPDATE_LOADER, (r) => {
        const i = r.kids!.indexOf(update(r));
        r.kids!.splice(i, 2, loader(r), update(r));
      }),
      'ORDER',
    ],
    [
      'duplicate-update',
      edit(UPDATE_LOADER, (r) => insertAfter(r, 0x8105, structuredClone(update(r)))),
      'DUPLICATE',
    ],
  ];
}

function netInvalid(): [string, Uint8Array, string][] {
  return [
    [
      'value-publish-protocol',
      edit(NET, (r) => setValue(kid(netWeb(r), 0x850f), 0x8701, Uint8Array.of(1))),
      'VALUE',
    ],
    [
      'value-egress-protocol',
      edit(NET, (r) => setValue(kid(netWeb(r), 0x8511), 0x8802, Uint8Array.of(2))),
      'VALUE',
    ],
    [
      'value-egress-restricted-false',
      edit(NET, (r) => setValue(netWeb(r), 0x8510, Uint8Array.of(0))),
      'VALUE',
    ],
    [
      'value-publish-port-zero',
      edit(NET, (r) => setValue(kid(netWeb(r), 0x850f), 0x8702, u16le(0))),
      'VALUE',
    ],
    [
      'value-rate-bytes',
      edit(NET, (r) => {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, 12_500_000_001n, true);
        setValue(kid(netWeb(r), 0x8512), 0x8901, b);
      }),
      'VALUE',
    ],
    [
      'bad-length-publish-port',
      edit(NET, (r) => setValue(kid(netWeb(r), 0x850f), 0x8702, u32(8080))),
      'BAD_LENGTH',
    ],
    ['order-publish', edit(NET, (r) => swapFirstTwo(netWeb(r), 0x850f)), 'ORDER'],
    ['order-egress', edit(NET, (r) => swapFirstTwo(netWeb(r), 0x8511)), 'ORDER'],
    [
      'duplicate-publish-port',
      edit(NET, (r) => {
        // Same (protocol, uplink_port) as the entry before, another container port.
        const c = netWeb(r);
        const [, second] = c.kids!.filter((x) => x.tag === 0x850f);
        setValue(second, 0x8702, kid(kid(c, 0x850f), 0x8702).value!);
        setValue(second, 0x8701, kid(kid(c, 0x850f), 0x8701).value!);
      }),
      'DUPLICATE',
    ],
    [
      'count-publish',
      edit(NET, (r) =>
        manyEntries(netWeb(r), 0x850f, 17, (e, i) => setValue(e, 0x8702, u16le(20000 + i))),
      ),
      'COUNT',
    ],
    [
      'count-egress',
      edit(NET, (r) =>
        manyEntries(netWeb(r), 0x8511, 17, (e, i) =>
          setValue(e, 0x8801, Uint8Array.of(10, 1, i, 0, 24)),
        ),
      ),
      'COUNT',
    ],
    ['missing-rate-burst', edit(NET, (r) => remove(kid(netWeb(r), 0x8512), 0x8903)), 'MISSING'],
  ];
}

function invalid(): [string, Uint8Array, string][] {
  const min = encodeManifest(MINIMAL);
  const withContainers = (n: number) =>
    manifest(Array.from({ length: n }, (_, i) => container(`c${String(i).padStart(2, '0')}`, i)));
  const bigRoutes = Array.from({ length: 17 }, (_, i) => ({
    dest: `172.${16 + i}.0.0/16`,
    via: '10.20.0.1',
  }));
  return [
    ['oversize', concat([min, new Uint8Array(MAX_TLV_BYTES + 1 - min.length)]), 'OVERSIZE'],
    ['truncated-empty', new Uint8Array(0), 'TRUNCATED'],
    ['truncated-header', min.subarray(0, 4), 'TRUNCATED'],
    ['truncated-value', min.subarray(0, min.length - 1), 'TRUNCATED'],
    ['overflow-length', overflowLen(tree(MINIMAL)), 'OVERFLOW'],
    [
      'overflow-header',
      edit(
        MINIMAL,
        (r) => void header(r).kids!.push({ tag: 0, raw: Uint8Array.of(0x05, 0x02, 0) }),
      ),
      'OVERFLOW',
    ],
    ['trailing', concat([min, Uint8Array.of(0)]), 'TRAILING'],
    ['bad-root', edit(MINIMAL, (r) => void (r.tag = 0x8101)), 'BAD_ROOT'],
    ['bad-root-noncritical', edit(MINIMAL, (r) => void (r.tag = 0x0001)), 'BAD_ROOT'],
    [
      'unknown-critical',
      edit(MINIMAL, (r) => insertAfter(cont(r), 0x8503, { tag: 0x857f, value: Uint8Array.of(1) })),
      'UNKNOWN_CRITICAL',
    ],
    [
      'unknown-critical-restart-bit',
      edit(SEVERAL, (r) => void (kid(cont(r, 3), 0x050e).tag = 0x850e)),
      'UNKNOWN_CRITICAL',
    ],
    [
      'duplicate-singleton',
      edit(MINIMAL, (r) => insertAfter(header(r), 0x8201, { tag: 0x8201, value: u32(1) })),
      'DUPLICATE',
    ],
    [
      'duplicate-container-name',
      edit(MINIMAL, (r) => r.kids!.push(structuredClone(cont(r)))),
      'DUPLICATE',
    ],
    [
      'duplicate-route',
      edit(SEVERAL, (r) => {
        const c = cont(r, 3);
        c.kids!.splice(c.kids!.indexOf(kid(c, 0x850a)), 0, structuredClone(kid(c, 0x850a)));
      }),
      'DUPLICATE',
    ],
    [
      'order-fields',
      edit(MINIMAL, (r) => void r.kids!.splice(0, 2, network(r), header(r))),
      'ORDER',
    ],
    [
      'order-containers',
      edit(SEVERAL, (r) => {
        const [a, b] = [cont(r, 0), cont(r, 1)];
        const i = r.kids!.indexOf(a);
        r.kids!.splice(i, 2, b, a);
      }),
      'ORDER',
    ],
    [
      'order-routes',
      edit(SEVERAL, (r) => {
        const c = cont(r, 3);
        const i = c.kids!.indexOf(kid(c, 0x850a));
        const [a, b] = c.kids!.slice(i, i + 2);
        c.kids!.splice(i, 2, b, a);
      }),
      'ORDER',
    ],
    ['missing-field', edit(MINIMAL, (r) => remove(header(r), 0x8204)), 'MISSING'],
    ['missing-containers', edit(MINIMAL, (r) => remove(r, 0x8104)), 'MISSING'],
    [
      'missing-critical-bit-cleared',
      edit(MINIMAL, (r) => void (kid(cont(r), 0x8503).tag = 0x0503)),
      'MISSING',
    ],
    [
      'bad-length-u32',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8503, Uint8Array.of(128, 0, 0))),
      'BAD_LENGTH',
    ],
    [
      'bad-length-name',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8501, new Uint8Array(33).fill(0x61))),
      'BAD_LENGTH',
    ],
    [
      'bad-length-empty-path',
      edit(MINIMAL, (r) => setValue(kid(r, 0x8103), 0x8401, new Uint8Array(0))),
      'BAD_LENGTH',
    ],
    [
      'bad-length-ip4cidr',
      edit(MINIMAL, (r) => setValue(network(r), 0x8301, Uint8Array.of(10, 20, 0, 1))),
      'BAD_LENGTH',
    ],
    ['value-enum', edit(MINIMAL, (r) => setValue(cont(r), 0x850d, Uint8Array.of(2))), 'VALUE'],
    ['value-bool', edit(MINIMAL, (r) => setValue(network(r), 0x8302, Uint8Array.of(2))), 'VALUE'],
    [
      'value-uplink-echo',
      edit(UPLINK, (r) => setValue(network(r), 0x8305, Uint8Array.of(2))),
      'VALUE',
    ],
    [
      'bad-length-uplink-gw',
      edit(UPLINK, (r) => setValue(network(r), 0x8304, Uint8Array.of(192, 0, 2))),
      'BAD_LENGTH',
    ],
    [
      'order-uplink',
      edit(UPLINK, (r) => {
        const n = network(r);
        const i = n.kids!.indexOf(kid(n, 0x8303));
        const [a, b] = n.kids!.slice(i, i + 2);
        n.kids!.splice(i, 2, b, a);
      }),
      'ORDER',
    ],
    [
      'value-uuid-version',
      edit(MINIMAL, (r) => {
        const v = Uint8Array.from(kid(header(r), 0x8202).value!);
        v[6] = (v[6] & 0x0f) | 0x40;
        setValue(header(r), 0x8202, v);
      }),
      'VALUE',
    ],
    [
      'value-uuid-variant',
      edit(MINIMAL, (r) => {
        const v = Uint8Array.from(kid(header(r), 0x8202).value!);
        v[8] = v[8] & 0x3f;
        setValue(header(r), 0x8202, v);
      }),
      'VALUE',
    ],
    [
      'value-prefix-33',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8508, Uint8Array.of(10, 20, 0, 10, 33))),
      'VALUE',
    ],
    [
      'value-name-chars',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8501, new Uint8Array(Buffer.from('Web')))),
      'VALUE',
    ],
    [
      'value-name-leading-dash',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8501, new Uint8Array(Buffer.from('-web')))),
      'VALUE',
    ],
    [
      'value-path-dotdot',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8504, new Uint8Array(Buffer.from('VM/../web.img')))),
      'VALUE',
    ],
    [
      'value-manifest-version-2',
      edit(MINIMAL, (r) => setValue(header(r), 0x8201, u32(2))),
      'VALUE',
    ],
    ['value-range-mem', edit(MINIMAL, (r) => setValue(cont(r), 0x8503, u32(8))), 'VALUE'],
    [
      'value-mac-multicast',
      edit(MINIMAL, (r) => setValue(cont(r), 0x8507, Uint8Array.of(1, 0, 0x5e, 0, 0, 1))),
      'VALUE',
    ],
    ['count-containers', encodeRaw65(withContainers), 'COUNT'],
    [
      'count-routes',
      edit(MAX_ROUTES, (r) => {
        const c = cont(r);
        c.kids!.splice(
          c.kids!.indexOf(kid(c, 0x850b)),
          0,
          ...bigRoutes
            .slice(16)
            .map((rt) => ({ tag: 0x850a, kids: parseTree(encodeRoute(rt), tlvScope('Route')) })),
        );
      }),
      'COUNT',
    ],
  ];
}

/** 65 containers: encode 64, then append a 65th that sorts last. */
function encodeRaw65(withContainers: (n: number) => Manifest): Uint8Array {
  const r64 = tree(withContainers(64));
  const extra = tree(manifest([container('zz', 64)]));
  r64.kids!.push(cont(extra));
  return bytesOf(r64);
}

function encodeRoute(rt: { dest: string; via: string }): Uint8Array {
  const m = manifest([container('x', 0, { routes: [rt] })]);
  const c = cont(tree(m));
  return concat(kid(c, 0x850a).kids!.map(bytesOf));
}

export function vectors(): Vector[] {
  const secret = new Uint8Array(Buffer.from(RFC8032_TEST1_SECRET, 'hex'));
  const valid = (name: string, tlv: Uint8Array, expect: string): Vector => ({
    name,
    tlv,
    expect,
    sig: signManifest(tlv, secret),
  });
  const out: Vector[] = [
    valid('valid-minimal', encodeManifest(MINIMAL), dumpManifest(MINIMAL)),
    valid('valid-several', encodeManifest(SEVERAL), dumpManifest(SEVERAL)),
    valid('valid-64-containers', encodeManifest(MAX_CONTAINERS), dumpManifest(MAX_CONTAINERS)),
    valid('valid-16-routes', encodeManifest(MAX_ROUTES), dumpManifest(MAX_ROUTES)),
    valid('valid-uplink', encodeManifest(UPLINK), dumpManifest(UPLINK)),
    valid('valid-container-network', encodeManifest(NET), dumpManifest(NET)),
    valid('valid-update-loader', encodeManifest(UPDATE_LOADER), dumpManifest(UPDATE_LOADER)),
    valid('valid-update-root', encodeManifest(UPDATE_ROOT), dumpManifest(UPDATE_ROOT)),
    valid('valid-update-url-200', encodeManifest(UPDATE_URL_MAX), dumpManifest(UPDATE_URL_MAX)),
    ...REPORT.valid.map(([name, m]) => valid(name, encodeManifest(m), dumpManifest(m))),
    valid(
      'valid-unknown-noncritical',
      edit(SEVERAL, (r) => {
        insertAfter(header(r), 0x8204, { tag: 0x0210, value: Uint8Array.of(0xde, 0xad) });
        insertAfter(cont(r, 1), 0x8503, { tag: 0x057f, value: new Uint8Array(0) });
        r.kids!.push({ tag: 0x0120, value: new Uint8Array(Buffer.from('future field')) });
      }),
      dumpManifest(SEVERAL),
    ),
  ];
  for (const [name, tlv, code] of [
    ...invalid(),
    ...netInvalid(),
    ...updateLoaderInvalid(),
    ...REPORT.invalid,
  ])
    out.push({ name: `invalid-${name}`, tlv, expect: `error=${code}\n` });
  // Sanity: what the decoder says about each vector is what the vector claims.
  for (const v of out) {
    let got: string;
    try {
      got = dumpManifest(decodeManifest(v.tlv));
    } catch (e) {
      got = `error=${(e as { code: string }).code}\n`;
    }
    if (got !== v.expect)
      throw new Error(
        `gen-vectors: ${v.name}: decoder gives ${got.slice(0, 80)}, vector claims ${v.expect.slice(0, 80)}`,
      );
  }
  return out;
}

/** Every file of the vector directories, as name -> bytes. */
export function vectorFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const v of vectors()) {
    files.set(`manifest/${v.name}.tlv`, v.tlv);
    files.set(`manifest/${v.name}.expect`, new Uint8Array(Buffer.from(v.expect)));
    if (v.sig) files.set(`manifest/${v.name}.sig`, v.sig);
  }
  files.set('keys/rfc8032-test1.pub', new Uint8Array(Buffer.from(RFC8032_TEST1_PUBLIC, 'hex')));
  return files;
}

if (require.main === module) {
  const root = path.dirname(VECTOR_DIR);
  const files = vectorFiles();
  for (const f of fs.readdirSync(VECTOR_DIR, { withFileTypes: true })) {
    if (f.isFile() && !files.has(`manifest/${f.name}`))
      fs.unlinkSync(path.join(VECTOR_DIR, f.name));
  }
  for (const [rel, bytes] of files) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), bytes);
  }
  console.log(`wrote ${files.size} files under ${path.relative(process.cwd(), root)}`);
}
