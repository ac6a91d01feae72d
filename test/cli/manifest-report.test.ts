// `d0 manifest pack` with the manifest's report given in the SITE like any field: packed after
// the containers and shown by inspect; a collector that is not unicast, port 0 or a report
// without the uplink refused with its path and nothing written.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Io } from '../../cli/io';
import { main } from '../../cli/main';

async function d0(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: { D0_SIGNING_KEY: '' } };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const ZEROS = '0'.repeat(64);
const UPLINK = { uplink_ip4: '192.0.2.10/24', uplink_gw4: '192.0.2.1' };
const site = (report: unknown, network: Record<string, unknown> = UPLINK) => ({
  header: { security_epoch: 1 },
  network: { bridge_ip4: '10.20.0.1/24', ...network },
  guest_kernel: { sha256: ZEROS, size: 1 },
  containers: [
    {
      name: 'web',
      vcpu: 1,
      mem_mb: 64,
      ip4: '10.20.0.10/24',
      boot_order: 0,
      health_timeout_s: 30,
      disk_sha256: ZEROS,
      disk_size: 1,
    },
  ],
  report,
});

describe('d0 manifest pack: report', () => {
  let dir: string;
  const tmp = (...p: string[]) => path.join(dir, ...p);
  const pack = (name: string, text: string, out: string) => {
    fs.writeFileSync(tmp(name), text);
    return d0(['manifest', 'pack', tmp(name), '--key', tmp('k.key'), '--out', out]);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-report-'));
    assert.equal((await d0(['keygen', '--out', tmp('k')])).code, 0);
    fs.mkdirSync(tmp('empty'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('packs the report given in a YAML SITE; inspect shows it after the containers', async () => {
    const yaml = [
      'header: { security_epoch: 1 }',
      'network: { bridge_ip4: 10.20.0.1/24, uplink_ip4: 192.0.2.10/24, uplink_gw4: 192.0.2.1 }',
      `guest_kernel: { sha256: "${ZEROS}", size: 1 }`,
      'containers:',
      `  - { name: web, vcpu: 1, mem_mb: 64, ip4: 10.20.0.10/24, boot_order: 0, health_timeout_s: 30, disk_sha256: "${ZEROS}", disk_size: 1 }`,
      'report: { collector_ip4: "10.0.2.2", collector_port: 5514 }',
      '',
    ].join('\n');
    const r = await pack('site.yaml', yaml, tmp('a'));
    assert.equal(r.code, 0, r.err);
    const tlv = tmp('a', `manifest-${r.out}.tlv`);
    const dump = (await d0(['manifest', 'inspect', tlv])).out;
    assert.match(
      dump,
      /containers\[web\]\.health=HEALTH_READY\nreport\.collector_ip4=10\.0\.2\.2\nreport\.collector_port=5514$/m,
    );
    const json = JSON.parse((await d0(['manifest', 'inspect', tlv, '--json'])).out) as {
      report: unknown;
    };
    assert.deepEqual(json.report, { collector_ip4: '10.0.2.2', collector_port: 5514 });
  });

  it('refuses a collector that is not unicast, port 0, and a report without the uplink', async () => {
    const bad = await pack(
      'bad.json',
      JSON.stringify(site({ collector_ip4: '127.0.0.1', collector_port: 0 })),
      tmp('empty'),
    );
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /^report\.collector_ip4: 127\.0\.0\.1 is a loopback address \(127\/8\), not a unicast one$/m,
    );
    assert.match(bad.err, /^report\.collector_port: 0 is outside 1\.\.65535$/m);
    const alone = await pack(
      'alone.json',
      JSON.stringify(site({ collector_ip4: '10.0.2.2', collector_port: 5514 }, {})),
      tmp('empty'),
    );
    assert.equal(alone.code, 2);
    assert.match(alone.err, /^report: is set but network\.uplink_ip4 is not/m);
    assert.deepEqual(fs.readdirSync(tmp('empty')), []);
  });
});
