// Signed build directories for the publishing tests, made without Docker or a compiler: the slot of
// test/boot/slot.ts (random guest kernel and disks, a signed manifest) with stand-in bytes for
// D0's EFI image pinned by the manifest's loader field, laid out as builder/site writes a build:
// <parent>/<uuid>/build.json and <parent>/<uuid>/slot/. And a snapshot of a directory tree, to
// check that a refused publish wrote nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../core/schema';
import { generateKeyPair, signManifest, type KeyPair } from '../../core/sign';
import { encodeManifest } from '../../core/tlv/encode';
import { makeSlot, slotFiles } from '../boot/slot';

/** The site's key and another one (test-only: anyone can derive them). */
export const SITE_KEY: KeyPair = generateKeyPair(seed('site'));
export const OTHER_KEY: KeyPair = generateKeyPair(seed('other'));

function seed(label: string): Uint8Array {
  return crypto.createHash('sha256').update(`d0 publish test key ${label}`).digest();
}

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

export interface TestBuild {
  uuid: string;
  /** `<parent>/<uuid>`: build.json and slot/. */
  dir: string;
  slotDir: string;
  manifest: Manifest;
  tlv: Buffer;
  sig: Buffer;
  efi: Buffer;
}

export interface TestBuildOptions {
  /** Signs the manifest (default SITE_KEY). */
  key?: KeyPair;
  /** D0's stand-in EFI image (default 3,000 random bytes). */
  efi?: Buffer;
  /** The manifest's loader: the EFI's digest (default), none, or given values. */
  loader?: 'efi' | 'none' | { sha256: string; size: string };
  /** The TLV bytes to sign instead of the manifest's (e.g. ones that do not decode). */
  tlv?: Buffer;
}

let seq = 0;

/** A signed build directory under parent; every call makes a new build (a new UUID). */
export function makeTestBuild(parent: string, o: TestBuildOptions = {}): TestBuild {
  const key = o.key ?? SITE_KEY;
  const efi = o.efi ?? crypto.randomBytes(3000);
  const slot = makeSlot(key.secretKey, { webOnly: seq++ % 2 === 0 });
  const l = o.loader ?? 'efi';
  const manifest: Manifest =
    l === 'none'
      ? slot.manifest
      : {
          ...slot.manifest,
          loader: l === 'efi' ? { sha256: sha256(efi), size: String(efi.length) } : l,
        };
  const tlv = o.tlv ?? Buffer.from(encodeManifest(manifest));
  const sig = Buffer.from(signManifest(tlv, key.secretKey));
  const dir = path.join(parent, slot.uuid);
  const slotDir = path.join(dir, 'slot');
  for (const f of slotFiles({ ...slot, manifest, tlv, sig }, efi)) {
    const p = path.join(slotDir, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.data as Buffer);
  }
  fs.writeFileSync(path.join(dir, 'build.json'), JSON.stringify({ buildUuid: slot.uuid }) + '\n');
  return { uuid: slot.uuid, dir, slotDir, manifest, tlv, sig, efi };
}

/** Flips one byte of a file of the build's slot tree, keeping its size. */
export function flipByte(b: TestBuild, rel: string, at = 7): void {
  const p = path.join(b.slotDir, rel);
  const bytes = fs.readFileSync(p);
  bytes[at] ^= 0x5a;
  fs.writeFileSync(p, bytes);
}

/**
 * Every entry under dir (hidden ones included) -> 'dir', or the file's mode and SHA-256; {} when
 * dir does not exist. Equal snapshots: nothing was written, renamed or removed.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(dir, r);
      if (e.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else
        out[r] = `${(fs.lstatSync(p).mode & 0o7777).toString(8)} ${sha256(fs.readFileSync(p))}`;
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out;
}
