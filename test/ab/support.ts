// Shared by the A/B suites: a test key and D0 built with it, signed build directories (slot trees)
// with controllable defects, and boots of an A/B disk under QEMU + OVMF with a persistent VARS
// file, collected until the final boot's ev=exit (resets in between stay inside one QEMU run).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildKernel } from '../../builder/kernel';
import { encodeManifest } from '../../core/tlv/encode';
import { generateKeyPair, signManifest, type KeyPair } from '../../core/sign';
import { makeSlot, slotFiles } from '../boot/slot';
import type { D0Event } from '../support/events';
import { OVMF_VARS, withQemu } from '../support/qemu';

export interface AbFixture {
  dir: string;
  key: KeyPair;
  pub: Uint8Array;
  efi: Buffer;
}

export async function makeFixture(dir: string): Promise<AbFixture> {
  const key = generateKeyPair(crypto.randomBytes(32));
  const built = await buildKernel({
    publicKeyHex: Buffer.from(key.publicKey).toString('hex'),
    outFile: path.join(dir, 'd0.efi'),
    mode: 'host',
  });
  return { dir, key, pub: key.publicKey, efi: fs.readFileSync(built.path) };
}

export interface BuildDefects {
  epoch?: number;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** Flip a byte of the first container's disk image after signing (digest mismatch). */
  corruptDisk?: boolean;
}

let lastMs = 0;

/** A signed build directory (slot tree) under fx.dir; UUIDs strictly increase between calls. */
export function makeBuild(fx: AbFixture, name: string, d: BuildDefects = {}): { dir: string; uuid: string } {
  // UUIDv7 order is time order only across milliseconds: never two builds in one.
  while (Date.now() <= lastMs) {
    /* spin < 1 ms */
  }
  lastMs = Date.now();
  let slot = makeSlot(fx.key.secretKey);
  if (d.epoch !== undefined) {
    const manifest = { ...slot.manifest, header: { ...slot.manifest.header, security_epoch: String(d.epoch) } };
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
  /** The final boot (the one that logged ev=exit). */
  last: D0Event[];
  text: string;
}

/** Boots disk with vars until the first ev=exit (the end of the boot that did not reset). */
export async function bootUntilExit(disk: string, vars: string, timeoutMs = 180_000): Promise<Boots> {
  return withQemu({ disk, vars, timeoutMs }, async (vm) => {
    await vm.waitFor('exit');
    const events = [...vm.events];
    const boots: D0Event[][] = [];
    for (const e of events) {
      if (e.ev === 'boot_start' || boots.length === 0) boots.push([]);
      boots[boots.length - 1].push(e);
    }
    return {
      events,
      boots,
      all: (ev) => events.filter((e) => e.ev === ev),
      last: boots[boots.length - 1],
      text: events.map((e) => e.raw).join('\n'),
    };
  });
}
