// A health-gated rollout through the real Pulumi engine (fleet-program.ts: a Fleet of one site and
// three simulated hosts, `updateServer`, batches [web-1] then [web-2, web-3]). The hosts are the
// rollout tests' simulated ones (test/fleet/simulated-host.ts): each has a stand-in BMC demanding
// Basic auth (test/support/redfish-bmc.ts) whose reset makes it read its pointer from the
// publication and send what a real host sends to a real rsyslogd (test/support/syslog-collector.ts).
//   up (build U1) -> every host committed U1; web-2 and web-3 were reset only after web-1's commit
//   -> web-1 now rolls back what it is given; up (build U2) fails naming web-1, U2 and its reason;
//      web-2 and web-3 were not reset again and their pointers still name U1
//   -> refresh: web-1's HostRollout shows its rollback and reason (a line of the refresh, and its
//      outputs); the state still says U1.
// The BMC password appears in no command's output and nowhere in the state.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readPublication } from '../../builder/publish';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { SimulatedHost, type Behaviour } from '../fleet/simulated-host';
import { RedfishBmc } from '../support/redfish-bmc';
import { SyslogCollector } from '../support/syslog-collector';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  parseStackExport,
  parseStackOutputs,
  type CommandResult,
  type PulumiWorkspace,
} from '../support/pulumi';
import {
  BMC_PASSWORD_ENV,
  fleetWorkspace,
  writeFleet,
  type FleetFile,
  type FleetOutputs,
} from './fleet-program';
import { engineEnv, PUBLIC } from './site-program';

const PASSWORD = 'fleet-bmc-Pa55word';
const PUBLIC_KEY = Buffer.from(PUBLIC, 'hex');

