// Where a fleet rollout's time goes: three emulated hosts (QEMU + OVMF, -cpu EPYC, TCG) in two
// batches, [host-1] then [host-2, host-3], moved to a new build by builder/fleet/rollout.ts (the
// engine of `d0 rollout` and of the Pulumi rollout) through the same site the tests use
// (test/pull/fleet-support.ts: the update server, rsyslogd as the collector, a Redfish stand-in
// per host resetting QEMU over QMP). The new build's web container disk is --mib MiB of random
// bytes, so the download is what the build weighs (the guest kernel and D0 are the same bytes as
// the running build's and are copied from its slot).
//
// Per host, from the wall time each of its console events arrived and the rollout's own times:
//   publish   the build copied into the publication and the batch's pointers written
//   reboot    the BMC's reset to D0's first event (firmware, D0 loaded)
//   network   D0's start to the firmware's network up (NICs connected, DHCP)
//   download  the pointer and the build's files fetched into the other slot, each hashed on the
//             way (ev=pull_net to ev=pull_done): download + verify, net_bytes of them
//   trial     the reset into the trial (BootNext) to its D0's first event
//   verify    the trial's D0: signature, TLV and every file's SHA-256 (its choice to its last
//             file_ok)
//   boot      the rest of the launch (to the first vm_start)
//   health    the VMs' health settled and the commit written (vm_start to commit)
//   report    the commit on the host's console to the rollout reading it in rsyslogd's file
// The baseline, in the same run: `curl` of the same files from the same server (127.0.0.1,
// no emulation), each piped through `sha256sum` (download + verify). The ratio recorded is D0's
// download throughput / curl's. Under TCG every instruction of the firmware's network stack is
// emulated: the ratio says what the emulated path costs here, not what a real host would see.
//
// Run: npx tsx bench/fleet/run.ts [--mib N]   (default 32; --quick: 1 MiB and two hosts, [host-1]
// then [host-2], for CI)
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { rollout } from '../../builder/fleet/rollout';
import { fleetSite, withFleet, type FleetHost } from '../../test/pull/fleet-support';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const mibArg = process.argv.indexOf('--mib');
const MIB = quick ? 1 : mibArg > 0 ? Number(process.argv[mibArg + 1]) : 32;

type Phase =
  | 'publish'
  | 'reboot'
  | 'network'
  | 'download'
  | 'trial'
  | 'verify'
  | 'boot'
  | 'health'
  | 'report';

interface HostFigures {
  host: string;
  batch: number;
  ms: Record<Phase, number>;
  total_ms: number;
  net_bytes: number;
  download_mib_s: number;
}

/** The wall time the first event matching `pred` at or after `from` arrived. */
function at(h: FleetHost, from: number, pred: (ev: string, f: Record<string, string>) => boolean) {
  const x = h.timeline.find((t) => t.at >= from && pred(t.e.ev, t.e.fields));
  if (!x) throw new Error(`${h.name}: no such event after ${from}`);
  return x.at;
}

