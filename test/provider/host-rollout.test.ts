// The UpdatePublication and HostRollout providers called directly (no engine) against simulated
// hosts: a real rsyslogd collects their reports (test/support/syslog-collector.ts), each host has
// its own stand-in BMC demanding Basic auth (test/support/redfish-bmc.ts) whose reset makes it
// boot and send what a real host sends (test/fleet/simulated-host.ts). Checked: a publication
// writes the build and no pointer, a refused build is an error naming build and site with nothing
// written; a HostRollout writes this host's pointer only, resets it and settles on its verdict:
// committed (outputs), rolled back, refused, no verdict in time, a BMC that refuses the reset, no
// BMC at all (refused at check and at create, nothing done); read() after a commit and after a
// rollback; diff. The BMC password never appears in anything returned, thrown or logged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pointerFile, readPublication } from '../../builder/publish';
import * as publication from '../../provider/impl/update-publication';
import * as rollout from '../../provider/impl/host-rollout';
import type { HostRolloutInputs } from '../../provider/impl/host-rollout';
import { failurePath } from '../../provider/impl/problems';
import { makeTestBuild, OTHER_KEY, SITE_KEY, snapshot, type TestBuild } from '../publish/support';
import { RedfishBmc } from '../support/redfish-bmc';
import { SyslogCollector } from '../support/syslog-collector';
import { OLD_BUILD, SimulatedHost, type Behaviour } from '../fleet/simulated-host';

const PUBLIC = Buffer.from(SITE_KEY.publicKey).toString('hex');
const USER = 'admin';
const PASSWORD = 'bmc-Pa55word-never-stored';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

