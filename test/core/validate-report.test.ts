// The manifest's report (an optional message: the syslog collector): accepted with an uplink,
// encoded after update and loader and decoded back unchanged; absent, nothing is encoded for it;
// a collector that is not unicast, a port outside 1..65535 or a missing field reported at its
// path; a report without an uplink refused with advice, as D0 refuses it
// (SEMANTIC_REPORT_NO_UPLINK).
import { strict as assert } from 'node:assert';
import { semanticProblems } from '../../core/manifest/semantic';
import { validateManifest } from '../../core/manifest/validate';
import { decodeManifest } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';

const BUILD = {
  build: { build_uuid: uuidv7(1700000000000, new Uint8Array(16).fill(1)), timestamp_ms: 1 },
};
const SHA = 'ab'.repeat(32);
const UPLINK = { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1' };
const REPORT = { collector_ip4: '10.0.2.2', collector_port: 5514 };

function site(extra: Record<string, unknown>, network: Record<string, unknown> = UPLINK) {
  return {
    header: { security_epoch: 1 },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false, ...network },
    guest_kernel: { sha256: SHA, size: 1000 },
    containers: [
      {
        name: 'web',
        vcpu: 1,
        mem_mb: 64,
        disk_sha256: SHA,
        disk_size: 4096,
        ip4: '10.20.0.10/24',
        boot_order: 1,
        health_timeout_s: 30,
      },
    ],
    ...extra,
  };
}

function problems(extra: Record<string, unknown>, network?: Record<string, unknown>): string[] {
  const r = validateManifest(site(extra, network), BUILD);
  assert.equal(r.manifest, undefined, 'a manifest despite problems');
  return r.problems.map((p) => `${p.code} ${p.path}: ${p.message}`);
}

describe('core/manifest/validate: report', () => {
  it('accepts a collector with the uplink and round-trips it after update and loader', () => {
    const r = validateManifest(
      site({
        update: { url: 'http://10.0.2.2/', timeout_s: 60 },
        loader: { sha256: SHA, size: 1 },
        report: REPORT,
      }),
      BUILD,
    );
    assert.deepEqual(r.problems, []);
    const m = r.manifest!;
    assert.deepEqual(m.report, REPORT);
    const back = decodeManifest(encodeManifest(m));
    assert.deepEqual(back.report, REPORT);
    assert.match(
      dumpManifest(back),
      /\nloader\.size=1\nreport\.collector_ip4=10\.0\.2\.2\nreport\.collector_port=5514\n$/,
    );
    assert.deepEqual(semanticProblems(back), []);
  });

  it('takes the bounds of the port and the edges of the unicast ranges', () => {
    for (const report of [
      { collector_ip4: '126.255.255.255', collector_port: 1 },
      { collector_ip4: '128.0.0.0', collector_port: 65535 },
      { collector_ip4: '223.255.255.255', collector_port: 514 },
    ]) {
      const r = validateManifest(site({ report }), BUILD);
      assert.deepEqual(r.problems, [], JSON.stringify(report));
      assert.deepEqual(decodeManifest(encodeManifest(r.manifest!)).report, report);
    }
  });

  it('absent, nothing is encoded for it', () => {
    const r = validateManifest(site({}), BUILD);
    assert.deepEqual(r.problems, []);
    assert.equal('report' in r.manifest!, false);
    assert.equal('report' in decodeManifest(encodeManifest(r.manifest!)), false);
  });

  it('reports a collector that is not unicast at report.collector_ip4, naming why', () => {
    const cases: [string, string][] = [
      ['0.0.0.0', 'is the unspecified address'],
      ['255.255.255.255', 'is the limited broadcast address'],
      ['127.0.0.1', 'is a loopback address (127/8)'],
      ['224.0.0.1', 'is a multicast address (224/4)'],
      ['239.255.255.255', 'is a multicast address (224/4)'],
    ];
    for (const [ip, why] of cases)
      assert.deepEqual(problems({ report: { ...REPORT, collector_ip4: ip } }), [
        `INVALID report.collector_ip4: ${ip} ${why}, not a unicast one`,
      ]);
  });

  it('reports each field at its path', () => {
    assert.deepEqual(problems({ report: { collector_ip4: '10.0.2.2/32', collector_port: 0 } }), [
      'INVALID report.collector_ip4: 10.0.2.2/32 is not an IPv4 address',
      'INVALID report.collector_port: 0 is outside 1..65535',
    ]);
    assert.deepEqual(problems({ report: { ...REPORT, collector_port: 65536 } }), [
      'INVALID report.collector_port: 65536 is outside 1..65535',
    ]);
    assert.deepEqual(problems({ report: { collector_ip4: '10.0.2.2', port: 514 } }).sort(), [
      'REQUIRED report.collector_port: is required',
      'UNKNOWN_FIELD report.port: unknown field (the Report fields are collector_ip4, collector_port)',
    ]);
    assert.deepEqual(problems({ report: '10.0.2.2:5514' }), ['INVALID report: is not an object']);
  });

  it('refuses a report without the uplink, with advice; D0 refuses it as REPORT_NO_UPLINK', () => {
    assert.deepEqual(problems({ report: REPORT }, {}), [
      'INVALID report: is set but network.uplink_ip4 is not: D0 sends its reports through its uplink',
    ]);
    // The decoded manifest as D0 sees it (the encoder alone does not check cross-field rules).
    const ok = validateManifest(site({ report: REPORT }), BUILD).manifest!;
    const bare = { ...ok, network: { bridge_ip4: ok.network.bridge_ip4, egress_nat: false } };
    assert.deepEqual(
      semanticProblems(decodeManifest(encodeManifest(bare))).map((p) => `${p.code} ${p.at}`),
      ['SEMANTIC_REPORT_NO_UPLINK report'],
    );
  });

  it('names report among the manifest fields', () => {
    assert.deepEqual(problems({ reports: {} }), [
      'UNKNOWN_FIELD reports: unknown field (expected header, network, guest_kernel, containers, update, loader, report)',
    ]);
  });
});
