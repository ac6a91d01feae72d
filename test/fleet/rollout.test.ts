// The health-gated rollout (builder/fleet/rollout.ts) end to end against simulated hosts: a real
// rsyslogd collects their reports (test/support/syslog-collector.ts), each host has its own
// stand-in BMC (test/support/redfish-bmc.ts) whose reset makes it boot and send what a real host
// sends (./simulated-host.ts). Checked: batches run in order and a batch is reset only after the
// one before committed; a rollback, a refusal or a silent host stops the rollout naming each
// failed host, and later batches are never published to nor reset; a BMC that refuses the reset
// stops it before any waiting; a request that cannot run is refused before anything is done.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rollout, RolloutError, type RolloutHost } from '../../builder/fleet/rollout';
import type { RolloutRequest } from '../../builder/fleet/rollout-request';
import { pointerFile, readPublication } from '../../builder/publish';
import { D0Error, errorCode } from '../../core/errors';
import { makeTestBuild, OTHER_KEY, SITE_KEY, snapshot, type TestBuild } from '../publish/support';
import { RedfishBmc } from '../support/redfish-bmc';
import { SyslogCollector } from '../support/syslog-collector';
import { SimulatedHost, type Behaviour } from './simulated-host';

const POLL_MS = 50;

describe('fleet: health-gated rollout against simulated hosts', function () {
  this.timeout(60_000);
  let tmp: string;
  let collector: SyslogCollector;
  const bmcs: RedfishBmc[] = [];
  const sims: SimulatedHost[] = [];
  let fleetNo = 0;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-rollout-'));
    collector = await SyslogCollector.start();
  });
  after(async () => {
    await collector?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.settled()));
    await Promise.all(bmcs.splice(0).map((b) => b.close()));
  });

  interface Fleet {
    site: string;
    build: TestBuild;
    hosts: RolloutHost[];
    sims: SimulatedHost[];
    bmcs: RedfishBmc[];
  }

  /** A site, a build and one simulated host per behaviour (web-1, web-2, ...), each with a BMC. */
  async function fleet(behaviours: Behaviour[]): Promise<Fleet> {
    const n = ++fleetNo;
    const site = path.join(tmp, `site-${n}`);
    const build = makeTestBuild(tmp);
    const f: Fleet = { site, build, hosts: [], sims: [], bmcs: [] };
    for (const [i, behaviour] of behaviours.entries()) {
      const id = `52-54-00-00-${n.toString(16).padStart(2, '0')}-${(i + 1).toString(16).padStart(2, '0')}`;
      const sim = new SimulatedHost(id, {
        site,
        publicKey: SITE_KEY.publicKey,
        collectorPort: collector.port,
        behaviour,
      });
      const bmc = await RedfishBmc.start({ onReset: () => sim.reset() });
      sims.push(sim);
      bmcs.push(bmc);
      f.sims.push(sim);
      f.bmcs.push(bmc);
      f.hosts.push({ name: `web-${i + 1}`, id, bmc: { url: bmc.url } });
    }
    return f;
  }

  const request = (f: Fleet, batches: RolloutHost[][], o: Partial<RolloutRequest> = {}) => ({
    site: f.site,
    buildDir: f.build.dir,
    publicKey: SITE_KEY.publicKey,
    batches,
    reportsFile: collector.file,
    hostTimeoutMs: 10_000,
    pollMs: POLL_MS,
    ...o,
  });

  async function rolloutError(p: Promise<unknown>): Promise<RolloutError> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof RolloutError, `not a RolloutError: ${String(e)}`);
      assert.equal(errorCode(e), 'ROLLOUT_FAILED');
      return e;
    }
    assert.fail('the rollout did not fail');
  }

  const pointers = (f: Fleet) =>
    readPublication(f.site, SITE_KEY.publicKey).hosts.map((h) => `${h.host} ${h.uuid}`);

  it('rolls out batch by batch: hosts 2 and 3 are reset only after host 1 committed', async () => {
    const f = await fleet(['commit', 'commit', 'commit']);
    const [h1, h2, h3] = f.hosts;
    const logs: string[] = [];
    const r = await rollout(request(f, [[h1], [h2, h3]], { log: (l) => logs.push(l) }));
    assert.equal(r.uuid, f.build.uuid);
    assert.deepEqual(
      r.hosts.map((h) => `${h.name} ${h.batch} ${h.outcome}`),
      ['web-1 1 committed', 'web-2 2 committed', 'web-3 2 committed'],
    );
    for (const h of r.hosts) {
      assert.equal(h.report?.event, 'commit');
      assert.equal(h.report?.fields.boot, f.build.uuid);
      assert.ok(h.times.published <= h.times.reset! && h.times.reset! <= h.times.outcome!);
    }
    // The order: host 1's commit reached the collector, then hosts 2 and 3 were reset.
    const commit1 = Date.parse(r.hosts[0].report!.time!);
    for (const s of [f.sims[1], f.sims[2]]) {
      assert.equal(s.resets.length, 1);
      assert.ok(
        s.resets[0] >= r.hosts[0].times.outcome!,
        'reset before the rollout saw the commit',
      );
      assert.ok(s.resets[0] >= commit1, 'reset before the commit reached the collector');
    }
    assert.ok(f.sims[0].resets[0] < commit1);
    for (const b of f.bmcs)
      assert.deepEqual(b.resets, [{ system: 'd0-host-1', resetType: 'ForceRestart' }]);
    assert.deepEqual(
      pointers(f),
      f.hosts.map((h) => `${h.id} ${f.build.uuid}`),
    );
    assert.match(
      logs[0],
      new RegExp(
        `^batch 1/2: build ${f.build.uuid} published; pointed web-1 \\(${h1.id}\\) at it$`,
      ),
    );
    assert.ok(logs.some((l) => l.startsWith(`batch 2/2: build ${f.build.uuid} already published`)));
    assert.ok(
      logs.some((l) =>
        l.startsWith(`host web-1 (${h1.id}): slot_choice role=trial boot=${f.build.uuid}`),
      ),
    );
    assert.equal(logs.at(-1), `batch 2/2: every host committed ${f.build.uuid}`);
  });

  it('stops at a rollback, naming the host and its reason; later batches are never touched', async () => {
    const f = await fleet([{ rollBack: 'exit-nonzero' }, 'commit', 'commit']);
    const [h1, h2, h3] = f.hosts;
    const e = await rolloutError(rollout(request(f, [[h1], [h2], [h3]])));
    assert.equal(
      e.message,
      `rollout of build ${f.build.uuid} stopped at batch 1 of 3: host web-1 (${h1.id}): ` +
        'rolled back: health:exit-nonzero; batches 2-3 were not published to or reset',
    );
    assert.equal(e.batch, 1);
    assert.equal(e.uuid, f.build.uuid);
    assert.deepEqual(
      e.failed.map((h) => [h.name, h.outcome, h.reason, h.report?.event]),
      [['web-1', 'rolled_back', 'health:exit-nonzero', 'slot_bad']],
    );
    // Hosts 2 and 3: no request to their BMCs, no reset, no pointer.
    for (const [i, b] of [f.bmcs[1], f.bmcs[2]].entries()) {
      assert.deepEqual(b.requests, [], `BMC of web-${i + 2}`);
      assert.equal(f.sims[i + 1].resets.length, 0);
    }
    assert.deepEqual(pointers(f), [`${h1.id} ${f.build.uuid}`]);
    assert.ok(!fs.existsSync(pointerFile(f.site, h2.id)));
    assert.ok(!fs.existsSync(pointerFile(f.site, h3.id)));
  });

  it('names every host of the batch that did not commit: refused, and silent (timeout)', async () => {
    const f = await fleet(['commit', { refuse: 'epoch_below' }, 'silent', 'commit']);
    const [h1, h2, h3, h4] = f.hosts;
    const started = Date.now();
    const e = await rolloutError(
      rollout(request(f, [[h1, h2, h3], [h4]], { hostTimeoutMs: 3_000 })),
    );
    assert.ok(Date.now() - started < 10_000);
    assert.equal(
      e.message,
      `rollout of build ${f.build.uuid} stopped at batch 1 of 2: ` +
        `host web-2 (${h2.id}): refused: epoch_below; ` +
        `host web-3 (${h3.id}): no verdict within 3 s (no report since its reset); ` +
        'batch 2 was not published to or reset',
    );
    assert.deepEqual(
      e.hosts.map((h) => `${h.name} ${h.outcome}`),
      ['web-1 committed', 'web-2 refused', 'web-3 timeout'],
    );
    assert.deepEqual(f.bmcs[3].requests, []);
    assert.ok(!fs.existsSync(pointerFile(f.site, h4.id)));
  });

  it('stops before any waiting when a BMC refuses the reset, naming the BMC', async () => {
    const f = await fleet(['commit', 'commit', 'commit']);
    const [h1, h2, h3] = f.hosts;
    f.bmcs[1].setFault({ status: 500, message: 'The BMC is busy', path: f.bmcs[1].resetPath() });
    const started = Date.now();
    const e = await rolloutError(rollout(request(f, [[h1, h2], [h3]], { hostTimeoutMs: 60_000 })));
    assert.ok(Date.now() - started < 10_000, 'it waited for a verdict');
    assert.match(
      e.message,
      new RegExp(
        `stopped at batch 1 of 2: host web-2 \\(${h2.id}\\): reset failed: BMC ${f.bmcs[1].url}: ` +
          `POST ${f.bmcs[1].resetPath()} answered 500 Internal Server Error: The BMC is busy; ` +
          `reset before the rollout stopped: web-1 \\(${h1.id}\\); batch 2 was not published to or reset$`,
      ),
    );
    assert.deepEqual(
      e.hosts.map((h) => `${h.name} ${h.outcome}`),
      ['web-1 not_awaited', 'web-2 reset_failed'],
    );
    assert.deepEqual(f.bmcs[2].requests, []);
  });

  it('resets a host without a BMC through manual, in order with the others', async () => {
    const f = await fleet(['commit', 'commit']);
    const [h1, h2] = f.hosts;
    const manual: string[] = [];
    const r = await rollout(
      request(f, [[{ name: h1.name, id: h1.id }, h2]], {
        manual: async (h) => {
          manual.push(h.name);
          f.sims[0].reset();
        },
      }),
    );
    assert.deepEqual(manual, ['web-1']);
    assert.deepEqual(f.bmcs[0].requests, []);
    assert.deepEqual(
      r.hosts.map((h) => h.outcome),
      ['committed', 'committed'],
    );
  });

  it('refuses a request that cannot run before anything is published or reset', async () => {
    const f = await fleet(['commit', 'commit']);
    const [h1, h2] = f.hosts;
    const cases: [Partial<RolloutRequest>, RegExp][] = [
      [{ batches: [] }, /batches: no batch/],
      [{ batches: [[h1], []] }, /batch 2: no host/],
      [
        { batches: [[h1, { ...h2, id: h1.id }]] },
        /batch 1 host web-2: id .* is also given in batch 1/,
      ],
      [
        { batches: [[h1], [h2], [{ ...h1, name: 'again' }]] },
        /batch 3 host again: id .* is also given in batch 1/,
      ],
      [{ batches: [[h1, { ...h2, name: 'web-1' }]] }, /batch 1 host web-1: the name is also given/],
      [{ batches: [[{ ...h1, id: '52:54:00:00:00:01' }]] }, /write it 52-54-00-00-00-01/],
      [{ batches: [[{ ...h1, id: '01-00-5e-00-00-01' }]] }, /multicast/],
      [{ batches: [[{ ...h1, name: 'web 1' }]] }, /name "web 1" is not/],
      [{ batches: [[{ name: 'web-1', id: h1.id }]] }, /host web-1: no BMC, and no manual reset/],
      [
        { batches: [[{ ...h1, bmc: { url: 'http://root:pw@127.0.0.1:1' } }]] },
        /credentials belong in username/,
      ],
      [{ hostTimeoutMs: 0 }, /hostTimeoutMs 0/],
      [{ publicKey: new Uint8Array(3) }, /publicKey/],
      [{ reportsFile: tmp }, /not a regular file/],
    ];
    for (const [o, message] of cases) {
      await assert.rejects(
        rollout(request(f, [[h1], [h2]], o)),
        (e: unknown) =>
          e instanceof D0Error && errorCode(e) === 'ROLLOUT_REQUEST' && message.test(e.message),
        String(message),
      );
    }
    // A build the hosts would refuse: refused by the publisher's checks, equally before anything.
    await assert.rejects(
      rollout(request(f, [[h1], [h2]], { publicKey: OTHER_KEY.publicKey })),
      (e: unknown) => errorCode(e) === 'PUBLISH_BAD_BUILD',
    );
    assert.deepEqual(snapshot(f.site), {});
    for (const b of f.bmcs) assert.deepEqual(b.requests, []);
  });
});
