// A small fleet for the rollout tests: N emulated hosts (QEMU + OVMF, SVM) running at once, each
// with its own disk, VARS file, MAC and QMP socket, all committed to the same first build, and
// the site around them: the update server (test/support/update-server.ts), the report collector
// (rsyslogd, test/support/syslog-collector.ts) and one Redfish BMC per host — the tests' stand-in
// (test/support/redfish-bmc.ts), whose Reset action resets its QEMU host through QMP. Each host
// reaches the servers only through QEMU's user network (the update server by a guestfwd, the
// collector as slirp's gateway, test/pull/support.ts pullNetArgs).
import fs from 'node:fs';
import path from 'node:path';
import { buildSlotDisk } from '../../builder/disk/slots';
import type { RolloutHost } from '../../builder/fleet/rollout-request';
import type { Manifest } from '../../core/schema';
import type { D0Event } from '../support/events';
import { withQemu, type QemuRun } from '../support/qemu';
import { qmpCommand, RedfishBmc } from '../support/redfish-bmc';
import { SyslogCollector } from '../support/syslog-collector';
import { UpdateServer } from '../support/update-server';
import {
  AB_CPU,
  bootUntilExit,
  freshVars,
  sharedFixture,
  splitBoots,
  type AbFixture,
} from '../ab/support';
import { pullBuild, pullNetArgs } from './support';

export interface FleetHost {
  readonly name: string;
  /** The MAC id (52-54-00-d0-00-01): its pointer's and its reports' name. */
  readonly id: string;
  readonly mac: string;
  readonly disk: string;
  readonly vars: string;
  readonly qmp: string;
  readonly bmc: RedfishBmc;
  /** Set while QEMU runs. */
  vm?: QemuRun;
  /** Each event with the wall time (ms since the epoch) it arrived on the console. */
  readonly timeline: { readonly e: D0Event; readonly at: number }[];
}

export interface FleetSite {
  readonly fx: AbFixture;
  readonly site: string;
  readonly server: UpdateServer;
  readonly collector: SyslogCollector;
  readonly hosts: FleetHost[];
  /** The build every host committed before the test. */
  readonly u1: { dir: string; uuid: string };
  /** A build of this site: uplink and collector given, so its hosts report. `webDisk`: the web
   * container's disk image (default a small random one). */
  build(
    name: string,
    guest?: 'healthy' | 'exit1',
    webDisk?: Buffer,
  ): { dir: string; uuid: string };
  /** The hosts as builder/fleet/rollout takes them (each with its BMC). */
  rolloutHost(h: FleetHost): RolloutHost;
  close(): Promise<void>;
}

/** A site of n hosts, each committed to the same first build (booted once, then copied). The
 * slots are slotMiB each (default 40, the smallest). */
export async function fleetSite(name: string, n: number, slotMiB = 40): Promise<FleetSite> {
  const fx = await sharedFixture();
  const collector = await SyslogCollector.start();
  const www = path.join(fx.dir, `${name}-www`);
  const site = path.join(www, 'site');
  fs.rmSync(www, { recursive: true, force: true });
  fs.mkdirSync(site, { recursive: true });
  const server = await UpdateServer.start(www);
  const withUplink = (m: Manifest): Manifest => ({
    ...m,
    network: { ...m.network, uplink_ip4: '10.0.2.15/24', uplink_gw4: '10.0.2.2' },
    report: { collector_ip4: '10.0.2.2', collector_port: collector.port },
  });
  const build = (b: string, guest: 'healthy' | 'exit1' = 'healthy', webDisk?: Buffer) =>
    pullBuild(fx, `${name}-${b}`, { edit: withUplink, guest, vms: webDisk ? { webDisk } : {} });
  const u1 = build('u1');
  const base = path.join(fx.dir, `${name}-base.img`);
  const baseVars = freshVars(path.join(fx.dir, `${name}-base.vars.fd`));
  await buildSlotDisk(base, { a: u1.dir, sizeMiB: slotMiB });
  const first = await bootUntilExit(base, baseVars); // no NIC: the first boot commits alone
  if (first.all('commit')[0]?.fields.boot !== u1.uuid)
    throw new Error(`the first boot did not commit U1:\n${first.text}`);
  const hosts: FleetHost[] = [];
  for (let i = 1; i <= n; i++) {
    const mac = `52:54:00:d0:00:0${i}`;
    const disk = path.join(fx.dir, `${name}-h${i}.img`);
    const vars = path.join(fx.dir, `${name}-h${i}.vars.fd`);
    fs.copyFileSync(base, disk);
    fs.copyFileSync(baseVars, vars);
    const qmp = path.join(fx.dir, `${name}-h${i}.qmp`);
    fs.rmSync(qmp, { force: true });
    const bmc = await RedfishBmc.start({
      onReset: async () => {
        const r = await qmpCommand(qmp, 'system_reset');
        if (r.error) throw new Error(`QMP system_reset: ${JSON.stringify(r.error)}`);
      },
    });
    hosts.push({
      name: `host-${i}`,
      id: mac.replace(/:/g, '-'),
      mac,
      disk,
      vars,
      qmp,
      bmc,
      timeline: [],
    });
  }
  return {
    fx,
    site,
    server,
    collector,
    hosts,
    u1,
    build,
    rolloutHost: (h) => ({ name: h.name, id: h.id, bmc: { url: h.bmc.url } }),
    close: async () => {
      for (const h of hosts) await h.bmc.close();
      await server.close();
      await collector.stop();
    },
  };
}

/** The events of a host's QEMU run so far, split at each boot_start. */
export function bootsOf(h: FleetHost): D0Event[][] {
  return splitBoots(h.vm?.events ?? []);
}

/**
 * Runs every host at once (QEMU each, on the fleet's network, with its QMP socket), waits until
 * each has booted its committed build to its halt, runs fn, and always kills every QEMU.
 */
export async function withFleet<T>(
  s: FleetSite,
  fn: () => Promise<T>,
  timeoutMs = 900_000,
): Promise<T> {
  const start = async (i: number): Promise<T> => {
    if (i === s.hosts.length) {
      await Promise.all(s.hosts.map((h) => h.vm!.waitFor((e) => e.ev === 'halt')));
      return fn();
    }
    const h = s.hosts[i];
    const net = pullNetArgs(s.server.port, { unrestricted: true }).map((a) =>
      a.startsWith('e1000,') ? `e1000,netdev=pull0,mac=${h.mac}` : a,
    );
    return withQemu(
      {
        disk: h.disk,
        vars: h.vars,
        cpu: AB_CPU,
        timeoutMs,
        extraArgs: [...net, '-qmp', `unix:${h.qmp},server=on,wait=off`],
      },
      async (vm) => {
        h.vm = vm;
        vm.stream.onEvent((e) => h.timeline.push({ e, at: Date.now() }));
        try {
          return await start(i + 1);
        } finally {
          h.vm = undefined;
        }
      },
    );
  };
  return start(0);
}
