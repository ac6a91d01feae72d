// buildKernel(): D0's UEFI application with a given public key compiled in, built in the pinned
// Docker toolchain when an engine answers (mode 'auto'), or with the host toolchain. Both give
// the same bytes (test/kernel-build/reproducible.test.ts). D0_KERNEL_MODE can pin 'auto' to one
// of them (./mode.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connectDocker } from '../docker/engine';
import { buildInDocker } from './docker';
import { buildOnHost } from './host';
import { KERNEL_MODE_ENV, resolveKernelMode, type KernelMode } from './mode';
import { publicKeyFileText } from './public-key';
import { KERNEL_DIR } from './sources';

export { KernelKeyError } from './public-key';
export { KERNEL_MODE_ENV, resolveKernelMode, type KernelMode } from './mode';

export interface BuildKernelOptions {
  /** The Ed25519 public key (64 hex digits) manifests must be signed with. */
  publicKeyHex: string;
  /** Where to write BOOTX64.EFI (parent directories are created). */
  outFile: string;
  /**
   * 'auto' (default): Docker when an engine answers, else the host toolchain; D0_KERNEL_MODE
   * (docker or host), when set, decides instead.
   */
  mode?: KernelMode;
  kernelDir?: string;
  log?: (line: string) => void;
}

export interface BuiltKernel {
  path: string;
  sha256: string;
  size: number;
  mode: 'docker' | 'host';
}

export async function buildKernel(opts: BuildKernelOptions): Promise<BuiltKernel> {
  const keyText = publicKeyFileText(opts.publicKeyHex); // refuse a bad key before any work
  const kernelDir = opts.kernelDir ?? KERNEL_DIR;
  const requested = resolveKernelMode(opts.mode);
  let bytes: Buffer;
  let mode: 'docker' | 'host';
  const docker = requested.mode === 'host' ? undefined : await connectDocker();
  if (requested.mode === 'docker' && !docker) {
    const from = requested.fromEnv ? ` (from ${KERNEL_MODE_ENV})` : '';
    throw new Error(
      `buildKernel: mode "docker"${from} but no Docker engine answers (set DOCKER_HOST or start dockerd)`,
    );
  }
  if (docker) {
    bytes = await buildInDocker(docker, keyText, kernelDir, opts.log);
    mode = 'docker';
  } else {
    bytes = await buildOnHost(keyText, kernelDir);
    mode = 'host';
  }
  fs.mkdirSync(path.dirname(opts.outFile), { recursive: true });
  fs.writeFileSync(opts.outFile, bytes);
  return {
    path: opts.outFile,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    mode,
  };
}