describe("Pulumi engine: a Fleet rolled out through the update server, gated on each host's health", function () {
  this.timeout(1_800_000);
  let ws: PulumiWorkspace;
  let collector: SyslogCollector;
  let fleet: FleetFile;
  let images: { v1: string; v2: string };
  const hosts: { mac: string; bmc: RedfishBmc; sim: SimulatedHost }[] = [];
  const outputs: string[] = []; // every command's output, checked for the password at the end
  const builds: { u1?: string; u2?: string } = {};
  const env = { ...engineEnv.env, [BMC_PASSWORD_ENV]: PASSWORD };
  const run = async (args: string[]): Promise<CommandResult> => {
    const r = await ws.pulumi(args, { env, timeoutMs: 900_000 });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const ok = async (args: string[]) => {
    const r = await run(args);
    assert.equal(
      r.code,
      0,
      `pulumi ${args.join(' ')}: ${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
    );
    return r;
  };
  const stackOutputs = async () =>
    parseStackOutputs((await ok(['stack', 'output', '--json'])).stdout) as unknown as FleetOutputs;
  const pointers = () =>
    Object.fromEntries(
      readPublication(fleet.publication, PUBLIC_KEY).hosts.map((h) => [h.host, h.uuid]),
    );
  const behave = (i: number, behaviour: Behaviour) => {
    hosts[i].sim = new SimulatedHost(hosts[i].mac, {
      site: fleet.publication,
      publicKey: PUBLIC_KEY,
      collectorPort: collector.port,
      behaviour,
    });
  };

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    collector = await SyslogCollector.start();
    ws = await fleetWorkspace();
    images = {
      v1: await writeBusyboxArchive(path.join(ws.root, 'images', 'v1.tar'), 'v1'),
      v2: await writeBusyboxArchive(path.join(ws.root, 'images', 'v2.tar'), 'v2'),
    };
    fleet = {
      image: images.v1,
      outDir: path.join(ws.root, 'builds'),
      publication: path.join(ws.root, 'publication'),
      reportsFile: collector.file,
      hosts: [],
    };
    for (let i = 0; i < 3; i++) {
      const mac = `52-54-00-12-34-${(0x51 + i).toString(16)}`;
      const h = { mac } as (typeof hosts)[number];
      hosts.push(h);
      behave(i, 'commit');
      h.bmc = await RedfishBmc.start({
        username: 'admin',
        password: PASSWORD,
        onReset: () => h.sim.reset(),
      });
      fleet.hosts.push({ name: `web-${i + 1}`, mac, bmc: h.bmc.url });
    }
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.sim?.settled()));
    await Promise.all(hosts.map((h) => h.bmc?.close()));
    await collector?.stop();
    ws?.dispose();
  });

  it('up: the canary commits, then web-2 and web-3 are reset and commit', async () => {
    writeFleet(ws, fleet);
    await ok(['up', '--yes', '--skip-preview']);
    const out = await stackOutputs();
    const u1 = out.buildUuids['site-a'];
    assert.deepEqual(
      out.rollouts.map((b) => b.map((r) => `${r.outcome} ${r.buildUuid} ${r.slot}`)),
      [[`committed ${u1} B`], [`committed ${u1} B`, `committed ${u1} B`]],
    );
    // The gate: web-2 and web-3 were reset after web-1's commit reached the collector.
    const commit1 = Date.parse(out.rollouts[0][0].committedAt);
    assert.equal(hosts[0].sim.resets.length, 1);
    assert.ok(hosts[0].sim.resets[0] < commit1);
    for (const h of hosts.slice(1)) {
      assert.equal(h.sim.resets.length, 1);
      assert.ok(h.sim.resets[0] >= commit1, 'reset before the canary committed');
    }
    for (const h of hosts) {
      assert.deepEqual(h.bmc.resets, [{ system: 'd0-host-1', resetType: 'ForceRestart' }]);
      assert.ok(h.bmc.requests.every((q) => q.authOk));
    }
    assert.deepEqual(pointers(), Object.fromEntries(hosts.map((h) => [h.mac, u1])));
  });

  it('a build web-1 rolls back: up fails naming web-1 and its reason; web-2 and web-3 are never reset', async () => {
    const u1 = (await stackOutputs()).buildUuids['site-a'];
    behave(0, { rollBack: 'exit-nonzero' });
    writeFleet(ws, { ...fleet, image: images.v2 });
    const r = await run(['up', '--yes', '--skip-preview']);
    assert.notEqual(r.code, 0, 'up succeeded');
    const text = r.stdout + r.stderr;
    const m = new RegExp(
      `HostRollout: \\[ROLLOUT_FAILED\\] host web-1 \\(${hosts[0].mac}\\): build ([0-9a-f-]{36}): ` +
        'rolled back: health:exit-nonzero',
    ).exec(text);
    assert.ok(m, text.slice(-4000));
    const u2 = m[1];
    assert.notEqual(u2, u1);
    Object.assign(builds, { u1, u2 });
    assert.equal(hosts[0].sim.resets.length, 1); // the new SimulatedHost: reset once, by this up
    for (const h of hosts.slice(1)) {
      assert.equal(h.bmc.resets.length, 1, `BMC of ${h.mac} took a reset in the failed up`);
      assert.equal(h.sim.resets.length, 1);
    }
    const p = pointers();
    assert.equal(p[hosts[0].mac], u2);
    assert.equal(p[hosts[1].mac], u1);
    assert.equal(p[hosts[2].mac], u1);
    // The new build is published; the hosts after the canary were never pointed at it.
    assert.ok(fs.existsSync(path.join(fleet.publication, 'builds', u2)));
  });

  it("refresh: web-1's HostRollout shows its rollback; nothing holds the BMC password", async () => {
    await hosts[0].sim.settled();
    await collector.waitForLines((l) =>
      l.some((x) => x.includes(hosts[0].mac) && x.includes('known_bad')),
    );
    const refresh = await ok(['refresh', '--yes', '--skip-preview']);
    // What the host last said, as the refresh shows it.
    assert.match(
      refresh.stdout,
      new RegExp(
        `HostRollout site-a-web-1: host web-1 \\(${hosts[0].mac}\\): last report pull_done result=refused ` +
          `reason=known_bad target=${builds.u2} .*; last commit ${builds.u1} \\(at [^)]+\\); ` +
          `last rollback from ${builds.u2}: health:exit-nonzero \\(at [^)]+\\)`,
      ),
      refresh.stdout,
    );
    const state = parseStackExport((await ok(['stack', 'export', '--show-secrets'])).stdout);
    const web1 = state.deployment.resources.find(
      (x) => x.type.endsWith(':HostRollout') && x.urn.endsWith('::site-a-web-1'),
    )!;
    const o = web1.outputs as Record<string, { build?: string; reason?: string; event?: string }>;
    assert.equal(o.lastRollback?.reason, 'health:exit-nonzero');
    assert.equal(o.lastReport?.event, 'pull_done');
    assert.equal(web1.outputs!.outcome, 'committed'); // of the last rollout that succeeded (U1)
    assert.equal(o.lastCommit?.build, web1.outputs!.buildUuid);
    const everything = [JSON.stringify(state), ...outputs].join('\n');
    assert.ok(!everything.includes(PASSWORD), 'the BMC password is in the state or an output');
    for (const f of fs.readdirSync(ws.backendDir, { recursive: true }) as string[]) {
      const file = path.join(ws.backendDir, f);
      if (fs.statSync(file).isFile())
        assert.ok(!fs.readFileSync(file, 'latin1').includes(PASSWORD), `${f} holds the password`);
    }
  });
});
