// Shared by the pull suites (kernel/docs/pull.md): emulated hosts (QEMU + OVMF, SVM) whose builds
// name an update server, and that server: test/support/update-server.ts on 127.0.0.1, serving a
// directory whose site/ is the publication `d0 publish` writes. The host reaches it only through
// QEMU's restricted user network: a guestfwd from the fixed address the manifests name
// (10.0.2.100:80) to the server, one socat relay per connection (QEMU's chardev guestfwd carries
// one connection for the whole run, and HTTP clients open several). Nothing else is reachable.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { encodePointer, pointerFile, publishBuild } from '../../builder/publish';
import { readAbState, type D0AbState } from '../../builder/disk/ovmf-vars';
import { listFat } from '../../builder/disk/fat';
import { buildSlotDisk, slotPartitions } from '../../builder/disk/slots';
import type { Manifest } from '../../core/schema';
import type { D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { UpdateServer } from '../support/update-server';
import {
  AB_CPU,
  bootUntilExit,
  freshVars,
  makeBuild,
  sharedFixture,
  splitBoots,
  type AbFixture,
  type BuildDefects,
} from '../ab/support';

/** The host's NIC, and so its name on the update server. */
export const HOST_MAC = '52:54:00:12:34:56';
export const HOST_ID = HOST_MAC.replace(/:/g, '-');
/** What the manifests name; QEMU forwards it to the test server. */
export const SERVER_IP = '10.0.2.100';
export const UPDATE_URL = `http://${SERVER_IP}/site/`;

/** update.timeout_s of the builds here: what bounds a pull against a stalling server. */
export const PULL_TIMEOUT_S = 30;

/** A build that names the update server and signs its D0 (the loader digest a pull requires). */
export function pullBuild(
  fx: AbFixture,
  name: string,
  d: BuildDefects & { timeoutS?: number } = {},
): { dir: string; uuid: string } {
  const loader = {
    sha256: crypto.createHash('sha256').update(fx.efi).digest('hex'),
    size: String(fx.efi.length),
  };
  return makeBuild(fx, name, {
    ...d,
    edit: (m: Manifest) => {
      const withUpdate: Manifest = {
        ...m,
        update: { url: UPDATE_URL, timeout_s: d.timeoutS ?? PULL_TIMEOUT_S },
        loader,
      };
      return d.edit ? d.edit(withUpdate) : withUpdate;
    },
  });
}

/** QEMU arguments: the host's NIC (e1000 with its iPXE ROM, so the firmware drives it) on a
 * restricted user network whose only way out is the relay to the test server. */
export function pullNetArgs(
  serverPort: number,
  o: { tftp?: { root: string; bootfile: string }; unrestricted?: boolean } = {},
): string[] {
  // QEMU's own TFTP and DHCP (slirp) answer under restrict=on: the netboot path of a blank host.
  const boot = o.tftp ? `,tftp=${o.tftp.root},bootfile=${o.tftp.bootfile}` : '';
  // Reports are UDP, which guestfwd cannot carry: their tests lift the restriction so that
  // 10.0.2.2 (slirp's gateway) reaches the collector on 127.0.0.1. D0 sends only to the
  // addresses its manifest names, all of them slirp's own or forwarded to 127.0.0.1.
  const restrict = o.unrestricted ? '' : ',restrict=on';
  return [
    '-netdev',
    `user,id=pull0,net=10.0.2.0/24${restrict}${boot},guestfwd=tcp:${SERVER_IP}:80-cmd:socat STDIO TCP:127.0.0.1:${serverPort}`,
    '-device',
    `e1000,netdev=pull0,mac=${HOST_MAC}`,
  ];
}

export interface PullHost {
  disk: string;
  vars: string;
  /** The committed build the host runs (slot A). */
  u1: { dir: string; uuid: string };
  /** A signed build made just before U1: older than it. */
  u0: { dir: string; uuid: string };
  /** Where the server's root is; its site/ is the publication. */
  www: string;
  site: string;
  server: UpdateServer;
  fx: AbFixture;
}

let baseU0: { dir: string; uuid: string } | undefined;
let baseU1: { dir: string; uuid: string } | undefined;

/**
 * A host with U1 (naming the update server) committed in slot A and an empty slot B, and a
 * server with an empty publication. `name` keeps each test's files apart.
 */
export async function pullHost(name: string): Promise<PullHost> {
  const fx = await sharedFixture();
  baseU0 ??= pullBuild(fx, 'pull-u0');
  baseU1 ??= pullBuild(fx, 'pull-u1');
  const h = await copyOfCommitted(name, baseU1);
  const www = path.join(fx.dir, `${name}-www`);
  const site = path.join(www, 'site');
  fs.rmSync(www, { recursive: true, force: true });
  fs.mkdirSync(site, { recursive: true });
  const server = await UpdateServer.start(www);
  return { ...h, u0: baseU0, u1: baseU1, www, site, server, fx };
}

let committed: Promise<{ disk: string; vars: string }> | undefined;

/** U1 committed once (its first boot: a first boot does not pull), then copied per test. */
async function copyOfCommitted(
  name: string,
  u1: { dir: string; uuid: string },
): Promise<{ disk: string; vars: string }> {
  const fx = await sharedFixture();
  committed ??= (async () => {
    const disk = path.join(fx.dir, 'pull-base.img');
    const vars = freshVars(path.join(fx.dir, 'pull-base.vars.fd'));
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });
    const boot = await bootUntilExit(disk, vars);
    if (boot.all('commit')[0]?.fields.boot !== u1.uuid)
      throw new Error(`the first boot did not commit U1:\n${boot.text}`);
    return { disk, vars };
  })();
  const c = await committed;
  const disk = path.join(fx.dir, `${name}.img`);
  const vars = path.join(fx.dir, `${name}.vars.fd`);
  fs.copyFileSync(c.disk, disk);
  fs.copyFileSync(c.vars, vars);
  return { disk, vars };
}

