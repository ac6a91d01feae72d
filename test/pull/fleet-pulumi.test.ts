// `pulumi up` rolls a fleet of three emulated hosts (QEMU + OVMF, SVM) in two batches, [host-1]
// then [host-2, host-3], through the real Pulumi engine: a Fleet with `updateServer` builds the
// site (a real guest kernel, a busybox container from an image archive), publishes the build
// (UpdatePublication), and moves each host with a HostRollout: its pointer, a reset through its
// BMC (a Redfish stand-in resetting QEMU over QMP), its commit read from rsyslogd's file. The hosts
// start committed to a first build of the same key that names the update server and the collector
// (test/pull/fleet-support.ts).
//   up (a healthy build) -> host 1 pulls, tries and commits it; only then hosts 2 and 3; all three
//      run it, and rsyslogd's file holds each host's commit with the build's UUID
//   up (a build whose container exits 1) -> host 1 rolls back by itself; `pulumi up` fails naming
//      host 1 and the reason; hosts 2 and 3 are never reset and still run the healthy build.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { PulumiWorkspace, parseStackOutputs, type CommandResult } from '../support/pulumi';
import { testKey } from '../support/test-d0';
import { engineEnv, REPO_ROOT } from '../pulumi/site-program';
import { fleetSite, withFleet, type FleetSite } from './fleet-support';
import { UPDATE_URL } from './support';

// The program: the site's network and collector as the hosts reach them (QEMU's user network),
// the BMCs from fleet.json; `bad` in fleet.json makes the container exit 1.
const PROGRAM = `import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import * as d0 from ${JSON.stringify(path.join(REPO_ROOT, 'provider'))};
import { Fleet } from ${JSON.stringify(path.join(REPO_ROOT, 'components'))};

const cfg = new pulumi.Config();
const fleet = JSON.parse(fs.readFileSync('fleet.json', 'utf8'));
const f = new Fleet('fleet', {
  signingKey: d0.signingKeyFromFile(cfg.require('signingKeyFile')),
  securityEpoch: 3,
  kernelMode: 'host',
  outDir: fleet.outDir,
  batchSize: 2,
  canary: 1,
  updateServer: { site: fleet.publication, reportsFile: fleet.reportsFile, timeoutSeconds: 300 },
  sites: [{
    name: 'site-a',
    network: { bridge: '10.20.0.1/24', uplink: '10.0.2.15/24', uplinkGw: '10.0.2.2' },
    update: { url: fleet.updateUrl, timeoutS: 60 },
    report: { collector: fleet.collector },
    containers: [{
      name: 'web', image: fleet.image, memMb: 64, ip: '10.20.0.10/24', healthTimeoutS: 60,
      health: 'exit-zero',
      ...(fleet.bad ? { exec: { args: ['/bin/busybox', 'sh', '-c', 'echo broken; exit 1'] } } : {}),
    }],
    hosts: fleet.hosts.map((h: { name: string; mac: string; bmc: string }) => ({
      name: h.name, mac: h.mac, bmc: { url: h.bmc },
    })),
  }],
});
export const buildUuids = f.buildUuids;
`;

