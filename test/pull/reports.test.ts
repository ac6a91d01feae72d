// One-way reports (kernel/log/report.h) under QEMU + OVMF, to a real collector: Debian's rsyslogd,
// started by the test on 127.0.0.1, which the emulated host reaches as slirp's gateway 10.0.2.2
// (QEMU's user network without restrict: UDP cannot go through a guestfwd). The host's builds give
// D0 an uplink (10.0.2.15/24 via 10.0.2.2) and name the collector. A first boot reports its choice,
// its VMs' health and its commit; a pulled build reports its trial's commit; a pulled build whose
// VM fails reports its rollback, with the reason, before the trial's reset, and the build it went
// back to reports its boot. Every message is RFC 5424 with the host's MAC as its HOSTNAME and the
// event as its MSGID, and the collector's file holds them in the order D0 logged them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildSlotDisk } from '../../builder/disk/slots';
import { parseLogfmt } from '../../core/logfmt';
import type { Manifest } from '../../core/schema';
import { bootUntilExit, freshVars, sharedFixture, type AbFixture } from '../ab/support';
import { SyslogCollector } from '../support/syslog-collector';
import { UpdateServer } from '../support/update-server';
import { HOST_ID, publish, pullBuild, pullNetArgs } from './support';

/** <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG, as rsyslog's RFC 5424 template writes it. */
const LINE = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/;

interface Report {
  pri: number;
  host: string;
  app: string;
  event: string;
  fields: Record<string, string>;
}

function parse(line: string): Report {
  const m = LINE.exec(line);
  assert.ok(m, `not an RFC 5424 line: ${line}`);
  const fields = Object.fromEntries(parseLogfmt(m[8]));
  return { pri: Number(m[1]), host: m[3], app: m[4], event: m[6], fields };
}

describe('reports: a host tells its collector what it booted, committed and rolled back', function () {
  this.timeout(20 * 60_000);
  let collector: SyslogCollector;
  let server: UpdateServer;
  let fx: AbFixture;
  let site: string;
  let disk: string;
  let vars: string;
  const withUplink = (m: Manifest): Manifest => ({
    ...m,
    network: { ...m.network, uplink_ip4: '10.0.2.15/24', uplink_gw4: '10.0.2.2' },
    report: { collector_ip4: '10.0.2.2', collector_port: collector.port },
  });
  const reports = () => collector.lines().map(parse);
  const boot = () =>
    bootUntilExit(disk, vars, {
      extraArgs: pullNetArgs(server.port, { unrestricted: true }),
      timeoutMs: 400_000,
    });

  before(async () => {
    fx = await sharedFixture();
    collector = await SyslogCollector.start();
    const www = path.join(fx.dir, 'reports-www');
    site = path.join(www, 'site');
    fs.rmSync(www, { recursive: true, force: true });
    fs.mkdirSync(site, { recursive: true });
    server = await UpdateServer.start(www);
    disk = path.join(fx.dir, 'reports.img');
    vars = freshVars(path.join(fx.dir, 'reports.vars.fd'));
  });
  after(async () => {
    await server?.close();
    await collector?.stop();
  });

  it("reports a first boot: the choice, each VM's health and the commit, in order", async () => {
    const u1 = pullBuild(fx, 'reports-u1', { edit: withUplink });
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });
    const b = await boot();
    assert.equal(b.all('commit')[0]?.fields.boot, u1.uuid, b.text);
    const lines = await collector.waitForLines((l) => l.some((x) => / commit - /.test(x)));
    const r = lines.map(parse);
    assert.ok(r.every((x) => x.host === HOST_ID && x.app === 'd0'), lines.join('\n'));
    const seq = r.map((x) => Number(x.fields.seq));
    assert.deepEqual(seq, [...seq].sort((a, b2) => a - b2), 'in the order D0 logged them');
    const events = r.map((x) => x.event);
    for (const ev of ['boot_start', 'slot_choice', 'manifest_verified', 'uplink_up', 'vm_health', 'commit'])
      assert.ok(events.includes(ev), `${ev} reported: ${events.join(' ')}`);
    assert.ok(!events.includes('console'), "a guest's console is not reported");
    const commit = r.find((x) => x.event === 'commit')!;
    assert.equal(commit.fields.boot, u1.uuid);
    assert.equal(commit.pri, 16 * 8 + 5, 'local0.notice');
    assert.equal(r.find((x) => x.event === 'slot_choice')?.fields.role, 'first');
    // The message is the line D0 logged: the same seq and fields as on its console.
    const logged = b.all('commit')[0];
    assert.equal(commit.fields.seq, String(logged.seq));
  });

  it("reports a pulled build's commit from its trial boot", async () => {
    const u2 = pullBuild(fx, 'reports-u2', { edit: withUplink });
    await publish({ site, fx }, u2);
    const before = collector.lines().length;
    const b = await boot();
    assert.equal(b.all('commit')[0]?.fields.boot, u2.uuid, b.text);
    const r = (
      await collector.waitForLines((l) =>
        l.slice(before).some((x) => x.includes(' commit - ') && x.includes(u2.uuid)),
      )
    )
      .slice(before)
      .map(parse);
    const choice = r.find((x) => x.event === 'slot_choice');
    assert.equal(choice?.fields.role, 'trial', 'the trial boot reports (the pulling boot resets first)');
    assert.equal(r.find((x) => x.event === 'commit')?.fields.boot, u2.uuid);
  });

  it('reports a rollback with its reason before the reset, then the boot it went back to', async () => {
    const u2 = reports().find((x) => x.event === 'commit' && x.fields.role === 'trial')!.fields.boot;
    const u3 = pullBuild(fx, 'reports-u3', { edit: withUplink, guest: 'exit1' });
    await publish({ site, fx }, u3);
    const before = collector.lines().length;
    const b = await boot();
    assert.equal(b.all('rollback')[0]?.fields.from, u3.uuid, b.text);
    const r = (
      await collector.waitForLines((l) =>
        l.slice(before).some((x) => x.includes(' slot_choice - ') && x.includes('role=committed')),
      )
    )
      .slice(before)
      .map(parse);
    const rollback = r.findIndex((x) => x.event === 'rollback');
    assert.ok(rollback >= 0, r.map((x) => x.event).join(' '));
    assert.equal(r[rollback].fields.from, u3.uuid);
    assert.equal(r[rollback].fields.to, u2);
    assert.match(r[rollback].fields.reason, /^health:/);
    assert.equal(r[rollback].pri, 16 * 8 + 4, 'local0.warning');
    const health = r.find((x) => x.event === 'health_failed');
    assert.ok(health, 'the failed verdict is reported too');
    const back = r.findIndex((x) => x.event === 'slot_choice' && x.fields.role === 'committed');
    assert.ok(back > rollback, 'the rollback reached the collector before the host rebooted');
    assert.equal(r[back].fields.boot, u2);
  });
});