/** Publishes a build for the host the way an operator does (`d0 publish`). */
export async function publish(
  h: { site: string; fx: AbFixture },
  build: { dir: string },
): Promise<void> {
  await publishBuild({ site: h.site, buildDir: build.dir, publicKey: h.fx.pub, hosts: [HOST_ID] });
}

/** A pointer written by a hostile server: any signature and manifest bytes. */
export function writePointer(h: PullHost, sig: Buffer, tlv: Buffer): void {
  const file = pointerFile(h.site, HOST_ID);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePointer(sig, tlv));
}

/** The build's files copied under site/builds/<uuid>/ as they are (no check: a hostile server). */
export function copyBuild(h: PullHost, build: { dir: string; uuid: string }): void {
  fs.cpSync(build.dir, path.join(h.site, 'builds', build.uuid), { recursive: true });
}

export function manifestOf(build: { dir: string; uuid: string }): { tlv: Buffer; sig: Buffer } {
  return {
    tlv: fs.readFileSync(path.join(build.dir, `manifest-${build.uuid}.tlv`)),
    sig: fs.readFileSync(path.join(build.dir, `manifest-${build.uuid}.sig`)),
  };
}

/** The server path of a build's file. */
export function buildPath(uuid: string, file: string): string {
  return `/site/builds/${uuid}/${file}`;
}

export interface PullBoot {
  events: D0Event[];
  /** The first boot's pull_done. */
  done: D0Event;
  text: string;
}

/**
 * One boot up to its A/B choice after the pull (slot_choice of the running build, or a trial
 * start), then QEMU is killed: what the pull did is on the disk and in the log by then.
 */
export async function bootToChoice(
  h: PullHost,
  o: { timeoutMs?: number; noNic?: boolean } = {},
): Promise<PullBoot> {
  return withQemu(
    {
      disk: h.disk,
      vars: h.vars,
      cpu: AB_CPU,
      timeoutMs: o.timeoutMs ?? 180_000,
      extraArgs: o.noNic ? [] : pullNetArgs(h.server.port),
    },
    async (vm) => {
      await vm.waitFor((e) => e.ev === 'slot_choice');
      const events = [...vm.events];
      const done = events.find((e) => e.ev === 'pull_done');
      const text = events.map((e) => e.raw).join('\n');
      if (!done) throw new Error(`no ev=pull_done before the choice:\n${text}`);
      return { events, done, text };
    },
  );
}

/** Boots until a boot ends without a reset (bootUntilExit), with the host's network. */
export async function bootThrough(h: PullHost, timeoutMs = 400_000) {
  const b = await bootUntilExit(h.disk, h.vars, {
    extraArgs: pullNetArgs(h.server.port),
    timeoutMs,
  });
  return { ...b, perBoot: splitBoots(b.events) };
}

/** SHA-256 of slot B's whole partition: "untouched" is this value unchanged. */
export function slotBDigest(disk: string): string {
  const b = slotPartitions(disk)[1].part;
  const fd = fs.openSync(disk, 'r');
  try {
    const h = crypto.createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    for (let off = 0; off < b.size; off += buf.length) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, b.size - off), b.offset + off);
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** The files of slot B ('/'-separated). */
export async function slotBFiles(disk: string): Promise<string[]> {
  return listFat(disk, slotPartitions(disk)[1].part.offset);
}

export function abState(h: PullHost): D0AbState {
  const s = readAbState(h.vars);
  if (!s) throw new Error(`${h.vars}: no D0AbState`);
  return s;
}