describe('pulumi up rolls three emulated hosts in two batches, gated on their commits', function () {
  this.timeout(40 * 60_000);
  let s: FleetSite;
  let ws: PulumiWorkspace;
  let fleet: Record<string, unknown>;
  const run = (args: string[]): Promise<CommandResult> =>
    ws.pulumi(args, { env: engineEnv.env, timeoutMs: 1_500_000 });

  before(async () => {
    s = await fleetSite('fleet-pulumi', 3, 64);
    ws = await PulumiWorkspace.create({
      files: {
        'Pulumi.yaml':
          'name: d0-fleet-hosts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n',
        'package.json': JSON.stringify({ name: 'd0-fleet-hosts', private: true, main: 'index.ts' }),
        'index.ts': PROGRAM,
      },
    });
    // The key the hosts' D0 was built with (their first build's), in a 0600 file.
    const keyFile = path.join(ws.root, 'signing.key');
    fs.writeFileSync(keyFile, Buffer.from(testKey().secretKey).toString('hex') + '\n', {
      mode: 0o600,
    });
    assert.equal((await run(['stack', 'init', 'site-a'])).code, 0);
    assert.equal((await run(['config', 'set', 'signingKeyFile', keyFile])).code, 0);
    fleet = {
      image: await writeBusyboxArchive(path.join(ws.root, 'web.tar'), 'fleet'),
      outDir: path.join(ws.root, 'builds'),
      publication: s.site,
      reportsFile: s.collector.file,
      updateUrl: UPDATE_URL,
      collector: `10.0.2.2:${s.collector.port}`,
      hosts: s.hosts.map((h) => ({ name: h.name, mac: h.id, bmc: h.bmc.url })),
    };
  });
  after(async () => {
    ws?.dispose();
    await s?.close();
  });

  const writeFleet = (over: Record<string, unknown>) =>
    ws.writeFile('fleet.json', JSON.stringify({ ...fleet, ...over }));

  it('commits a healthy build batch by batch, then stops at host 1 rolling a failing one back', async () => {
    await withFleet(
      s,
      async () => {
        const [h1, h2, h3] = s.hosts;
        writeFleet({ bad: false });
        const up = await run(['up', '--yes', '--skip-preview']);
        assert.equal(up.code, 0, `${up.stdout.slice(-4000)}\n${up.stderr.slice(-4000)}`);
        const out = parseStackOutputs((await run(['stack', 'output', '--json'])).stdout) as {
          buildUuids: Record<string, string>;
        };
        const u2 = out.buildUuids['site-a'];
        assert.match(u2, /^[0-9a-f-]{36}$/);
        for (const h of s.hosts) {
          assert.equal(h.bmc.resets.length, 1, `${h.name} was reset once`);
          assert.equal(readAbState(h.vars)?.lastGood, u2, `${h.name} committed the build`);
        }
        // Batch 2 was reset only once host 1's commit was in the collector's file.
        const commitLine = (id: string) =>
          s.collector
            .lines()
            .findIndex((l) => l.includes(` ${id} d0 - commit - `) && l.includes(u2));
        for (const h of s.hosts)
          assert.ok(commitLine(h.id) >= 0, `${h.name}'s commit of ${u2} in rsyslog's file`);
        const h1Commit = h1.timeline.find((t) => t.e.ev === 'commit' && t.e.fields.boot === u2)!;
        for (const h of [h2, h3]) {
          const pulled = h.timeline.find(
            (t) => t.e.ev === 'pull_done' && t.e.fields.target === u2,
          )!;
          assert.ok(pulled.at > h1Commit.at, `${h.name} pulled only after host 1 committed`);
        }

        // A build whose container exits 1: host 1 rolls it back, `pulumi up` stops there.
        writeFleet({ bad: true });
        const bad = await run(['up', '--yes', '--skip-preview']);
        assert.notEqual(bad.code, 0);
        const text = bad.stdout + bad.stderr;
        assert.match(
          text,
          /host host-1 \(52-54-00-d0-00-01\): build \S+: rolled back: health:exit-nonzero/,
        );
        assert.equal(h1.bmc.resets.length, 2);
        assert.equal(h2.bmc.resets.length, 1, 'host 2 was never reset again');
        assert.equal(h3.bmc.resets.length, 1, 'host 3 was never reset again');
        const st1 = readAbState(h1.vars);
        assert.equal(st1?.lastGood, u2, 'host 1 went back to the healthy build by itself');
        assert.ok(st1?.bad && st1.bad !== u2, 'and marked the failing one bad');
        for (const h of [h2, h3]) assert.equal(readAbState(h.vars)?.lastGood, u2);
        const rollback = s.collector
          .lines()
          .find((l) => l.includes(` ${h1.id} d0 - rollback - `) && l.includes(st1!.bad!));
        assert.ok(rollback, "host 1's rollback is in rsyslog's file");
      },
      1_800_000,
    );
  });
});
