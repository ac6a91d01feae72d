// The names of a site's publication directory (the contract is at the top of ./index.ts) and the
// pointer format. Pure: no file access.
import crypto from 'node:crypto';
import path from 'node:path';
import { isUuidV7 } from '../../core/uuid';

export const BUILDS_DIR = 'builds';
export const HOSTS_DIR = 'hosts';
export const POINTER_EXT = '.d0ptr';
/** `<site>/netboot/BOOTX64.EFI`: the D0 a blank host netboots (its TFTP/HTTP boot file). */
export const NETBOOT_FILE = 'netboot/BOOTX64.EFI';
/** An Ed25519 signature: the pointer's first bytes. */
export const SIGNATURE_BYTES = 64;

/** `<site>/builds/<uuid>`: the slot tree of the build, verbatim. */
export function publishedBuildDir(site: string, uuid: string): string {
  return path.join(site, BUILDS_DIR, uuid);
}

/** `<site>/hosts/<host>.d0ptr`: the host's pointer. */
export function pointerFile(site: string, host: string): string {
  return path.join(site, HOSTS_DIR, `${host}${POINTER_EXT}`);
}

const token = () => crypto.randomBytes(6).toString('hex');

/** Where a build is copied before it is renamed to builds/<uuid>: hidden, never a UUID. */
export function stagingDir(site: string, uuid: string): string {
  return path.join(site, BUILDS_DIR, `.staging-${uuid}-${token()}`);
}

/** Where a pointer is written before it is renamed over hosts/<host>.d0ptr: hidden. */
export function pointerTemp(site: string, host: string): string {
  return path.join(site, HOSTS_DIR, `.${host}${POINTER_EXT}.${token()}.tmp`);
}

/** The UUID a builds/ entry is named after, or undefined for anything else (staging, strays). */
export function buildEntryUuid(name: string): string | undefined {
  return isUuidV7(name) ? name : undefined;
}

/** The host a hosts/ entry is the pointer of (not checked as a host identity), or undefined. */
export function pointerEntryHost(name: string): string | undefined {
  return !name.startsWith('.') && name.endsWith(POINTER_EXT)
    ? name.slice(0, -POINTER_EXT.length)
    : undefined;
}

/** A pointer's bytes: the manifest's 64-byte signature, then the manifest's TLV bytes. */
export function encodePointer(sig: Uint8Array, tlv: Uint8Array): Buffer {
  if (sig.length !== SIGNATURE_BYTES)
    throw new RangeError(`a signature is ${SIGNATURE_BYTES} bytes, got ${sig.length}`);
  return Buffer.concat([sig, tlv]);
}

/** Splits a pointer; undefined when it is too short to hold a signature and a TLV record. */
export function decodePointer(bytes: Buffer): { sig: Buffer; tlv: Buffer } | undefined {
  if (bytes.length <= SIGNATURE_BYTES) return undefined;
  return { sig: bytes.subarray(0, SIGNATURE_BYTES), tlv: bytes.subarray(SIGNATURE_BYTES) };
}
