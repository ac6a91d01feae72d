// The golden vectors of the manifest's report (the syslog collector), for scripts/gen-vectors.ts:
// valid manifests with a report, and one broken rule each of its scope (proto/TLV.md: a unicast
// ip4 and a u16 port 1..65535, both required, in tag order, the report once). Every valid one
// has an uplink, so it passes the semantic rules too (SEMANTIC_REPORT_NO_UPLINK).
import type { Manifest } from '../core/schema';
import { edit, insertAfter, kid, remove, setValue, type Node } from './vector-tree';

export interface ReportVectors {
  readonly valid: [string, Manifest][];
  readonly invalid: [string, Uint8Array, string][];
}

const report = (r: Node) => kid(r, 0x8107);
const ip4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
const u16le = (x: number) => Uint8Array.of(x & 255, x >> 8);

/**
 * `uplink`: a manifest with D0's uplink; `updateLoader`: one with update and loader (the report
 * comes after both).
 */
export function reportVectors(uplink: Manifest, updateLoader: Manifest): ReportVectors {
  // The example collector: QEMU's host seen from user networking, a common syslog port.
  const REPORT: Manifest = {
    ...uplink,
    report: { collector_ip4: '10.0.2.2', collector_port: 5514 },
  };
  // After update and loader; the highest address below multicast, the highest port.
  const BOUNDS: Manifest = {
    ...updateLoader,
    network: uplink.network,
    report: { collector_ip4: '223.255.255.255', collector_port: 65535 },
  };
  const badIp = (what: string, addr: string): [string, Uint8Array, string] => [
    `value-report-collector-${what}`,
    edit(REPORT, (r) => setValue(report(r), 0x8c01, ip4(addr))),
    'VALUE',
  ];
  return {
    valid: [
      ['valid-report', REPORT],
      ['valid-report-bounds', BOUNDS],
    ],
    invalid: [
      badIp('unspecified', '0.0.0.0'),
      badIp('broadcast', '255.255.255.255'),
      badIp('loopback', '127.0.0.1'),
      badIp('loopback-top', '127.255.255.255'),
      badIp('multicast', '224.0.0.1'),
      badIp('multicast-top', '239.255.255.255'),
      ['value-report-port-0', edit(REPORT, (r) => setValue(report(r), 0x8c02, u16le(0))), 'VALUE'],
      [
        'bad-length-report-collector',
        edit(REPORT, (r) => setValue(report(r), 0x8c01, Uint8Array.of(10, 0, 2, 2, 32))),
        'BAD_LENGTH',
      ],
      [
        'bad-length-report-port',
        edit(REPORT, (r) => setValue(report(r), 0x8c02, Uint8Array.of(0x8a, 0x15, 0, 0))),
        'BAD_LENGTH',
      ],
      ['missing-report-port', edit(REPORT, (r) => remove(report(r), 0x8c02)), 'MISSING'],
      ['missing-report-collector', edit(REPORT, (r) => remove(report(r), 0x8c01)), 'MISSING'],
      ['order-report-fields', edit(REPORT, (r) => void report(r).kids!.reverse()), 'ORDER'],
      [
        'order-report-before-loader',
        edit(BOUNDS, (r) => {
          const i = r.kids!.indexOf(kid(r, 0x8106));
          r.kids!.splice(i, 2, report(r), kid(r, 0x8106));
        }),
        'ORDER',
      ],
      [
        'duplicate-report',
        edit(REPORT, (r) => insertAfter(r, 0x8107, structuredClone(report(r)))),
        'DUPLICATE',
      ],
    ],
  };
}
