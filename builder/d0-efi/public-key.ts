// The public key file format the kernel Makefile reads (PUBKEY=...): 64 lowercase hex digits and
// a newline, as core/sign.ts writes it.
import { D0Error } from '../../core/errors';

export class KernelKeyError extends D0Error {
  constructor(message: string) {
    super('KERNEL_BAD_PUBLIC_KEY', message);
    this.name = 'KernelKeyError';
  }
}

export function publicKeyFileText(publicKeyHex: string): string {
  if (typeof publicKeyHex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(publicKeyHex))
    throw new KernelKeyError(
      `publicKeyHex: expected 64 hex digits (a 32-byte Ed25519 public key), got ${typeof publicKeyHex === 'string' ? `${publicKeyHex.length} characters` : typeof publicKeyHex}`,
    );
  return `${publicKeyHex.toLowerCase()}\n`;
}
