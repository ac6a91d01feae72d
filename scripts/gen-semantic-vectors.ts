// Writes the golden semantic vectors in test/vectors/semantic/ (format: test/vectors/README.md):
// signed manifests that decode cleanly, each breaking one rule of proto/SEMANTICS.md (or none),
// with the error D0 must refuse it with at epoch floor 0. Run: npx tsx scripts/gen-semantic-vectors.ts
// (test/core/semantic-vectors.test.ts fails when the committed files differ from what this renders).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Container, Manifest } from '../core/schema';
import { decodeManifest } from '../core/tlv/decode';
import { encodeManifest } from '../core/tlv/encode';
import { signManifest } from '../core/sign';
import { semanticProblems } from '../core/manifest/semantic';
import { MINIMAL, RFC8032_TEST1_SECRET } from './gen-vectors';

export const SEMANTIC_DIR = path.join(__dirname, '..', 'test', 'vectors', 'semantic');

export interface SemanticVector {
  readonly name: string;
  readonly tlv: Uint8Array;
  readonly sig: Uint8Array;
  /** `ok\n`, or `error=SEMANTIC_<NAME> at=<where>\n`. */
  readonly expect: string;
}

const UUID = MINIMAL.header.build_uuid;
const web = MINIMAL.containers[0];
const UPLINK = { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1' };
const REPORT: Manifest['report'] = { collector_ip4: '10.0.2.2', collector_port: 5514 };

/** MINIMAL with header/network fields and container fields replaced. */
function m(
  ct: Partial<Container> = {},
  net: Partial<Manifest['network']> = {},
  hdr: Partial<Manifest['header']> = {},
  more: Container[] = [],
): Manifest {
  return {
    ...MINIMAL,
    header: { ...MINIMAL.header, ...hdr },
    network: { ...MINIMAL.network, ...net },
    containers: [{ ...web, ...ct }, ...more],
  };
}

/** A second container "zz" (sorts after "web"), unique unless overridden. */
function zz(ct: Partial<Container> = {}): Container {
  return {
    ...web,
    name: 'zz',
    disk_path: `VM/zz-${UUID}.img`,
    mac: '02:00:00:00:00:99',
    ip4: '10.20.0.99/16',
    boot_order: 9,
    ...ct,
  };
}

const tcp = (uplink_port: number, container_port: number) => ({
  protocol: 'IP_PROTO_TCP' as const,
  uplink_port,
  container_port,
});
const rule = (dest: string, protocol: string, port_lo: number, port_hi: number) =>
  ({ dest, protocol, port_lo, port_hi }) as NonNullable<Container['egress_allow']>[number];
const limit = (bytes_per_s: string, packets_per_s: number, burst_bytes: number) => ({
  bytes_per_s,
  packets_per_s,
  burst_bytes,
});

/** [name, manifest, expected error (undefined: ok), where]. */
function cases(): [string, Manifest, string?, string?][] {
  const W = 'containers[web]';
  const Z = 'containers[zz]';
  const H = (s: string) => `header.${s}`;
  const N = (s: string) => `network.${s}`;
  return [
    ['valid-minimal', MINIMAL],
    ['valid-epoch-at-ceiling', m({}, {}, { security_epoch: '65536' })],
    [
      'valid-two-containers-uplink',
      m({ publish: [tcp(8080, 80)], gw4: '10.20.0.1' }, UPLINK, {}, [
        zz({ publish: [tcp(8081, 80)] }),
      ]),
    ],
    ['valid-report-uplink', { ...m({}, UPLINK), report: REPORT }],
    [
      'invalid-epoch-max',
      m({}, {}, { security_epoch: '18446744073709551615' }),
      'EPOCH_CEILING',
      H('security_epoch'),
    ],
    [
      'invalid-epoch-ceiling-plus-one',
      m({}, {}, { security_epoch: '65537' }),
      'EPOCH_CEILING',
      H('security_epoch'),
    ],
    [
      'invalid-bridge-prefix-31',
      m({ ip4: '10.20.0.0/31' }, { bridge_ip4: '10.20.0.1/31' }),
      'BRIDGE_PREFIX',
      N('bridge_ip4'),
    ],
    [
      'invalid-bridge-network-address',
      m({}, { bridge_ip4: '10.20.0.0/16' }),
      'RESERVED_ADDRESS',
      N('bridge_ip4'),
    ],
    [
      'invalid-uplink-without-gw',
      m({}, { uplink_ip4: '192.0.2.10/24' }),
      'UPLINK_INCOMPLETE',
      N('uplink_gw4'),
    ],
    [
      'invalid-uplink-echo-alone',
      m({}, { uplink_echo: false }),
      'UPLINK_INCOMPLETE',
      N('uplink_echo'),
    ],
    [
      'invalid-uplink-prefix-32',
      m({}, { ...UPLINK, uplink_ip4: '192.0.2.10/32' }),
      'UPLINK_PREFIX',
      N('uplink_ip4'),
    ],
    [
      'invalid-uplink-broadcast',
      m({}, { ...UPLINK, uplink_ip4: '192.0.2.255/24' }),
      'RESERVED_ADDRESS',
      N('uplink_ip4'),
    ],
    [
      'invalid-uplink-overlaps-bridge',
      m({}, { uplink_ip4: '10.20.5.10/24', uplink_gw4: '10.20.5.1' }),
      'UPLINK_OVERLAP',
      N('uplink_ip4'),
    ],
    [
      'invalid-uplink-gw-outside',
      m({}, { ...UPLINK, uplink_gw4: '198.51.100.1' }),
      'OUTSIDE_SUBNET',
      N('uplink_gw4'),
    ],
    [
      'invalid-uplink-gw-own',
      m({}, { ...UPLINK, uplink_gw4: '192.0.2.10' }),
      'OWN_ADDRESS',
      N('uplink_gw4'),
    ],
    [
      'invalid-uplink-gw-network',
      m({}, { ...UPLINK, uplink_gw4: '192.0.2.0' }),
      'RESERVED_ADDRESS',
      N('uplink_gw4'),
    ],
    [
      'invalid-kernel-path-efi',
      { ...MINIMAL, guest_kernel: { ...MINIMAL.guest_kernel, path: 'EFI/BOOT/BOOTX64.EFI' } },
      'RESERVED_PATH',
      'guest_kernel.path',
    ],
    [
      'invalid-disk-path-fallback-loader',
      m({ disk_path: 'EFI/BOOT/BOOTX64.EFI' }),
      'RESERVED_PATH',
      `${W}.disk_path`,
    ],
    [
      'invalid-disk-path-own-image-lowercase',
      m({ disk_path: `efi/boot/bootx64-${UUID}.efi` }),
      'RESERVED_PATH',
      `${W}.disk_path`,
    ],
    [
      'invalid-disk-path-signature',
      m({ disk_path: `manifest-${UUID}.sig` }),
      'RESERVED_PATH',
      `${W}.disk_path`,
    ],
    [
      'invalid-disk-path-manifest',
      m({ disk_path: `Manifest-${UUID}.TLV` }),
      'RESERVED_PATH',
      `${W}.disk_path`,
    ],
    ['invalid-mac-d0-bridge', m({ mac: '02:d0:00:00:00:01' }), 'RESERVED_MAC', `${W}.mac`],
    ['invalid-ip4-outside-subnet', m({ ip4: '10.21.0.10/16' }), 'OUTSIDE_SUBNET', `${W}.ip4`],
    ['invalid-ip4-other-prefix', m({ ip4: '10.20.0.10/24' }), 'OUTSIDE_SUBNET', `${W}.ip4`],
    ['invalid-ip4-network-address', m({ ip4: '10.20.0.0/16' }), 'RESERVED_ADDRESS', `${W}.ip4`],
    ['invalid-ip4-broadcast', m({ ip4: '10.20.255.255/16' }), 'RESERVED_ADDRESS', `${W}.ip4`],
    ['invalid-ip4-bridge-address', m({ ip4: '10.20.0.1/16' }), 'RESERVED_ADDRESS', `${W}.ip4`],
    ['invalid-gw4-outside-subnet', m({ gw4: '10.30.0.1' }), 'OUTSIDE_SUBNET', `${W}.gw4`],
    ['invalid-gw4-broadcast', m({ gw4: '10.20.255.255' }), 'RESERVED_ADDRESS', `${W}.gw4`],
    ['invalid-gw4-own-address', m({ gw4: '10.20.0.10' }), 'OWN_ADDRESS', `${W}.gw4`],
    [
      'invalid-route-host-bits',
      m({
        routes: [
          { dest: '0.0.0.0/0', via: '10.20.0.1' },
          { dest: '192.168.1.0/16', via: '10.20.0.1' },
        ],
      }),
      'HOST_BITS',
      `${W}.routes.dest`,
    ],
    [
      'invalid-route-via-outside',
      m({ routes: [{ dest: '0.0.0.0/0', via: '10.30.0.1' }] }),
      'OUTSIDE_SUBNET',
      `${W}.routes.via`,
    ],
    [
      'invalid-publish-without-uplink',
      m({ publish: [tcp(8080, 80)] }),
      'PUBLISH_NO_UPLINK',
      `${W}.publish`,
    ],
    [
      'invalid-publish-container-port-twice',
      m({ publish: [tcp(8080, 80), tcp(9090, 80)] }, UPLINK),
      'DUPLICATE_PORT',
      `${W}.publish.container_port`,
    ],
    [
      'invalid-publish-uplink-port-across',
      m({ publish: [tcp(8080, 80)] }, UPLINK, {}, [zz({ publish: [tcp(8080, 81)] })]),
      'DUPLICATE_PORT',
      `${Z}.publish.uplink_port`,
    ],
    [
      'invalid-egress-unrestricted',
      m({ egress_allow: [rule('0.0.0.0/0', 'IP_PROTO_ANY', 0, 0)] }),
      'EGRESS_UNRESTRICTED',
      `${W}.egress_allow`,
    ],
    [
      'invalid-egress-host-bits',
      m({ egress_restricted: true, egress_allow: [rule('10.0.2.2/24', 'IP_PROTO_ANY', 0, 0)] }),
      'HOST_BITS',
      `${W}.egress_allow.dest`,
    ],
    [
      'invalid-egress-icmp-ports',
      m({ egress_restricted: true, egress_allow: [rule('10.0.2.0/24', 'IP_PROTO_ICMP', 1, 1)] }),
      'EGRESS_PORTS',
      `${W}.egress_allow.port_lo`,
    ],
    [
      'invalid-egress-tcp-port-zero',
      m({ egress_restricted: true, egress_allow: [rule('10.0.2.0/24', 'IP_PROTO_TCP', 0, 80)] }),
      'EGRESS_PORTS',
      `${W}.egress_allow.port_lo`,
    ],
    [
      'invalid-egress-ports-reversed',
      m({ egress_restricted: true, egress_allow: [rule('10.0.2.0/24', 'IP_PROTO_UDP', 90, 80)] }),
      'EGRESS_PORTS',
      `${W}.egress_allow.port_lo`,
    ],
    [
      'invalid-rate-limits-nothing',
      m({ tx_limit: limit('0', 0, 0) }),
      'RATE_LIMIT',
      `${W}.tx_limit`,
    ],
    [
      'invalid-rate-burst-below-frame',
      m({ rx_limit: limit('1000000', 0, 1513) }),
      'RATE_LIMIT',
      `${W}.rx_limit`,
    ],
    [
      'invalid-rate-burst-without-bytes',
      m({ tx_limit: limit('0', 100, 1514) }),
      'RATE_LIMIT',
      `${W}.tx_limit`,
    ],
    ['invalid-duplicate-mac', m({}, {}, {}, [zz({ mac: web.mac })]), 'DUPLICATE_MAC', `${Z}.mac`],
    ['invalid-duplicate-ip4', m({}, {}, {}, [zz({ ip4: web.ip4 })]), 'DUPLICATE_IP4', `${Z}.ip4`],
    [
      'invalid-duplicate-boot-order',
      m({}, {}, {}, [zz({ boot_order: web.boot_order })]),
      'DUPLICATE_BOOT_ORDER',
      `${Z}.boot_order`,
    ],
    [
      'invalid-duplicate-disk-path-case',
      m({}, {}, {}, [zz({ disk_path: web.disk_path.toUpperCase() })]),
      'DUPLICATE_DISK_PATH',
      `${Z}.disk_path`,
    ],
    // A report needs the uplink: D0 sends through it.
    ['invalid-report-without-uplink', { ...MINIMAL, report: REPORT }, 'REPORT_NO_UPLINK', 'report'],
    // Checked after every container: a container's broken rule is met first.
    [
      'invalid-order-duplicate-before-report',
      { ...m({}, {}, {}, [zz({ mac: web.mac })]), report: REPORT },
      'DUPLICATE_MAC',
      `${Z}.mac`,
    ],
    // Two broken rules in one container: the one SEMANTICS.md lists first is the error.
    [
      'invalid-order-rate-before-duplicate',
      m({}, {}, {}, [zz({ ip4: web.ip4, tx_limit: limit('0', 0, 0) })]),
      'RATE_LIMIT',
      `${Z}.tx_limit`,
    ],
    // The issue's example: duplicate addresses, a gateway outside the subnet, D0's own image as a
    // disk and a pinned epoch, all at once: the epoch is met first.
    [
      'invalid-issue-example',
      m(
        { gw4: '10.99.0.1', disk_path: 'EFI/BOOT/BOOTX64.EFI' },
        {},
        { security_epoch: '18446744073709551615' },
        [zz({ ip4: web.ip4 })],
      ),
      'EPOCH_CEILING',
      H('security_epoch'),
    ],
  ];
}

export function semanticVectors(): SemanticVector[] {
  const secret = new Uint8Array(Buffer.from(RFC8032_TEST1_SECRET, 'hex'));
  return cases().map(([name, man, code, at]) => {
    const tlv = encodeManifest(man);
    const expect = code ? `error=SEMANTIC_${code} at=${at}\n` : 'ok\n';
    // Sanity: it decodes, and the TypeScript rules give what the vector claims.
    const first = semanticProblems(decodeManifest(tlv), { epochFloor: 0n })[0];
    const got = first ? `error=${first.code} at=${first.at}\n` : 'ok\n';
    if (got !== expect)
      throw new Error(
        `gen-semantic-vectors: ${name}: rules give ${got.trim()}, vector claims ${expect.trim()}`,
      );
    return { name, tlv, sig: signManifest(tlv, secret), expect };
  });
}

/** Every file of test/vectors/semantic/, as file name -> bytes. */
export function semanticVectorFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const v of semanticVectors()) {
    files.set(`${v.name}.tlv`, v.tlv);
    files.set(`${v.name}.sig`, v.sig);
    files.set(`${v.name}.expect`, new Uint8Array(Buffer.from(v.expect)));
  }
  return files;
}

if (require.main === module) {
  const files = semanticVectorFiles();
  fs.mkdirSync(SEMANTIC_DIR, { recursive: true });
  for (const f of fs.readdirSync(SEMANTIC_DIR))
    if (!files.has(f)) fs.unlinkSync(path.join(SEMANTIC_DIR, f));
  for (const [f, bytes] of files) fs.writeFileSync(path.join(SEMANTIC_DIR, f), bytes);
  console.log(`wrote ${files.size} files under ${path.relative(process.cwd(), SEMANTIC_DIR)}`);
}
