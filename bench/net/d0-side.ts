// D0's path: the same root disk as the one container of a signed site (the user's path,
// test/support/d0-pipeline.ts buildSiteDisk), nginx's port 80 published on D0's uplink port 8080,
// D0 booted under QEMU TCG `-cpu EPYC` + OVMF with an e1000 uplink on QEMU's user network
// (restrict=on) and QEMU's hostfwd from 127.0.0.1 to the uplink (builder/disk/qemu.ts
// uplinkArgs): host -> slirp -> e1000 -> D0 (own address, router DNAT, bridge) -> virtio-net ->
// nginx. The measurement starts once the build has committed (health settled), and the stop
// request ends the workload, so the VM stops and D0 logs its counters (ev=vm_stats).
import fs from 'node:fs';
import path from 'node:path';
import { QEMU_USER_NET } from '../../builder/disk/qemu';
import { buildSiteDisk } from '../../test/support/d0-pipeline';
import type { D0Event } from '../../test/support/events';
import { withQemu } from '../../test/support/qemu';
import { freePort } from '../../test/support/tcp-peer';
import { vmStatsOf, type VmStats } from '../hv/stats';
import { waitServing } from './http';
import { measure, stopWorkload, type Measured, type Plan } from './measure';

export const VM = 'web';
const UPLINK_PORT = 8080;
/** The health window: the build commits this long after the VM started. */
const HEALTH_TIMEOUT_S = 10;
const SERVE_DEADLINE_MS = 5 * 60_000;

export interface D0Run {
  readonly measured: Measured;
  /** The VM's counters when it stopped (ev=vm_stats). */
  readonly stats: VmStats;
  /** The VM's last ev=net_stats (its bridge port's counters), fields as logged. */
  readonly net: Record<string, string>;
  /** D0's uplink NIC (ev=uplink_stats: frames, tx_full) and router (ev=router_stats) at halt. */
  readonly uplink: Record<string, string>;
  readonly router: Record<string, string>;
  /** Where the VM's io and mmio exits went (ev=exit_top: the busiest ports and MMIO addresses). */
  readonly exitTop: Record<string, string>;
  /** QEMU spawn -> the page first served through the published port (ms, host clock). */
  readonly spawnToServingMs: number;
}

function siteYaml(memMb: number): string {
  return [
    'header: { site: bench-net, security_epoch: 1 }',
    `network: { bridge_ip4: 10.20.0.1/24, egress_nat: true, uplink_ip4: ${QEMU_USER_NET.guestIp4}, uplink_gw4: ${QEMU_USER_NET.gateway} }`,
    'guest_kernel: {}',
    'containers:',
    `  - name: ${VM}`,
    '    vcpu: 1',
    `    mem_mb: ${memMb}`,
    '    ip4: 10.20.0.10/24',
    '    gw4: 10.20.0.1',
    '    boot_order: 0',
    `    health_timeout_s: ${HEALTH_TIMEOUT_S}`,
    '    health: HEALTH_READY',
    `    publish: [{ protocol: IP_PROTO_TCP, uplink_port: ${UPLINK_PORT}, container_port: 80 }]`,
    '',
  ].join('\n');
}

/** The signed site disk with the one container (built once, copied per boot). */
export async function buildD0Disk(o: {
  dir: string;
  rootDisk: string;
  vmlinuz: string;
  memMb: number;
}): Promise<string> {
  const { disk } = await buildSiteDisk({
    dir: o.dir,
    siteYaml: siteYaml(o.memMb),
    images: { [VM]: o.rootDisk },
    vmlinuz: o.vmlinuz,
  });
  return disk;
}

const isVm = (ev: string) => (e: D0Event) => e.ev === ev && e.fields.vm === VM;

export async function runD0(o: {
  siteDisk: string;
  plan: Plan;
  work: string;
  timeoutMs: number;
}): Promise<D0Run> {
  // A fresh copy per boot: the A/B stage writes its state to the disk when the build commits.
  const disk = path.join(o.work, 'd0-disk.img');
  fs.copyFileSync(o.siteDisk, disk);
  const port = await freePort();
  const t0 = Date.now();
  try {
    const uplink = {
      restrict: true,
      forwards: [{ protocol: 'tcp' as const, hostPort: port, uplinkPort: UPLINK_PORT }],
    };
    return await withQemu(
      { disk, cpu: 'EPYC', memMb: 1024, timeoutMs: o.timeoutMs, uplink },
      async (vm) => {
        const up = await vm.waitFor((e) => e.ev === 'uplink_up' || e.ev === 'uplink_down');
        if (up.ev !== 'uplink_up') throw new Error(`D0's uplink is down: ${up.raw}`);
        const settled = await vm.waitFor(
          (e) => e.ev === 'commit' || e.ev === 'boot_failed' || isVm('vm_stopped')(e),
        );
        if (settled.ev !== 'commit')
          throw new Error(`D0 did not commit the build: ${settled.raw}\n${vm.describe()}`);
        await waitServing(port, SERVE_DEADLINE_MS, () =>
          vm.events.some(isVm('vm_stopped')) ? 'the VM stopped' : undefined,
        );
        const spawnToServingMs = Date.now() - t0;
        const measured = await measure(port, o.plan);
        await stopWorkload(port);
        const exit = await vm.waitFor(isVm('vm_exit'));
        if (exit.fields.status !== '0')
          throw new Error(`D0: the workload did not end with status 0 after the stop: ${exit.raw}`);
        await vm.waitFor(isVm('vm_stats'));
        const stopped = await vm.waitFor(isVm('vm_stopped'));
        const net = await vm.waitFor(
          (e) => e.ev === 'net_stats' && e.fields.vm === VM && e.seq > stopped.seq,
        );
        const stats = vmStatsOf(vm.events, VM);
        if (!stats || stats.source !== 'vm_stats')
          throw new Error(`D0 logged no ev=vm_stats for ${VM}:\n${vm.describe()}`);
        // With its only VM stopped, D0 logs the uplink's and the router's counters and halts.
        await vm.waitFor('halt');
        const fieldsOf = (ev: string) => vm.events.find((e) => e.ev === ev)?.fields ?? {};
        return {
          measured,
          stats,
          net: net.fields,
          uplink: fieldsOf('uplink_stats'),
          router: fieldsOf('router_stats'),
          exitTop: vm.events.find(isVm('exit_top'))?.fields ?? {},
          spawnToServingMs,
        };
      },
    );
  } finally {
    fs.rmSync(disk, { force: true });
  }
}
