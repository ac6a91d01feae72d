// D0 for the emulator tests, built once and cached: the tests boot D0 for a few fixed test keys,
// so D0's EFI application comes from the product's cache (builder/d0-efi/cache.ts, keyed by the
// public key and every kernel source file) instead of a 10-20 s compile per test file. A change to
// any kernel source is a new cache key, so a test never boots a stale D0.
//
// The keys are derived from a label and are test-only by construction (anyone can derive them):
// they sign the tests' manifests and nothing else. Use a second label where a test needs a D0
// that a key does NOT match ('other').
//
// Self-test D0s (a D0_SELFTEST_* switch of kernel/, never set in a release build) are cached here
// too, under $D0_CACHE/d0-efi-selftest, keyed by the release entry's key and the switch.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { d0CacheRoot, makeStagingDir, publishStagingDir, withBuildLock } from '../../builder/cache/build-cache';
import { d0Efi, d0EfiKey } from '../../builder/d0-efi/cache';
import { buildOnHost } from '../../builder/d0-efi/host';
import { publicKeyFileText } from '../../builder/d0-efi/public-key';
import { generateKeyPair, type KeyPair } from '../../core/sign';

export interface TestD0 {
  /** D0's EFI application (BOOTX64.EFI bytes) with the key's public half compiled in. */
  readonly efi: Buffer;
  readonly key: KeyPair;
  readonly secretKey: Uint8Array;
  readonly publicKeyHex: string;
}

/** The test key for `label`: the Ed25519 key pair whose seed is sha256("d0 test key <label>"). */
export function testKey(label = 'a'): KeyPair {
  return generateKeyPair(createHash('sha256').update(`d0 test key ${label}`).digest());
}

/** D0 built with the host toolchain for testKey(label), from the cache when it is there. */
export async function testD0(label = 'a'): Promise<TestD0> {
  const key = testKey(label);
  const publicKeyHex = Buffer.from(key.publicKey).toString('hex');
  const built = await d0Efi(publicKeyHex, { mode: 'host' });
  return { efi: fs.readFileSync(built.path), key, secretKey: key.secretKey, publicKeyHex };
}

/** D0 for testKey(label) built with `-D<define>` (a D0_SELFTEST_* switch), cached. */
export async function selftestD0(define: string, label = 'a'): Promise<Buffer> {
  const publicKeyHex = Buffer.from(testKey(label).publicKey).toString('hex');
  const entry = createHash('sha256').update(`${d0EfiKey(publicKeyHex)}\0${define}`).digest('hex');
  const dir = path.join(d0CacheRoot(), 'd0-efi-selftest', entry);
  const efi = path.join(dir, 'BOOTX64.EFI');
  if (fs.existsSync(efi)) return fs.readFileSync(efi);
  return withBuildLock(dir, async () => {
    if (fs.existsSync(efi)) return fs.readFileSync(efi);
    const bytes = await buildOnHost(publicKeyFileText(publicKeyHex), undefined, define);
    const staging = makeStagingDir(dir);
    try {
      fs.writeFileSync(path.join(staging, 'BOOTX64.EFI'), bytes); // the entry's only file
      publishStagingDir(staging, dir);
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw e;
    }
    return bytes;
  });
}