describe('provider: UpdatePublication and HostRollout against simulated hosts', function () {
  this.timeout(60_000);
  let tmp: string;
  let collector: SyslogCollector;
  let site: string;
  let build: TestBuild;
  const bmcs: RedfishBmc[] = [];
  const sims: SimulatedHost[] = [];
  let hostNo = 0;
  /** Everything the providers returned, threw or wrote to stderr: checked for the password. */
  const seen: string[] = [];
  const writeStderr = process.stderr.write.bind(process.stderr);

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-host-rollout-'));
    collector = await SyslogCollector.start();
    site = path.join(tmp, 'site');
    build = makeTestBuild(tmp);
    // Progress lines go to stderr (the engine shows them): kept for the password check, not shown.
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      seen.push(text);
      if (/^(HostRollout|UpdatePublication) /.test(text)) return true;
      return (writeStderr as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
  });
  after(async () => {
    process.stderr.write = writeStderr;
    await collector?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.settled()));
    await Promise.all(bmcs.splice(0).map((b) => b.close()));
    const all = seen.join('\n');
    assert.ok(!all.includes(PASSWORD), 'the BMC password was returned, thrown or logged');
    assert.ok(!all.includes(BASIC), 'the Basic token was returned, thrown or logged');
  });

  const record = <T>(v: T): T => (seen.push(JSON.stringify(v)), v);

  interface Host {
    mac: string;
    bmc: RedfishBmc;
    /** The simulated host the BMC resets now; behave() swaps it. */
    sim: SimulatedHost;
    behave(b: Behaviour): void;
  }

  /** A simulated host behind a BMC that demands USER/PASSWORD. */
  async function simulatedHost(behaviour: Behaviour): Promise<Host> {
    const mac = `52-54-00-00-ab-${(++hostNo).toString(16).padStart(2, '0')}`;
    const make = (b: Behaviour) => {
      const sim = new SimulatedHost(mac, {
        site,
        publicKey: SITE_KEY.publicKey,
        collectorPort: collector.port,
        behaviour: b,
      });
      sims.push(sim);
      return sim;
    };
    const h = { mac, sim: make(behaviour) } as Host;
    h.behave = (b) => (h.sim = make(b));
    h.bmc = await RedfishBmc.start({
      username: USER,
      password: PASSWORD,
      onReset: () => h.sim.reset(),
    });
    bmcs.push(h.bmc);
    return h;
  }

  /** A HostRollout's inputs as the program gives them: the password among them, as a secret. */
  const rawInputs = (h: Host, b: TestBuild, over: Partial<HostRolloutInputs> = {}) =>
    ({
      site,
      buildUuid: b.uuid,
      publicKey: PUBLIC,
      host: { name: `web-${hostNo}`, mac: h.mac, bmc: { url: h.bmc.url, username: USER } },
      bmcPassword: PASSWORD,
      reportsFile: collector.file,
      timeoutSeconds: 20,
      resourceName: `site-a-web-${hostNo}`,
      ...over,
    }) as HostRolloutInputs;

  /** check() as the engine calls it, then its inputs: the password no longer among them. */
  const checked = (inputs: HostRolloutInputs): HostRolloutInputs => {
    const r = record(rollout.check({} as never, inputs));
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.bmcPassword, undefined);
    return r.inputs as HostRolloutInputs;
  };

  async function rolloutError(p: Promise<unknown>): Promise<string> {
    try {
      record(await p);
    } catch (e) {
      return record((e as Error).message);
    }
    assert.fail('the rollout did not fail');
  }

  const pointers = () =>
    readPublication(site, SITE_KEY.publicKey).hosts.map((h) => `${h.host} ${h.uuid}`);

  async function publish(b: TestBuild): Promise<Record<string, unknown>> {
    const inputs = {
      site,
      buildUuid: b.uuid,
      slotDir: b.slotDir,
      publicKey: PUBLIC,
      resourceName: 'site-a-publication',
    };
    assert.deepEqual(publication.check({} as never, inputs).failures, []);
    return record((await publication.create(inputs)).outs);
  }

  it('UpdatePublication publishes the build and points no host at it; delete leaves it; a refresh drops it once gone', async () => {
    assert.ok(!fs.existsSync(site));
    const outs = await publish(build);
    assert.equal(outs.buildUuid, build.uuid);
    assert.equal(outs.buildDir, path.join(site, 'builds', build.uuid));
    assert.equal(outs.netbootFile, path.join(site, 'netboot', 'BOOTX64.EFI'));
    assert.equal(outs.reused, false);
    assert.ok(fs.existsSync(path.join(outs.buildDir as string, `manifest-${build.uuid}.tlv`)));
    assert.deepEqual(pointers(), [], 'a pointer was written');
    // Again (an update, or another stack): reused as it is.
    assert.equal((await publication.update('id', outs as never, outs as never)).outs.reused, true);
    // refresh keeps it; delete leaves it; a refresh once it is gone drops it.
    assert.equal((await publication.read(String(outs.buildDir), outs as never)).id, outs.buildDir);
    publication.remove('id', outs as never);
    assert.ok(fs.existsSync(outs.buildDir as string));
    const d = publication.diff('id', outs as never, { ...outs, buildUuid: OLD_BUILD } as never);
    assert.deepEqual([d.changes, d.replaces], [true, ['buildUuid']]);
    assert.deepEqual(publication.diff('id', outs as never, outs as never).changes, false);
    // The published build removed by hand: a refresh drops the publication (the next up redoes it).
    fs.rmSync(outs.buildDir as string, { recursive: true });
    assert.equal((await publication.read(String(outs.buildDir), outs as never)).id, '');
  });

  it('UpdatePublication: a refused build is an error naming the build and the site; nothing is written', async () => {
    const other = path.join(tmp, 'site-refused');
    const foreign = makeTestBuild(tmp, { key: OTHER_KEY });
    const inputs = {
      site: other,
      buildUuid: foreign.uuid,
      slotDir: foreign.slotDir,
      publicKey: PUBLIC,
    };
    await assert.rejects(publication.create(inputs), (e: Error) => {
      assert.ok(
        e.message.startsWith(
          `UpdatePublication: [PUBLISH_BAD_BUILD] build ${foreign.uuid} into ${other}: `,
        ),
        e.message,
      );
      assert.ok(e.message.includes(foreign.slotDir) && e.message.includes(foreign.uuid), e.message);
      assert.match(e.message, /bad_signature/);
      return true;
    });
    assert.deepEqual(snapshot(other), {});
    // A site path that is not absolute: a preview problem at `site`.
    const f = publication.check({} as never, { ...inputs, site: 'relative/site' }).failures!;
    assert.deepEqual(f.map(failurePath), ['site']);
  });

  it('HostRollout: committed — this host pointed at the build and reset through its BMC, outputs the commit', async () => {
    await publish(build);
    const h = await simulatedHost('commit');
    const other = await simulatedHost('commit');
    const inputs = checked(rawInputs(h, build));
    assert.equal(inputs.timeoutSeconds, 20);
    assert.equal(inputs.resetType, 'ForceRestart');
    const r = record(await rollout.create(inputs));
    assert.equal(r.id, `host:${h.mac}`);
    const outs = r.outs;
    assert.equal(outs.outcome, 'committed');
    assert.equal(outs.buildUuid, build.uuid);
    assert.equal(outs.slot, 'B');
    assert.match(String(outs.committedAt), /^\d{4}-\d\d-\d\dT/);
    assert.equal(outs.reportedBuild, build.uuid);
    assert.deepEqual(
      { ...(outs.lastCommit as object), time: undefined, text: undefined },
      { event: 'commit', build: build.uuid, slot: 'B', time: undefined, text: undefined },
    );
    assert.equal(outs.lastRollback, undefined);
    assert.deepEqual((outs.host as { bmc: unknown }).bmc, { url: h.bmc.url, username: USER });
    // Its pointer only; its BMC took one ForceRestart with the credentials; the other host untouched.
    assert.ok(pointers().includes(`${h.mac} ${build.uuid}`));
    assert.ok(!fs.existsSync(pointerFile(site, other.mac)));
    assert.deepEqual(h.bmc.resets, [{ system: 'd0-host-1', resetType: 'ForceRestart' }]);
    assert.ok(h.bmc.requests.every((q) => q.authOk));
    assert.deepEqual(other.bmc.requests, []);

    // refresh after the commit: what the host said, unchanged.
    const read = record(rollout.read(r.id, outs as never));
    assert.equal(read.id, r.id);
    assert.deepEqual(read.props, outs);

    // diff: the same build is nothing to do; a new build an update; another MAC a replacement.
    assert.deepEqual(rollout.diff(r.id, outs as never, inputs).changes, false);
    assert.deepEqual(
      rollout.diff(r.id, outs as never, { ...inputs, host: { ...inputs.host, name: 'renamed' } })
        .changes,
      false,
    );
    assert.deepEqual(rollout.diff(r.id, outs as never, { ...inputs, buildUuid: OLD_BUILD }), {
      changes: true,
      replaces: [],
    });
    assert.deepEqual(
      rollout.diff(r.id, outs as never, { ...inputs, host: { ...inputs.host, mac: other.mac } })
        .replaces,
      ['host'],
    );

    // The next build: an update moves the host on.
    const next = makeTestBuild(tmp);
    await publish(next);
    const up = record(await rollout.update(r.id, outs as never, checked(rawInputs(h, next))));
    assert.equal(up.outs!.buildUuid, next.uuid);
    assert.equal(up.outs!.outcome, 'committed');
    assert.equal(h.bmc.resets.length, 2);
  });

  it('HostRollout: a rollback fails it, naming the host, the build and the reason; read() shows the rollback', async () => {
    await publish(build);
    const h = await simulatedHost('commit');
    const first = record(await rollout.create(checked(rawInputs(h, build))));
    const next = makeTestBuild(tmp);
    await publish(next);
    h.behave({ rollBack: 'exit-nonzero' });
    const message = await rolloutError(
      rollout.update(first.id, first.outs as never, checked(rawInputs(h, next))),
    );
    assert.equal(
      message,
      `HostRollout: [ROLLOUT_FAILED] host web-${hostNo} (${h.mac}): build ${next.uuid}: rolled back: ` +
        'health:exit-nonzero; the host runs its previous build; its pointer names this build, which ' +
        'it refuses at every reboot (known_bad): publish a fixed build',
    );
    await h.sim.settled();
    await collector.waitForLines((l) =>
      l.some((x) => x.includes(h.mac) && x.includes('known_bad')),
    );
    // The state keeps the last rollout's outputs; a refresh adds what the host said since.
    const read = record(rollout.read(first.id, first.outs as never));
    const props = read.props as Record<string, unknown>;
    assert.equal(props.buildUuid, build.uuid, 'the committed build of the state');
    assert.deepEqual(
      { ...(props.lastRollback as object), time: undefined, text: undefined },
      {
        event: 'rollback',
        build: next.uuid,
        reason: 'health:exit-nonzero',
        time: undefined,
        text: undefined,
      },
    );
    assert.equal((props.lastCommit as { build: string }).build, build.uuid);
    // Its last report: the old build's pull refusing the rolled-back one.
    assert.equal((props.lastReport as { event: string }).event, 'pull_done');
    assert.match((props.lastReport as { text: string }).text, /result=refused reason=known_bad/);
    assert.equal(props.reportedBuild, OLD_BUILD);
  });

  it('HostRollout: a refusal and a silent host (no verdict in time) fail it with the reason', async () => {
    await publish(build);
    const refusing = await simulatedHost({ refuse: 'epoch_below' });
    const m1 = await rolloutError(rollout.create(checked(rawInputs(refusing, build))));
    assert.match(
      m1,
      new RegExp(
        `^HostRollout: \\[ROLLOUT_FAILED\\] host web-${hostNo} \\(${refusing.mac}\\): build ${build.uuid}: refused: epoch_below; `,
      ),
    );
    const silent = await simulatedHost('silent');
    const started = Date.now();
    const m2 = await rolloutError(
      rollout.create(checked(rawInputs(silent, build, { timeoutSeconds: 1.5 }))),
    );
    assert.ok(Date.now() - started < 10_000);
    assert.equal(
      m2,
      `HostRollout: [ROLLOUT_FAILED] host web-${hostNo} (${silent.mac}): build ${build.uuid}: no verdict ` +
        'within 1.5 s (no report since its reset); the host may still be on its way: `pulumi refresh` ' +
        '(or `d0 rollout status`) shows what it reports; `pulumi up` tries again',
    );
    assert.equal(silent.bmc.resets.length, 1);
  });

  it("HostRollout: a BMC that refuses the reset fails it with the BMC's error, without the password it echoed", async () => {
    await publish(build);
    const h = await simulatedHost('commit');
    h.bmc.setFault({
      status: 500,
      message: `wrong login ${USER}:${PASSWORD} (${BASIC})`,
      path: h.bmc.resetPath(),
    });
    const message = await rolloutError(rollout.create(checked(rawInputs(h, build))));
    assert.match(
      message,
      new RegExp(
        `^HostRollout: \\[BMC_REFUSED\\] host web-${hostNo} \\(${h.mac}\\): build ${build.uuid}: reset failed: ` +
          `BMC ${h.bmc.url}: POST ${h.bmc.resetPath()} answered 500 Internal Server Error: wrong login admin:\\*\\*\\* \\(\\*\\*\\*\\); ` +
          'its pointer names the build, which it pulls at its next reboot$',
      ),
    );
    assert.equal(h.sim.resets.length, 0);
    // A BMC that is not there.
    const gone = await simulatedHost('commit');
    await gone.bmc.close();
    const m2 = await rolloutError(rollout.create(checked(rawInputs(gone, build))));
    assert.match(
      m2,
      new RegExp(
        `^HostRollout: \\[BMC_UNREACHABLE\\] host web-${hostNo} \\(${gone.mac}\\): build ${build.uuid}: reset failed: BMC ${gone.bmc.url}`,
      ),
    );
  });

  it('HostRollout: a host without a BMC is refused at check and at create, before anything is published or reset', async () => {
    await publish(build);
    const h = await simulatedHost('commit');
    const inputs = rawInputs(h, build, { host: { name: 'manual-1', mac: h.mac } });
    const c = record(rollout.check({} as never, inputs));
    assert.deepEqual(c.failures!.map(failurePath), ['host.bmc']);
    assert.match(c.failures![0].reason, /Pulumi .* has no prompt .* `d0 rollout`/);
    const message = await rolloutError(rollout.create(c.inputs as HostRolloutInputs));
    assert.match(
      message,
      new RegExp(
        `^HostRollout: \\[ROLLOUT_REQUEST\\] host manual-1 \\(${h.mac}\\): host\\.bmc: is required: .*\`d0 rollout\`.*; nothing was published or reset$`,
      ),
    );
    assert.ok(!fs.existsSync(pointerFile(site, h.mac)));
    assert.deepEqual(h.bmc.requests, []);
    // Other problems, each at its path (a BMC URL with credentials is named without them).
    const bad = rollout.check(
      {} as never,
      rawInputs(h, build, {
        host: {
          name: 'web 1',
          mac: '52:54:00:00:00:01',
          bmc: { url: `http://root:${PASSWORD}@127.0.0.1:1` },
        },
        reportsFile: 'reports.log',
        timeoutSeconds: 0,
        resetType: 'Nmi' as never,
        site: 'site',
      }),
    );
    record(bad);
    assert.deepEqual(bad.failures!.map(failurePath).sort(), [
      'host.bmc',
      'host.mac',
      'host.name',
      'reportsFile',
      'resetType',
      'site',
      'timeoutSeconds',
    ]);
  });

  it('HostRollout: a build that is not published is refused naming the host, before any pointer or reset', async () => {
    const h = await simulatedHost('commit');
    const unpublished = makeTestBuild(tmp);
    const message = await rolloutError(rollout.create(checked(rawInputs(h, unpublished))));
    assert.ok(
      message.startsWith(
        `HostRollout: [PUBLISH_BAD_BUILD] host web-${hostNo} (${h.mac}): build ${unpublished.uuid}: `,
      ),
      message,
    );
    assert.ok(message.includes(path.join(site, 'builds', unpublished.uuid)), message);
    assert.ok(!fs.existsSync(pointerFile(site, h.mac)));
    assert.deepEqual(h.bmc.requests, []);
  });

  it('HostRollout: the password passed straight to create (no check) is used and not returned', async () => {
    await publish(build);
    const h = await simulatedHost('commit');
    const r = record(await rollout.create(rawInputs(h, build)));
    assert.equal(r.outs.outcome, 'committed');
    assert.equal(r.outs.bmcPassword, undefined);
    assert.ok(h.bmc.requests.every((q) => q.authOk));
    // delete does nothing to the host or its pointer.
    rollout.remove(r.id, r.outs as never);
    assert.ok(fs.existsSync(pointerFile(site, h.mac)));
  });
});
