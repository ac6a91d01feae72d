// D0's EFI application for one public key, cached in $D0_CACHE/d0-efi/<key>/BOOTX64.EFI where key
// = sha256(recipe, every kernel source file, the public key). builder/d0-efi builds it (Docker
// toolchain or host); this file only adds the cache, so a second build with the same key and
// sources runs no compiler.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { d0CacheRoot, makeStagingDir, publishStagingDir, withBuildLock } from '../cache/build-cache';
import { buildKernel } from '.';
import { publicKeyFileText } from './public-key';
import { KERNEL_DIR, kernelSourceFiles } from './sources';

const RECIPE = 'd0-efi-cache-1';

export interface D0Efi {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly mode: 'docker' | 'host';
  readonly cached: boolean;
  readonly key: string;
}

export function d0EfiKey(publicKeyHex: string, kernelDir = KERNEL_DIR): string {
  const h = createHash('sha256');
  const part = (b: Buffer | string) => (h.update(`${Buffer.byteLength(b)}:`), h.update(b));
  part(RECIPE);
  part(publicKeyFileText(publicKeyHex));
  for (const rel of kernelSourceFiles(kernelDir)) {
    part(rel);
    part(fs.readFileSync(path.join(kernelDir, rel)));
  }
  return h.digest('hex');
}

interface Meta {
  sha256: string;
  size: number;
  mode: 'docker' | 'host';
}

export async function d0Efi(
  publicKeyHex: string,
  opts: { mode?: 'auto' | 'docker' | 'host'; cacheRoot?: string; log?: (l: string) => void } = {},
): Promise<D0Efi> {
  const key = d0EfiKey(publicKeyHex);
  const dir = path.join(opts.cacheRoot ?? d0CacheRoot(), 'd0-efi', key);
  const read = (cached: boolean): D0Efi => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'efi.json'), 'utf8')) as Meta;
    return { path: path.join(dir, 'BOOTX64.EFI'), ...m, cached, key };
  };
  // Whole: efi.json (written last) is there and BOOTX64.EFI still has its digest. An entry whose
  // EFI was removed or altered since is built again, never handed out.
  const whole = (): boolean => {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(dir, 'efi.json'), 'utf8')) as Meta;
      const efi = fs.readFileSync(path.join(dir, 'BOOTX64.EFI'));
      return createHash('sha256').update(efi).digest('hex') === m.sha256;
    } catch {
      return false;
    }
  };
  if (whole()) return read(true);
  return withBuildLock(dir, async () => {
    if (whole()) return read(true);
    fs.rmSync(dir, { recursive: true, force: true }); // a broken entry, if any
    const staging = makeStagingDir(dir);
    try {
      const out = path.join(staging, 'out');
      const built = await buildKernel({
        publicKeyHex,
        outFile: path.join(out, 'BOOTX64.EFI'),
        mode: opts.mode,
        log: opts.log,
      });
      const meta: Meta = { sha256: built.sha256, size: built.size, mode: built.mode };
      fs.writeFileSync(path.join(out, 'efi.json'), JSON.stringify(meta) + '\n'); // written last: marks the entry complete
      publishStagingDir(out, dir);
      return read(false);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  });
}