function lastAt(h: FleetHost, from: number, to: number, ev: string): number {
  const xs = h.timeline.filter((t) => t.at >= from && t.at <= to && t.e.ev === ev);
  if (xs.length === 0) throw new Error(`${h.name}: no ${ev}`);
  return xs[xs.length - 1].at;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  if (!Number.isFinite(MIB) || MIB <= 0) throw new Error('--mib takes a positive number');
  // Slots hold two builds of this size (the writer's rule: builder/disk/slots.ts).
  const slotMiB = Math.max(40, Math.ceil((2 * MIB * 1.25 + 8) / 8) * 8);
  const s = await fleetSite('bench-fleet', quick ? 2 : 3, slotMiB);
  try {
    const web = crypto.randomBytes(Math.round(MIB * 1024 * 1024));
    const u2 = s.build('u2', 'healthy', web);
    const [h1, ...rest] = s.hosts;
    const figures = await withFleet(s, async () => {
      const t0 = Date.now();
      const r = await rollout({
        site: s.site,
        buildDir: u2.dir,
        publicKey: s.fx.pub,
        batches: [[s.rolloutHost(h1)], rest.map((h) => s.rolloutHost(h))],
        reportsFile: s.collector.file,
        hostTimeoutMs: 600_000,
        pollMs: 50,
      });
      const out: HostFigures[] = [];
      for (const [i, h] of s.hosts.entries()) {
        const res = r.hosts[i];
        if (res.outcome !== 'committed') throw new Error(`${h.name}: ${res.outcome} ${res.reason}`);
        const reset = res.times.reset!;
        const started = at(h, reset, (ev) => ev === 'boot_start');
        const net = at(h, started, (ev) => ev === 'pull_net');
        const done = at(h, net, (ev) => ev === 'pull_done');
        const trialStart = at(h, done, (ev) => ev === 'boot_start');
        const choice = at(h, trialStart, (ev, f) => ev === 'slot_choice' && f.role === 'trial');
        const vmStart = at(h, choice, (ev) => ev === 'vm_start');
        const verified = lastAt(h, choice, vmStart, 'file_ok');
        const commit = at(h, vmStart, (ev) => ev === 'commit');
        const pull = h.timeline.find((t) => t.at === done && t.e.ev === 'pull_done')!.e;
        const batchStart = res.batch === 1 ? t0 : r.hosts[0].times.outcome!;
        const ms: Record<Phase, number> = {
          publish: res.times.published - batchStart,
          reboot: started - reset,
          network: net - started,
          download: done - net,
          trial: trialStart - done,
          verify: verified - choice,
          boot: vmStart - verified,
          health: commit - vmStart,
          report: res.times.outcome! - commit,
        };
        const bytes = Number(pull.fields.net_bytes);
        out.push({
          host: h.name,
          batch: res.batch,
          ms,
          total_ms: res.times.outcome! - res.times.published,
          net_bytes: bytes,
          download_mib_s: bytes / 1048576 / (ms.download / 1000),
        });
      }
      return { figures: out, rollout_ms: Date.now() - t0 };
    });

    // The baseline: the same files, the same server, curl + sha256sum on this machine.
    const published = path.join(s.site, 'builds', u2.uuid);
    // What the hosts fetched (the guest kernel and D0 they copied from their running slot).
    const files = fs
      .readdirSync(path.join(published, 'VM'))
      .filter((f) => !f.startsWith('vmlinuz'))
      .map((f) => `VM/${f}`);
    let curlBytes = 0;
    const c0 = process.hrtime.bigint();
    for (const f of files) {
      const url = s.server.url(`/site/builds/${u2.uuid}/${f}`);
      // Asynchronously: the server runs in this process and must go on answering meanwhile.
      await run('bash', ['-c', 'set -o pipefail; curl -sf "$1" | sha256sum', 'curl', url]);
      curlBytes += fs.statSync(path.join(published, f)).size;
    }
    const curlS = Number(process.hrtime.bigint() - c0) / 1e9;
    const curlMiBs = curlBytes / 1048576 / curlS;
    const d0MiBs = median(figures.figures.map((f) => f.download_mib_s));
    const phases = Object.keys(figures.figures[0].ms) as Phase[];
    const result = {
      mib: MIB,
      hosts: figures.figures,
      median_ms: Object.fromEntries(phases.map((p) => [p, median(figures.figures.map((f) => f.ms[p]))])),
      rollout_ms: figures.rollout_ms,
      curl: { files: files.length, bytes: curlBytes, mib_s: curlMiBs },
      d0_download_mib_s: d0MiBs,
      ratio_d0_over_curl: d0MiBs / curlMiBs,
      quick,
    };
    for (const f of figures.figures)
      console.log(
        `${f.host} (batch ${f.batch}): ${phases.map((p) => `${p} ${f.ms[p]} ms`).join(', ')}; ` +
          `download ${f.download_mib_s.toFixed(2)} MiB/s over ${f.net_bytes} bytes`,
      );
    console.log(
      `rollout ${figures.rollout_ms} ms; D0 download+verify ${d0MiBs.toFixed(2)} MiB/s, curl+sha256sum ${curlMiBs.toFixed(1)} MiB/s, ratio ${result.ratio_d0_over_curl.toFixed(4)}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await s.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
