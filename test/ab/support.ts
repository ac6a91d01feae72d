// Shared by the A/B suites: a test key and D0 built with it, signed build directories (slot trees)
// with controllable defects and guests, and boots of an A/B disk under QEMU + OVMF (-cpu EPYC:
// SVM, so D0 launches) with a persistent VARS file, collected until the final boot ends (resets
// in between stay inside one QEMU run). A build is committed only once its VMs are healthy, so
// every build here carries a tiny guest kernel (./guests.ts) that reports its health at once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSlotDisk } from '../../builder/disk/slots';
import { encodeManifest } from '../../core/tlv/encode';
import type { Manifest } from '../../core/schema';
import { signManifest, type KeyPair } from '../../core/sign';
import { makeSlot, slotFiles, type SlotOptions } from '../boot/slot';
import type { D0Event } from '../support/events';
import { OVMF_VARS, withQemu } from '../support/qemu';
import { selftestD0, testD0, testKey } from '../support/test-d0';
import { tinyGuest, type GuestKind } from './guests';

/** QEMU's CPU for A/B boots: AMD with SVM + nested paging under TCG (EMULATORS.md). */
export const AB_CPU = 'EPYC';
/** Each container's mem_mb in A/B builds: the tiny guests need only their first 2 MiB. */
const AB_VM_MB = 16;

export interface AbFixture {
  dir: string;
  key: KeyPair;
  pub: Uint8Array;
  efi: Buffer;
}

let shared: Promise<AbFixture> | undefined;

/**
 * One key and one D0 build for every A/B suite in this process (a D0 build takes ~20 s); its
 * directory is removed when the process exits.
 */
export function sharedFixture(): Promise<AbFixture> {
  if (!shared) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-ab-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    shared = makeFixture(dir);
  }
  return shared;
}

export interface CommittedBase {
  u1: { dir: string; uuid: string };
  disk: string;
  vars: string;
  /** The first boot's events (U1 committed with role=first). */
  boot: Boots;
}

let base: Promise<CommittedBase> | undefined;

/** A disk with U1 in slot A and the VARS file after its first boot committed it (shared, read-only: copy before use). */
export function committedBase(): Promise<CommittedBase> {
  base ??= (async () => {
    const fx = await sharedFixture();
    const u1 = makeBuild(fx, 'base-u1');
    const disk = path.join(fx.dir, 'base.img');
    const vars = freshVars(path.join(fx.dir, 'base.vars.fd'));
    await buildSlotDisk(disk, { a: u1.dir, sizeMiB: 40 });
    const boot = await bootUntilExit(disk, vars);
    if (boot.all('commit')[0]?.fields.boot !== u1.uuid)
      throw new Error(`the first boot did not commit U1:\n${boot.text}`);
    return { u1, disk, vars, boot };
  })();
  return base;
}

/** Copies of the committed base's disk and VARS file under new names. */
export async function copyOfBase(
  name: string,
): Promise<{ disk: string; vars: string; u1: CommittedBase['u1'] }> {
  const b = await committedBase();
  const fx = await sharedFixture();
  const disk = path.join(fx.dir, `${name}.img`);
  const vars = path.join(fx.dir, `${name}.vars.fd`);
  fs.copyFileSync(b.disk, disk);
  fs.copyFileSync(b.vars, vars);
  return { disk, vars, u1: b.u1 };
}

/** The A/B fixture: D0 for the test key (test/support/test-d0.ts: cached), builds made in dir. */
export async function makeFixture(dir: string): Promise<AbFixture> {
  const { key, efi } = await testD0();
  return { dir, key, pub: key.publicKey, efi };
}

/**
 * The shared fixture with a test-only D0: the same key, built with `-D<define>` (a D0_SELFTEST_*
 * switch of kernel/; release builds never set one; cached). Builds made from it carry that D0.
 */
export async function selftestFixture(fx: AbFixture, define: string): Promise<AbFixture> {
  if (Buffer.compare(Buffer.from(fx.pub), Buffer.from(testKey().publicKey)) !== 0)
    throw new Error('selftestFixture: the fixture is not signed with the test key');
  return { ...fx, efi: await selftestD0(define) };
}

export interface BuildDefects {
  epoch?: number;
  /** Rewrites the manifest before it is signed (after `epoch`): a signed, semantically bad build. */
  edit?: (m: Manifest) => Manifest;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** Flip a byte of the first container's disk image after signing (digest mismatch). */
  corruptDisk?: boolean;
  /** The tiny guest every VM runs (default healthy); ignored when vms.kernel is given. */
  guest?: GuestKind;
  /** The VMs themselves (a real guest kernel and disk, timeouts, one VM only). */
  vms?: SlotOptions;
}

