// The build spec's report (site level, `collector: "a.b.c.d:port"`) onto the manifest's report:
// the text split into collector_ip4 and collector_port; a text that is not of that form, a
// collector that is not unicast or a port outside 1..65535 a problem at `report.collector` that
// names what is wrong; a report without the uplink refused like any manifest's.
import assert from 'node:assert/strict';
import { diffPlans, planBuild } from '../../core/site/plan';
import {
  manifestInput,
  mapProblems,
  parseCollector,
  specPath,
  type BuildSpec,
  type ContainerSpec,
} from '../../core/site/spec';

const web: ContainerSpec = {
  name: 'web',
  image: 'oci:/x',
  vcpu: 1,
  memMb: 128,
  ip: '10.20.0.10/24',
  bootOrder: 1,
  healthTimeoutS: 30,
};
const UPLINK = { uplink: '192.0.2.10/24', uplinkGw: '192.0.2.1' };
const spec = (report?: unknown, network: object = UPLINK): BuildSpec =>
  ({
    network: { bridge: '10.20.0.1/24', ...network },
    securityEpoch: 1,
    containers: [web],
    ...(report === undefined ? {} : { report }),
  }) as BuildSpec;
const DISK = { sha256: 'ab'.repeat(32), size: '1' };
const KERNEL = { sha256: 'cd'.repeat(32), size: '2' };
const mapped = (s: BuildSpec) => manifestInput(s, () => DISK, KERNEL);
const problems = (s: BuildSpec) =>
  planBuild(s).problems.map((p) => `${p.code} ${p.path}: ${p.message}`);

describe('core/site: the report spec', () => {
  it('maps collector "a.b.c.d:port" onto report.collector_ip4 and report.collector_port', () => {
    const { input, problems: ps } = mapped(spec({ collector: '10.0.2.2:5514' }));
    assert.deepEqual(ps, []);
    assert.deepEqual(input.report, { collector_ip4: '10.0.2.2', collector_port: 5514 });
    assert.equal('report' in mapped(spec()).input, false);
    assert.deepEqual(parseCollector('223.255.255.255:65535'), {
      collector_ip4: '223.255.255.255',
      collector_port: 65535,
    });
    for (const bad of [
      '10.0.2.2',
      '10.0.2.2:',
      ':514',
      '10.0.2:514',
      'host.example:514',
      '10.0.2.2:05514',
      '10.0.2.2:514:1',
      '10.0.2.2:123456',
      514,
    ])
      assert.equal(parseCollector(bad), undefined, String(bad));
  });

  it('plans a build with its report, and names a changed collector at report.collector', () => {
    const a = planBuild(spec({ collector: '10.0.2.2:5514' }));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.manifest!.report, { collector_ip4: '10.0.2.2', collector_port: 5514 });
    const b = planBuild(spec({ collector: '10.0.2.3:514' }));
    assert.deepEqual(
      diffPlans(a.manifest!, b.manifest!).map(
        (c) => `${c.path} (${c.manifestPath}): ${c.before} -> ${c.after}`,
      ),
      // One spec field, one change: the whole collector on each side.
      ['report.collector (report): 10.0.2.2:5514 -> 10.0.2.3:514'],
    );
    const c = planBuild(spec({ collector: '10.0.2.2:514' }));
    assert.deepEqual(
      diffPlans(a.manifest!, c.manifest!).map((x) => `${x.path}: ${x.before} -> ${x.after}`),
      ['report.collector: 10.0.2.2:5514 -> 10.0.2.2:514'],
    );
  });

  it('reports a bad collector at report.collector, naming what is wrong', () => {
    const at = (collector: unknown) => problems(spec({ collector }));
    assert.deepEqual(at('127.0.0.1:5514'), [
      'INVALID report.collector: address 127.0.0.1 is a loopback address (127/8), not a unicast one',
    ]);
    assert.deepEqual(at('0.0.0.0:5514'), [
      'INVALID report.collector: address 0.0.0.0 is the unspecified address, not a unicast one',
    ]);
    assert.deepEqual(at('224.0.0.1:5514'), [
      'INVALID report.collector: address 224.0.0.1 is a multicast address (224/4), not a unicast one',
    ]);
    assert.deepEqual(at('255.255.255.255:5514'), [
      'INVALID report.collector: address 255.255.255.255 is the limited broadcast address, not a unicast one',
    ]);
    assert.deepEqual(at('10.0.2.2:0'), ['INVALID report.collector: port 0 is outside 1..65535']);
    assert.deepEqual(at('10.0.2.2:65536'), [
      'INVALID report.collector: port 65536 is outside 1..65535',
    ]);
    assert.deepEqual(at('10.0.2.256:514'), [
      'INVALID report.collector: "10.0.2.256:514" is not an IPv4 address and a port like 10.0.2.2:5514',
    ]);
    assert.deepEqual(at('syslog.example:514'), [
      'INVALID report.collector: "syslog.example:514" is not an IPv4 address and a port like 10.0.2.2:5514',
    ]);
    assert.deepEqual(at(5514), [
      'INVALID report.collector: 5514 is not an IPv4 address and a port like 10.0.2.2:5514',
    ]);
    assert.deepEqual(problems(spec({})), [
      'REQUIRED report.collector: is required (a.b.c.d:port, e.g. 10.0.2.2:5514)',
    ]);
    assert.deepEqual(problems(spec('10.0.2.2:5514')), ['INVALID report: is not an object']);
  });

  it('refuses a report without network.uplink', () => {
    assert.deepEqual(problems(spec({ collector: '10.0.2.2:5514' }, {})), [
      'INVALID report: is set but network.uplink_ip4 is not: D0 sends its reports through its uplink',
    ]);
  });

  it('maps the manifest paths and messages back to the spec', () => {
    assert.equal(specPath('report.collector_ip4'), 'report.collector');
    assert.equal(specPath('report.collector_port'), 'report.collector');
    assert.equal(specPath('report'), 'report');
    assert.equal(specPath('report.constructor'), 'report.constructor');
    assert.deepEqual(
      mapProblems([
        { code: 'INVALID', path: 'report.collector_port', message: '0 is outside 1..65535' },
        { code: 'INVALID', path: 'report', message: 'is not an object' },
      ]),
      [
        { code: 'INVALID', path: 'report.collector', message: 'port 0 is outside 1..65535' },
        { code: 'INVALID', path: 'report', message: 'is not an object' },
      ],
    );
  });
});
