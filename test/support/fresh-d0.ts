// A fresh signing key and D0 built for it with the host toolchain (no Docker engine needed), for
// the emulator tests that boot their own slots.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildKernel } from '../../builder/d0-efi';
import { generateKeyPair } from '../../core/sign';

export interface FreshD0 {
  /** D0's EFI application (BOOTX64.EFI bytes) with the key's public half compiled in. */
  efi: Buffer;
  secretKey: Uint8Array;
  publicKeyHex: string;
}

/** Builds into dir/d0.efi. */
export async function freshD0(dir: string): Promise<FreshD0> {
  const key = generateKeyPair(crypto.randomBytes(32));
  const publicKeyHex = Buffer.from(key.publicKey).toString('hex');
  const built = await buildKernel({ publicKeyHex, outFile: path.join(dir, 'd0.efi'), mode: 'host' });
  return { efi: fs.readFileSync(built.path), secretKey: key.secretKey, publicKeyHex };
}