let lastMs = 0;

/** A signed build directory (slot tree) under fx.dir; UUIDs strictly increase between calls. */
export function makeBuild(
  fx: AbFixture,
  name: string,
  d: BuildDefects = {},
): { dir: string; uuid: string } {
  // UUIDv7 order is time order only across milliseconds: never two builds in one.
  while (Date.now() <= lastMs) {
    /* spin < 1 ms */
  }
  lastMs = Date.now();
  let slot = makeSlot(fx.key.secretKey, {
    kernel: tinyGuest(d.guest ?? 'healthy'),
    memMb: AB_VM_MB,
    ...d.vms,
  });
  if (d.epoch !== undefined || d.edit) {
    let manifest = slot.manifest;
    if (d.epoch !== undefined)
      manifest = { ...manifest, header: { ...manifest.header, security_epoch: String(d.epoch) } };
    if (d.edit) manifest = d.edit(manifest);
    const tlv = Buffer.from(encodeManifest(manifest));
    slot = { ...slot, manifest, tlv, sig: Buffer.from(signManifest(tlv, fx.key.secretKey)) };
  }
  if (d.badSignature) {
    const sig = Buffer.from(slot.sig);
    sig[10] ^= 0x01;
    slot = { ...slot, sig };
  }
  const dir = path.join(fx.dir, name);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of slotFiles(slot, fx.efi)) {
    const p = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.data as Buffer);
  }
  if (d.corruptDisk) {
    const p = path.join(dir, slot.manifest.containers[0].disk_path);
    const b = fs.readFileSync(p);
    b[100] ^= 0xff;
    fs.writeFileSync(p, b);
  }
  return { dir, uuid: slot.uuid };
}

export function freshVars(file: string): string {
  fs.copyFileSync(OVMF_VARS, file);
  return file;
}

export interface Boots {
  events: D0Event[];
  /** Events per boot (split at ev=boot_start). */
  boots: D0Event[][];
  all: (ev: string) => D0Event[];
  /** The final boot (the one that ended in ev=exit or ev=halt). */
  last: D0Event[];
  /** How the final boot ended: "exit" (it failed before launching), "halt" (its VMs all stopped). */
  end: 'exit' | 'halt';
  text: string;
  /** The whole serial output (firmware lines included) and QEMU's stderr. */
  serial: string;
}

/** Events per boot: a new boot starts at each ev=boot_start. */
export function splitBoots(events: D0Event[]): D0Event[][] {
  const boots: D0Event[][] = [];
  for (const e of events) {
    if (e.ev === 'boot_start' || boots.length === 0) boots.push([]);
    boots[boots.length - 1].push(e);
  }
  return boots;
}

/** D0's two ends of a boot that does not reset: efi_main returns (ev=exit) or every VM stopped (ev=halt). */
const isEnd = (e: D0Event) => e.ev === 'exit' || e.ev === 'halt';

/**
 * Boots disk with vars until the first boot that ends without a reset: ev=exit (the boot failed
 * before the launch and returned to the firmware) or ev=halt (the VMs ran and all stopped).
 * A boot that resets (a trial start, a rollback) logs neither.
 */
export async function bootUntilExit(
  disk: string,
  vars: string,
  o: {
    timeoutMs?: number;
    memMb?: number;
    cpu?: string;
    extraArgs?: string[];
    /** The Secure Boot firmware (vars must then be a 4 MiB Secure Boot VARS file). */
    secureBoot?: boolean;
  } = {},
): Promise<Boots> {
  const q = {
    disk,
    vars,
    cpu: o.cpu ?? AB_CPU,
    timeoutMs: o.timeoutMs ?? 240_000,
    memMb: o.memMb,
    extraArgs: o.extraArgs,
    secureBoot: o.secureBoot,
  };
  return withQemu(q, async (vm) => {
    const end = await vm.waitFor(isEnd);
    const events = [...vm.events];
    const boots = splitBoots(events);
    return {
      events,
      boots,
      all: (ev) => events.filter((e) => e.ev === ev),
      last: boots[boots.length - 1],
      end: end.ev as Boots['end'],
      text: events.map((e) => e.raw).join('\n'),
      serial: vm.serial,
    };
  });
}
