// Ed25519 (RFC 8032, pure Ed25519) over the exact TLV bytes, via @noble/ed25519 with SHA-512 from
// node:crypto (a pure computation; @noble/hashes' SHA-512 is ~40x slower on a 15 KB manifest when
// loaded through tsx, see bench/README.md). Verification accepts exactly what D0's C verifier
// accepts (kernel/crypto/ed25519_verify.c states the policy): @noble's strict RFC 8032 rules
// (zip215: false: canonical A and R, S < L, small-order A refused, the cofactored equation) and,
// beyond them, a small-order R refused, which @noble's strict mode lets through. The differential
// test (test/kernel/ed25519-diff.test.ts) runs both over every class of malformed signature and key.
//
// Key files (written by `d0 keygen`, read by `d0 manifest pack/verify`):
//   secret key file: the 32-byte seed as 64 lowercase hex digits and a newline; mode 0600.
//   public key file: the 32-byte public key as 64 lowercase hex digits and a newline.
// Secret material never appears in an error message.
import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { D0Error } from './errors';

ed.hashes.sha512 = (message) => new Uint8Array(createHash('sha512').update(message).digest());

export interface KeyPair {
  /** The 32-byte seed (RFC 8032 "private key"). */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateKeyPair(seed32: Uint8Array): KeyPair {
  if (seed32.length !== 32)
    throw new D0Error('KEY', `a key seed is 32 bytes, got ${seed32.length}`);
  const secretKey = Uint8Array.from(seed32);
  return { secretKey, publicKey: ed.getPublicKey(secretKey) };
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32)
    throw new D0Error('KEY', `a secret key is 32 bytes, got ${secretKey.length}`);
  return ed.getPublicKey(secretKey);
}

/** The 64-byte signature of the exact TLV bytes. */
export function signManifest(tlv: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32)
    throw new D0Error('KEY', `a secret key is 32 bytes, got ${secretKey.length}`);
  return ed.sign(tlv, secretKey);
}

/** True only for a valid signature of exactly these bytes under this key; never throws. */
export function verifyManifest(sig: Uint8Array, tlv: Uint8Array, publicKey: Uint8Array): boolean {
  if (sig.length !== 64 || publicKey.length !== 32) return false;
  try {
    if (!ed.verify(sig, tlv, publicKey, { zip215: false })) return false;
    // An honest R = [r]B has order L: a small-order R only comes from a crafted signature.
    return !ed.Point.fromBytes(sig.subarray(0, 32)).isSmallOrder();
  } catch {
    return false; // a public key or R that is not a curve point
  }
}

const HEX64_LINE = /^([0-9a-fA-F]{64})\r?\n?$/;

export function formatSecretKeyFile(secretKey: Uint8Array): string {
  return Buffer.from(secretKey).toString('hex') + '\n';
}

export function formatPublicKeyFile(publicKey: Uint8Array): string {
  return Buffer.from(publicKey).toString('hex') + '\n';
}

/** Parses a secret key file; `what` names its source (a path or an env variable) in errors. */
export function parseSecretKeyFile(text: string, what: string): Uint8Array {
  const m = HEX64_LINE.exec(text);
  if (!m)
    throw new D0Error('KEY', `${what}: not a D0 secret key (expected 64 hex digits and a newline)`);
  return new Uint8Array(Buffer.from(m[1], 'hex'));
}

export function parsePublicKeyFile(text: string, what: string): Uint8Array {
  const m = HEX64_LINE.exec(text);
  if (!m)
    throw new D0Error('KEY', `${what}: not a D0 public key (expected 64 hex digits and a newline)`);
  return new Uint8Array(Buffer.from(m[1], 'hex'));
}
