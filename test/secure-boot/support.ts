// Secure Boot test material: Debian's snakeoil db key pair (enrolled as PK, KEK and db in
// OVMF_VARS_4M.snakeoil.fd; its key is encrypted with the passphrase "snakeoil", which sbsign
// cannot take, so a decrypted copy is written here, mode 0600, in a directory removed at exit),
// a second RSA db key pair that no firmware here knows (openssl), and the firmware's refusal
// as it shows on the serial console.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SNAKEOIL_CERT, SNAKEOIL_KEY } from '../../builder/disk/qemu';
import type { SecureBootSigner } from '../../builder/disk/secure-boot';

export interface Signers {
  dir: string;
  /** The key pair the snakeoil VARS' db holds. */
  snakeoil: SecureBootSigner;
  /** A well-formed db key pair the firmware does not hold. */
  other: SecureBootSigner;
}

let shared: Signers | undefined;

export function signers(): Signers {
  if (shared) return shared;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-sb-keys-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const key = crypto
    .createPrivateKey({ key: fs.readFileSync(SNAKEOIL_KEY), passphrase: 'snakeoil' })
    .export({ type: 'pkcs8', format: 'pem' });
  const snakeoilKey = path.join(dir, 'snakeoil.key');
  fs.writeFileSync(snakeoilKey, key, { mode: 0o600 });
  const other = { key: path.join(dir, 'other.key'), cert: path.join(dir, 'other.pem') };
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650'].concat([
      '-subj',
      '/CN=D0 test db key not enrolled/',
      '-keyout',
      other.key,
      '-out',
      other.cert,
    ]),
    { stdio: 'ignore' },
  );
  shared = { dir, snakeoil: { key: snakeoilKey, cert: SNAKEOIL_CERT }, other };
  return shared;
}

/**
 * Flips one byte inside the first section's raw data of a PE image (code the Authenticode
 * digest covers), leaving the headers and the signature intact.
 */
export function alterOneByte(file: string): void {
  const b = fs.readFileSync(file);
  const pe = b.readUInt32LE(0x3c);
  if (b.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file}: not a PE image`);
  const optSize = b.readUInt16LE(pe + 20);
  const section = pe + 24 + optSize;
  const raw = b.readUInt32LE(section + 20);
  b[raw + 0x40] ^= 0x01;
  fs.writeFileSync(file, b);
}

/**
 * OVMF's line when its image verification refused a boot option's file (LoadImage returned
 * EFI_ACCESS_DENIED / EFI_SECURITY_VIOLATION): `BdsDxe: failed to load Boot0002 "UEFI QEMU
 * HARDDISK QM00001 " from ...: Access Denied`.
 */
export const REFUSED_DISK =
  /BdsDxe: failed to load (Boot[0-9A-F]{4}) "([^"]*)" from [^\n]*: (Access Denied|Security Violation)/g;

/** REFUSED_DISK for the disk's own boot option (OVMF's removable-media entry for the disk). */
export const REFUSED_HARDDISK =
  /BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI QEMU HARDDISK[^"]*" from [^\n]*: (Access Denied|Security Violation)/;

/** The ANSI escapes OVMF mirrors onto COM1, removed. */
export function plainSerial(serial: string): string {
  return serial.replace(/\x1b\[[0-9;=?]*[a-zA-Z]/g, '').replace(/\r/g, '');
}

/** sbverify's verdict on an image against a certificate. */
export function verifies(efi: string, cert: string): boolean {
  try {
    execFileSync('sbverify', ['--cert', cert, efi], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
