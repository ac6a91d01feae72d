// A health-gated rollout across three emulated hosts (QEMU + OVMF) in two batches, [host-1] then
// [host-2, host-3] (builder/fleet/rollout.ts, the engine of `d0 rollout` and of the Pulumi
// rollout): the build is published, host 1 is reset through its BMC (a Redfish stand-in resetting
// QEMU over QMP), pulls it, tries it and commits it, which its report to rsyslogd says; only then
// are hosts 2 and 3 pointed at it and reset. A build whose container fails its health check rolls
// back on host 1 by itself; the rollout stops naming host 1 and its reason, and hosts 2 and 3 are
// never pointed at it nor reset, and still run the build before.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { pointerFile } from '../../builder/publish';
import { rollout } from '../../builder/fleet/rollout';
import { RolloutError } from '../../builder/fleet/rollout-result';
import { bootsOf, fleetSite, withFleet, type FleetSite } from './fleet-support';

const HOST_TIMEOUT_MS = 240_000;

describe('rollout: three hosts in two batches, gated on each host committing', function () {
  this.timeout(30 * 60_000);
  let s: FleetSite;

  before(async () => {
    s = await fleetSite('fleet', 3);
  });
  after(async () => {
    await s?.close();
  });

  it('rolls a healthy build out batch by batch, then stops at a rollback on the first host', async () => {
    await withFleet(s, async () => {
      const [h1, h2, h3] = s.hosts;
      const batches = [[s.rolloutHost(h1)], [s.rolloutHost(h2), s.rolloutHost(h3)]];

      // A healthy build: every host ends on it.
      const u2 = s.build('u2');
      const lines: string[] = [];
      const r = await rollout({
        site: s.site,
        buildDir: u2.dir,
        publicKey: s.fx.pub,
        batches,
        reportsFile: s.collector.file,
        hostTimeoutMs: HOST_TIMEOUT_MS,
        log: (l) => lines.push(l),
      });
      assert.deepEqual(
        r.hosts.map((x) => [x.name, x.outcome]),
        [
          ['host-1', 'committed'],
          ['host-2', 'committed'],
          ['host-3', 'committed'],
        ],
        lines.join('\n'),
      );
      const [t1, t2, t3] = r.hosts.map((x) => x.times);
      assert.ok(t2.reset! >= t1.outcome! && t3.reset! >= t1.outcome!, 'batch 2 after batch 1 committed');
      for (const h of s.hosts) {
        assert.equal(h.bmc.resets.length, 1, `${h.name} was reset once`);
        assert.equal(readAbState(h.vars)?.lastGood, u2.uuid, `${h.name} committed U2`);
        const commits = bootsOf(h).flat().filter((e) => e.ev === 'commit');
        assert.equal(commits[commits.length - 1]?.fields.boot, u2.uuid);
      }
      // The reports are in the collector's file, with the build's UUID, from each host.
      const reported = s.collector.lines().filter((l) => / commit - /.test(l) && l.includes(u2.uuid));
      for (const h of s.hosts)
        assert.ok(
          reported.some((l) => l.includes(` ${h.id} d0 `)),
          `${h.name}'s commit of U2 is in rsyslog's file`,
        );

      // A build whose container fails its health check: host 1 rolls back, the rollout stops.
      const u3 = s.build('u3', 'exit1');
      let err: unknown;
      await rollout({
        site: s.site,
        buildDir: u3.dir,
        publicKey: s.fx.pub,
        batches,
        reportsFile: s.collector.file,
        hostTimeoutMs: HOST_TIMEOUT_MS,
      }).catch((e) => (err = e));
      assert.ok(err instanceof RolloutError, String(err));
      assert.match(err.message, /host-1 \(52-54-00-d0-00-01\): rolled back: health:exit-nonzero/);
      assert.equal(h1.bmc.resets.length, 2);
      assert.equal(h2.bmc.resets.length, 1, 'host 2 was not reset again');
      assert.equal(h3.bmc.resets.length, 1, 'host 3 was not reset again');
      const s1 = readAbState(h1.vars);
      assert.equal(s1?.lastGood, u2.uuid, 'host 1 went back to U2');
      assert.equal(s1?.bad, u3.uuid);
      for (const h of [h2, h3]) {
        assert.equal(readAbState(h.vars)?.lastGood, u2.uuid, `${h.name} still runs U2`);
        const ptr = fs.readFileSync(pointerFile(s.site, h.id));
        assert.ok(!ptr.includes(Buffer.from(u3.uuid.replace(/-/g, ''), 'hex')), `${h.name}'s pointer`);
      }
    });
  });
});
